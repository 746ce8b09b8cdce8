// The file store's directory as a trust boundary after open: its identity
// is re-checked whenever it is read again, its parent must not let others
// swap it, and a read-only open writes nothing at all.
import assert from "node:assert/strict";
import { tempStoreDir } from "./_file_helpers.ts";
import { createFileStore } from "../../../src/store/file/file_store.ts";
import { StoreError } from "../../../src/errors.ts";
import type { JobStore, StoreChange } from "../../../src/store/store.ts";
import {
  append,
  create,
  instance,
  makeJob,
  runLog,
  succeeded,
  T0,
} from "../_records.ts";

async function commitAll(store: JobStore, ...changes: StoreChange[]) {
  await using lease = await store.lock.acquire();
  await store.commit(lease, changes);
}

/** Every entry under `dir`: its bytes (files) or `null` (folders). */
async function contents(dir: string): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  async function walk(rel: string) {
    for await (const entry of Deno.readDir(`${dir}${rel}`)) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory) {
        out.set(path, null);
        await walk(path);
      } else out.set(path, await Deno.readTextFile(`${dir}${path}`));
    }
  }
  await walk("");
  return new Map([...out].sort(([a], [b]) => a < b ? -1 : 1));
}

function changedError(dir: string) {
  return (error: unknown) =>
    error instanceof StoreError &&
    error.message.startsWith(`Cannot `) &&
    error.message.includes(`store "${dir}"`) &&
    error.message.includes(
      "the store directory changed since it was opened",
    ) &&
    !error.message.includes("\n");
}

Deno.test("createFileStore() refuses a directory swapped in at its path, and touches neither", async () => {
  await using tmp = await tempStoreDir();
  const other = `${tmp.root}/other`;
  const moved = `${tmp.root}/moved`;
  await using store = await createFileStore({ dir: tmp.dir });
  await commitAll(store, create(makeJob("mine")));
  {
    await using theirs = await createFileStore({ dir: other });
    await commitAll(
      theirs,
      create(makeJob("theirs")),
      append(succeeded("theirs", T0)),
    );
  }
  // A lease and an instance id taken before the swap: its commit, and the
  // check that may take the id again, must fail too.
  const lease = await store.lock.acquire();
  await using hold = await store.holdInstance("alpha", { incarnation: "x" });
  await Deno.rename(tmp.dir, moved);
  await Deno.rename(other, tmp.dir);
  const mine = await contents(moved);
  const theirs = await contents(tmp.dir);

  const refused = changedError(tmp.dir);
  await assert.rejects(store.jobs(), refused);
  await assert.rejects(store.job("theirs"), refused);
  await assert.rejects(store.history(), refused);
  await assert.rejects(store.logs("mine"), refused);
  await assert.rejects(store.instances(), refused);
  await assert.rejects(store.heartbeat(instance("alpha")), refused);
  await assert.rejects(hold.check(), refused);
  await assert.rejects(
    store.holdInstance("beta", { incarnation: "y" }),
    refused,
  );
  await assert.rejects(store.saveLog(runLog("mine", 1)), refused);
  await assert.rejects(
    store.commit(lease, [append(succeeded("mine", T0))]),
    refused,
  );
  await lease.release();
  await assert.rejects(store.lock.acquire(), refused);
  await assert.rejects(store.lock.tryAcquire(), refused);
  assert.deepEqual(await contents(moved), mine, "the store's own directory");
  assert.deepEqual(await contents(tmp.dir), theirs, "the swapped-in one");

  // Put back, the store works again, with its own jobs.
  await Deno.rename(tmp.dir, other);
  await Deno.rename(moved, tmp.dir);
  assert.deepEqual((await store.jobs()).map((j) => j.spec.id), ["mine"]);
  await commitAll(store, append(succeeded("mine", T0)));
});

Deno.test("createFileStore() refuses its directory once others may write it", async () => {
  await using tmp = await tempStoreDir();
  await using store = await createFileStore({ dir: tmp.dir });
  await commitAll(store, create(makeJob("a")));
  await Deno.chmod(tmp.dir, 0o777);
  await assert.rejects(store.lock.acquire(), changedError(tmp.dir));
  await Deno.chmod(tmp.dir, 0o700);
  await commitAll(store, append(succeeded("a", T0)));
});

Deno.test("createFileStore() refuses a parent that others may write without the sticky bit", async (t) => {
  await using tmp = await tempStoreDir();
  await t.step("o+w without sticky: refused, nothing created", async () => {
    await Deno.chmod(tmp.root, 0o777);
    await assert.rejects(
      createFileStore({ dir: tmp.dir }),
      (error: unknown) =>
        error instanceof StoreError &&
        error.message ===
          `Cannot open store "${tmp.dir}": its parent directory "${tmp.root}" is writable by others without the sticky bit (mode 0777); run chmod o-w or chmod +t on it`,
    );
    await assert.rejects(Deno.stat(tmp.dir), Deno.errors.NotFound);
  });
  await t.step("an existing store under it: refused too", async () => {
    await Deno.chmod(tmp.root, 0o700);
    await createFileStore({ dir: tmp.dir }).then((s) => s.close());
    await Deno.chmod(tmp.root, 0o757);
    await assert.rejects(
      createFileStore({ dir: tmp.dir, readOnly: true }),
      /its parent directory .* is writable by others without the sticky bit \(mode 0757\)/,
    );
  });
  await t.step("with the sticky bit (as /tmp): accepted", async () => {
    await Deno.chmod(tmp.root, 0o1777);
    await createFileStore({ dir: tmp.dir }).then((s) => s.close());
  });
  await t.step("through a symbolic link, the real parent counts", async () => {
    const open = `${tmp.root}/open`;
    await Deno.mkdir(open);
    await Deno.chmod(open, 0o777);
    await Deno.chmod(tmp.root, 0o700);
    await Deno.mkdir(`${open}/store`, { mode: 0o700 });
    await Deno.symlink(`${open}/store`, `${tmp.root}/link`);
    await assert.rejects(
      createFileStore({ dir: `${tmp.root}/link` }),
      /its parent directory ".*\/open" is writable by others/,
    );
  });
});

Deno.test("createFileStore({ readOnly: true }) reads a store and writes nothing", async () => {
  await using tmp = await tempStoreDir();
  {
    await using writer = await createFileStore({ dir: tmp.dir });
    await commitAll(writer, create(makeJob("a")), append(succeeded("a", T0)));
    await writer.heartbeat(instance("alpha"));
    await writer.saveLog(runLog("a", 1));
  }
  // Without its lock file, too: opening read-only must not create it.
  await Deno.remove(`${tmp.dir}/lock`);
  const before = await contents(tmp.dir);
  await using store = await createFileStore({ dir: tmp.dir, readOnly: true });
  assert.deepEqual((await store.jobs()).map((j) => j.spec.id), ["a"]);
  assert.equal((await store.history({ job: "a" })).length, 1);
  assert.equal((await store.logs("a")).length, 1);
  assert.deepEqual((await store.instances()).map((i) => i.id), ["alpha"]);

  const readOnly = (error: unknown) =>
    error instanceof StoreError &&
    /it was opened read-only$/.test(error.message);
  await assert.rejects(store.lock.acquire(), readOnly);
  await assert.rejects(store.lock.tryAcquire(), readOnly);
  await assert.rejects(store.heartbeat(instance("beta")), readOnly);
  await assert.rejects(store.saveLog(runLog("a", 2)), readOnly);
  await assert.rejects(store.removeInstance("alpha"), readOnly);
  await assert.rejects(
    store.holdInstance("beta", { incarnation: "y" }),
    readOnly,
  );
  assert.deepEqual(await contents(tmp.dir), before);

  // It follows what a writer commits.
  {
    await using writer = await createFileStore({ dir: tmp.dir });
    await commitAll(writer, create(makeJob("b")));
  }
  assert.deepEqual((await store.jobs()).map((j) => j.spec.id), ["a", "b"]);
});

Deno.test("createFileStore({ readOnly: true }) reads an uninitialised directory as empty, and refuses a missing one", async () => {
  await using tmp = await tempStoreDir();
  await assert.rejects(
    createFileStore({ dir: tmp.dir, readOnly: true }),
    (error: unknown) =>
      error instanceof StoreError &&
      error.message === `Cannot open store "${tmp.dir}": it does not exist`,
  );
  await assert.rejects(Deno.stat(tmp.dir), Deno.errors.NotFound);
  await Deno.mkdir(tmp.dir, { mode: 0o700 });
  await using store = await createFileStore({ dir: tmp.dir, readOnly: true });
  assert.deepEqual(await store.jobs(), []);
  assert.deepEqual(await store.history(), []);
  assert.deepEqual(await store.instances(), []);
  assert.deepEqual([...(await contents(tmp.dir)).keys()], []);
  {
    await using writer = await createFileStore({ dir: tmp.dir });
    await commitAll(writer, create(makeJob("a")));
  }
  assert.deepEqual((await store.jobs()).map((j) => j.spec.id), ["a"]);
});
