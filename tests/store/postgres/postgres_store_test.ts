// The store contract on PostgreSQL, each test in its own schema (dropped
// afterwards), and PostgreSQL-specific behaviour; due() and its schema
// (job_runs, has_backlog, the migration to version 2) are in
// tests/store/postgres/due_test.ts.
import assert from "node:assert/strict";
import { createPostgresStore } from "../../../src/store/postgres/postgres_store.ts";
import { StoreError } from "../../../src/errors.ts";
import type { JobStore, StoreChange } from "../../../src/store/store.ts";
import { SCHEMA_VERSION } from "../../../src/store/postgres/_schema.ts";
import { testStoreContract } from "../_store_contract.ts";
import {
  append,
  claimed,
  create,
  instance,
  makeJob,
  setState,
  succeeded,
  T0,
} from "../_records.ts";
import {
  dropSchema,
  freshSchema,
  ignorePostgres,
  PG_URL,
  schemaStore,
  terminateLockTurns,
  withAdmin,
} from "./_pg.ts";
import { targetOf, TcpProxy, viaProxy } from "./_proxy.ts";

const ignore = ignorePostgres("PostgresStore contract");

testStoreContract("PostgresStore", async () => {
  const schema = freshSchema();
  const options = { url: PG_URL, schema };
  const cleanup = () => dropSchema(schema);
  try {
    const store = await createPostgresStore(options);
    return { store, reopen: () => createPostgresStore(options), cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}, { ignore });

// --- PostgreSQL-specific behaviour ---------------------------------------

async function commitAll(store: JobStore, ...changes: StoreChange[]) {
  await using lease = await store.lock.acquire();
  await store.commit(lease, changes);
}

function oneLine(error: unknown, pattern: RegExp): boolean {
  return error instanceof StoreError && !error.message.includes("\n") &&
    pattern.test(error.message);
}

function pgTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore, fn });
}

pgTest(
  "createPostgresStore() creates its tables and records the version",
  async () => {
    await using pg = await schemaStore();
    const tables = await withAdmin((sql) =>
      sql<{ name: string }[]>`select tablename as name from pg_tables
      where schemaname = ${pg.schema} order by tablename`
    );
    assert.deepEqual(tables.map((t) => t.name), [
      "claims",
      "counters",
      "instances",
      "job_runs",
      "jobs",
      "ledger",
      "logs",
      "migrations",
    ]);
    const [row] = await withAdmin((sql) =>
      sql.unsafe(`select max(version) as v from ${pg.schema}.migrations`)
    );
    assert.equal(row?.v, SCHEMA_VERSION);
    // Opening again migrates nothing and shares the data.
    await commitAll(pg.store, create(makeJob("a")));
    await using again = await createPostgresStore({
      url: PG_URL,
      schema: pg.schema,
    });
    assert.equal((await again.jobs()).length, 1);
  },
);

pgTest(
  "createPostgresStore() refuses a newer or foreign schema in one line",
  async () => {
    await using pg = await schemaStore();
    await withAdmin((sql) =>
      sql.unsafe(
        `insert into ${pg.schema}.migrations (version, name) values (99, 'x')`,
      )
    );
    await assert.rejects(
      createPostgresStore({ url: PG_URL, schema: pg.schema }),
      (e) =>
        oneLine(
          e,
          new RegExp(
            `version 99, newer than this tock knows \\(${SCHEMA_VERSION}\\)`,
          ),
        ),
    );
    const foreign = freshSchema();
    try {
      await withAdmin((sql) =>
        sql.unsafe(
          `create schema ${foreign}; create table ${foreign}.jobs (x int)`,
        )
      );
      await assert.rejects(
        createPostgresStore({ url: PG_URL, schema: foreign }),
        (e) => oneLine(e, /holds tables but is not a tock store/),
      );
    } finally {
      await dropSchema(foreign);
    }
    await assert.rejects(
      createPostgresStore({ url: PG_URL, schema: "Bad-Name" }),
      TypeError,
    );
    await assert.rejects(
      createPostgresStore({ url: "mysql://x/y" }),
      TypeError,
    );
  },
);

pgTest(
  "createPostgresStore() fails in one line when the database is unreachable",
  async () => {
    await using proxy = TcpProxy.start(targetOf(PG_URL));
    await proxy.cut();
    await assert.rejects(
      createPostgresStore({ url: viaProxy(PG_URL, proxy), timeoutMs: 3000 }),
      (e) => oneLine(e, /^Cannot open \(PostgreSQL store .*connection refused/),
    );
  },
);

pgTest(
  "a lock turn whose connection died commits nothing, and the jobs it held are free at once",
  async () => {
    await using pg = await schemaStore();
    await using other = await createPostgresStore({
      url: PG_URL,
      schema: pg.schema,
    });
    await commitAll(pg.store, create(makeJob("a")));
    const a = (await pg.store.job("a"))!;
    const lease = await pg.store.lock.acquire();
    assert.equal((await pg.store.read(lease, ["a"])).length, 1);
    // Kill the session of the turn holding "a" (a lost connection).
    assert.equal(
      await withAdmin((sql) => terminateLockTurns(sql, pg.schema)),
      1,
    );
    {
      await using taken = await other.lock.acquire();
      assert.deepEqual(
        (await other.read(taken, ["a"])).map((r) => r.state.version),
        [a.state.version],
      );
      await other.commit(taken, [setState("a", claimed(a))]);
    }
    await assert.rejects(
      pg.store.commit(lease, [setState("a", claimed(a))]),
      (e) => oneLine(e, /connection|terminat/),
    );
    await lease.release();
    assert.equal((await other.job("a"))!.state.version, a.state.version + 1);
    await commitAll(pg.store, create(makeJob("b")));
    assert.equal((await other.jobs()).length, 2);
  },
);

pgTest(
  "a claim and an outcome write columns: the JSON state is rewritten only when a field it keeps changes",
  async () => {
    await using pg = await schemaStore();
    const a = makeJob("a");
    await commitAll(pg.store, create(a));
    // A mark only a rewrite of the `state` column would remove, and readers
    // do not see: the column `cursor` overrides a `cursor` in the JSON.
    const mark = () =>
      withAdmin((sql) =>
        sql.unsafe(`update ${pg.schema}.jobs
          set state = (state::jsonb || '{"cursor": -1}')::json`)
      );
    const marked = async () => {
      const [row] = await withAdmin((sql) =>
        sql.unsafe<{ marked: boolean }[]>(
          `select (state -> 'cursor') is not null as marked
          from ${pg.schema}.jobs where id = 'a'`,
        )
      );
      return row?.marked;
    };
    await mark();
    const claim = claimed(a);
    await commitAll(pg.store, setState("a", claim));
    assert.equal(await marked(), true, "the claim rewrote the JSON state");
    const run = claim.runs[0]!;
    const done = {
      ...claim,
      version: claim.version + 1,
      runs: [],
      counters: { ...claim.counters, succeeded: 1 },
      last: { slot: run.slot, outcome: "succeeded" as const, at: T0 + 9 },
    };
    await commitAll(
      pg.store,
      setState("a", done),
      append(succeeded("a", run.slot, run.runId)),
    );
    assert.equal(await marked(), true, "the outcome rewrote the JSON state");
    assert.deepEqual((await pg.store.job("a"))!.state, done);
    const paused = { ...done, version: done.version + 1, paused: true };
    await commitAll(pg.store, setState("a", paused));
    assert.equal(await marked(), false, "a pause is kept in the JSON state");
    assert.deepEqual((await pg.store.job("a"))!.state, paused);
  },
);

pgTest(
  "the unique key on (job, slot) refuses a second claim of one slot",
  async () => {
    await using pg = await schemaStore();
    const a = makeJob("a");
    const first = claimed(a, "run-1");
    await commitAll(pg.store, create(a), setState("a", first));
    const again = claimed({ spec: a.spec, state: { ...a.state, version: 2 } });
    const twice = {
      ...again,
      runs: [{ ...again.runs[0]!, runId: "run-2" }],
    };
    await assert.rejects(
      commitAll(pg.store, setState("a", twice)),
      (e) => oneLine(e, /a slot was claimed twice/),
    );
    // Manual runs may repeat a slot; a recovery re-run is allowed once.
    const slot = first.runs[0]!.slot;
    const manual = {
      ...first,
      version: 3,
      runs: [{ ...first.runs[0]!, runId: "m-1", trigger: "manual" as const }],
    };
    const recovery = {
      ...manual,
      version: 4,
      runs: [{
        ...manual.runs[0]!,
        runId: "r-1",
        trigger: "recovery" as const,
      }],
    };
    await commitAll(pg.store, setState("a", manual), setState("a", recovery));
    const [row] = await withAdmin((sql) =>
      sql.unsafe(
        `select count(*)::int as n from ${pg.schema}.claims where slot = $1`,
        [slot],
      )
    );
    assert.equal(row?.n, 2);
  },
);

pgTest(
  "heartbeats are stamped by the database and do not wake changed()",
  async () => {
    await using pg = await schemaStore();
    await using other = await createPostgresStore({
      url: PG_URL,
      schema: pg.schema,
    });
    await pg.store.jobs();
    const controller = new AbortController();
    let woke = false;
    const waiting = pg.store.changed!(controller.signal).then(() =>
      woke = true
    );
    await other.heartbeat(instance("beta"));
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(woke, false);
    await commitAll(other, create(makeJob("a")));
    await waiting;
    const [row] = await withAdmin((sql) =>
      sql.unsafe(
        `select db_heartbeat_at is not null as stamped from ${pg.schema}.instances`,
      )
    );
    assert.equal(row?.stamped, true);
  },
);

pgTest("keeps about historyLimit ledger entries per job", async () => {
  await using pg = await schemaStore({ historyLimit: 10 });
  await commitAll(pg.store, create(makeJob("a")), create(makeJob("b")));
  for (let i = 0; i < 300; i += 30) {
    const batch = Array.from(
      { length: 30 },
      (_, k) => append(succeeded("a", T0 + (i + k) * 1000)),
    );
    await commitAll(pg.store, ...batch, append(succeeded("b", T0 + i)));
  }
  const history = await pg.store.history({ job: "a" });
  assert.ok(history.length >= 10 && history.length < 300, `${history.length}`);
  assert.deepEqual(history.at(-1), succeeded("a", T0 + 299_000));
  assert.equal((await pg.store.history({ job: "b" })).length, 10);
});

pgTest(
  "a lost connection fails calls in one line, and the store recovers",
  async () => {
    await using proxy = TcpProxy.start(targetOf(PG_URL));
    const schema = freshSchema();
    const url = viaProxy(PG_URL, proxy);
    try {
      await using store = await createPostgresStore({
        url,
        schema,
        timeoutMs: 3000,
      });
      await commitAll(store, create(makeJob("a")));
      await proxy.cut();
      await assert.rejects(
        store.jobs(),
        (e) => oneLine(e, /^Cannot list jobs/),
      );
      await assert.rejects(
        store.heartbeat(instance("alpha")),
        (e) => oneLine(e, /^Cannot write heartbeat/),
      );
      await assert.rejects(
        commitAll(store, create(makeJob("b"))),
        (e) => oneLine(e, /^Cannot (take the lock|commit)/),
      );
      proxy.restore();
      let jobs: unknown[] | undefined;
      for (let i = 0; i < 100 && !jobs; i++) {
        jobs = await store.jobs().catch(() => undefined);
        if (!jobs) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(jobs?.length, 1);
      await commitAll(store, create(makeJob("b")));
      assert.equal((await store.jobs()).length, 2);
    } finally {
      await dropSchema(schema);
    }
  },
);
