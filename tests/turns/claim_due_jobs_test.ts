import { deepEqual, equal } from "node:assert/strict";
import { claimDueJobs } from "../../src/turns/claim_due_jobs.ts";
import { addJob } from "../../src/turns/manage_jobs.ts";
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
