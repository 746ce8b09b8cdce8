/**
 * A lease on an outer lock (a file lock, a database advisory lock) taken
 * while holding an in-process one: releasing it releases the outer lock
 * first, then the in-process lease, once, however often it is called.
 *
 * @module
 */

import type { LockLease } from "./lock.ts";

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
