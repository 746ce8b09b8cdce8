/**
 * `withStoreLock()`: the one place tock takes a store's lock.
 *
 * Every lock turn goes through it: the claim step, the outcome batch, the
 * confirmation of a process's runs, the job operations (`addJob`,
 * `pauseJob`, …), and a backend's own upkeep (initialising a directory,
 * compacting a journal). The turn gets the lease, reads and commits with
 * it, and the lease is released when the turn returns or throws, before
 * `withStoreLock` resolves. Nothing runs a job while a turn holds the lock;
 * `tests/architecture_test.ts` fails if `lock.acquire` appears anywhere
 * else.
 *
 * @module
 */

import type { Lock, LockLease } from "../lock/lock.ts";

/** Options for {@linkcode withStoreLock}. */
export interface StoreLockOptions {
  /** Aborts the wait for the lock; the turn does not run then. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs one turn under a store's lock.
 *
 * @param store The store (or anything with the store's lock).
 * @param options The wait's abort signal.
 * @param turn The work to do while the lock is held.
 * @returns What the turn returned, once the lock is released.
 * @throws What the wait or the turn threw; the lock is released either way.
 * @example Usage
 * ```ts
 * import { createMemoryStore } from "./memory_store.ts";
 * import { withStoreLock } from "./with_store_lock.ts";
 * import assert from "node:assert/strict";
 *
 * await using store = createMemoryStore();
 * const jobs = await withStoreLock(store, {}, (lease) => store.read(lease, ["a"]));
 * assert.deepEqual(jobs, []);
 * ```
 */
export async function withStoreLock<T>(
  store: { readonly lock: Lock },
  options: StoreLockOptions,
  turn: (lease: LockLease) => Promise<T> | T,
): Promise<T> {
  await using lease = await store.lock.acquire(
    options.signal ? { signal: options.signal } : {},
  );
  return await turn(lease);
}
