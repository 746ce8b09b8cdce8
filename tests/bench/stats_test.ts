// The benchmark's statistics, formatting, targets and report.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  percentile,
  ratio,
  round,
  spread,
  spreadsOf,
  summarize,
} from "../../bench/_stats.ts";
import { formatNumber, formatSpread, table } from "../../bench/_format.ts";
import { verdicts } from "../../bench/_targets.ts";
import { renderReport } from "../../bench/_report.ts";
import { benchMeta } from "./_meta.ts";
import { cronerVersion } from "../../bench/_peers.ts";
import type { BenchResults, StartLagRow } from "../../bench/_results.ts";

const ONE_TO_100 = Array.from({ length: 100 }, (_, i) => i + 1);

Deno.test("percentile() uses the nearest rank", async (t) => {
  await t.step("1 to 100", () => {
    equal(percentile(ONE_TO_100, 50), 50);
    equal(percentile(ONE_TO_100, 99), 99);
    equal(percentile(ONE_TO_100, 100), 100);
    equal(percentile(ONE_TO_100, 0), 1);
  });
  await t.step("few samples: p99 is the largest", () => {
    equal(percentile([3, 1, 2], 99), 3);
    equal(percentile([3, 1, 2], 50), 2);
    equal(percentile([10, 20], 50), 10);
  });
  await t.step("unsorted input is not modified", () => {
    const xs = [5, 1, 4, 2, 3];
    equal(percentile(xs, 50), 3);
    deepEqual(xs, [5, 1, 4, 2, 3]);
  });
  await t.step("no samples", () => equal(percentile([], 50), null));
  await t.step("p outside 0 to 100", () => {
    throws(() => percentile([1], 101), RangeError);
    throws(() => percentile([1], -1), RangeError);
    throws(() => percentile([1], NaN), RangeError);
  });
});

Deno.test("summarize() gives count, p50, p99 and max, rounded to µs", () => {
  deepEqual(summarize(ONE_TO_100.map((x) => x + 0.00049)), {
    count: 100,
    p50Ms: 50,
    p99Ms: 99,
    maxMs: 100,
  });
  deepEqual(summarize([]), { count: 0, p50Ms: null, p99Ms: null, maxMs: null });
  deepEqual(summarize([-2, 7]), { count: 2, p50Ms: -2, p99Ms: 7, maxMs: 7 });
});

Deno.test("spread() gives median, min and max over runs, skipping null", () => {
  deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3, runs: [3, 1, 2] });
  deepEqual(spread([4, 1, 2, 3]), {
    median: 2.5,
    min: 1,
    max: 4,
    runs: [4, 1, 2, 3],
  });
  deepEqual(spread([null, 5, null]), {
    median: 5,
    min: 5,
    max: 5,
    runs: [null, 5, null],
  });
  deepEqual(spread([]), { median: null, min: null, max: null, runs: [] });
});

Deno.test("spreadsOf() spreads each field over the runs", () => {
  const runs = [
    { p99Ms: 3, count: 10, name: "a" },
    { p99Ms: 1, count: 12, name: "b" },
    { p99Ms: null, count: 11, name: "c" },
  ];
  const out = spreadsOf(runs, ["p99Ms", "count"]);
  deepEqual(out.p99Ms, { median: 2, min: 1, max: 3, runs: [3, 1, null] });
  deepEqual(out.count, { median: 11, min: 10, max: 12, runs: [10, 12, 11] });
});

Deno.test("ratio() and round()", () => {
  equal(ratio(3, 2), 1.5);
  equal(ratio(1, 3), 0.333);
  equal(ratio(1, 0), null);
  equal(ratio(null, 2), null);
  equal(ratio(2, null), null);
  equal(round(1.23456), 1.235);
  equal(round(null), null);
});

Deno.test("formatNumber() and formatSpread()", () => {
  equal(formatNumber(1234567), "1,234,567");
  equal(formatNumber(3.14159), "3.14");
  equal(formatNumber(31.4159), "31.4");
  equal(formatNumber(314.159), "314");
  equal(formatNumber(0), "0");
  equal(formatNumber(null), "–");
  equal(formatNumber(Infinity), "–");
  equal(
    formatSpread({ median: 2, min: 1.5, max: 30, runs: [] }, " ms"),
    "2 ms (1.50–30)",
  );
  equal(formatSpread({ median: 2, min: 2, max: 2, runs: [2] }, "%"), "2%");
  equal(formatSpread(undefined), "–");
  equal(formatSpread(spread([])), "–");
});

Deno.test("table() renders a markdown table and escapes pipes", () => {
  equal(
    table(["a", "b"], [["1", "x|y"]]),
    "| a | b |\n| --- | --- |\n| 1 | x\\|y |",
  );
});

function lagRow(
  system: StartLagRow["system"],
  jobs: number,
  p99Ms: number,
  startedPercent = 100,
): StartLagRow {
  const s = spread([p99Ms]);
  return {
    system,
    store: system === "tock" ? "file" : "none",
    ...(system === "croner" ? { version: "11.0.1" } : {}),
    ...(system === "croner9" ? { version: "9.1.0" } : {}),
    jobs,
    repeats: 1,
    p50Ms: p99Ms,
    p99Ms,
    maxMs: p99Ms,
    startedPercent,
    detail: { p50Ms: s, p99Ms: s, maxMs: s, startedPercent: spread([100]) },
  };
}

function sample(): BenchResults {
  const s = (x: number) => spread([x]);
  return {
    meta: benchMeta(),
    startLag: [
      lagRow("tock", 10, 5),
      lagRow("croner", 10, 20),
      lagRow("croner9", 10, 4),
      lagRow("tock", 1_000, 8),
      lagRow("croner", 1_000, 20),
      lagRow("croner9", 1_000, 15),
      lagRow("tock", 10_000, 40, 50),
      lagRow("croner", 10_000, 100),
      lagRow("croner9", 10_000, 60, 95),
    ],
    lockHold: [{
      store: "file",
      storedJobs: 10_000,
      dueJobs: 100,
      repeats: 1,
      p50Ms: 1,
      p99Ms: 6,
      maxMs: 6,
      claims: 10,
      pooled: summarize([6]),
      detail: { p99Ms: s(6) },
    }],
    lockHoldGrowth: [{
      store: "file",
      fromJobs: 1_000,
      toJobs: 100_000,
      p99Ratio: 4,
      perRepeat: s(4),
    }],
    lockHoldVsRunDuration: {
      store: "file",
      storedJobs: 1_000,
      dueJobs: 100,
      runMs: 10_000,
      instantP99Ms: 2,
      tenSecondP99Ms: 4,
      ratio: 2,
      perRepeatRatio: s(2),
      detail: { instant: { p99Ms: s(2) }, long: { p99Ms: s(4) } },
    },
    seedScenario: {
      windowSeconds: 120,
      longSchedule: "0 * * * * *",
      longRunMs: 60_000,
      repeats: 3,
      tock: {
        slots: 120,
        onTime: 120,
        late: 0,
        missed: 0,
        twice: 0,
        maxLateMs: 5,
        maxHoldMs: 3,
        detail: { missed: spread([0, 0, 0]), late: spread([0, 1, 0]) },
      },
      naive: {
        slots: 120,
        onTime: 60,
        late: 1,
        missed: 59,
        twice: 0,
        maxLateMs: 60_000,
        maxHoldMs: 60_000,
        detail: {},
      },
    },
    instances: [{
      store: "file",
      count: 2,
      jobs: 1_000,
      repeats: 1,
      slotsPerSecond: 1_000,
      p50Ms: 2,
      p99Ms: 5,
      duplicates: 0,
      perInstance: [[4_000, 4_000]],
      detail: {},
    }],
    idle: {
      storedJobs: 10_000,
      cpuPercent: 0.05,
      cpuPercentMean: 0.06,
      heapBytesPerJob: 3_000,
      detail: { cpuPercent: s(0.05), heapBytesPerJob: s(3_000) },
      croner: {
        version: "11.0.1",
        cpuPercent: 0.2,
        cpuPercentMean: 4,
        heapBytesPerJob: 80_000,
        detail: {},
      },
      croner9: {
        version: "9.1.0",
        cpuPercent: 0.4,
        cpuPercentMean: 0.4,
        heapBytesPerJob: 3_000,
        detail: { cpuPercent: s(0.4), heapBytesPerJob: s(3_000) },
      },
    },
  };
}

Deno.test("verdicts() judges each target the run measured", () => {
  const list = verdicts(sample());
  const byMeasure = Object.fromEntries(list.map((v) => [v.measure, v.pass]));
  deepEqual(byMeasure, {
    // Below croner 11's 20 ms, not below croner 9's 4 ms.
    "start lag p99 below both croners', K=10 (file)": false,
    "start lag p99, K=1,000 (file)": true,
    "start lag p99 below both croners', K=1,000 (file)": true,
    // 40 ms would pass, but half the runs never started.
    "start lag p99, K=10,000 (file)": false,
    "start lag p99 below both croners', K=10,000 (file)": false,
    "lock hold p99, N=10,000 (file)": false,
    "lock hold p99 growth, N=1,000 → 100,000 (file)": true,
    "lock hold p99, 10 s runs vs instant (file)": false,
    // One repeat of three was late: the worst repeat decides.
    "seed scenario, tock: per-second slots missed / late": false,
    "idle CPU, 10,000 jobs": true,
    "idle heap per stored job, 10,000 jobs": false,
    "duplicates, 2 instances": true,
  });
  ok(
    list.find((v) => v.measure === "start lag p99, K=10,000 (file)")!
      .measured.includes("only 50% of runs started"),
  );
  const both = list.find((v) =>
    v.measure === "start lag p99 below both croners', K=1,000 (file)"
  )!;
  equal(both.measured, "8 ms vs croner 11.0.1 20 ms, croner 9.1.0 15 ms");
  equal(both.target, "tock < croner 11.0.1 and < croner 9.1.0");
  equal(
    list.find((v) =>
      v.measure === "start lag p99 below both croners', K=10,000 (file)"
    )!.measured,
    "40 ms vs croner 11.0.1 100 ms, croner 9.1.0 60 ms (95% started), " +
      "only 50% of runs started",
  );
});

Deno.test("verdicts() fails 'below both croners' when one was not measured", () => {
  const results = sample();
  const list = verdicts({
    ...results,
    startLag: results.startLag!.filter((r) => r.system !== "croner9"),
  });
  const verdict = list.find((v) =>
    v.measure === "start lag p99 below both croners', K=1,000 (file)"
  )!;
  equal(verdict.pass, false);
  ok(
    verdict.measured.endsWith(", croner 9.1.0 not measured"),
    verdict.measured,
  );
});

Deno.test("cronerVersion() reads the versions deno.json pins", () => {
  ok(/^\d+\.\d+\.\d+$/.test(cronerVersion("croner")));
  equal(cronerVersion("croner9"), "9.1.0");
});

Deno.test("verdicts() judges nothing for scenarios that did not run", () => {
  deepEqual(verdicts({ meta: sample().meta }), []);
});

Deno.test("renderReport() has the targets and a section per scenario", () => {
  const md = renderReport(sample());
  ok(md.startsWith("# tock benchmark results\n"));
  ok(md.includes("5 of 12 met."), md);
  for (
    const heading of [
      "## Targets",
      "## Start lag",
      "## Lock hold",
      "## Lock hold against run duration",
      "## Seed scenario",
      "## Several instances",
      "## Idle cost",
    ]
  ) {
    ok(md.includes(`\n${heading}\n`), `missing ${heading}`);
  }
  ok(md.includes("| tock | file | 1,000 | 8 ms | 8 ms | 8 ms | 100% |"), md);
  ok(md.includes("| croner 11.0.1 | none | 1,000 | 20 ms |"), md);
  ok(md.includes("| croner 9.1.0 | none | 10,000 | 60 ms |"), md);
  ok(md.includes("| croner 9.1.0 | 0.40% | 0.40% | 3,000 B |"), md);
  ok(md.includes("**FAIL**"));
  const partial = renderReport({ meta: sample().meta });
  ok(!partial.includes("## Targets"));
  ok(!partial.includes("## Start lag"));
});
