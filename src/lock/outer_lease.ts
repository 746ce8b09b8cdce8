/**
 * An outer lock (a file lock, a database advisory lock) layered on an
 * in-process one: waiters of one lock object queue in process, and only the
 * head of the queue tries the outer lock. Releasing a lease releases the
 * outer lock first, then the in-process lease, once, however often it is
 * called.
 *
 * @module
 */

import type { Lock, LockAcquireOptions, LockLease } from "./lock.ts";
import { createMemoryLock } from "./memory_lock.ts";

/**
 * Takes the outer lock for the head of the in-process queue, which holds
 * `inner`: waits for it when `wait`, else tries once. Returns the lease, or
 * `undefined` when it did not wait and the lock was taken. On failure or
 * `undefined` it has released `inner`.
 */
export type TakeOuter = (
  inner: LockLease,
  wait: boolean,
  signal?: AbortSignal,
) => Promise<LockLease | undefined>;

/**
 * A lock whose waiters queue in process before `take` tries the outer lock.
 *
 * @param take Takes the outer lock for the queue's head.
 * @returns The lock.
 */
export function layeredLock(take: TakeOuter): Lock {
  const local = createMemoryLock();
  return {
    async acquire(options: LockAcquireOptions = {}): Promise<LockLease> {
      const { signal } = options;
      const inner = await local.acquire(signal ? { signal } : {});
      return (await take(inner, true, signal))!;
    },
    async tryAcquire(): Promise<LockLease | undefined> {
      const inner = await local.tryAcquire();
      if (inner === undefined) return undefined;
      return await take(inner, false);
    },
  };
}

/**
 * Wraps the in-process lease of an outer lock.
 *
 * @param inner The in-process lease (the local queue of waiters).
 * @param unlock Releases the outer lock.
 * @returns The lease to hand out.
 */
export function outerLease(
  inner: LockLease,
  unlock: () => void | Promise<void>,
): LockLease {
  let held = true;
  async function release(): Promise<void> {
    if (!held) return;
    held = false;
    try {
      await unlock();
    } finally {
      await inner.release();
    }
  }
  return {
    get held() {
      return held;
    },
    release,
    [Symbol.asyncDispose]: release,
  };
}
