// A PostgreSQL store opened read-only (the read commands' way) creates and
// migrates nothing: a database without tock's schema, or with an older one,
// is refused in one line and left as it was; a current one is read, and
// every write is refused.
import assert from "node:assert/strict";
import { createPostgresStore } from "../../../src/store/postgres/postgres_store.ts";
import { migrate } from "../../../src/store/postgres/_schema.ts";
import { StoreError } from "../../../src/errors.ts";
import { cli } from "../../cli/_run.ts";
import { create, instance, makeJob } from "../_records.ts";
import {
  dropSchema,
  freshSchema,
  ignorePostgres,
  PG_URL,
  schemaStore,
  withAdmin,
} from "./_pg.ts";

const ignore = ignorePostgres("PostgresStore read-only");

function pgTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore, fn });
}

async function schemaExists(schema: string): Promise<boolean> {
  const rows = await withAdmin((sql) =>
    sql`select 1 from pg_namespace where nspname = ${schema}`
  );
  return rows.length > 0;
}

function oneLine(error: unknown, pattern: RegExp): boolean {
  return error instanceof StoreError && !error.message.includes("\n") &&
    pattern.test(error.message);
}

pgTest(
  "a read-only open of a database without the schema is refused and creates nothing",
  async () => {
    const schema = freshSchema();
    await assert.rejects(
      createPostgresStore({ url: PG_URL, schema, readOnly: true }),
      (e) =>
        oneLine(e, /there is no tock schema "tock_test_\w+" in this database/),
    );
    assert.equal(await schemaExists(schema), false);
  },
);

pgTest(
  "tock list and history on a database without the schema say so, and create nothing",
  async () => {
    const schema = freshSchema();
    const store = `${PG_URL}?schema=${schema}`;
    for (const command of ["list", "history", "status"]) {
      const result = await cli([command, "--store", store]);
      assert.notEqual(result.code, 0, command);
      assert.match(
        result.stderr,
        /^tock: Cannot open \(PostgreSQL store .*\): there is no tock schema "tock_test_\w+" in this database/,
      );
      assert.equal(result.stderr.trim().split("\n").length, 1);
    }
    assert.equal(await schemaExists(schema), false);
  },
);

pgTest(
  "a read-only open of an older schema is refused and migrates nothing",
  async () => {
    const schema = freshSchema();
    try {
      await withAdmin((sql) => migrate(sql, schema, "test", 2));
      await assert.rejects(
        createPostgresStore({ url: PG_URL, schema, readOnly: true }),
        (e) =>
          oneLine(
            e,
            /is at version 2, older than this tock \(\d+\); a command that writes/,
          ),
      );
      const [row] = await withAdmin((sql) =>
        sql.unsafe(`select max(version) as v from ${schema}.migrations`)
      );
      assert.equal(row?.v, 2);
    } finally {
      await dropSchema(schema);
    }
  },
);

pgTest(
  "a read-only store reads, and refuses the lock and every write",
  async () => {
    await using pg = await schemaStore();
    {
      await using lease = await pg.store.lock.acquire();
      await pg.store.commit(lease, [create(makeJob("a"))]);
    }
    await using store = await createPostgresStore({
      url: PG_URL,
      schema: pg.schema,
      readOnly: true,
    });
    assert.deepEqual((await store.jobs()).map((j) => j.spec.id), ["a"]);
    const refused = /: it was opened read-only$/;
    await assert.rejects(store.lock.acquire(), (e) => oneLine(e, refused));
    await assert.rejects(store.lock.tryAcquire(), (e) => oneLine(e, refused));
    await assert.rejects(
      store.heartbeat(instance("x")),
      (e) => oneLine(e, refused),
    );
    await assert.rejects(store.removeInstance("x"), (e) => oneLine(e, refused));
    await assert.rejects(
      store.holdInstance("x", { incarnation: "one" }),
      (e) => oneLine(e, refused),
    );
  },
);
