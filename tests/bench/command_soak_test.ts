// The command-job soak's pure parts (its jobs file, /proc stat, the
// window's ledger entries), its row over repeats, its targets, its report
// section and its place in merged results.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  parseProcStat,
  slotsInWindow,
  soakJobsFile,
  tallyWindow,
  ticksToMs,
  TOCK_RUN_FLAGS,
} from "../../bench/_soak.ts";
import { commandSoakRow } from "../../bench/suites/command_soak.ts";
import type { CommandSoakResult } from "../../bench/scenarios/command_soak.ts";
import { FULL, POSTGRES, QUICK } from "../../bench/_config.ts";
import type { BenchResults } from "../../bench/_results.ts";
import { SCENARIOS } from "../../bench/_results.ts";
import { verdicts } from "../../bench/_targets.ts";
import { renderReport } from "../../bench/_report.ts";
import { mergeResults } from "../../bench/_merge.ts";
import { benchMeta } from "./_meta.ts";
import { parseJobsFile } from "../../src/cli/jobs_file.ts";

Deno.test("soakJobsFile() writes per-second command jobs the CLI accepts", () => {
  const file = soakJobsFile(20);
  equal(file.jobs.length, 20);
  deepEqual(file.jobs[0], {
    id: "soak-1",
    schedule: "* * * * * *",
    cmd: "true",
  });
  equal(file.jobs[19]!.id, "soak-20");
  const parsed = parseJobsFile(JSON.stringify(file), "/tmp/jobs.json", {
    now: Date.now(),
  });
  deepEqual(parsed.jobs.map((j) => j.id), file.jobs.map((j) => j.id));
  equal(soakJobsFile(1, "sleep 0").jobs[0]!.cmd, "sleep 0");
  throws(() => soakJobsFile(0), RangeError);
  throws(() => soakJobsFile(1.5), RangeError);
});

Deno.test("TOCK_RUN_FLAGS are the flags of the tock task in deno.json", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  ) as { tasks: Record<string, string> };
  const words = config.tasks.tock!.split(/\s+/);
  deepEqual(words.slice(0, 2), ["deno", "run"]);
  deepEqual(words.slice(2, -1), [...TOCK_RUN_FLAGS]);
  equal(words.at(-1), "src/cli/main.ts");
});

Deno.test("parseProcStat() reads state and CPU ticks after the last ')'", async (t) => {
  await t.step("a name with spaces and parentheses", () => {
    const line = "4242 (a (b) c) R 1 4242 4242 0 -1 4194560 10 0 0 0 " +
      "1234 567 89 10 20 0 5 0 99999 1000 200\n";
    deepEqual(parseProcStat(line), {
      state: "R",
      utime: 1234,
      stime: 567,
      cutime: 89,
      cstime: 10,
    });
  });
  await t.step("this process's own stat", async () => {
    // Deno asks for --allow-all to read /proc; a shell reads it.
    const { stdout } = await new Deno.Command("sh", {
      args: ["-c", `cat /proc/${Deno.pid}/stat`],
    }).output();
    const stat = parseProcStat(new TextDecoder().decode(stdout));
    ok(/^[A-Z]$/.test(stat.state), stat.state);
    ok(stat.utime + stat.stime >= 0);
  });
  await t.step("not a stat line", () => {
    throws(() => parseProcStat(""), TypeError);
    throws(() => parseProcStat("12 (x) S 1 2 3"), TypeError);
    throws(
      () => parseProcStat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 a 1 1 1"),
      TypeError,
    );
  });
});

Deno.test("ticksToMs() converts clock ticks", () => {
  equal(ticksToMs(150, 100), 1500);
  equal(ticksToMs(3, 1000), 3);
  equal(ticksToMs(0, 100), 0);
});

Deno.test("slotsInWindow() counts the whole seconds in [from, to)", () => {
  // Half a second past a whole second, as the soak's window starts.
  equal(slotsInWindow(10_500, 15_500), 5);
  // A slot at the start counts, one at the end does not.
  equal(slotsInWindow(10_000, 15_000), 5);
  equal(slotsInWindow(10_000, 15_001), 6);
  equal(slotsInWindow(10_001, 10_999), 0);
  equal(slotsInWindow(10_000, 10_000), 0);
  equal(slotsInWindow(15_000, 10_000), 0);
  equal(slotsInWindow(0, 60_000, 10_000), 6);
});

Deno.test("tallyWindow() counts the window's slots by outcome", () => {
  const entries = [
    { slot: 9_000, outcome: "succeeded" },
    { slot: 10_000, outcome: "succeeded" },
    { slot: 11_000, outcome: "succeeded" },
    { slot: 11_000, outcome: "failed" },
    { slot: 12_000, outcome: "skipped", count: 3 },
    { slot: 14_000, outcome: "succeeded" },
    { slot: 15_000, outcome: "succeeded" },
  ];
  deepEqual(tallyWindow(entries, 10_000, 15_000), {
    succeeded: 3,
    failed: 1,
    skipped: 3,
  });
  deepEqual(tallyWindow(entries, 20_000, 30_000), {});
  deepEqual(tallyWindow([], 0, 1), {});
});

function result(
  cpuMsPerRun: number,
  p99Ms: number,
  maxMs: number,
  runs = 1_200,
): CommandSoakResult {
  return {
    jobs: 20,
    runs,
    expectedRuns: 1_200,
    outcomes: { succeeded: runs },
    windowMs: 60_001,
    cpuMs: cpuMsPerRun * runs,
    cpuMsPerRun,
    childCpuMsPerRun: 4,
    cpuPercent: (cpuMsPerRun * runs) / 600,
    spawnFloorMsPerRun: 0.7,
    spawns: 200,
    lockHold: { count: 400, p50Ms: 1.5, p99Ms, maxMs },
    clockTicks: 100,
  };
}

Deno.test("commandSoakRow() takes the medians over the repeats", () => {
  const row = commandSoakRow(FULL, [result(4, 3, 10), result(6, 9, 30)]);
  equal(row.store, "file");
  equal(row.jobs, FULL.commandSoak.jobs);
  equal(row.cmd, "true");
  equal(row.windowMs, FULL.commandSoak.windowMs);
  equal(row.warmMs, FULL.commandSoak.warmMs);
  equal(row.repeats, 2);
  equal(row.runs, 1_200);
  equal(row.expectedRuns, 1_200);
  equal(row.cpuMsPerRun, 5);
  equal(row.spawnFloorMsPerRun, 0.7);
  equal(row.cpuPercent, 10);
  deepEqual(row.lockHold, { count: 400, p50Ms: 1.5, p99Ms: 6, maxMs: 20 });
  deepEqual(row.detail.cpuMsPerRun, {
    median: 5,
    min: 4,
    max: 6,
    runs: [4, 6],
  });
  deepEqual(row.detail.lockHoldMaxMs?.runs, [10, 30]);
  equal(row.detail.childCpuMsPerRun?.median, 4);
});

Deno.test("the config has a command soak in every run, and --only knows it", () => {
  ok((SCENARIOS as readonly string[]).includes("commandSoak"));
  for (const config of [FULL, QUICK, POSTGRES]) {
    equal(config.commandSoak.jobs, 20);
    ok(config.commandSoak.repeats >= 1);
  }
  equal(FULL.commandSoak.windowMs, 60_000);
  ok(QUICK.commandSoak.windowMs <= 5_000);
});

function soakResults(...repeats: CommandSoakResult[]): BenchResults {
  return { meta: benchMeta(), commandSoak: commandSoakRow(FULL, repeats) };
}

Deno.test("verdicts() judges the soak's CPU per run and lock hold", async (t) => {
  const judge = (results: BenchResults) =>
    Object.fromEntries(verdicts(results).map((v) => [v.measure, v]));
  const cpu = "scheduler CPU per command run (`true`), 20 per-second jobs";
  const hold = "lock hold p99 / max, 20 per-second command jobs";

  await t.step("met", () => {
    const list = judge(soakResults(result(2.5, 4, 19)));
    deepEqual(Object.keys(list), [cpu, hold]);
    equal(list[cpu]!.pass, true);
    equal(list[cpu]!.target, "≤ 3 ms");
    equal(list[cpu]!.measured, "2.50 ms (spawn floor 0.70 ms)");
    equal(list[hold]!.pass, true);
    equal(list[hold]!.measured, "4 ms / 19 ms (60 s window)");
    ok(list[hold]!.target.startsWith("≤ 5 ms / ≤ 20 ms"));
  });
  await t.step("CPU per run over 3 ms", () => {
    equal(judge(soakResults(result(16, 1, 2)))[cpu]!.pass, false);
  });
  await t.step("p99 or max over", () => {
    equal(judge(soakResults(result(1, 78, 188)))[hold]!.pass, false);
    equal(judge(soakResults(result(1, 5, 21)))[hold]!.pass, false);
    equal(judge(soakResults(result(1, 6, 10)))[hold]!.pass, false);
  });
  await t.step("no run succeeded", () => {
    const none = { ...result(1, 1, 1, 0), cpuMsPerRun: null };
    const list = judge(soakResults(none));
    equal(list[cpu]!.pass, false);
    ok(list[cpu]!.measured.endsWith(", only 0 of 1,200 runs succeeded"));
  });
});

Deno.test("renderReport() has a command soak section", () => {
  const md = renderReport(soakResults(result(4, 3, 10), result(6, 9, 30)));
  ok(md.includes("\n## Command jobs soak\n"), md);
  ok(md.includes("10-minute soak"), md);
  ok(md.includes("(every thread, 10 ms ticks;"), md);
  ok(
    md.includes(
      "| runs | CPU per run | spawn floor | CPU | lock holds | p50 | p99 | max |",
    ),
    md,
  );
  ok(
    md.includes(
      "| 1,200 of 1,200 | 5 ms (4–6) | 0.70 ms | 10% (8–12) | " +
        "400 | 1.50 ms | 6 ms (3–9) | 20 ms (10–30) |",
    ),
    md,
  );
  ok(md.includes("0 of 2 met."), md);
  // Results written before the soak existed render without it.
  ok(!renderReport({ meta: benchMeta() }).includes("## Command jobs soak"));
});

Deno.test("mergeResults() keeps the soak of the main run", () => {
  const file = soakResults(result(4, 3, 10));
  const postgres: BenchResults = {
    meta: { ...benchMeta(POSTGRES), only: ["startLag", "lockHold"] },
  };
  equal(mergeResults(file, postgres).commandSoak, file.commandSoak);
  const later = soakResults(result(5, 3, 10));
  equal(mergeResults(file, later).commandSoak, later.commandSoak);
});
