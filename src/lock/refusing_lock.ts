/**
 * A lock that refuses every acquisition: the lock of a store opened
 * read-only, so that nothing can commit through it.
 *
 * @module
 */

import type { Lock, LockLease } from "./lock.ts";

/**
 * A lock that refuses every acquisition.
 *
 * @param refusal The error to reject with.
 * @returns The lock.
 */
export function refusingLock(refusal: () => Error): Lock {
  return {
    acquire(): Promise<LockLease> {
      return Promise.reject(refusal());
    },
    tryAcquire(): Promise<LockLease | undefined> {
      return Promise.reject(refusal());
    },
  };
}
