// Naming a store: a directory, a file URL, or a PostgreSQL URL; the
// command line and cron() read references the same way.
import { deepEqual, equal, throws } from "node:assert/strict";
import {
  DEFAULT_STORE,
  locateStore,
  openStoreAt,
  storeRefOf,
} from "../../src/runtime/open_store.ts";

Deno.test("storeRefOf() falls back to ./.tock for a missing or blank reference", () => {
  equal(storeRefOf(undefined), DEFAULT_STORE);
  equal(storeRefOf("  "), "./.tock");
  equal(storeRefOf("/var/lib/tock"), "/var/lib/tock");
});

Deno.test("locateStore() reads directories, file URLs and PostgreSQL URLs", () => {
  deepEqual(locateStore("./.tock"), { kind: "dir", dir: "./.tock" });
  deepEqual(locateStore("file:///srv/my%20store"), {
    kind: "dir",
    dir: "/srv/my store",
  });
  deepEqual(locateStore("postgres://u:p@db/tock"), {
    kind: "postgres",
    url: "postgres://u:p@db/tock",
  });
  deepEqual(locateStore("POSTGRESQL://db/tock").kind, "postgres");
});

Deno.test("locateStore() refuses another scheme in one line, password hidden", () => {
  throws(
    () => locateStore("mysql://root:hunter2@db/tock"),
    (error: unknown) => {
      equal((error as Error).name, "TypeError");
      equal(
        (error as Error).message,
        'Cannot open store "mysql://***@db/tock": unknown store URL scheme "mysql:" (use a directory or postgres://)',
      );
      return true;
    },
  );
});

Deno.test("openStoreAt() opens a file store in a directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using store = await openStoreAt(locateStore(`${dir}/.tock`));
    deepEqual(await store.jobs(), []);
    equal((await Deno.stat(`${dir}/.tock/tock.json`)).isFile, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
