// Large commits on PostgreSQL (a jobs file of thousands of jobs applied in
// one commit): consecutive creates and consecutive deletes each go in bulk
// statements, as do the updates of many jobs, and the result is what the
// memory store holds after the same commits, order of changes included.
import assert from "node:assert/strict";
import { createMemoryStore } from "../../../src/store/memory_store.ts";
import type { JobStore, StoreChange } from "../../../src/store/store.ts";
import type { JobInput } from "../../../src/jobs/define_job.ts";
import { syncJobs } from "../../../src/turns/sync_jobs.ts";
import { claimed, create, makeJob, MIN, setState, T0 } from "../_records.ts";
import { ignorePostgres, schemaStore } from "./_pg.ts";

const ignore = ignorePostgres("PostgresStore bulk commits");

function pgTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore, fn });
}

async function commitAll(store: JobStore, ...changes: StoreChange[]) {
  await using lease = await store.lock.acquire();
  await store.commit(lease, changes);
}

/** Every job, and the ids due by a far instant (the derived columns). */
async function contents(store: JobStore) {
  await using lease = await store.lock.acquire();
  const due = await store.due(lease, T0 + 365 * 24 * 60 * MIN);
  return {
    jobs: await store.jobs(),
    due: due.map((job) => job.spec.id).sort(),
  };
}

function jobs(n: number, patch: Partial<JobInput> = {}): JobInput[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `job-${String(i).padStart(5, "0")}`,
    schedule: i % 2 ? "every 5m" : "*/5 * * * *",
    cmd: `echo ${i}`,
    ...patch,
  }));
}

pgTest(
  "syncJobs() on PostgreSQL applies thousands of creates, changes and removals as the memory store does",
  async () => {
    await using pg = await schemaStore();
    await using memory = createMemoryStore();
    const source = "/srv/jobs.json";
    // 6,000 creates (two bulk statements); then 5,500 changed with 100 new
    // among them, 500 removed; then everything removed.
    const rounds = [
      jobs(6000),
      jobs(5500, { retries: 1 }).concat(
        jobs(6100).slice(6000),
      ),
      [],
    ];
    for (const [i, inputs] of rounds.entries()) {
      const now = T0 + i * MIN;
      const a = await syncJobs(pg.store, inputs, { source, now });
      const b = await syncJobs(memory, inputs, { source, now });
      assert.deepEqual(a, b);
      assert.deepEqual(await contents(pg.store), await contents(memory));
    }
  },
);

pgTest(
  "PostgresStore.commit() keeps the order of creates, updates and deletes in one commit",
  async () => {
    await using pg = await schemaStore();
    await using memory = createMemoryStore();
    const many = Array.from({ length: 100 }, (_, i) => makeJob(`m-${i}`));
    const x = makeJob("x");
    const commits: StoreChange[][] = [
      [create(x), ...many.map(create)],
      // A delete, then a create of the same id; a create, then its delete.
      [
        { type: "job.delete", id: "x" },
        create(makeJob("x", { spec: { schedule: "0 * * * *" } })),
        create(makeJob("y")),
        { type: "job.delete", id: "y" },
      ],
      // Many updates (one bulk statement), then a delete of one of them.
      [
        ...many.map((job) => setState(job.spec.id, claimed(job))),
        { type: "job.delete", id: "m-7" },
        create(makeJob("z")),
      ],
    ];
    for (const changes of commits) {
      await commitAll(pg.store, ...changes);
      await commitAll(memory, ...changes);
      assert.deepEqual(await contents(pg.store), await contents(memory));
    }
    const ids = (await pg.store.jobs()).map((job) => job.spec.id);
    assert.ok(ids.includes("x") && ids.includes("z"));
    assert.ok(!ids.includes("y") && !ids.includes("m-7"));
    assert.equal((await pg.store.job("x"))?.spec.schedule, "0 * * * *");
    assert.equal((await pg.store.job("m-3"))?.state.runs.length, 1);
  },
);
