/**
 * Pure helpers over {@linkcode JobState}: the first state of a job, the next
 * slot after a cursor (bounds, `maxRuns` and jitter applied), and the ledger
 * bookkeeping (open ranges, counters) shared by claims and outcomes.
 *
 * @module
 */

import type {
  JobRecord,
  JobSpec,
  JobState,
  LedgerEntry,
  Outcome,
  RangeEntry,
} from "../types.ts";
import { OUTCOMES } from "../types.ts";
import { jitterFor } from "../schedule/jitter.ts";
import { nextSlot as scheduleNextSlot } from "../schedule/next_slot.ts";
import { parseSchedule } from "../schedule/parse_schedule.ts";
import type { Schedule } from "../schedule/schedule.ts";

const schedules = new Map<string, Schedule>();

/**
 * The parsed schedule of a job (cached: parsing is deterministic given the
 * job's text, zone, creation instant and `startAt`).
 */
export function scheduleOf(spec: JobSpec, createdAt: number): Schedule {
  const key =
    `${spec.schedule}\u0000${spec.tz}\u0000${createdAt}\u0000${spec.startAt}\u0000${spec.domAndDow}`;
  let schedule = schedules.get(key);
  if (!schedule) {
    if (schedules.size > 50_000) schedules.clear();
    schedule = parseSchedule(spec.schedule, {
      tz: spec.tz,
      now: createdAt,
      anchor: spec.startAt ?? createdAt,
      domAndDow: spec.domAndDow === true,
    });
    schedules.set(key, schedule);
  }
  return schedule;
}

/** The job's next slot strictly after `after`, within its bounds. */
export function nextSlotOf(
  spec: JobSpec,
  state: Pick<JobState, "createdAt" | "runCount">,
  after: number,
): number | undefined {
  if (spec.maxRuns !== undefined && state.runCount >= spec.maxRuns) {
    return undefined;
  }
  const slot = scheduleNextSlot(scheduleOf(spec, state.createdAt), after);
  if (slot === undefined || (spec.endAt !== undefined && slot > spec.endAt)) {
    return undefined;
  }
  return slot;
}

/** When a slot becomes due: the slot plus its deterministic jitter. */
export function dueAtOf(
  spec: JobSpec,
  createdAt: number,
  slot: number,
): number {
  if (spec.jitterMs <= 0) return slot;
  const following = scheduleNextSlot(scheduleOf(spec, createdAt), slot);
  return slot + jitterFor(spec.id, slot, spec.jitterMs, following);
}

/** A zero for every outcome. */
export function emptyCounters(): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<
    Outcome,
    number
  >;
}

/** The state of a job that has just been created. */
export function initialState(
  spec: JobSpec,
  now: number,
  paused = false,
  pauseNote?: string,
): JobState {
  const cursor = spec.startAt !== undefined ? spec.startAt - 1 : now;
  const base: JobState = {
    version: 1,
    createdAt: now,
    updatedAt: now,
    paused,
    ...(paused && pauseNote !== undefined ? { pauseNote } : {}),
    cursor,
    runs: [],
    backlog: [],
    runCount: 0,
    counters: emptyCounters(),
  };
  return withNextSlot(spec, base);
}

/**
 * A draft for a job whose ranges keep to consecutive slots of its schedule.
 *
 * @param record The job.
 * @returns A draft of its state.
 */
export function draftOf(record: JobRecord): StateDraft {
  const schedule = scheduleOf(record.spec, record.state.createdAt);
  return new StateDraft(
    record.spec.id,
    record.state,
    (slot) => scheduleNextSlot(schedule, slot),
  );
}

/** Recomputes `nextSlot`/`nextDueAt` from the cursor. */
export function withNextSlot(spec: JobSpec, state: JobState): JobState {
  const copy = { ...state };
  refreshNextSlot(spec, copy);
  return copy;
}

/**
 * Sets a state's `nextSlot`/`nextDueAt` in place from its cursor (a draft's
 * state, after the cursor moved).
 */
export function refreshNextSlot(spec: JobSpec, state: JobState): void {
  const slot = nextSlotOf(spec, state, state.cursor);
  const next = state as { nextSlot?: number; nextDueAt?: number };
  if (slot === undefined) {
    delete next.nextSlot;
    delete next.nextDueAt;
  } else {
    next.nextSlot = slot;
    next.nextDueAt = dueAtOf(spec, state.createdAt, slot);
  }
}

/** A slot (or a span of consecutive slots) given an outcome by a change. */
export interface RecordedSlot {
  /** The outcome. */
  readonly outcome: Outcome;
  /** The slot (a span's first slot), epoch ms. */
  readonly slot: number;
  /** Why it was skipped or missed, if it was. */
  readonly note?: string;
  /** A span of more than one slot: its last slot, epoch ms. */
  readonly until?: number;
  /** A span of more than one slot: how many slots it holds. */
  readonly count?: number;
}

/**
 * A mutable working copy of a job's state plus the ledger entries that a
 * change produces; the pure transitions build one, then `finish()` it.
 */
export class StateDraft {
  state:
    & {
      -readonly [K in keyof JobState]: JobState[K];
    }
    & { counters: Record<Outcome, number> };
  readonly entries: LedgerEntry[] = [];
  /**
   * Every slot given an outcome by this change (for events); a span of
   * slots recorded at once is one item, with its last slot and count.
   */
  readonly recorded: RecordedSlot[] = [];
  readonly #jobId: string;
  readonly #successor: ((slot: number) => number | undefined) | undefined;
  #changed = false;

  /**
   * @param jobId The job.
   * @param state Its current state.
   * @param successor The schedule's slot after a slot; given, a range only
   * grows by the slot that directly follows it, so that a range always
   * holds consecutive slots.
   */
  constructor(
    jobId: string,
    state: JobState,
    successor?: (slot: number) => number | undefined,
  ) {
    this.#jobId = jobId;
    this.#successor = successor;
    this.state = {
      ...state,
      runs: [...state.runs],
      backlog: [...state.backlog],
      counters: { ...state.counters },
    };
  }

  /** Marks the draft as changed (so that it is committed). */
  touch(): void {
    this.#changed = true;
  }

  /** Whether anything changed. */
  get changed(): boolean {
    return this.#changed;
  }

  /**
   * Records a skipped or missed slot, growing the open range when the slot
   * has the same outcome and note and directly follows it.
   */
  recordRange(outcome: RangeEntry["outcome"], slot: number, note?: string) {
    this.recordSpan(outcome, { first: slot, last: slot, count: 1 }, note);
  }

  /**
   * Records `count` consecutive slots, `first` to `last`, with one outcome
   * and note, as `count` calls of `recordRange` would, but in constant time
   * and as one item of `recorded` (with `until` and `count`): a gap of
   * millions of slots is settled without listing them.
   */
  recordSpan(
    outcome: RangeEntry["outcome"],
    span: { first: number; last: number; count: number },
    note?: string,
  ) {
    const { first, last, count } = span;
    this.touch();
    const open = this.state.openRange;
    this.state.counters[outcome] += count;
    this.recorded.push({
      outcome,
      slot: first,
      ...(count > 1 ? { until: last, count } : {}),
      ...(note !== undefined ? { note } : {}),
    });
    const extends_ = open !== undefined && open.outcome === outcome &&
      open.note === note &&
      (!this.#successor || this.#successor(open.last) === first);
    if (extends_) {
      this.state.openRange = { ...open!, last, count: open!.count + count };
      return;
    }
    this.flushRange();
    this.state.openRange = {
      outcome,
      first,
      last,
      count,
      ...(note !== undefined ? { note } : {}),
    };
  }

  /** Records one entry with a run outcome (closing any open range first). */
  record(entry: Omit<LedgerEntry, "job">, at: number) {
    this.touch();
    this.flushRange();
    this.entries.push({ job: this.#jobId, ...entry });
    this.state.counters[entry.outcome] += 1;
    this.recorded.push({ outcome: entry.outcome, slot: entry.slot });
    this.state.last = { slot: entry.slot, outcome: entry.outcome, at };
  }

  /** Moves the open range into the ledger. */
  flushRange() {
    const open = this.state.openRange;
    if (!open) return;
    this.touch();
    delete this.state.openRange;
    this.entries.push({
      job: this.#jobId,
      slot: open.first,
      outcome: open.outcome,
      ...(open.count > 1 ? { until: open.last, count: open.count } : {}),
      ...(open.note !== undefined ? { note: open.note } : {}),
    });
    this.state.last = { slot: open.last, outcome: open.outcome, at: open.last };
  }

  /** The new state (version bumped) if anything changed. */
  finish(now: number): JobState {
    if (!this.#changed) return this.state;
    return {
      ...this.state,
      version: this.state.version + 1,
      updatedAt: now,
    };
  }
}
