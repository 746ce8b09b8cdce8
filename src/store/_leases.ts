/**
 * Lease bookkeeping for the stores: a store accepts only leases of its own
 * lock that are still held, and closing the store releases the leases it
 * issued and stops pending waits.
 *
 * @module
 */

import { StoreError } from "../errors.ts";
import type { Lock, LockAcquireOptions, LockLease } from "../lock/lock.ts";

/** A lock that remembers the leases it issued. */
export interface TrackedLock {
  /** The lock to expose as `store.lock`. */
  readonly lock: Lock;
  /**
   * Throws unless `lease` was issued by this lock and is still held.
   *
   * @param lease The lease a caller passed.
   * @param action What was attempted (`commit`), for the message.
   */
  check(lease: LockLease, action: string): void;
  /** How many leases of this lock are held. */
  readonly held: number;
  /** Releases every lease still held and rejects pending acquisitions. */
  close(reason: Error): Promise<void>;
}

/**
 * Wraps a lock so the store can recognise its own leases.
 *
 * @param inner The lock to wrap.
 * @returns The wrapped lock and its check.
 */
export function trackLeases(inner: Lock): TrackedLock {
  const issued = new WeakSet<LockLease>();
  const held = new Set<LockLease>();
  const closing = new AbortController();

  function track(lease: LockLease): LockLease {
    const outer: LockLease = {
      get held() {
        return lease.held;
      },
      async release() {
        held.delete(outer);
        await lease.release();
      },
      [Symbol.asyncDispose]() {
        return outer.release();
      },
    };
    issued.add(outer);
    held.add(outer);
    return outer;
  }

  async function admit(lease: LockLease): Promise<LockLease> {
    if (closing.signal.aborted) {
      await lease.release();
      throw closing.signal.reason;
    }
    return track(lease);
  }

  return {
    lock: {
      async acquire(options: LockAcquireOptions = {}): Promise<LockLease> {
        closing.signal.throwIfAborted();
        const signal = options.signal
          ? AbortSignal.any([options.signal, closing.signal])
          : closing.signal;
        return await admit(await inner.acquire({ signal }));
      },
      async tryAcquire(): Promise<LockLease | undefined> {
        closing.signal.throwIfAborted();
        const lease = await inner.tryAcquire();
        return lease && await admit(lease);
      },
    },
    get held() {
      return held.size;
    },
    check(lease: LockLease, action: string): void {
      if (!issued.has(lease)) {
        throw new StoreError(
          `Cannot ${action}: the lease is not from this store's lock`,
        );
      }
      if (!lease.held) {
        throw new StoreError(`Cannot ${action}: the lease was released`);
      }
    },
    async close(reason: Error): Promise<void> {
      if (!closing.signal.aborted) closing.abort(reason);
      for (const lease of [...held]) await lease.release();
    },
  };
}
