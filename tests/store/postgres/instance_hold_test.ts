// Instance ids on PostgreSQL after the database dropped their locks (a
// server restart ends every session; here the holder's session is
// terminated, which is what a restart does to it): a second process asking
// for the id of an instance that still heartbeats is refused, and the id of
// one whose heartbeat stopped is taken once it has been silent long enough.
import assert from "node:assert/strict";
import { createPostgresStore } from "../../../src/store/postgres/postgres_store.ts";
import { instanceKey } from "../../../src/store/postgres/_hold.ts";
import { StoreError } from "../../../src/errors.ts";
import type { JobStore } from "../../../src/store/store.ts";
import { instance } from "../_records.ts";
import { ignorePostgres, PG_URL, schemaStore, withAdmin } from "./_pg.ts";

const ignore = ignorePostgres("PostgresStore instance ids");

function pgTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore, fn });
}

/** Ends the session holding the id's lock, as a server restart would. */
async function dropHold(schema: string, id: string): Promise<void> {
  const key = instanceKey(schema, id);
  const [hi, lo] = [Number(key >> 32n), Number(key & 0xffffffffn)];
  const rows = await withAdmin((sql) =>
    sql`select pg_terminate_backend(pid) as done from pg_locks
      where locktype = 'advisory' and objsubid = 1 and granted
        and classid = ${hi}::oid and objid = ${lo}::oid`
  );
  assert.equal(rows.length, 1, "the holder's session held the id");
}

/** Heartbeats of `id` every 200 ms until the signal aborts. */
async function beat(store: JobStore, id: string, signal: AbortSignal) {
  for (let n = 1; !signal.aborted; n++) {
    await store.heartbeat(instance(id, { beat: n, incarnation: "first" }));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

pgTest(
  "after the database dropped its lock, an instance id whose holder still beats is refused",
  async () => {
    await using pg = await schemaStore();
    await using hold = await pg.store.holdInstance("api", {
      incarnation: "first",
      pid: 4242,
      host: "box",
    });
    const stop = new AbortController();
    const beating = beat(pg.store, "api", stop.signal);
    try {
      await dropHold(pg.schema, "api");
      await using twin = await createPostgresStore({
        url: PG_URL,
        schema: pg.schema,
      });
      await assert.rejects(
        twin.holdInstance("api", { incarnation: "second", pid: 7 }),
        (e) =>
          e instanceof StoreError &&
          /^Cannot take instance id 'api': a running process holds it \(pid 4242 on host box\)/
            .test(e.message),
      );
      // The holder takes its lock again at its next check.
      assert.equal(await hold.check(), true);
    } finally {
      stop.abort();
      await beating;
    }
  },
);

pgTest(
  "an instance id whose holder died is taken once its heartbeat has been silent",
  async () => {
    await using pg = await schemaStore();
    const hold = await pg.store.holdInstance("api", { incarnation: "first" });
    await pg.store.heartbeat(
      instance("api", { beat: 1, incarnation: "first" }),
    );
    await dropHold(pg.schema, "api");
    await hold.release();
    await using again = await pg.store.holdInstance("api", {
      incarnation: "second",
    });
    assert.equal(await again.check(), true);
  },
);
