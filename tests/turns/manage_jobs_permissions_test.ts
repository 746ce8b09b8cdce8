// A module job's permissions survive every store: added, read back by a
// new connection, changed by `updateJob` (which re-reads them through
// `inputOf`), and upserted unchanged without a write.
import { deepEqual, equal } from "node:assert/strict";
import type { ModulePermissions } from "../../src/types.ts";
import type { JobStore } from "../../src/store/store.ts";
import { createMemoryStore } from "../../src/store/memory_store.ts";
import { createFileStore } from "../../src/store/file/file_store.ts";
import { createPostgresStore } from "../../src/store/postgres/postgres_store.ts";
import {
  addJob,
  inputOf,
  updateJob,
  upsertJob,
} from "../../src/turns/manage_jobs.ts";
import {
  dropSchema,
  freshSchema,
  ignorePostgres,
  PG_URL,
} from "../store/postgres/_pg.ts";

const NOW = Date.UTC(2026, 10, 29, 10, 0, 0);

const PERMISSIONS: ModulePermissions = {
  read: ["/srv/data"],
  write: ["/var/reports/x.txt"],
  net: ["api.example.com:443"],
  env: true,
  deny: { write: ["/var/reports/keep"] },
};

const JOB = {
  id: "report",
  schedule: "@daily",
  module: "/srv/jobs/report.ts",
  permissions: PERMISSIONS,
};

/** A store to use, and how to let it go. */
type Opened = { readonly store: JobStore } & AsyncDisposable;

/** Closes the store at disposal. */
async function closing(store: Promise<JobStore>): Promise<Opened> {
  const opened = await store;
  return { store: opened, [Symbol.asyncDispose]: () => opened.close() };
}

/**
 * Adds the job on one store, reads it from another opened on the same
 * data, changes another option, and upserts the same definition.
 */
async function roundTrip(open: () => Promise<Opened>) {
  {
    await using opened = await open();
    await addJob(opened.store, JOB, { now: NOW });
  }
  await using opened = await open();
  const { store } = opened;
  const stored = await store.job("report");
  deepEqual(stored?.spec.target, {
    kind: "module",
    module: "/srv/jobs/report.ts",
    permissions: PERMISSIONS,
  });
  deepEqual(inputOf(stored!).permissions, PERMISSIONS);
  const updated = await updateJob(store, "report", { retries: 2 }, {
    now: NOW,
  });
  deepEqual(
    (updated.spec.target as { permissions?: unknown }).permissions,
    PERMISSIONS,
  );
  const again = await upsertJob(store, { ...JOB, retries: 2 }, { now: NOW });
  equal(again.changed, false);
}

Deno.test("addJob() keeps a module job's permissions in the memory store", async () => {
  await using store = createMemoryStore();
  // The same store each time: a memory store's data lives in the object.
  await roundTrip(() =>
    Promise.resolve({ store, [Symbol.asyncDispose]: () => Promise.resolve() })
  );
});

Deno.test("addJob() keeps a module job's permissions in the file store", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tock-permissions-" });
  try {
    await roundTrip(() => closing(createFileStore({ dir: `${dir}/store` })));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

if (!ignorePostgres("addJob() keeps permissions in the PostgreSQL store")) {
  Deno.test("addJob() keeps a module job's permissions in the PostgreSQL store", async () => {
    const schema = freshSchema();
    try {
      await roundTrip(() =>
        closing(createPostgresStore({ url: PG_URL, schema }))
      );
    } finally {
      await dropSchema(schema);
    }
  });
}
