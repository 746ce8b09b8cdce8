import { deepEqual, equal, rejects } from "node:assert/strict";
import { OutcomeBatch } from "../../src/turns/outcome_batch.ts";
import { addJob } from "../../src/turns/manage_jobs.ts";
import { claimDueJobs } from "../../src/turns/claim_due_jobs.ts";
import { createMemoryStore, FakeClock } from "../../src/testing/mod.ts";
import type { JobStore, StoreChange } from "../../src/store/store.ts";
import { StoreError } from "../../src/errors.ts";

const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);

/** A store that counts its commits and can be told to fail them. */
function counting(store: JobStore) {
  const stats = { commits: 0, fail: false };
  const commit = store.commit.bind(store);
  store.commit = (lease, changes: readonly StoreChange[]) => {
    stats.commits += 1;
    if (stats.fail) return Promise.reject(new StoreError("disk full"));
    return commit(lease, changes);
  };
  return stats;
}

async function claimedRuns(store: JobStore, clock: FakeClock, jobs: number) {
  for (let i = 0; i < jobs; i++) {
    await addJob(store, { id: `j${i}`, schedule: "every 1m", run: "h" }, {
      now: clock.now(),
    });
  }
  clock.jump(60_000);
  const { started } = await claimDueJobs({
    store,
    clock,
    instance: "me",
    capacity: 100,
    canRun: () => true,
    isDead: () => false,
  });
  return started;
}

/** Reports every claimed run as succeeded, all at once. */
function succeedAll(
  batch: OutcomeBatch,
  started: Awaited<ReturnType<typeof claimedRuns>>,
  clock: FakeClock,
): Promise<boolean>[] {
  return started.map(({ run, spec }) =>
    batch.record(spec.id, {
      runId: run.runId,
      outcome: "succeeded",
      attempt: 1,
      finishedAt: clock.now(),
    })
  );
}

Deno.test("OutcomeBatch writes the outcomes of runs that end together in one commit", async () => {
  await using store = createMemoryStore();
  const clock = new FakeClock(T0);
  const started = await claimedRuns(store, clock, 3);
  const stats = counting(store);
  const batch = new OutcomeBatch(store);
  const recorded = await Promise.all(succeedAll(batch, started, clock));
  deepEqual(recorded, [true, true, true]);
  equal(stats.commits, 1);
  for (const { spec } of started) {
    const job = await store.job(spec.id);
    deepEqual(job?.state.runs, []);
    equal(job?.state.counters.succeeded, 1);
  }
});

Deno.test("OutcomeBatch fences a run that is no longer active, and records the rest", async () => {
  await using store = createMemoryStore();
  const clock = new FakeClock(T0);
  const [a, b] = await claimedRuns(store, clock, 2);
  const batch = new OutcomeBatch(store);
  const result = (runId: string) => ({
    runId,
    outcome: "failed" as const,
    attempt: 1,
    finishedAt: clock.now(),
  });
  deepEqual(
    await Promise.all([
      batch.record(a!.spec.id, result(a!.run.runId)),
      batch.record(b!.spec.id, result("run-recovered-elsewhere")),
    ]),
    [true, false],
  );
  equal((await store.job(b!.spec.id))?.state.runs.length, 1);
});

Deno.test("OutcomeBatch rejects every outcome of a failed commit and writes them when reported again", async () => {
  await using store = createMemoryStore();
  const clock = new FakeClock(T0);
  const started = await claimedRuns(store, clock, 2);
  const stats = counting(store);
  stats.fail = true;
  const batch = new OutcomeBatch(store);
  const report = () => succeedAll(batch, started, clock);
  for (const attempt of report()) await rejects(attempt, StoreError);
  for (const { spec } of started) {
    equal((await store.job(spec.id))?.state.runs.length, 1);
  }
  stats.fail = false;
  deepEqual(await Promise.all(report()), [true, true]);
  await batch.settled();
});

Deno.test("OutcomeBatch counts as recorded an outcome whose failed commit was written after all (a lost answer)", async () => {
  await using store = createMemoryStore();
  const clock = new FakeClock(T0);
  const started = await claimedRuns(store, clock, 2);
  // The commit is written, then its answer is lost (a database connection
  // ended while the answer was on the way).
  const commit = store.commit.bind(store);
  let lose = true;
  store.commit = async (lease, changes: readonly StoreChange[]) => {
    await commit(lease, changes);
    if (lose) throw new StoreError("the connection was closed");
  };
  const batch = new OutcomeBatch(store);
  const report = () => succeedAll(batch, started, clock);
  for (const attempt of report()) await rejects(attempt, StoreError);
  lose = false;
  // Reported again, the runs are gone: their own outcomes are in the
  // ledger once, so they count as recorded, not fenced.
  deepEqual(await Promise.all(report()), [true, true]);
  for (const { spec } of started) {
    const entries = await store.history({ job: spec.id });
    equal(entries.filter((e) => e.outcome === "succeeded").length, 1);
  }
  await batch.settled();
});
