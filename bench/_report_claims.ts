/**
 * The sections of `RESULTS.md` on PostgreSQL claims side by side (issue
 * #13): claim throughput with 1, 2 and 4 processes, and a claim frozen by
 * SIGSTOP. Lock hold with 1,000 of 1,000,000 jobs due and two instances'
 * start lag on such a store are rows of the lock hold and several
 * instances tables (`_report.ts`).
 *
 * @module
 */

import type { BenchMeta, BenchResults } from "./_results.ts";
import { formatNumber, formatSpread, table } from "./_format.ts";

/**
 * The run a store kind's rows come from.
 *
 * @param results The results.
 * @param store The store kind.
 * @returns Its run's meta (the main run's when it measured that kind).
 */
export function runOf(results: BenchResults, store: string): BenchMeta {
  return results.storeRuns?.[store] ?? results.meta;
}

function repeatsOf(n: number): string {
  return `${n} repeat${n === 1 ? "" : "s"}`;
}

/**
 * The claim throughput section.
 *
 * @param results The results.
 * @returns Markdown, or nothing without rows.
 */
export function claimThroughput(results: BenchResults): string {
  const rows = results.claimThroughput;
  if (!rows || rows.length === 0) return "";
  const first = rows[0]!;
  const cores = runOf(results, first.store).cores;
  return [
    "## Claim throughput at saturation",
    "",
    "K processes, each with a store object of its own, claim one " +
    `PostgreSQL store's ${formatNumber(first.jobs)} jobs, every one due ` +
    "(one slot each: the processes' clocks stand still at it), with the " +
    "claim step (`claimDueJobs`: at most " +
    `${formatNumber(first.maxJobs)} jobs a step, unlimited capacity, every ` +
    "job runnable, no instance dead; no run is started), back to back " +
    "until a step claims nothing. The steps run side by side: each locks " +
    "the due rows it reads (`for no key update skip locked`) and passes " +
    "over the rows another holds. Slots per second is every slot claimed " +
    "over the wall time from the first step's start to the last one's " +
    "end; the ratio is over one process's, of the medians and repeat by " +
    "repeat. Each repeat runs on a fresh copy of one built store, the K " +
    `taking turns; ${repeatsOf(first.repeats)}. PostgreSQL runs on the ` +
    `same machine (${cores} cores): the claimers and the server share them.`,
    "",
    table(
      [
        "store",
        "instances",
        "slots/s",
        "over one",
        "per repeat",
        "wall time",
        "claim steps",
        "step p50",
        "step max",
        "twice",
        "slots per instance",
      ],
      rows.map((row) => [
        row.store,
        String(row.count),
        formatSpread(row.detail.slotsPerSecond),
        `${formatNumber(row.overBaseline)}×`,
        formatSpread(row.perRepeatOverBaseline, "×"),
        formatSpread(row.detail.wallMs, " ms"),
        formatSpread(row.detail.claims),
        formatSpread(row.detail.claimP50Ms, " ms"),
        formatSpread(row.detail.claimMaxMs, " ms"),
        formatNumber(row.duplicates),
        row.perInstance.map((p) => p.map(formatNumber).join(" / ")).join(
          "; ",
        ),
      ]),
    ),
    ...(rows.some((row) => (row.detail.lateMs?.max ?? 0) > 0)
      ? [
        "",
        "A process was not ready at the common start in some repeats " +
        `(up to ${
          formatNumber(Math.max(...rows.map((r) => r.detail.lateMs?.max ?? 0)))
        } ms late): it claimed less of the store.`,
      ]
      : []),
  ].join("\n");
}

/**
 * The frozen holder section.
 *
 * @param results The results.
 * @returns Markdown, or nothing without rows.
 */
export function frozenHolder(results: BenchResults): string {
  const rows = results.frozenHolder;
  if (!rows || rows.length === 0) return "";
  const first = rows[0]!;
  return [
    "## Frozen claim",
    "",
    "One process starts a claim on a PostgreSQL store: it takes its " +
    `store's lock, reads the ${formatNumber(first.heldJobs)} earliest due ` +
    "jobs (which locks their rows for its transaction) and is stopped " +
    "with SIGSTOP at once (`stop delay`: from its read to the signal). " +
    "Another instance, a store object of its own in another process, " +
    `runs the claim step every ${first.claimEveryMs} ms meanwhile (real ` +
    "clock, unlimited capacity, no run started), with " +
    `${formatNumber(first.otherJobs)} other jobs due every second (overlap ` +
    "`allow`). The held jobs stay locked until the server ends the " +
    "stopped claim's idle transaction (`lockIdleTimeoutMs`, the store's " +
    "default, 4 s); the stall is from SIGSTOP to the end of the other " +
    "instance's claim step that took the last of them. The other " +
    "instance's claim steps before that pass over the held rows (`skip " +
    "locked`) instead of waiting: how many there were, the slots of other " +
    "jobs they claimed, and how long they took. " +
    `${repeatsOf(first.repeats)}, each on a fresh store; the stall and ` +
    "the longest step are the worst repeat's.",
    "",
    table(
      [
        "store",
        "held",
        "stall (longest)",
        "stall",
        "steps meanwhile",
        "other slots claimed",
        "step p50",
        "step max",
        "step that took them",
        "stop delay",
      ],
      rows.map((row) => [
        row.store,
        formatNumber(row.heldJobs),
        row.stallMs === null
          ? `not claimed (${row.unclaimed} of ${row.repeats})`
          : `${formatNumber(row.stallMs)} ms`,
        formatSpread(row.detail.stallMs, " ms"),
        formatSpread(row.detail.otherClaims),
        formatSpread(row.detail.otherSlots),
        formatSpread(row.detail.otherClaimP50Ms, " ms"),
        formatSpread(row.detail.otherClaimMaxMs, " ms"),
        formatSpread(row.detail.releaseClaimMs, " ms"),
        formatSpread(row.detail.stopDelayMs, " ms"),
      ]),
    ),
  ].join("\n");
}
