import { deepEqual, equal } from "node:assert/strict";
import { claimDueJobs } from "../../src/turns/claim_due_jobs.ts";
import { addJob } from "../../src/turns/manage_jobs.ts";
import { triggerJob } from "../../src/turns/job_controls.ts";
import { createMemoryStore, FakeClock } from "../../src/testing/mod.ts";

const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);

async function claimedByA() {
  const store = createMemoryStore();
  const clock = new FakeClock(T0);
  await addJob(store, { id: "job", schedule: "every 1m", run: "h" }, {
    now: T0,
  });
  await clock.tick(60_000);
  const claim = (instance: string, over = {}) =>
    claimDueJobs({
      store,
      clock,
      instance,
      incarnation: `${instance}-1`,
      capacity: 4,
      canRun: () => true,
      isDead: () => false,
      newRunId: () => `run-${instance}-${crypto.randomUUID()}`,
      ...over,
    });
  const a = await claim("a");
  equal(a.started.length, 1);
  return { store, clock, claim };
}

Deno.test("claimDueJobs() judges a suspect again under the lock: an instance that renewed its heartbeat keeps its run", async () => {
  const { store, claim } = await claimedByA();
  // b judged a dead before taking the lock; under the lock a's new beat
  // shows (it confirmed its run meanwhile).
  let rechecks = 0;
  const b = await claim("b", {
    isDead: (id: string) => id === "a",
    recheck: () => {
      rechecks += 1;
      return Promise.resolve(() => false);
    },
  });
  equal(rechecks, 1);
  deepEqual(b.recorded, []);
  const [job] = await store.jobs();
  deepEqual(job!.state.runs.map((r) => r.instance), ["a"]);
  await store.close();
});

Deno.test("claimDueJobs() recovers a suspect's runs when the verdict under the lock agrees, and judges again only when there is a suspect", async () => {
  const { store, claim } = await claimedByA();
  let rechecks = 0;
  const recheck = () => {
    rechecks += 1;
    return Promise.resolve((id: string) => id === "a");
  };
  await claim("b", { recheck });
  equal(rechecks, 0, "no suspect, no second look");
  const b = await claim("b", { isDead: (id: string) => id === "a", recheck });
  equal(rechecks, 1);
  deepEqual(b.recorded.map((r) => r.outcome), ["abandoned"]);
  const [job] = await store.jobs();
  deepEqual(job!.state.runs, []);
  await store.close();
});

Deno.test("claimDueJobs() claims a burst in several steps, earliest first, and keeps the own runs of the jobs it leaves for later", async () => {
  await using store = createMemoryStore();
  const clock = new FakeClock(T0);
  // 25 jobs due at 10:01, 5 at 10:00:30 (due first).
  for (let i = 0; i < 25; i++) {
    await addJob(store, { id: `late-${i}`, schedule: "every 1m", run: "h" }, {
      now: T0,
    });
  }
  for (let i = 0; i < 5; i++) {
    await addJob(store, {
      id: `early-${i}`,
      schedule: "every 1m",
      startAt: T0 + 30_000,
      run: "h",
    }, { now: T0 });
  }
  await clock.tick(60_000);
  const claim = (ownRuns?: ReadonlyMap<string, string>) =>
    claimDueJobs({
      store,
      clock,
      instance: "a",
      capacity: 100,
      canRun: () => true,
      isDead: () => false,
      maxJobs: 12,
      ...(ownRuns ? { ownRuns, full: true } : {}),
    });
  const first = await claim();
  equal(first.started.length, 12);
  equal(first.more, true, "more is due: claim again at once");
  deepEqual(
    first.started.slice(0, 5).map((c) => c.spec.id).sort(),
    ["early-0", "early-1", "early-2", "early-3", "early-4"],
  );
  const owned = new Map(first.started.map((c) => [c.run.runId, c.spec.id]));
  // A full claim reads the jobs of its own runs too; those it leaves for
  // later are still its own, not fenced.
  const second = await claim(owned);
  for (const runId of owned.keys()) equal(second.active.has(runId), true);
  const third = await claim();
  equal(third.more, false);
  const started = [first, second, third].flatMap((r) => r.started);
  equal(started.length, 30);
  equal(new Set(started.map((c) => c.spec.id)).size, 30, "each job once");
});

Deno.test("claimDueJobs() never lets jobs that cannot start starve a due one", async () => {
  await using store = createMemoryStore();
  const clock = new FakeClock(T0);
  // Three jobs with a manual run waiting since 10:00:30, and no capacity
  // left to start them; one job due at 10:01. Two jobs may change per
  // claim: the waiting ones come first but change nothing.
  for (const id of ["q1", "q2", "q3"]) {
    await addJob(store, { id, schedule: "every 1h", run: "h" }, { now: T0 });
  }
  await addJob(store, { id: "due", schedule: "every 1m", run: "h" }, {
    now: T0,
  });
  await clock.tick(30_000);
  for (const id of ["q1", "q2", "q3"]) {
    await triggerJob(store, id, { now: clock.now() });
  }
  await clock.tick(30_000);
  const result = await claimDueJobs({
    store,
    clock,
    instance: "a",
    capacity: 0,
    canRun: () => true,
    isDead: () => false,
    maxJobs: 2,
  });
  const due = await store.job("due");
  equal(due!.state.cursor, T0 + 60_000, "the due slot was handled");
  equal(result.more, false);
});

Deno.test("claimDueJobs() in a full claim that leaves jobs for later says more, and the next full claim recovers the runs a crash lost (found by the G3 property)", async () => {
  await using store = createMemoryStore();
  const clock = new FakeClock(T0);
  for (let i = 0; i < 5; i++) {
    await addJob(store, {
      id: `j${i}`,
      schedule: "every 1h",
      startAt: T0 + 60_000,
      recover: "abandon",
      run: "h",
    }, { now: T0 });
  }
  const claim = (full: boolean) =>
    claimDueJobs({
      store,
      clock,
      instance: "a",
      incarnation: "a-1",
      capacity: 100,
      canRun: () => true,
      isDead: () => false,
      maxJobs: 2,
      full,
      ownRuns: new Map(),
    });
  await clock.tick(60_000);
  // Claimed, then the process crashed before its runs started: none of
  // them is in the restarted process's ownRuns.
  while ((await claim(false)).more);
  let full = true;
  for (let step = 0; step < 10 && full; step++) full = (await claim(true)).more;
  equal(full, false);
  for (const job of await store.jobs()) {
    deepEqual(job.state.runs, [], `${job.spec.id} keeps a lost run`);
  }
});
