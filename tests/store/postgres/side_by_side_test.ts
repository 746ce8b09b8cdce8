// Claims of several instances on one PostgreSQL database run side by side:
// a claim holds only the jobs it claims, and another instance claiming at
// the same moment takes the next due jobs instead of waiting for it.
import assert from "node:assert/strict";
import { createPostgresStore } from "../../../src/store/postgres/postgres_store.ts";
import type { JobStore, StoreChange } from "../../../src/store/store.ts";
import type { LockLease } from "../../../src/lock/lock.ts";
import { claimDueJobs } from "../../../src/turns/claim_due_jobs.ts";
import { FakeClock } from "../../../src/testing/fake_clock.ts";
import { claimed, create, makeJob, MIN, setState, T0 } from "../_records.ts";
import { ignorePostgres, PG_URL, schemaStore, waitForLockWait } from "./_pg.ts";

const ignore = ignorePostgres("PostgreSQL claims side by side");

/** The store, with its commits held until `gate` resolves. */
function heldCommits(
  store: JobStore,
  gate: Promise<void>,
  reached: () => void,
) {
  return new Proxy(store, {
    get(target, key) {
      if (key !== "commit") {
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return async (lease: LockLease, changes: readonly StoreChange[]) => {
        reached();
        await gate;
        await target.commit(lease, changes);
      };
    },
  });
}

function claim(store: JobStore, instance: string) {
  return claimDueJobs({
    store,
    clock: new FakeClock(T0 + 5 * MIN),
    instance,
    capacity: 100,
    canRun: () => true,
    isDead: () => false,
    maxJobs: 5,
  });
}

Deno.test({
  name:
    "two instances claim at once: each takes due jobs the other does not hold, neither waits, and every job is claimed once",
  ignore,
  async fn() {
    await using pg = await schemaStore();
    const ids = Array.from(
      { length: 12 },
      (_, i) => `j${String(i).padStart(2, "0")}`,
    );
    {
      await using lease = await pg.store.lock.acquire();
      await pg.store.commit(lease, ids.map((id) => create(makeJob(id))));
    }
    await using a = await createPostgresStore({
      url: PG_URL,
      schema: pg.schema,
    });
    await using b = await createPostgresStore({
      url: PG_URL,
      schema: pg.schema,
    });
    const gate = Promise.withResolvers<void>();
    const reached = Promise.withResolvers<void>();
    // a reads its due jobs and stops before committing, holding them.
    const first = claim(heldCommits(a, gate.promise, reached.resolve), "a");
    await reached.promise;
    // b claims meanwhile, and finishes before a commits.
    const second = await claim(b, "b");
    const third = await claim(b, "b");
    gate.resolve();
    const byA = (await first).started.map(({ spec }) => spec.id);
    const byB = [...second.started, ...third.started].map(({ spec }) =>
      spec.id
    );
    assert.equal(byA.length, 5);
    assert.equal(byB.length, 7);
    assert.deepEqual([...byA, ...byB].sort(), ids);
    for (const job of await pg.store.jobs()) {
      assert.deepEqual(
        job.state.runs.map((run) => run.instance),
        [byA.includes(job.spec.id) ? "a" : "b"],
        job.spec.id,
      );
    }
    // Nothing is due any more: a claim of either takes nothing.
    assert.deepEqual((await claim(a, "a")).started, []);
  },
});

Deno.test({
  name:
    "a first claim waits for the jobs another turn holds, taking them in id order, so the two never deadlock (found by the PostgreSQL chaos run, seed 3093186366)",
  ignore,
  async fn() {
    await using pg = await schemaStore();
    // "a" has a run (a first claim reads it), "b" is due.
    const a = makeJob("a");
    {
      await using lease = await pg.store.lock.acquire();
      await pg.store.commit(lease, [create(a), create(makeJob("b"))]);
    }
    await using first = await createPostgresStore({
      url: PG_URL,
      schema: pg.schema,
    });
    await using other = await createPostgresStore({
      url: PG_URL,
      schema: pg.schema,
    });
    {
      await using lease = await other.lock.acquire();
      const [held] = await other.read(lease, ["a"]);
      await other.commit(lease, [setState("a", claimed(held!))]);
    }
    // another turn holds "a"; the first claim waits for it...
    await using turn = await other.lock.acquire();
    await other.read(turn, ["a"]);
    await using full = await first.lock.acquire();
    const due = first.due(full, T0 + 5 * MIN, { all: true });
    await waitForLockWait();
    // ...and the turn then takes "b", which the waiting claim must not hold.
    assert.deepEqual((await other.read(turn, ["b"])).map((j) => j.spec.id), [
      "b",
    ]);
    await turn.release();
    assert.deepEqual((await due).map((j) => j.spec.id).sort(), ["a", "b"]);
  },
});
