// Issue #12's figures: CPU per run and its split, journal bytes per claimed
// slot, K = 30,000 start lag (reported, not judged), and `tock start
// --jobs` until the first claim; their rows, targets, report and merge.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { FULL, POSTGRES, QUICK } from "../../bench/_config.ts";
import {
  type BenchResults,
  type JournalBytesRow,
  SCENARIOS,
  type StartLagRow,
} from "../../bench/_results.ts";
import { verdicts } from "../../bench/_targets.ts";
import { renderReport } from "../../bench/_report.ts";
import { mergeResults } from "../../bench/_merge.ts";
import { spread } from "../../bench/_stats.ts";
import { CPU_PARTS, type CpuPart } from "../../bench/_cpu_split.ts";
import { splitRow } from "../../bench/suites/start_lag.ts";
import { jobsFileStartRow } from "../../bench/suites/jobs_file_start.ts";
import type { StartLagResult } from "../../bench/scenarios/start_lag.ts";
import {
  type JobsFileStartResult,
  startJobsFile,
} from "../../bench/scenarios/jobs_file_start.ts";
import { parseJobsFile } from "../../src/cli/jobs_file.ts";
import { benchMeta } from "./_meta.ts";

function lag(
  system: StartLagRow["system"],
  jobs: number,
  p99Ms: number,
  startedPercent: number,
  cpuUsPerRun?: number,
): StartLagRow {
  const s = spread([p99Ms]);
  return {
    system,
    store: system === "tock" ? "file" : "none",
    jobs,
    repeats: 1,
    p50Ms: p99Ms,
    p99Ms,
    maxMs: p99Ms,
    startedPercent,
    ...(cpuUsPerRun !== undefined ? { cpuUsPerRun } : {}),
    detail: {
      p50Ms: s,
      p99Ms: s,
      maxMs: s,
      startedPercent: spread([startedPercent]),
      ...(cpuUsPerRun !== undefined
        ? { cpuUsPerRun: spread([cpuUsPerRun]) }
        : {}),
    },
  };
}

function ms(values: Partial<Record<CpuPart, number>>): Record<CpuPart, number> {
  return Object.fromEntries(
    CPU_PARTS.map((p) => [p, values[p] ?? 0]),
  ) as Record<
    CpuPart,
    number
  >;
}

/** A profiled K=10,000 repeat: 1,000 runs, 400 ms busy, 100 ms idle. */
function profiled(): StartLagResult {
  return {
    system: "tock",
    store: "file",
    jobs: 10_000,
    expected: 50_000,
    started: 20_000,
    count: 20_000,
    p50Ms: 1,
    p99Ms: 2,
    maxMs: 2,
    cpu: {
      runs: 1_000,
      cpuMs: 600,
      wallMs: 500,
      usPerRun: 600,
      mainThreadMs: 450,
      mainThreadUsPerRun: 450,
    },
    profile: {
      intervalUs: 500,
      split: {
        samples: 1_000,
        ms: ms({ claim: 100, start: 100, outcome: 160, gc: 40, idle: 100 }),
        byTurnMs: ms({ claim: 30, outcome: 60 }),
      },
    },
  };
}

function journalRow(jobs: number, bytes: number): JournalBytesRow {
  return {
    store: "file",
    jobs,
    repeats: 1,
    format: 3,
    bytesPerClaimedSlot: bytes,
    bytesPerRecordedRun: 490,
    detail: {
      bytesPerClaimedSlot: spread([bytes]),
      bytesPerRecordedRun: spread([490]),
      claimLines: spread([10]),
      claimedSlots: spread([jobs * 10]),
      outcomeLines: spread([10]),
      journals: spread([1]),
    },
  };
}

function start(firstClaimMs: number): JobsFileStartResult {
  return {
    jobs: 100_000,
    fileBytes: 5_600_000,
    syncStartMs: 800,
    syncMs: 2_800,
    registeredMs: 3_600,
    firstClaimMs,
    startedLineMs: 3_700,
    firstRunLineMs: 4_700,
    firstSlotDue: true,
  };
}

function sample(): BenchResults {
  return {
    meta: benchMeta(),
    startLag: [
      lag("tock", 1_000, 4, 100, 250),
      lag("tock", 10_000, 2_000, 38, 310),
      lag("croner", 10_000, 250, 100, 90),
      lag("tock", 30_000, 2_100, 9, 400),
      lag("croner", 30_000, 1_300, 88, 95),
      lag("croner9", 30_000, 890, 100, 60),
      lag("timer", 30_000, 20, 100, 3),
    ],
    startLagCpuSplit: [
      splitRow("file", 10_000, profiled(), [unprofiled(310, 200)]),
    ],
    journalBytes: [journalRow(1_000, 129), journalRow(10_000, 128)],
    jobsFileStart: jobsFileStartRow([start(3_900), start(4_100)]),
  };
}

/** An unprofiled repeat with this CPU per run (process, main thread). */
function unprofiled(
  usPerRun: number,
  mainThreadUsPerRun: number,
): StartLagResult {
  const { profile: _, ...base } = profiled();
  return { ...base, cpu: { ...base.cpu, usPerRun, mainThreadUsPerRun } };
}

Deno.test("splitRow() gives each part's share, and its share of the main thread", () => {
  const row = splitRow("file", 10_000, profiled(), [
    unprofiled(300, 200),
    unprofiled(320, 240),
    unprofiled(280, 220),
  ]);
  equal(row.runs, 1_000);
  // The unprofiled repeats' medians.
  equal(row.cpuUsPerRun, 300);
  equal(row.mainThreadUsPerRun, 220);
  deepEqual(row.profiled, {
    cpuUsPerRun: 600,
    mainThreadUsPerRun: 450,
    // 400 ms busy (idle left out) over 1,000 runs.
    sampledUsPerRun: 400,
  });
  equal(row.percent.claim, 25);
  equal(row.percent.outcome, 40);
  equal(row.percent.gc, 10);
  equal(row.percent.idle, null);
  equal(row.usPerRun.claim, 55);
  equal(row.usPerRun.outcome, 88);
  equal(row.sampledUsPerRun.outcome, 160);
  equal(row.sampledUsPerRun.idle, 100);
  equal(row.byTurnPercent.outcome, 15);
  throws(() => splitRow("file", 1, unprofiled(1, 1), []));
});

Deno.test("jobsFileStartRow() takes the medians over the repeats", () => {
  const row = jobsFileStartRow([start(3_900), start(4_100), start(3_000)]);
  equal(row.jobs, 100_000);
  equal(row.repeats, 3);
  equal(row.firstClaimMs, 3_900);
  equal(row.syncMs, 2_800);
  deepEqual(row.detail.firstSlotDue?.runs, [1, 1, 1]);
});

Deno.test("startJobsFile() writes jobs the CLI accepts, one due every second", () => {
  const now = Date.UTC(2026, 0, 1, 10, 45);
  const file = startJobsFile(5, now);
  deepEqual(file.jobs.map((j) => j.id), [
    "first",
    "job-1",
    "job-2",
    "job-3",
    "job-4",
  ]);
  equal(file.jobs[0]!.schedule, "* * * * * *");
  // Half an hour from 10:45: due at minute 15 of each hour.
  equal(file.jobs[1]!.schedule, "15 * * * *");
  const parsed = parseJobsFile(JSON.stringify(file), "/tmp/jobs.json", { now });
  equal(parsed.jobs.length, 5);
  throws(() => startJobsFile(0, now), RangeError);
});

Deno.test("the config: K = 30,000 in the full run, profiles at K it measures", () => {
  deepEqual(FULL.startLag.jobs, [10, 1_000, 10_000, 30_000]);
  deepEqual(FULL.startLag.profileJobs, [1_000, 10_000]);
  deepEqual(POSTGRES.startLag.profileJobs, []);
  for (const config of [FULL, QUICK]) {
    for (const jobs of config.startLag.profileJobs) {
      ok(config.startLag.jobs.includes(jobs), `${jobs}`);
    }
  }
  equal(FULL.jobsFileStart.jobs, 100_000);
  ok((SCENARIOS as readonly string[]).includes("jobsFileStart"));
});

Deno.test("verdicts() judges CPU per run, journal bytes and the start; not K = 30,000", () => {
  const list = verdicts(sample());
  const byMeasure = Object.fromEntries(list.map((v) => [v.measure, v]));
  const cpu = byMeasure["CPU per run, end to end, K=10,000 (file)"]!;
  equal(cpu.pass, false);
  equal(cpu.target, "≤ 25 µs");
  equal(
    cpu.measured,
    "310 µs, only 38% of runs started; profiled: claim 25%, start 25%, " +
      "outcome 40% of the main thread; K=1,000: 250 µs",
  );
  const journal =
    byMeasure["journal bytes per claimed slot, K=1,000 (file, format 3)"]!;
  equal(journal.pass, true);
  equal(journal.measured, "129 B");
  const started = byMeasure[
    "`tock start --jobs`, 100,000 jobs: spawn to the first claim (file)"
  ]!;
  equal(started.pass, false);
  equal(started.measured, "4,000 ms (3,900–4,100) (its sync 2,800 ms)");
  ok(!list.some((v) => v.measure.includes("K=30,000")));
  // Only K=1,000 has a journal target.
  equal(list.filter((v) => v.measure.startsWith("journal bytes")).length, 1);
});

Deno.test("verdicts() does not judge CPU per run of rows without it", () => {
  const results = sample();
  const list = verdicts({
    ...results,
    startLag: [lag("tock", 10_000, 40, 100)],
  });
  ok(!list.some((v) => v.measure.startsWith("CPU per run")));
});

Deno.test("renderReport() has the run cost sections and K = 30,000 as a note", () => {
  const md = renderReport(sample());
  for (
    const heading of [
      "## Where tock's CPU goes per run",
      "## Journal bytes",
      "## `tock start --jobs` with many jobs",
    ]
  ) {
    ok(md.includes(`\n${heading}\n`), `missing ${heading}`);
  }
  ok(md.includes("| CPU per run | main thread |"), md);
  ok(md.includes("| tock | file | 10,000 |"), md);
  ok(md.includes("| 310 µs | – |"), md);
  ok(md.includes("| per run | K=10,000 (file) |"), md);
  ok(md.includes("| process CPU | 310 µs |"), md);
  ok(md.includes("| other threads | 110 µs |"), md);
  ok(md.includes("| claim | 25% ≈ 50 µs |"), md);
  ok(md.includes("process 600 µs, main thread 450 µs, sampled 400 µs"), md);
  ok(md.includes("| file | 1,000 | 3 | 10 | 1,000 | 129 B | – |"), md);
  ok(md.includes("| 100,000 | 800 ms | 2,800 ms | 3,600 ms | 4,000 ms"), md);
  ok(md.includes("(in 2 of 2 repeats;"), md);
  ok(
    md.includes(
      "- start lag, K=30,000 (file): 9% of runs started, p99 2,100 ms " +
        "(croner 11.0.1 1,300 ms, 88% started; croner 9.1.0 890 ms, 100% " +
        "started; the timer 20 ms, 100% started)",
    ),
    md,
  );
  // Results written before these figures render without them.
  const old = renderReport({ meta: benchMeta() });
  ok(!old.includes("## Journal bytes") && !old.includes("tock start --jobs"));
});

Deno.test("mergeResults() keeps the file store's split and journal rows", () => {
  const file = sample();
  const postgres: BenchResults = {
    meta: { ...benchMeta(POSTGRES), only: ["startLag", "lockHold"] },
    startLagCpuSplit: [],
    journalBytes: [],
  };
  const both = mergeResults(file, postgres);
  deepEqual(both.startLagCpuSplit, file.startLagCpuSplit);
  deepEqual(both.journalBytes, file.journalBytes);
  equal(both.jobsFileStart, file.jobsFileStart);
});
