import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { createMemoryStore } from "../../src/testing/mod.ts";
import {
  addJob,
  removeJob,
  updateJob,
  upsertJob,
} from "../../src/turns/manage_jobs.ts";
import {
  backfillJob,
  pauseJob,
  resumeJob,
  triggerJob,
} from "../../src/turns/job_controls.ts";
import { claimDueJobs } from "../../src/turns/claim_due_jobs.ts";
import { OutcomeBatch } from "../../src/turns/outcome_batch.ts";
import { FakeClock } from "../../src/testing/mod.ts";
import { JobNotFoundError, StoreError } from "../../src/errors.ts";

const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);
const MIN = 60_000;

function claim(store: ReturnType<typeof createMemoryStore>, now: number) {
  const clock = new FakeClock(now);
  return claimDueJobs({
    store,
    clock,
    instance: "me",
    capacity: 10,
    canRun: () => true,
    isDead: () => false,
  });
}

Deno.test("addJob() refuses an existing id and changes nothing", async () => {
  await using store = createMemoryStore();
  await addJob(store, { id: "a", schedule: "every 1m", run: "a" }, { now: T0 });
  await rejects(
    addJob(store, { id: "a", schedule: "every 2m", run: "a" }, { now: T0 }),
    StoreError,
  );
  equal((await store.job("a"))?.spec.schedule, "every 1m");
});

Deno.test("updateJob() changes the definition and keeps state and history", async () => {
  await using store = createMemoryStore();
  await addJob(store, { id: "a", schedule: "every 1m", run: "a" }, { now: T0 });
  const { started } = await claim(store, T0 + MIN);
  await new OutcomeBatch(store).record("a", {
    runId: started[0]!.run.runId,
    outcome: "succeeded",
    attempt: 1,
    finishedAt: T0 + MIN,
  });
  const updated = await updateJob(store, "a", {
    schedule: "every 5m",
    retries: 2,
  }, { now: T0 + MIN });
  equal(updated.spec.retries, 2);
  equal(updated.state.counters.succeeded, 1);
  equal(updated.state.nextSlot, T0 + 5 * MIN);
  equal((await store.history({ job: "a" })).length, 1);
  await rejects(updateJob(store, "nope", {}, { now: T0 }), JobNotFoundError);
});

Deno.test("upsertJob() creates, leaves an unchanged job alone, and redefines", async () => {
  await using store = createMemoryStore();
  const input = {
    id: "a",
    schedule: "every 1m",
    run: "a",
    source: "jobs.json",
  };
  deepEqual((await upsertJob(store, input, { now: T0 })).created, true);
  const same = await upsertJob(store, input, { now: T0 + MIN });
  deepEqual([same.created, same.changed], [false, false]);
  const changed = await upsertJob(store, { ...input, schedule: "every 2m" }, {
    now: T0 + MIN,
  });
  deepEqual([changed.created, changed.changed], [false, true]);
  equal(changed.record.state.createdAt, T0);
  equal(changed.record.spec.source, "jobs.json");
});

Deno.test("triggerJob() queues one manual run, dedupes, and respects overlap", async () => {
  await using store = createMemoryStore();
  await addJob(store, { id: "a", schedule: "0 0 1 1 *", run: "a" }, {
    now: T0,
  });
  const first = await triggerJob(store, "a", { now: T0, runId: "run-1" });
  const second = await triggerJob(store, "a", { now: T0 + 1, runId: "run-2" });
  deepEqual([first.status, second.status, second.runId], [
    "queued",
    "duplicate",
    "run-1",
  ]);
  const { started } = await claim(store, T0 + 2);
  deepEqual(started.map((s) => [s.run.runId, s.run.trigger]), [[
    "run-1",
    "manual",
  ]]);
  // While it runs, a non-forced trigger is skipped (overlap skip), a forced one queues.
  equal(
    (await triggerJob(store, "a", { now: T0 + 3, runId: "run-3" })).status,
    "skipped",
  );
  equal(
    (await triggerJob(store, "a", { now: T0 + 4, runId: "run-4", force: true }))
      .status,
    "queued",
  );
  const forced = await claim(store, T0 + 5);
  deepEqual(forced.started.map((s) => s.run.runId), ["run-4"]);
});

Deno.test("pauseJob() and resumeJob() skip the slots in between, once", async () => {
  await using store = createMemoryStore();
  await addJob(store, { id: "a", schedule: "every 1m", run: "a" }, { now: T0 });
  await pauseJob(store, "a", { now: T0, note: "deploy" });
  const resumed = await resumeJob(store, "a", { now: T0 + 10 * MIN + 1 });
  equal(resumed.state.paused, false);
  equal(resumed.state.counters.skipped, 10);
  equal(resumed.state.nextSlot, T0 + 11 * MIN);
  const { started } = await claim(store, T0 + 11 * MIN);
  equal(started.length, 1);
});

Deno.test("an outcome batch fences a run that is no longer active, and removeJob() deletes", async () => {
  await using store = createMemoryStore();
  await addJob(store, { id: "a", schedule: "every 1m", run: "a" }, { now: T0 });
  ok(
    !(await new OutcomeBatch(store).record("a", {
      runId: "run-x",
      outcome: "succeeded",
      attempt: 1,
      finishedAt: T0,
    })),
  );
  await removeJob(store, "a", { now: T0 });
  equal(await store.job("a"), undefined);
  await rejects(removeJob(store, "a", { now: T0 }), JobNotFoundError);
});

Deno.test("backfillJob() queues a past range oldest first, run one at a time", async () => {
  await using store = createMemoryStore();
  await addJob(store, { id: "a", schedule: "*/5 * * * *", run: "a" }, {
    now: T0,
  });
  const { slots, more } = await backfillJob(store, "a", {
    now: T0,
    from: T0 - 20 * MIN,
    to: T0 - 5 * MIN,
  });
  deepEqual(
    slots.map((s) => s.getTime()),
    [20, 15, 10, 5].map((m) => T0 - m * MIN),
  );
  equal(more, false);
  const first = await claim(store, T0 + 1);
  deepEqual(first.started.map((s) => [s.run.slot, s.run.trigger]), [[
    T0 - 20 * MIN,
    "manual",
  ]]);
  await new OutcomeBatch(store).record("a", {
    runId: first.started[0]!.run.runId,
    outcome: "succeeded",
    attempt: 1,
    finishedAt: T0 + 2,
  });
  const [entry] = await store.history({ job: "a" });
  equal(entry?.note, "backfill");
  const second = await claim(store, T0 + 3);
  deepEqual(second.started.map((s) => s.run.slot), [T0 - 15 * MIN]);
  await rejects(
    backfillJob(store, "a", { now: T0, from: T0, to: T0 + MIN }),
    /must be in the past/,
  );
});

Deno.test("updateJob() with a later startAt moves the next slot past it", async () => {
  await using store = createMemoryStore();
  await addJob(store, { id: "a", schedule: "*/5 * * * *", run: "a" }, {
    now: T0,
  });
  const later = T0 + 86_400_000;
  const updated = await updateJob(store, "a", { startAt: later }, { now: T0 });
  equal(updated.state.nextSlot, later);
});
