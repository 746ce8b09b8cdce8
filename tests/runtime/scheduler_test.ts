import {
  deepEqual as assertEquals,
  ok as assert,
  rejects,
} from "node:assert/strict";
import { createScheduler } from "../../src/runtime/scheduler.ts";
import { createMemoryStore, FakeClock } from "../../src/testing/mod.ts";
import { JobTimeoutError, StoreError } from "../../src/errors.ts";
import { collect } from "../_helpers.ts";
import { addJob } from "../../src/turns/manage_jobs.ts";
import { claimDueJobs } from "../../src/turns/claim_due_jobs.ts";
import type { JobContext } from "../../src/executors/run_handler.ts";

const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);
const SEC = 1000;
const MIN = 60 * SEC;

async function setup(
  options: { maxParallel?: number; instance?: string } = {},
) {
  const store = createMemoryStore();
  const clock = new FakeClock(T0);
  // A slow heartbeat keeps fake hours cheap to simulate.
  const scheduler = await createScheduler({
    store,
    clock,
    heartbeatMs: 60_000,
    ...options,
  });
  return { store, clock, scheduler };
}

Deno.test("createScheduler() runs a job at each slot and records it", async () => {
  const { clock, scheduler } = await setup();
  await using _ = scheduler;
  const slots: string[] = [];
  await scheduler.add({
    id: "every-minute",
    schedule: "* * * * *",
    handler: ({ slot }) => void slots.push(slot.toISOString()),
  });
  await clock.tick(3 * MIN);
  await scheduler.idle();
  assertEquals(slots, [
    "2026-11-29T10:01:00.000Z",
    "2026-11-29T10:02:00.000Z",
    "2026-11-29T10:03:00.000Z",
  ]);
  const history = await scheduler.history({ job: "every-minute" });
  assertEquals(history.map((e) => e.outcome), [
    "succeeded",
    "succeeded",
    "succeeded",
  ]);
  assert(
    history.every((e) => e.instance === scheduler.instance && e.attempt === 1),
  );
});

Deno.test("createScheduler() starts no run before the commit of its claim has resolved", async () => {
  // A store whose claim commits (commits that add runs) stay pending until
  // released: a run started before then could be lost with its claim.
  const inner = createMemoryStore();
  const clock = new FakeClock(T0);
  const pending: (() => void)[] = [];
  const early: number[] = [];
  const store = new Proxy(inner, {
    get(target, key) {
      if (key === "due" && early.length > 0) {
        // Seen what this test is for: stop claiming (a scheduler that does
        // not wait for its commits would claim the same slot forever).
        return () => Promise.reject(new Error("a run started early"));
      }
      if (key !== "commit") {
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return async (...args: Parameters<typeof inner.commit>) => {
        const [, changes] = args;
        const claims = changes.some((c) =>
          c.type === "job.state" && c.state.runs.length > 0 &&
          c.state.backlog.length === 0
        );
        if (claims) {
          // Claims are sequential: a second one now would mean the first
          // was not awaited.
          if (pending.length > 0) throw new Error("a claim commit overlaps");
          await new Promise<void>((resolve) => pending.push(resolve));
        }
        return await inner.commit(...args);
      };
    },
  });
  const started: number[] = [];
  await using scheduler = await createScheduler({
    store,
    clock,
    heartbeatMs: 60_000,
    lookaheadMs: 0,
  });
  await scheduler.add({
    id: "job",
    schedule: "every 1m",
    handler: ({ slot }) => {
      if (pending.length > 0) early.push(slot.getTime());
      started.push(slot.getTime());
    },
  });
  await clock.tick(MIN);
  await clock.tick(10 * SEC);
  assertEquals(early, [], "a run started before its claim was durable");
  assertEquals(pending.length, 1, "the claim commit is pending");
  assertEquals(started, []);
  pending.shift()!();
  await clock.tick(0);
  await scheduler.idle();
  assertEquals(started, [T0 + MIN]);
});

Deno.test("createScheduler({ once }) claims until nothing more is due, then only runs what it claimed (tock tick)", async () => {
  // Counterexample of the chaos harness (seeds 296587874, 2142425754): a
  // tick whose runs outlasted a second kept claiming, and one never exited.
  const store = createMemoryStore();
  const clock = new FakeClock(T0);
  const started: number[] = [];
  const slow = async ({ slot, signal }: JobContext) => {
    started.push(slot.getTime());
    await clock.sleep(5 * SEC, signal).catch(() => {});
  };
  await addJob(store, {
    id: "slow",
    schedule: "every 1s",
    overlap: "allow",
    run: "slow",
  }, { now: T0 });
  await clock.tick(SEC);
  await using scheduler = await createScheduler({
    store,
    clock,
    once: true,
    lookaheadMs: 0,
    heartbeatMs: 60_000,
    handlers: { slow },
  });
  let idle = false;
  void scheduler.idle().then(() => idle = true);
  await clock.tick(10 * SEC);
  assertEquals(started, [T0 + SEC], "a tick claimed again");
  assert(idle, "idle() after the run ended");
});

Deno.test("createScheduler() holds its instance id: a second scheduler with the id is refused until the first stops", async () => {
  const { store, scheduler } = await setup({ instance: "api" });
  await rejects(
    createScheduler({ store, instance: "api" }),
    (error: Error) =>
      error instanceof StoreError && error.message.includes("'api'") &&
      error.message.includes(`pid ${Deno.pid}`),
  );
  // Another id is fine meanwhile.
  await (await createScheduler({ store, instance: "worker" })).stop();
  await scheduler.stop();
  const again = await createScheduler({ store, instance: "api" });
  assertEquals(again.instance, "api");
  assert(again.incarnation !== scheduler.incarnation);
  await again.stop();
});

Deno.test("createScheduler() retries a failing job with backoff, then records failed", async () => {
  const { clock, scheduler } = await setup();
  await using _ = scheduler;
  const events = collect(scheduler, "run.retrying", "run.failed");
  const attempts: [number, string][] = [];
  await scheduler.add({
    id: "flaky",
    schedule: "every 1h",
    retries: 2,
    backoff: "10s",
    handler: ({ attempt, trigger }) => {
      attempts.push([attempt, trigger]);
      throw new Error(`boom ${attempt}`);
    },
  });
  await clock.tick(60 * MIN);
  await clock.tick(10 * SEC); // first backoff
  await clock.tick(20 * SEC); // second backoff, doubled
  await scheduler.idle();
  assertEquals(attempts, [[1, "schedule"], [2, "retry"], [3, "retry"]]);
  assertEquals(events.map((e) => e.type), [
    "run.retrying",
    "run.retrying",
    "run.failed",
  ]);
  const [entry] = await scheduler.history({ job: "flaky" });
  assertEquals(entry?.outcome, "failed");
  assertEquals(entry?.attempt, 3);
  assertEquals(entry?.error, { name: "Error", message: "boom 3" });
});

Deno.test("createScheduler() gives every attempt of a slot the same slot and run id, and records one entry at the slot with the final attempt", async () => {
  const { clock, scheduler } = await setup();
  await using _ = scheduler;
  const seen: [number, number, string, string][] = [];
  await scheduler.add({
    id: "flaky",
    schedule: "every 1h",
    retries: 3,
    backoff: "10s",
    handler: ({ attempt, slot, runId, trigger }) => {
      seen.push([attempt, slot.getTime(), runId, trigger]);
      if (attempt < 3) throw new Error(`boom ${attempt}`);
    },
  });
  await clock.tick(60 * MIN);
  await clock.tick(10 * SEC);
  await clock.tick(20 * SEC);
  await scheduler.idle();
  const slot = T0 + 60 * MIN;
  const runId = seen[0]![2];
  assertEquals(seen, [
    [1, slot, runId, "schedule"],
    [2, slot, runId, "retry"],
    [3, slot, runId, "retry"],
  ]);
  const entries = await scheduler.history({ job: "flaky" });
  assertEquals(
    entries.map((e) => [e.slot, e.outcome, e.attempt, e.runId, e.trigger]),
    [[slot, "succeeded", 3, runId, "schedule"]],
  );
});

Deno.test("createScheduler() aborts a run's signal on timeout and records timed_out", async () => {
  const { clock, scheduler } = await setup();
  await using _ = scheduler;
  let reason: unknown;
  await scheduler.add({
    id: "slow",
    schedule: "every 1m",
    timeout: "5s",
    handler: ({ signal }) =>
      new Promise<void>((_, reject) => {
        signal.addEventListener("abort", () => {
          reason = signal.reason;
          reject(signal.reason);
        });
      }),
  });
  await clock.tick(MIN);
  await clock.tick(5 * SEC);
  await scheduler.idle();
  assert(reason instanceof JobTimeoutError);
  const [entry] = await scheduler.history({ job: "slow" });
  assertEquals(entry?.outcome, "timed_out");
});

Deno.test("createScheduler() never holds the lock while a job runs", async () => {
  const { store, clock, scheduler } = await setup();
  await using _ = scheduler;
  let free: boolean | undefined;
  await scheduler.add({
    id: "probe",
    schedule: "every 1m",
    handler: async () => {
      const lease = await store.lock.tryAcquire();
      free = lease !== undefined;
      await lease?.release();
    },
  });
  await clock.tick(MIN);
  await scheduler.idle();
  assertEquals(free, true);
});

Deno.test("Scheduler.trigger() runs now, and a double click gives one run", async () => {
  const { clock, scheduler } = await setup();
  await using _ = scheduler;
  const triggers: string[] = [];
  await scheduler.add({
    id: "manual",
    schedule: "0 0 1 1 *",
    handler: ({ trigger }) => void triggers.push(trigger),
  });
  const [a, b] = await Promise.all([
    scheduler.trigger("manual"),
    scheduler.trigger("manual"),
  ]);
  await clock.tick(1);
  await scheduler.idle();
  assertEquals(triggers, ["manual"]);
  assertEquals(new Set([a.status, b.status]), new Set(["queued", "duplicate"]));
  assertEquals(a.runId, b.runId);
});

Deno.test("Scheduler.pause() records slots skipped; resume() does not replay them", async () => {
  const { clock, scheduler } = await setup();
  await using _ = scheduler;
  let runs = 0;
  await scheduler.add({
    id: "p",
    schedule: "every 1m",
    handler: () => void runs++,
  });
  await scheduler.pause("p", { note: "maintenance" });
  assertEquals((await scheduler.job("p"))?.state.pauseNote, "maintenance");
  await clock.tick(5 * MIN);
  await scheduler.resume("p");
  await clock.tick(MIN);
  await scheduler.idle();
  assertEquals(runs, 1);
  const job = await scheduler.job("p");
  assertEquals(job?.state.counters.skipped, 5);
  assertEquals(job?.state.counters.succeeded, 1);
});

Deno.test("Scheduler.stop() lets runs finish within the grace, then cancels them", async () => {
  const { clock, scheduler } = await setup();
  let aborted = false;
  await scheduler.add({
    id: "long",
    schedule: "every 1m",
    handler: ({ signal }) =>
      new Promise<void>((resolve) =>
        signal.addEventListener("abort", () => {
          aborted = true;
          resolve();
        })
      ),
  });
  await clock.tick(MIN);
  const stopped = scheduler.stop({ graceMs: 2 * SEC });
  await clock.tick(2 * SEC);
  await stopped;
  assert(aborted);
  const [entry] = await scheduler.history({ job: "long" });
  assertEquals(entry?.outcome, "cancelled");
});

Deno.test("createScheduler() instances sharing a store run each slot once", async () => {
  const store = createMemoryStore();
  const clock = new FakeClock(T0);
  const runs: string[] = [];
  const by = new Set<string>();
  const handler = ({ jobId, slot, instance }: JobContext) => {
    runs.push(`${jobId} ${slot.toISOString()}`);
    by.add(instance);
  };
  await using a = await createScheduler({
    store,
    clock,
    instance: "a",
    handlers: { h: handler },
  });
  await using b = await createScheduler({
    store,
    clock,
    instance: "b",
    handlers: { h: handler },
  });
  for (let i = 0; i < 5; i++) {
    await a.add({ id: `job-${i}`, schedule: "every 10s", run: "h" });
  }
  await clock.tick(MIN);
  await Promise.all([a.idle(), b.idle()]);
  assertEquals(runs.length, 5 * 6);
  assertEquals(new Set(runs).size, runs.length);
  const history = await a.history();
  assertEquals(history.length, 30);
  assert(history.every((e) => e.outcome === "succeeded"));
});

Deno.test("createScheduler() bounds overlapping runs by maxParallel; a waiting slot starts when one ends (G6 counterexample)", async () => {
  // Found by the G6 property: every 1s, allow, runs of 8.001 s, 8 slots.
  const { clock, scheduler } = await setup({ maxParallel: 8 });
  const starts: [number, number][] = [];
  await scheduler.add({
    id: "wide",
    schedule: "every 1s",
    overlap: "allow",
    handler: async ({ slot, signal }) => {
      starts.push([slot.getTime() - T0, clock.now() - T0]);
      await clock.sleep(8001, signal).catch(() => {});
    },
  });
  await clock.tick(10 * SEC);
  assertEquals(
    starts.slice(0, 8),
    [1, 2, 3, 4, 5, 6, 7, 8].map((s) => [s * SEC, s * SEC]),
  );
  assertEquals(starts[8], [9 * SEC, 9 * SEC + 1]);
  const stopped = scheduler.stop({ graceMs: 1 });
  await clock.tick(1);
  await stopped;
});

Deno.test("Scheduler.stop() right after creation leaves no instance record behind", async () => {
  const store = createMemoryStore();
  const scheduler = await createScheduler({ store, clock: new FakeClock(T0) });
  await scheduler.stop();
  assertEquals(await store.instances(), []);
});

Deno.test("Scheduler.stop() waits for an aborted attempt to settle", async () => {
  const { clock, scheduler } = await setup();
  let settled = false;
  await scheduler.add({
    id: "slow-to-die",
    schedule: "every 1m",
    timeout: "1s",
    handler: async ({ signal }) => {
      await new Promise((resolve) => signal.addEventListener("abort", resolve));
      await clock.sleep(3 * SEC); // a runner killing its process
      settled = true;
    },
  });
  await clock.tick(MIN + SEC);
  const stopped = scheduler.stop({ graceMs: 1 });
  await clock.tick(3 * SEC);
  await stopped;
  assert(settled);
});

Deno.test("createScheduler() claims a slot ahead (lookaheadMs) and starts it exactly at its slot", async () => {
  const { clock, scheduler } = await setup();
  await using _ = scheduler;
  const events = collect(scheduler, "job.claimed", "run.started");
  const startedAt: number[] = [];
  await scheduler.add({
    id: "each-minute",
    schedule: "* * * * *",
    handler: () => void startedAt.push(clock.now()),
  });
  const slot = T0 + MIN;
  await clock.tick(MIN - 250);
  // Claimed (durably) 250 ms ahead; not started yet.
  assertEquals(events.map((e) => [e.type, e.detail.slot?.getTime()]), [
    ["job.claimed", slot],
  ]);
  assertEquals(startedAt, []);
  const [record] = await scheduler.jobs();
  assertEquals(record?.state.runs.map((r) => r.startAt), [slot]);
  await clock.tick(249);
  assertEquals(startedAt, []);
  await clock.tick(1);
  await scheduler.idle();
  assertEquals(startedAt, [slot]);
  assertEquals(events.map((e) => e.type), ["job.claimed", "run.started"]);
});

Deno.test("createScheduler() asked to stop starts no run it claimed ahead: the run is recorded cancelled", async () => {
  const { clock, scheduler } = await setup();
  await using _ = scheduler;
  const startedAt: number[] = [];
  await scheduler.add({
    id: "each-minute",
    schedule: "* * * * *",
    handler: () => void startedAt.push(clock.now()),
  });
  const slot = T0 + MIN;
  await clock.tick(MIN - 250);
  assertEquals(
    (await scheduler.jobs())[0]?.state.runs.map((r) => r.startAt),
    [slot],
  );
  const stopped = scheduler.stop({ graceMs: 10 * SEC });
  await clock.tick(SEC);
  await stopped;
  assertEquals(startedAt, []);
  const [record] = await scheduler.jobs();
  assertEquals(record?.state.runs, []);
  assertEquals(
    (await scheduler.history({ job: "each-minute" })).map((e) => [
      e.slot,
      e.outcome,
    ]),
    [[slot, "cancelled"]],
  );
});

Deno.test("createScheduler() with lookaheadMs: 0 claims at the due time", async () => {
  const store = createMemoryStore();
  const clock = new FakeClock(T0);
  await using scheduler = await createScheduler({
    store,
    clock,
    heartbeatMs: 60_000,
    lookaheadMs: 0,
  });
  const claimedAt: number[] = [];
  scheduler.addEventListener("job.claimed", () => claimedAt.push(clock.now()));
  await scheduler.add({ id: "m", schedule: "* * * * *", handler: () => {} });
  await clock.tick(MIN);
  await scheduler.idle();
  assertEquals(claimedAt, [T0 + MIN]);
});

Deno.test("createScheduler({ maxJobsPerClaim }) recovers every run its id's crashed process left, over several claims", async () => {
  const store = createMemoryStore();
  const clock = new FakeClock(T0);
  for (let i = 0; i < 5; i++) {
    await addJob(store, {
      id: `j${i}`,
      schedule: "every 1h",
      startAt: T0 + MIN,
      recover: "abandon",
      run: "h",
    }, { now: T0 });
  }
  await clock.tick(MIN);
  // A process with the id "x" claimed all five, then died before starting
  // them (it never recorded a heartbeat).
  const crashed = await claimDueJobs({
    store,
    clock,
    instance: "x",
    incarnation: "crashed",
    capacity: 10,
    canRun: () => true,
    isDead: () => false,
  });
  assertEquals(crashed.started.length, 5);
  // Its successor claims at most two jobs at a time: its first claim is
  // full (it reads every job with runs), and so must be the next ones
  // until it has read them all.
  await using scheduler = await createScheduler({
    store,
    clock,
    instance: "x",
    heartbeatMs: 60_000,
    maxJobsPerClaim: 2,
    handlers: { h: () => {} },
  });
  await clock.tick(SEC);
  await scheduler.idle();
  const history = await store.history();
  assertEquals(
    history.filter((e) => e.outcome === "abandoned").length,
    5,
    JSON.stringify(history),
  );
  for (const job of await store.jobs()) assertEquals(job.state.runs, []);
});
