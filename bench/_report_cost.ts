/**
 * The sections of `RESULTS.md` on what a run costs (issue #12): where
 * tock's CPU goes per run (a profiled start lag repeat), the journal's
 * bytes per claimed slot, and how long `tock start --jobs` takes to its
 * first claim. The start lag table's CPU column is `_report.ts`'s.
 *
 * @module
 */

import type { BenchResults, CpuSplitRow } from "./_results.ts";
import type { Spread } from "./_stats.ts";
import { formatNumber, formatSpread, table } from "./_format.ts";
import { CPU_PARTS, type CpuPart } from "./_cpu_split.ts";

/** The parts' column names, in `CPU_PARTS` order, idle left out. */
const PART_NAMES: Readonly<Record<Exclude<CpuPart, "idle">, string>> = {
  claim: "claim",
  start: "start",
  outcome: "outcome",
  compaction: "compaction",
  upkeep: "upkeep",
  unowned: "unowned",
  gc: "GC",
  program: "V8 (program)",
  bench: "bench",
};

/**
 * The CPU split section: one column per profiled K, one row per part.
 *
 * @param results The results.
 * @returns Markdown, or nothing without profiled repeats.
 */
export function cpuSplit({ startLagCpuSplit: rows }: BenchResults): string {
  if (!rows || rows.length === 0) return "";
  const parts = CPU_PARTS.filter((p): p is Exclude<CpuPart, "idle"> =>
    p !== "idle"
  );
  const us = (value: number | null) => `${formatNumber(value)} µs`;
  const other = (row: CpuSplitRow) =>
    row.cpuUsPerRun === null || row.mainThreadUsPerRun === null
      ? null
      : row.cpuUsPerRun - row.mainThreadUsPerRun;
  return [
    "## Where tock's CPU goes per run",
    "",
    "CPU per run, end to end, as in the start lag table (the unprofiled " +
    "repeats' medians: the process, its main thread from `schedstat`, the " +
    "other threads), and how the main thread's splits by part of a run's " +
    "life. The split is one more repeat at that K (not in the start lag " +
    "rows), its CPU window under a V8 CPU profile of the main thread " +
    "(`node:inspector`, sampled every " +
    `${formatNumber(rows[0]!.intervalUs)} µs, each sample weighing the ` +
    "time to the next; `bench/_cpu_split.ts`). A sample's stack is walked " +
    "from the leaf and the first frame a rule names decides: **claim** " +
    "(the claim step: `claims.ts`, `claim_due_jobs.ts`, `advance_job.ts`; " +
    "the next due time), **start** (creating the job actors, the start " +
    "timer, calling the handler, the transitions the start loop sends), " +
    "**outcome** (the attempt's answer to its actor and the transitions " +
    "after it, the outcome batch, the actor's end), **compaction** " +
    "(journal rotation, archives, snapshot), **upkeep** (heartbeats, " +
    "reading the instances, the store's change watch). Store code resumed " +
    "after an `await` has no caller on its stack (a commit's " +
    "serialisation, write and apply): it goes to the lock turn it falls " +
    "in, a claim's or an outcome batch's (each lease timed and told by " +
    "who asked for it), else **unowned**, with the rest no rule names. " +
    "Each cell is the part's share of the busy samples (idle left out) " +
    "and that share of the main thread's CPU per run. The profiled " +
    "repeat's own figures are below the table: the profiler costs CPU, " +
    "and a sample weighs wall time, also while the thread waits for a core.",
    "",
    table(
      ["per run", ...rows.map((r) => `K=${formatNumber(r.jobs)} (${r.store})`)],
      [
        ["process CPU", ...rows.map((r) => us(r.cpuUsPerRun))],
        ["main thread", ...rows.map((r) => us(r.mainThreadUsPerRun))],
        ["other threads", ...rows.map((r) => us(other(r)))],
        ...parts.map((p) => [
          PART_NAMES[p],
          ...rows.map((r) =>
            `${formatNumber(r.percent[p])}% ≈ ${us(r.usPerRun[p])}`
          ),
        ]),
      ],
    ),
    "",
    "The profiled repeats: " +
    rows.map((r) =>
      `K=${formatNumber(r.jobs)} (${r.store}) ${formatNumber(r.runs)} runs, ${
        formatNumber(r.samples)
      } samples, process ${us(r.profiled.cpuUsPerRun)}, main thread ${
        us(r.profiled.mainThreadUsPerRun)
      }, sampled ${us(r.profiled.sampledUsPerRun)} per run; of the claim's ${
        formatNumber(r.percent.claim)
      }%, ${formatNumber(r.byTurnPercent.claim)}% came from its lock turns ` +
      `(not a frame), of the outcome's ${formatNumber(r.percent.outcome)}%, ${
        formatNumber(r.byTurnPercent.outcome)
      }%`
    ).join("; ") + ".",
  ].join("\n");
}

/**
 * The journal bytes section.
 *
 * @param results The results.
 * @returns Markdown, or nothing without rows.
 */
export function journal({ journalBytes: rows }: BenchResults): string {
  if (!rows || rows.length === 0) return "";
  const perLine = (slots?: Spread, lines?: Spread) =>
    slots?.median != null && lines?.median ? slots.median / lines.median : null;
  return [
    "## Journal bytes",
    "",
    "After each tock start lag repeat on the file store, every complete " +
    "line of the journals in its directory (a compaction removes the " +
    "journals before its snapshot, so the lines still there): claim " +
    "lines (those with `claimedBy`) over the slots they claim (one per " +
    "`job.claim`, the runs a `job.patch` claims or adds), and outcome " +
    "lines over the runs they record (their `ledger.append` entries with " +
    "a run id). Bytes include the newline; a claim line's ledger entries " +
    "of skipped slots count with it. The median claim line is the median " +
    "of the lines' own bytes per slot: a typical claim, where the first " +
    "claim after a start (catching up, written in the longer form) weighs " +
    "in the total.",
    "",
    table(
      [
        "store",
        "K",
        "format",
        "claim lines",
        "slots per claim line",
        "bytes per claimed slot",
        "median claim line",
        "outcome lines",
        "bytes per recorded run",
        "journals",
      ],
      rows.map((row) => [
        row.store,
        formatNumber(row.jobs),
        formatNumber(row.format),
        formatSpread(row.detail.claimLines),
        formatNumber(
          perLine(row.detail.claimedSlots, row.detail.claimLines),
        ),
        formatSpread(row.detail.bytesPerClaimedSlot, " B"),
        formatSpread(row.detail.claimLineBytesPerSlot, " B"),
        formatSpread(row.detail.outcomeLines),
        formatSpread(row.detail.bytesPerRecordedRun, " B"),
        formatSpread(row.detail.journals),
      ]),
    ),
  ].join("\n");
}

/**
 * The jobs file start section.
 *
 * @param results The results.
 * @returns Markdown, or nothing when it was not measured.
 */
export function jobsFileStart({ jobsFileStart: s }: BenchResults): string {
  if (!s) return "";
  const d = s.detail;
  const ms = (spread: Spread | undefined) => formatSpread(spread, " ms");
  const due = d.firstSlotDue?.runs ?? [];
  return [
    "## `tock start --jobs` with many jobs",
    "",
    `\`tock start --jobs FILE --grace 1s\` (the CLI daemon, with the flags ` +
    "of `deno task tock`) on a directory that does not exist yet, with a " +
    `jobs file of ${formatNumber(s.jobs)} jobs (${
      formatSpread(d.fileBytes, " B")
    }): one due every second (\`sleep 60\`, so that its run stays in the ` +
    "store while it is read) and the others `true` once an hour, at a " +
    "minute none of them is due in; " +
    `${s.repeats} repeat${s.repeats === 1 ? "" : "s"}, each a fresh ` +
    "daemon on a fresh store. Every time is from the spawn, read from the " +
    "daemon's own records on this host's clock: the sync began (the jobs' " +
    "`createdAt`, once the file was read and checked), the instance " +
    "registered (its record's `startedAt`, after the sync's one commit; " +
    "the difference is the sync), the first claim (the `claimedAt` of the " +
    "per-second job's run: the claim step's time under the lock). The " +
    "first claim step follows the registration; it claims that run when " +
    "its first slot (the first whole second after the sync began) is due " +
    `by then, a lookahead early (in ${
      due.filter((v) => v === 1).length
    } of ${due.length} repeats; otherwise it waited for the slot). The ` +
    "first run's line is when " +
    "its `run … started` line reached the bench.",
    "",
    table(
      [
        "jobs",
        "sync began",
        "sync",
        "registered",
        "first claim",
        "`instance started` line",
        "first run's line",
      ],
      [[
        formatNumber(s.jobs),
        ms(d.syncStartMs),
        ms(d.syncMs),
        ms(d.registeredMs),
        ms(d.firstClaimMs),
        ms(d.startedLineMs),
        ms(d.firstRunLineMs),
      ]],
    ),
  ].join("\n");
}
