// due() on PostgreSQL: it reads due jobs, backlogs and the runs of dead
// instances only, through `job_runs` and `has_backlog` (schema version 2),
// which commits keep in step and the migration from version 1 fills; and
// every query it sends is an index lookup.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { createPostgresStore } from "../../../src/store/postgres/postgres_store.ts";
import type {
  DueOptions,
  JobStore,
  StoreChange,
} from "../../../src/store/store.ts";
import {
  arrayLiteral,
  DUE_SQL,
  RUN_INSTANCES_SQL,
} from "../../../src/store/postgres/_due.ts";
import { SCHEMA_VERSION } from "../../../src/store/postgres/_schema.ts";
import type { JobState } from "../../../src/types.ts";
import { claimed, create, makeJob, MIN, setState, T0 } from "../_records.ts";
import {
  dropSchema,
  freshSchema,
  ignorePostgres,
  PG_URL,
  schemaStore,
  withAdmin,
} from "./_pg.ts";

const ignore = ignorePostgres("PostgresStore due()");

function pgTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore, fn });
}

async function commitAll(store: JobStore, ...changes: StoreChange[]) {
  await using lease = await store.lock.acquire();
  await store.commit(lease, changes);
}

async function dueIds(
  store: JobStore,
  until: number,
  options?: DueOptions,
): Promise<string[]> {
  await using lease = await store.lock.acquire();
  return (await store.due(lease, until, options)).map((job) => job.spec.id)
    .sort();
}

/** The `job_runs` pairs, as `job/instance`, sorted. */
async function jobRuns(schema: string): Promise<string[]> {
  const rows = await withAdmin((sql) =>
    sql.unsafe<{ pair: string }[]>(
      `select job || '/' || instance as pair from ${schema}.job_runs`,
    )
  );
  return rows.map((row) => row.pair).sort();
}

/** A job due at T0 + 104 min, with runs on the given instances. */
function running(id: string, instances: string[]): JobState {
  const base = claimed(
    makeJob(id, { state: { nextSlot: T0 + 99 * MIN } }),
    `${id}-run`,
  );
  return {
    ...base,
    runs: instances.map((instance, n) => ({
      ...base.runs[0]!,
      runId: `${id}-run-${n}`,
      slot: base.runs[0]!.slot - n * MIN,
      instance,
    })),
  };
}

const LIVE = (instance: string) => instance !== "dead";

pgTest(
  "due() leaves out jobs whose only runs are on live instances",
  async () => {
    await using pg = await schemaStore();
    const live = makeJob("live");
    const dead = makeJob("dead");
    const both = makeJob("both");
    // A backlog behind a run (overlap "allow" may start it): returned.
    const queued = makeJob("queued");
    const queuedState: JobState = {
      ...running("queued", ["alpha"]),
      backlog: [{ slot: T0, trigger: "manual", runId: "m-1" }],
    };
    await commitAll(
      pg.store,
      ...[live, dead, both, queued].map(create),
      setState("live", running("live", ["alpha"])),
      setState("dead", running("dead", ["dead"])),
      setState("both", running("both", ["alpha", "dead", "alpha"])),
      setState("queued", queuedState),
    );
    assert.deepEqual(await jobRuns(pg.schema), [
      "both/alpha",
      "both/dead",
      "dead/dead",
      "live/alpha",
      "queued/alpha",
    ]);
    assert.deepEqual(await dueIds(pg.store, T0), ["queued"]);
    assert.deepEqual(await dueIds(pg.store, T0, { isDead: () => false }), [
      "queued",
    ]);
    assert.deepEqual(
      await dueIds(pg.store, T0, { isDead: (i) => !LIVE(i) }),
      ["both", "dead", "queued"],
    );
    assert.deepEqual(await dueIds(pg.store, T0, { all: true }), [
      "both",
      "dead",
      "live",
      "queued",
    ]);
    // Due by time, whatever its runs.
    assert.deepEqual(await dueIds(pg.store, T0 + 104 * MIN), [
      "both",
      "dead",
      "live",
      "queued",
    ]);
  },
);

pgTest("commits keep job_runs in step with the jobs' runs", async () => {
  await using pg = await schemaStore();
  const a = makeJob("a");
  const b = { ...makeJob("b"), state: running("b", ["beta"]) };
  await commitAll(pg.store, create(a), create(b));
  assert.deepEqual(await jobRuns(pg.schema), ["b/beta"]);
  const aRunning = running("a", ["alpha"]);
  await commitAll(pg.store, setState("a", aRunning));
  assert.deepEqual(await jobRuns(pg.schema), ["a/alpha", "b/beta"]);
  // Two changes of one job in a batch: the last state counts.
  const moved = { ...running("a", ["gamma"]), version: 3 };
  const ended = { ...moved, version: 4, runs: [] };
  await commitAll(
    pg.store,
    setState("a", moved),
    { type: "job.define", spec: b.spec, state: { ...b.state, version: 3 } },
    setState("a", ended),
  );
  assert.deepEqual(await jobRuns(pg.schema), ["b/beta"]);
  await commitAll(
    pg.store,
    { type: "job.delete", id: "b" },
    create({ spec: b.spec, state: running("b", ["delta"]) }),
  );
  assert.deepEqual(await jobRuns(pg.schema), ["b/delta"]);
  await commitAll(pg.store, { type: "job.delete", id: "b" });
  assert.deepEqual(await jobRuns(pg.schema), []);
  assert.deepEqual(await dueIds(pg.store, T0, { all: true }), []);
});

pgTest("createPostgresStore() migrates a version 1 schema", async () => {
  const schema = freshSchema();
  try {
    // A version 1 schema: version 2's additions removed from a new one.
    const old = await createPostgresStore({ url: PG_URL, schema });
    const queued = makeJob("queued");
    await commitAll(
      old,
      create(makeJob("busy")),
      create(makeJob("idle")),
      create(queued),
      setState("busy", running("busy", ["gone", "alpha"])),
      setState("queued", {
        ...queued.state,
        version: 2,
        nextDueAt: T0 + 99 * MIN,
        backlog: [{ slot: T0, trigger: "manual", runId: "m-1" }],
      }),
    );
    await old.close();
    await withAdmin((sql) =>
      sql.unsafe(`
        drop table ${schema}.job_runs;
        alter table ${schema}.jobs drop column has_backlog;
        delete from ${schema}.migrations where version = 2`)
    );
  } catch (error) {
    await dropSchema(schema);
    throw error;
  }
  await using pg = await schemaStore({ schema });
  const [row] = await withAdmin((sql) =>
    sql.unsafe(`select max(version) as v from ${schema}.migrations`)
  );
  assert.equal(row?.v, SCHEMA_VERSION);
  assert.deepEqual(await jobRuns(schema), ["busy/alpha", "busy/gone"]);
  const backlogs = await withAdmin((sql) =>
    sql.unsafe(`select id from ${schema}.jobs where has_backlog`)
  );
  assert.deepEqual(backlogs.map((r) => r.id), ["queued"]);
  assert.deepEqual(await dueIds(pg.store, T0), ["queued"]);
  assert.deepEqual(
    await dueIds(pg.store, T0, { isDead: (i) => i === "gone" }),
    ["busy", "queued"],
  );
  // Commits after the migration keep it in step.
  await commitAll(
    pg.store,
    setState("busy", {
      ...running("busy", ["alpha"]),
      version: 3,
    }),
  );
  assert.deepEqual(await jobRuns(schema), ["busy/alpha"]);
});

async function plan(
  schema: string,
  query: string,
  params: unknown[],
  seqscan: boolean,
): Promise<string> {
  const rows = await withAdmin((sql) =>
    sql.begin(async (tx) => {
      await tx.unsafe(`set local search_path = ${schema}`);
      if (!seqscan) await tx`set local enable_seqscan = off`;
      return await tx.unsafe(
        `explain ${query}`,
        params as postgres.ParameterOrJSON<never>[],
      );
    })
  );
  return rows.map((row) => Object.values(row)[0]).join("\n");
}

pgTest("due() queries are index lookups, not scans", async () => {
  await using pg = await schemaStore();
  // Enough jobs that a scan of jobs costs more than its indexes.
  const jobs = Array.from({ length: 2000 }, (_, n) => {
    const id = `job-${String(n).padStart(4, "0")}`;
    const job = makeJob(id, { state: { nextDueAt: T0 + (n + 1) * MIN } });
    return n % 20 === 0 ? { ...job, state: running(id, [`i-${n % 3}`]) } : job;
  });
  await commitAll(pg.store, ...jobs.map(create));
  await withAdmin((sql) =>
    sql.unsafe(`analyze ${pg.schema}.jobs; analyze ${pg.schema}.job_runs`)
  );
  const dead = arrayLiteral(["i-1"]);
  for (const seqscan of [false, true]) {
    for (const all of [false, true]) {
      const text = await plan(pg.schema, DUE_SQL, [T0, dead, all], seqscan);
      assert.doesNotMatch(text, /Seq Scan on jobs/, text);
      assert.match(text, /jobs_next_due_at/, text);
      assert.match(text, /jobs_has_backlog/, text);
      if (!seqscan) assert.doesNotMatch(text, /Seq Scan/, text);
    }
    const text = await plan(pg.schema, RUN_INSTANCES_SQL, [], seqscan);
    assert.match(text, /job_runs_instance/, text);
    if (!seqscan) assert.doesNotMatch(text, /Seq Scan/, text);
  }
  assert.deepEqual(
    await dueIds(pg.store, T0 + 2 * MIN, { isDead: (i) => i === "i-1" }),
    jobs.filter((_, n) => n === 1 || (n % 20 === 0 && n % 3 === 1))
      .map((job) => job.spec.id),
  );
});
