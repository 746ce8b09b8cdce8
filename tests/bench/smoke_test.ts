// One benchmark scenario end to end: a store built in a child process,
// then the start lag child on it (tock, 10 jobs, a one-second window), as
// `deno task bench` runs it, also under a CPU profile, and the same child
// on both croners; the command soak child (the real daemon, a two-second
// window); and the jobs file start child (the daemon, 1,000 jobs). Checks
// the shape of the JSON, not the figures.
import { deepEqual, equal, ok } from "node:assert/strict";
import { runChild } from "../../bench/_child.ts";
import { buildStore } from "../../bench/_build_store.ts";
import { cronerVersion } from "../../bench/_peers.ts";
import { prepareStore } from "../../bench/_stores.ts";
import {
  type StartLagArgs,
  startLagJobs,
  type StartLagResult,
} from "../../bench/scenarios/start_lag.ts";
import type {
  CommandSoakArgs,
  CommandSoakResult,
} from "../../bench/scenarios/command_soak.ts";
import type {
  JobsFileStartArgs,
  JobsFileStartResult,
} from "../../bench/scenarios/jobs_file_start.ts";
import { journalBytes } from "../../bench/_journal_bytes.ts";
import { CPU_PARTS } from "../../bench/_cpu_split.ts";

/** The CPU window every start lag result has. */
function checkCpu(result: StartLagResult): void {
  deepEqual(Object.keys(result.cpu).sort(), [
    "cpuMs",
    "mainThreadMs",
    "mainThreadUsPerRun",
    "runs",
    "usPerRun",
    "wallMs",
  ]);
  ok(result.cpu.runs > 0, JSON.stringify(result.cpu));
  ok(result.cpu.cpuMs > 0 && result.cpu.wallMs > 0);
  equal(typeof result.cpu.usPerRun, "number");
}

Deno.test("bench start lag child: tock, K=10, prints one JSON result", async () => {
  const store = await prepareStore("file");
  try {
    const built = await buildStore(store.spec, startLagJobs(10));
    equal(built.jobs, 10);
    const args: StartLagArgs = {
      system: "tock",
      jobs: 10,
      warmMs: 500,
      measureMs: 1_000,
      settleMs: 500,
      store: store.spec,
    };
    const result = await runChild<StartLagResult>(
      "scenarios/start_lag.ts",
      args,
      { timeoutMs: 30_000 },
    );
    deepEqual(Object.keys(result).sort(), [
      "count",
      "cpu",
      "expected",
      "jobs",
      "lockHold",
      "maxMs",
      "p50Ms",
      "p99Ms",
      "started",
      "store",
      "system",
    ]);
    equal(result.system, "tock");
    equal(result.store, "file");
    equal(result.jobs, 10);
    equal(result.expected, 10);
    equal(result.count, result.started);
    ok(result.started > 0, "no run started in the window");
    for (const key of ["p50Ms", "p99Ms", "maxMs"] as const) {
      equal(typeof result[key], "number", key);
    }
    ok(result.p50Ms! <= result.p99Ms! && result.p99Ms! <= result.maxMs!);
    equal(typeof result.lockHold?.count, "number");
    checkCpu(result);
    // The store it ran on: claims of the 10 jobs, outcomes of their runs.
    const journal = await journalBytes(
      (store.spec as { readonly dir: string }).dir,
    );
    ok(journal.claimedSlots >= 10, JSON.stringify(journal));
    ok(journal.bytesPerClaimedSlot! > 0 && journal.recordedRuns > 0);
  } finally {
    await store.dispose();
  }
});

Deno.test("bench start lag child: tock under a CPU profile, K=100, splits its window", async () => {
  const store = await prepareStore("file");
  try {
    // 100 starts a second: enough start work that a 500 µs sampler always
    // lands in some (with 10, a second's starts could fall between samples).
    await buildStore(store.spec, startLagJobs(100));
    const args: StartLagArgs = {
      system: "tock",
      jobs: 100,
      warmMs: 500,
      measureMs: 1_000,
      settleMs: 500,
      store: store.spec,
      profile: { intervalUs: 500 },
    };
    const result = await runChild<StartLagResult>(
      "scenarios/start_lag.ts",
      args,
      { timeoutMs: 30_000 },
    );
    checkCpu(result);
    const profile = result.profile!;
    equal(profile.intervalUs, 500);
    ok(profile.split.samples > 0);
    deepEqual(Object.keys(profile.split.ms), [...CPU_PARTS]);
    // The runs' start is in the profile (the handler, the start loop).
    ok(profile.split.ms.start > 0, JSON.stringify(profile.split));
  } finally {
    await store.dispose();
  }
});

Deno.test("bench start lag child: both croners, K=10, slots are croner's planned runs", async () => {
  for (const system of ["croner", "croner9"] as const) {
    const args: StartLagArgs = {
      system,
      jobs: 10,
      warmMs: 500,
      measureMs: 1_000,
      settleMs: 500,
    };
    const result = await runChild<StartLagResult>(
      "scenarios/start_lag.ts",
      args,
      { timeoutMs: 30_000 },
    );
    deepEqual(Object.keys(result).sort(), [
      "count",
      "cpu",
      "expected",
      "jobs",
      "maxMs",
      "p50Ms",
      "p99Ms",
      "started",
      "store",
      "system",
      "version",
    ]);
    checkCpu(result);
    equal(result.system, system);
    equal(result.store, "none");
    equal(result.version, cronerVersion(system));
    equal(result.expected, 10);
    ok(result.started > 0 && result.started <= 10, JSON.stringify(result));
    // croner calls a job once the clock has reached the run it planned:
    // measured from that run, no lag is negative.
    ok(result.p50Ms! > -1, JSON.stringify(result));
  }
});

Deno.test("bench command soak child: the tock start daemon, 3 command jobs, prints one JSON result", async () => {
  const args: CommandSoakArgs = {
    jobs: 3,
    warmMs: 1_000,
    windowMs: 2_000,
    spawns: 5,
  };
  const result = await runChild<CommandSoakResult>(
    "scenarios/command_soak.ts",
    args,
    { timeoutMs: 60_000 },
  );
  deepEqual(Object.keys(result).sort(), [
    "childCpuMsPerRun",
    "clockTicks",
    "cpuMs",
    "cpuMsPerRun",
    "cpuPercent",
    "expectedRuns",
    "jobs",
    "lockHold",
    "outcomes",
    "runs",
    "spawnFloorMsPerRun",
    "spawns",
    "windowMs",
  ]);
  equal(result.jobs, 3);
  equal(result.spawns, 5);
  // A window of two whole seconds, starting half a second past one.
  equal(result.expectedRuns, 6);
  ok(result.runs > 0 && result.runs <= 6, JSON.stringify(result));
  equal(result.runs, result.outcomes.succeeded);
  ok(result.windowMs > 0, `${result.windowMs}`);
  ok(result.cpuMs >= 0 && result.cpuPercent >= 0);
  equal(typeof result.cpuMsPerRun, "number");
  ok(result.spawnFloorMsPerRun > 0);
  ok(result.clockTicks > 0);
  deepEqual(Object.keys(result.lockHold).sort(), [
    "count",
    "maxMs",
    "p50Ms",
    "p99Ms",
  ]);
  ok(result.lockHold.count > 0);
  ok(result.lockHold.p50Ms <= result.lockHold.maxMs);
});

Deno.test("bench jobs file start child: the tock start daemon, 1,000 jobs, prints one JSON result", async () => {
  const args: JobsFileStartArgs = { jobs: 1_000 };
  const result = await runChild<JobsFileStartResult>(
    "scenarios/jobs_file_start.ts",
    args,
    { timeoutMs: 60_000 },
  );
  deepEqual(Object.keys(result).sort(), [
    "fileBytes",
    "firstClaimMs",
    "firstRunLineMs",
    "firstSlotDue",
    "jobs",
    "registeredMs",
    "startedLineMs",
    "syncMs",
    "syncStartMs",
  ]);
  equal(result.jobs, 1_000);
  ok(result.fileBytes > 0);
  // In order: the sync, the registration, the first claim.
  ok(result.syncStartMs > 0, JSON.stringify(result));
  ok(result.syncMs >= 0, JSON.stringify(result));
  equal(result.registeredMs, result.syncStartMs + result.syncMs);
  ok(result.firstClaimMs >= result.registeredMs, JSON.stringify(result));
  ok(result.firstRunLineMs > 0);
  equal(typeof result.firstSlotDue, "boolean");
});
