// The bulk builder of PostgreSQL stores writes exactly the rows the store
// itself writes for the same jobs.
import { deepEqual, equal, throws } from "node:assert/strict";
import {
  assertUniform,
  bulkBuild,
  templateParts,
} from "../../bench/_pg_bulk.ts";
import { seedJobs } from "../../bench/_jobs.ts";
import { withAdmin } from "../../bench/_pg.ts";
import { openStore, prepareStore } from "../../bench/_stores.ts";
import { lockHoldJobs } from "../../bench/scenarios/lock_hold.ts";
import { ignorePostgres } from "../store/postgres/_pg.ts";

Deno.test("templateParts() splits a spec around its id", async (t) => {
  await t.step("once", () => {
    deepEqual(templateParts('{"id":"due-0","run":"h"}', "due-0"), [
      '{"id":',
      ',"run":"h"}',
    ]);
  });
  await t.step("nowhere or twice is an error", () => {
    throws(() => templateParts('{"id":"a-0"}', "b-0"), /occurs nowhere/);
    throws(
      () => templateParts('{"id":"a-0","name":"a-0"}', "a-0"),
      /more than once/,
    );
  });
});

Deno.test("assertUniform() accepts the lock hold groups", () => {
  for (const group of lockHoldJobs(1_000, 10)) assertUniform(group, 0);
});

const JOBS = "select id, to_jsonb(j) - 'spec' - 'state' - 'created_at' - " +
  "'updated_at' as columns, spec::text as spec, state::text as state from ";

if (!ignorePostgres("bulkBuild()")) {
  Deno.test("bulkBuild() writes the rows the store writes", async () => {
    const bulk = await prepareStore("postgres");
    const store = await prepareStore("postgres");
    try {
      if (bulk.spec.kind !== "postgres" || store.spec.kind !== "postgres") {
        throw new TypeError("not PostgreSQL stores");
      }
      const groups = [
        { count: 3, prefix: "due", schedule: "* * * * * *", run: "h" },
        { count: 4, prefix: "hourly", schedule: "every 1h", run: "h" },
      ];
      const now = Date.now();
      equal(await bulkBuild(bulk.spec, groups, now), 7);
      {
        await using opened = await openStore(store.spec);
        equal(await seedJobs(opened, groups, now), 7);
      }
      const [built, written, copied] = await withAdmin(async (sql) => {
        const copy = await prepareStore("postgres", { copyOf: bulk.spec });
        try {
          return await Promise.all(
            [bulk.spec, store.spec, copy.spec].map((spec) =>
              sql.unsafe(
                `${JOBS} ${
                  (spec as { schema: string }).schema
                }.jobs j order by id`,
              )
            ),
          );
        } finally {
          await copy.dispose();
        }
      });
      equal(written!.length, 7);
      // `hourly-3` is an SQL copy of `hourly-0`'s row, the other side a row
      // the store wrote for it.
      deepEqual(
        built!.find((r) => r.id === "hourly-3"),
        written!.find((r) => r.id === "hourly-3"),
      );
      deepEqual([...built!], [...written!]);
      deepEqual([...copied!], [...written!]);
    } finally {
      await bulk.dispose();
      await store.dispose();
    }
  });
}
