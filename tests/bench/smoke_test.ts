// One benchmark scenario end to end: a store built in a child process,
// then the start lag child on it (tock, 10 jobs, a one-second window), as
// `deno task bench` runs it, and the same child on both croners; and the
// command soak child (the real daemon, a two-second window). Checks the
// shape of the JSON, not the figures.
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
