// Slot accounting for the seed scenario: how many of a job's expected slots
// ran on time, ran late, ran twice or never ran, and a small text table.
import { deepEqual } from "node:assert/strict";
import type { JobRecord, LedgerEntry } from "../../src/types.ts";

/** A run counts as on time when it started less than this after its slot. */
export const ON_TIME_MS = 1000;

/** Start times (epoch ms) of the runs of each slot, by slot. */
export type Starts = Map<number, number[]>;

/** Records that a run of `slot` started at `startedAt`. */
export function addStart(starts: Starts, slot: number, startedAt: number) {
  starts.set(slot, [...starts.get(slot) ?? [], startedAt]);
}

/** How one system treated one job's expected slots. */
export interface Tally {
  readonly system: string;
  readonly slots: number;
  /** Ran (once) and started less than {@linkcode ON_TIME_MS} after its slot. */
  readonly onTime: number;
  /** Ran, but started {@linkcode ON_TIME_MS} or more after its slot. */
  readonly late: number;
  /** Never ran. */
  readonly missed: number;
  /** Ran more than once. */
  readonly twice: number;
  /** The largest start − slot seen, in ms. */
  readonly maxLateMs: number;
  /** The longest lock hold, in ms. */
  readonly maxHoldMs: number;
}

/** Tallies `expected` slots against the runs that started. */
export function tally(
  system: string,
  expected: readonly number[],
  starts: Starts,
  maxHoldMs: number,
): Tally {
  let onTime = 0;
  let late = 0;
  let missed = 0;
  let twice = 0;
  let maxLateMs = 0;
  for (const slot of expected) {
    const at = starts.get(slot) ?? [];
    if (at.length === 0) {
      missed += 1;
      continue;
    }
    if (at.length > 1) twice += 1;
    const lateness = Math.max(...at.map((t) => t - slot));
    maxLateMs = Math.max(maxLateMs, lateness);
    if (lateness < ON_TIME_MS) onTime += 1;
    else late += 1;
  }
  return {
    system,
    slots: expected.length,
    onTime,
    late,
    missed,
    twice,
    maxLateMs,
    maxHoldMs,
  };
}

/** A plain-text table of tallies, one row per system. */
export function formatTallies(tallies: readonly Tally[]): string {
  const head = [
    "system",
    "slots",
    "on time",
    "late ≥ 1 s",
    "missed",
    "ran twice",
    "max late",
    "max lock hold",
  ];
  const rows = tallies.map((t) => [
    t.system,
    String(t.slots),
    String(t.onTime),
    String(t.late),
    String(t.missed),
    String(t.twice),
    seconds(t.maxLateMs),
    seconds(t.maxHoldMs),
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i]!.length))
  );
  const line = (cells: string[]) =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))
      .join("  ");
  return [line(head), ...rows.map(line)].join("\n");
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The outcome of every slot a ledger accounts for: a run entry gives one
 * slot, a range entry (`count` consecutive skipped or missed slots) gives
 * the expected slots between its first and last, which must be `count`.
 * Returns the slots with the outcomes recorded for each (more than one is a
 * double record), and the range entries whose count did not match.
 */
export function ledgerSlots(
  entries: readonly LedgerEntry[],
  expected: readonly number[],
): { outcomes: Map<number, string[]>; badRanges: LedgerEntry[] } {
  const outcomes = new Map<number, string[]>();
  const badRanges: LedgerEntry[] = [];
  const record = (slot: number, outcome: string) =>
    outcomes.set(slot, [...outcomes.get(slot) ?? [], outcome]);
  for (const entry of entries) {
    if (entry.until === undefined) {
      record(entry.slot, entry.outcome);
      continue;
    }
    const inside = expected.filter((s) => s >= entry.slot && s <= entry.until!);
    if (inside.length !== entry.count) badRanges.push(entry);
    for (const slot of inside) record(slot, entry.outcome);
  }
  return { outcomes, badRanges };
}

/** `hh:mm:ss` (UTC) of an instant. */
export function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/**
 * The outcome of each slot of a job; `running` for the one still
 * running, `pending` for a queued one. Asserts that range counts match and
 * that no entry lies off the expected slots.
 */
export function slotOutcomes(
  job: string,
  expected: readonly number[],
  history: readonly LedgerEntry[],
  jobs: readonly JobRecord[] = [],
): Map<number, string[]> {
  const entries = history.filter((e) => e.job === job);
  const { outcomes, badRanges } = ledgerSlots(entries, expected);
  deepEqual(badRanges, [], `${job}: a range entry's count is wrong`);
  const unexpected = [...outcomes.keys()].filter((s) => !expected.includes(s));
  deepEqual(unexpected.map(time), [], `${job}: ledger slots off schedule`);
  const record = jobs.find((j) => j.spec.id === job);
  for (const run of record?.state.runs ?? []) {
    outcomes.set(run.slot, [...outcomes.get(run.slot) ?? [], "running"]);
  }
  for (const p of record?.state.backlog ?? []) {
    outcomes.set(p.slot, [...outcomes.get(p.slot) ?? [], "pending"]);
  }
  return outcomes;
}

/** Contiguous runs of slots (one second apart), as `from–to (n)`. */
export function spans(slots: readonly number[]): string[] {
  const out: string[] = [];
  let start = slots[0];
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    const next = slots[i + 1];
    if (next !== undefined && next === s + 1000) continue;
    const n = (s - start!) / 1000 + 1;
    out.push(`${time(start!)}–${time(s)} (${n})`);
    start = next;
  }
  return out;
}
