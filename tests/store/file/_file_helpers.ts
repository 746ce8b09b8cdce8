/**
 * Helpers of the file store tests: a temporary store directory, and a
 * commit that waits for the compaction it may begin.
 *
 * @module
 */

import { compactionSettled } from "../../../src/store/file/file_store.ts";
import type { JobStore, StoreChange } from "../../../src/store/store.ts";

/** A store directory inside a fresh temporary root, removed on disposal. */
export interface TempStoreDir extends AsyncDisposable {
  readonly root: string;
  readonly dir: string;
}

/**
 * Makes a fresh temporary root; `dir` inside it does not exist yet (the
 * store creates it, mode 0700).
 *
 * @param prefix The root's name prefix.
 * @returns The root and the store directory inside it.
 */
export async function tempStoreDir(
  prefix = "tock-store-",
): Promise<TempStoreDir> {
  const root = await Deno.makeTempDir({ prefix });
  return {
    root,
    dir: `${root}/.tock`,
    async [Symbol.asyncDispose]() {
      // A test may have made the root unwritable.
      await Deno.chmod(root, 0o700);
      await Deno.remove(root, { recursive: true });
    },
  };
}

/**
 * Commits in a lock turn of its own, then waits for the compaction the
 * commit may have begun (its rotation takes a lock turn, and the rest is
 * written outside the lock).
 *
 * @param store The store.
 * @param changes The batch.
 */
export async function commitAll(
  store: JobStore,
  ...changes: StoreChange[]
): Promise<void> {
  {
    await using lease = await store.lock.acquire();
    await store.commit(lease, changes);
  }
  await (await store.lock.acquire()).release();
  await compactionSettled(store);
}
