// due() on PostgreSQL: it reads due jobs, backlogs and the runs of dead
// instances only, through `job_runs` and `has_backlog` (schema version 2),
// which commits keep in step and the migration from version 1 fills; and
// every query it sends is an index lookup. The migration of a version 1
// schema to the current one (version 3 splits each state into columns and
// JSON) keeps every record as it was.
import assert from "node:assert/strict";
import type postgres from "postgres";
import type {
  DueOptions,
  JobStore,
  StoreChange,
} from "../../../src/store/store.ts";
import {
  arrayLiteral,
  DUE_ALL_SQL,
  DUE_SQL,
  RUN_INSTANCES_SQL,
} from "../../../src/store/postgres/_due.ts";
import {
  migrate,
  SCHEMA_VERSION,
} from "../../../src/store/postgres/_schema.ts";
import type { JobRecord, JobState } from "../../../src/types.ts";
import { claimed, create, makeJob, MIN, setState, T0 } from "../_records.ts";
import {
  dropSchema,
  freshSchema,
  ignorePostgres,
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

/**
 * A version 1 job row: the whole record as JSON and the due columns of
 * that version, as a tock of that version wrote it.
 */
async function insertV1Job(schema: string, record: JobRecord): Promise<void> {
  const { spec, state } = record;
  await withAdmin((sql) =>
    sql.unsafe(
      `insert into ${schema}.jobs (id, version, spec, state, next_due_at,
        active, backlog_ready, target_kind, target_name)
      values ($1, $2, $3::text::json, $4::text::json, $5, $6, $7, $8, null)`,
      [
        spec.id,
        state.version,
        JSON.stringify(spec),
        JSON.stringify(state),
        state.nextDueAt ?? null,
        state.runs.length > 0 || state.backlog.length > 0,
        state.backlog.length > 0 && state.runs.length === 0,
        spec.target.kind,
      ],
    )
  );
}

pgTest("createPostgresStore() migrates a version 1 schema", async () => {
  const schema = freshSchema();
  const queued = makeJob("queued");
  const records: JobRecord[] = [
    { ...makeJob("busy"), state: running("busy", ["gone", "alpha"]) },
    makeJob("idle"),
    {
      ...queued,
      state: {
        ...queued.state,
        version: 2,
        nextDueAt: T0 + 99 * MIN,
        backlog: [{ slot: T0, trigger: "manual", runId: "m-1" }],
        last: { slot: T0 - MIN, outcome: "succeeded", at: T0 - MIN + 5 },
        counters: { ...queued.state.counters, succeeded: 3 },
      },
    },
  ];
  try {
    await withAdmin((sql) => migrate(sql, schema, "test", 1));
    for (const record of records) await insertV1Job(schema, record);
  } catch (error) {
    await dropSchema(schema);
    throw error;
  }
  await using pg = await schemaStore({ schema });
  const [row] = await withAdmin((sql) =>
    sql.unsafe(`select max(version) as v from ${schema}.migrations`)
  );
  assert.equal(row?.v, SCHEMA_VERSION);
  // Version 3 split each state into columns and JSON: it reads back whole.
  assert.deepEqual(
    await pg.store.jobs(),
    structuredClone(records).sort((a, b) => a.spec.id < b.spec.id ? -1 : 1),
  );
  // Version 2 filled `job_runs` and `has_backlog`.
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
  const busy: JobState = { ...running("busy", ["alpha"]), version: 3 };
  await commitAll(pg.store, setState("busy", busy));
  assert.deepEqual(await jobRuns(schema), ["busy/alpha"]);
  assert.deepEqual((await pg.store.job("busy"))?.state, busy);
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
    for (
      const [query, params] of [
        [DUE_SQL, [T0, dead, 1000]],
        [DUE_ALL_SQL, [T0]],
      ] as const
    ) {
      const text = await plan(pg.schema, query, [...params], seqscan);
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
