/**
 * The claim step for one job, as a pure function: recover runs of dead
 * instances, turn due slots into runs or ledger entries (catch-up, overlap,
 * pause, bounds), advance the cursor, and start what this instance may start.
 * `claimDueJobs()` calls it under the store lock and commits the result.
 * Due slots are walked one chunk per claim, except a gap too long for one
 * chunk, whose slots that cannot run are counted into ranges in one claim
 * (see `_collapse_gap.ts`).
 *
 * @module
 */

import type {
  ActiveRun,
  JobRecord,
  JobSpec,
  JobState,
  LedgerEntry,
  Trigger,
} from "../types.ts";
import { nextSlot } from "../schedule/next_slot.ts";
import {
  draftOf,
  dueAtOf,
  type RecordedSlot,
  refreshNextSlot,
  scheduleOf,
  type StateDraft,
} from "./job_state.ts";
import { collapseGap } from "./_collapse_gap.ts";

/** A slot up to this late (after its due time) is on time, not a catch-up. */
export const ON_TIME_MS = 2000;

/**
 * At most this many slots are walked one by one per claim; a longer gap is
 * first collapsed into ranges by counting.
 */
const CHUNK = 1000;

/** What the claim step knows besides the job record. */
export interface AdvanceContext {
  /** Wall-clock time of the claim. */
  readonly now: number;
  /** This instance's id. */
  readonly instance: string;
  /**
   * This process's incarnation, written on every run it claims. A run with
   * this instance's id and another incarnation belongs to an earlier
   * process with the id, which is dead (an id is held by one live process at
   * a time), and is recovered.
   */
  readonly incarnation?: string;
  /** Whether this instance can run the job's target. */
  readonly canRun: boolean;
  /** Runs this instance may still start (shared across jobs; decremented). */
  readonly budget: { left: number };
  /** Whether an instance is dead (judged on this instance's monotonic clock). */
  readonly isDead: (instance: string) => boolean;
  /**
   * The runs this instance is executing, when it knows them. A run the
   * store gives this instance's id but that is not among them is lost (an
   * earlier process with the same id died, or a claim whose commit failed
   * after its line reached the journal) and is recovered as a dead
   * instance's run would be.
   */
  readonly ownRuns?: ReadonlySet<string>;
  /** A fresh run id. */
  readonly newRunId: () => string;
  /**
   * Claim a job's next slot ahead of time when it is due by this instant
   * and nothing of the job is running or waiting (so no policy can depend
   * on what happens in between). The run starts at its due time.
   * @default {now} (no lookahead)
   */
  readonly lookaheadUntil?: number;
}

/** What the claim step decided for one job. */
export interface AdvanceResult {
  /** The new state (the same object when nothing changed). */
  readonly state: JobState;
  readonly changed: boolean;
  /** Ledger entries to append. */
  readonly entries: readonly LedgerEntry[];
  /**
   * Slots that received an outcome (for events); a collapsed gap is one
   * item with `until` and `count`.
   */
  readonly recorded: readonly RecordedSlot[];
  /** Runs claimed for this instance: start them after the lock is released. */
  readonly started: readonly ActiveRun[];
  /** More due slots remain than one claim handles (claim again). */
  readonly more: boolean;
}

/**
 * Advances one job at the claim step.
 *
 * @param record The job as stored.
 * @param ctx What the claim step knows.
 * @returns The new state, ledger entries and runs to start.
 */
export function advanceJob(
  record: JobRecord,
  ctx: AdvanceContext,
): AdvanceResult {
  const { spec } = record;
  const draft = draftOf(record);
  recoverDeadRuns(spec, draft, ctx);
  // Only an instance that can run a job advances its schedule, so slots that
  // fall while no capable instance runs are handled as catch-up later.
  let more = false;
  if (ctx.canRun && draft.state.paused) {
    collapseGap(spec, draft, {
      now: ctx.now,
      limit: CHUNK,
      onTimeMs: ON_TIME_MS,
    });
    more = takeDueSlots(
      spec,
      draft,
      ctx,
      (slot) => draft.recordRange("skipped", slot, "paused"),
    );
  } else if (ctx.canRun) {
    // Capacity gates only starting runs: due slots are admitted (or
    // recorded skipped/missed) at their time even when this instance is
    // full, and a backlog entry starts when any capable instance has room.
    more = admitDueSlots(spec, draft, ctx);
  }
  const started = ctx.canRun ? dispatchBacklog(spec, draft, ctx) : [];
  if (ctx.canRun && started.length === 0) {
    const ahead = claimAhead(spec, draft, ctx);
    if (ahead) started.push(ahead);
  }
  return {
    state: draft.finish(ctx.now),
    changed: draft.changed,
    entries: draft.entries,
    recorded: draft.recorded,
    started,
    more,
  };
}

function recoverDeadRuns(
  spec: JobSpec,
  draft: StateDraft,
  ctx: AdvanceContext,
) {
  const alive: ActiveRun[] = [];
  const recovered: { slot: number; trigger: Trigger }[] = [];
  const lost = (run: ActiveRun) => {
    if (run.instance !== ctx.instance) return ctx.isDead(run.instance);
    if (!isOwn(run, ctx)) return true;
    return ctx.ownRuns !== undefined && !ctx.ownRuns.has(run.runId);
  };
  for (const run of draft.state.runs) {
    if (!lost(run)) {
      alive.push(run);
    } else if (spec.recover === "rerun" && run.trigger !== "recovery") {
      recovered.push({ slot: run.slot, trigger: "recovery" });
    } else {
      draft.record({
        slot: run.slot,
        outcome: "abandoned",
        trigger: run.trigger,
        runId: run.runId,
        instance: run.instance,
      }, ctx.now);
    }
  }
  if (alive.length === draft.state.runs.length) return;
  draft.touch();
  draft.state.runs = alive;
  draft.state.backlog = [...recovered, ...draft.state.backlog];
}

/**
 * Takes the due slots after the cursor, at most one chunk, and hands each to
 * `take`. Returns true when more are due than one chunk.
 */
function takeDueSlots(
  spec: JobSpec,
  draft: StateDraft,
  ctx: AdvanceContext,
  take: (slot: number, dueAt: number, last: boolean) => void,
  lookahead = 0,
): boolean {
  const state = draft.state;
  if (state.nextSlot === undefined || (state.nextDueAt ?? 0) > ctx.now) {
    return false;
  }
  const schedule = scheduleOf(spec, state.createdAt);
  const due: { slot: number; dueAt: number }[] = [];
  let slot: number | undefined = state.nextSlot;
  let dueAt = state.nextDueAt ?? slot;
  const limit = CHUNK + lookahead;
  while (slot !== undefined && dueAt <= ctx.now && due.length < limit) {
    if (spec.endAt !== undefined && slot > spec.endAt) break;
    due.push({ slot, dueAt });
    slot = nextSlot(schedule, slot);
    if (slot !== undefined) dueAt = dueAtOf(spec, state.createdAt, slot);
  }
  const more = due.length === limit;
  const taken = more ? due.slice(0, CHUNK) : due;
  taken.forEach((d, i) =>
    take(d.slot, d.dueAt, !more && i === taken.length - 1)
  );
  draft.touch();
  draft.state.cursor = taken[taken.length - 1]?.slot ?? state.cursor;
  refreshNextSlot(spec, draft.state);
  return more;
}

function admitDueSlots(spec: JobSpec, draft: StateDraft, ctx: AdvanceContext) {
  // More than one walk's worth: settle what cannot run by counting first.
  collapseGap(spec, draft, {
    now: ctx.now,
    limit: CHUNK + spec.catchupMax + 1,
    onTimeMs: ON_TIME_MS,
  });
  const windowStart = ctx.now - spec.catchupWindowMs;
  const onTime: number[] = [];
  const late: number[] = [];
  let chunkOnly = true;
  const more = takeDueSlots(spec, draft, ctx, (slot, dueAt, last) => {
    if (last) chunkOnly = false;
    if (slot < windowStart) draft.recordRange("missed", slot, "window");
    else if (ctx.now - dueAt <= ON_TIME_MS) onTime.push(slot);
    else late.push(slot);
  }, spec.catchupMax + 1);
  if (more && chunkOnly) {
    // A whole chunk with more than catchupMax slots after it: all of it is
    // older than anything catch-up may run.
    for (const slot of [...late, ...onTime]) draft.recordRange("missed", slot);
    return true;
  }
  let catchup: number[] = [];
  if (spec.catchup === "latest" && onTime.length === 0) {
    catchup = late.slice(-1);
  }
  if (spec.catchup === "all") catchup = late.slice(-spec.catchupMax);
  for (const slot of late) {
    if (!catchup.includes(slot)) draft.recordRange("missed", slot, "catchup");
  }
  for (const slot of catchup) admit(spec, draft, slot, "catchup");
  for (const slot of onTime) admit(spec, draft, slot, "schedule");
  return more;
}

/** Puts a due slot in the backlog, or records it, as the overlap policy says. */
function admit(
  spec: JobSpec,
  draft: StateDraft,
  slot: number,
  trigger: Trigger,
) {
  const state = draft.state;
  if (spec.maxRuns !== undefined && state.runCount >= spec.maxRuns) return;
  const running = state.runs.length > 0;
  const waiting = state.backlog.length > 0;
  const take = () => {
    state.backlog = [...state.backlog, { slot, trigger }];
    state.runCount += 1;
  };
  if (trigger === "catchup" && spec.catchup === "all") return take();
  switch (spec.overlap) {
    case "allow":
      return take();
    case "skip":
      if (running || waiting) {
        return draft.recordRange("skipped", slot, "overlap");
      }
      return take();
    case "queue":
      if (waiting) return draft.recordRange("skipped", slot, "overlap");
      return take();
    case "replace":
      for (const old of state.backlog) {
        draft.recordRange("skipped", old.slot, "replaced");
      }
      state.backlog = [];
      if (running) {
        state.runs = state.runs.map((r) => ({ ...r, cancelRequested: true }));
      }
      return take();
  }
}

/**
 * Claims the next slot before it is due: only for a job with nothing
 * running or waiting, not paused, and only that one slot, so the outcome
 * is the one an on-time claim at the due time would have given.
 */
function claimAhead(
  spec: JobSpec,
  draft: StateDraft,
  ctx: AdvanceContext,
): ActiveRun | undefined {
  const state = draft.state;
  const until = ctx.lookaheadUntil ?? ctx.now;
  const { nextSlot: slot, nextDueAt: dueAt } = state;
  if (
    slot === undefined || dueAt === undefined || dueAt <= ctx.now ||
    dueAt > until || state.paused || ctx.budget.left <= 0 ||
    state.runs.length > 0 || state.backlog.length > 0 ||
    (spec.endAt !== undefined && slot > spec.endAt) ||
    (spec.maxRuns !== undefined && state.runCount >= spec.maxRuns)
  ) {
    return undefined;
  }
  const run: ActiveRun = {
    runId: ctx.newRunId(),
    slot,
    trigger: "schedule",
    ...claimant(ctx),
    claimedAt: ctx.now,
    startAt: dueAt,
  };
  draft.touch();
  state.cursor = slot;
  state.runCount += 1;
  state.runs = [run];
  refreshNextSlot(spec, state);
  ctx.budget.left -= 1;
  return run;
}

function dispatchBacklog(
  spec: JobSpec,
  draft: StateDraft,
  ctx: AdvanceContext,
) {
  const state = draft.state;
  const started: ActiveRun[] = [];
  while (state.backlog.length > 0 && ctx.budget.left > 0) {
    const next = state.backlog[0]!;
    const concurrent = spec.overlap === "allow" || next.force === true;
    if (state.runs.length > 0 && !concurrent) break;
    const run: ActiveRun = {
      runId: next.runId ?? ctx.newRunId(),
      slot: next.slot,
      trigger: next.trigger,
      ...claimant(ctx),
      claimedAt: ctx.now,
      ...(next.note !== undefined ? { note: next.note } : {}),
    };
    state.backlog = state.backlog.slice(1);
    state.runs = [...state.runs, run];
    started.push(run);
    ctx.budget.left -= 1;
    draft.touch();
  }
  return started;
}

/** The instance and incarnation a run claimed now carries. */
function claimant(ctx: AdvanceContext) {
  return {
    instance: ctx.instance,
    ...(ctx.incarnation !== undefined ? { incarnation: ctx.incarnation } : {}),
  };
}

/**
 * Whether a run is this process's own: this instance's id and, when the
 * process has an incarnation, the same one.
 *
 * @param run A run of the store.
 * @param self This process's instance id and incarnation.
 * @returns True when it is.
 */
export function isOwn(
  run: ActiveRun,
  self: { readonly instance: string; readonly incarnation?: string },
): boolean {
  return run.instance === self.instance &&
    (self.incarnation === undefined || run.incarnation === self.incarnation);
}
