/**
 * An in-process lock: a FIFO async mutex. The memory store uses it, and the
 * file lock uses it to queue the waiters of one lock object.
 *
 * @module
 */

import type { Lock, LockAcquireOptions, LockLease } from "./lock.ts";

interface Waiter {
  readonly grant: () => void;
}

/**
 * Creates an in-process FIFO mutex. Waiters get the lock in the order they
 * asked for it; a waiter whose signal aborts leaves the queue.
 *
 * @returns A lock whose leases exclude each other within this process.
 *
 * @example Hold the lock while doing something
 * ```ts
 * import { createMemoryLock } from "./memory_lock.ts";
 *
 * const lock = createMemoryLock();
 * {
 *   await using lease = await lock.acquire();
 *   console.assert(lease.held);
 *   console.assert((await lock.tryAcquire()) === undefined);
 * }
 * const again = await lock.tryAcquire();
 * await again?.release();
 * ```
 */
export function createMemoryLock(): Lock {
  const queue: Waiter[] = [];
  let locked = false;

  function handOff(): void {
    const next = queue.shift();
    if (next === undefined) locked = false;
    else next.grant();
  }

  function lease(): LockLease {
    let held = true;
    async function release(): Promise<void> {
      if (!held) return;
      held = false;
      handOff();
      await undefined;
    }
    return {
      get held() {
        return held;
      },
      release,
      [Symbol.asyncDispose]: release,
    };
  }

  return {
    acquire(options: LockAcquireOptions = {}): Promise<LockLease> {
      const { signal } = options;
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (!locked) {
        locked = true;
        return Promise.resolve(lease());
      }
      return new Promise((resolve, reject) => {
        function onAbort(): void {
          const at = queue.indexOf(waiter);
          if (at >= 0) queue.splice(at, 1);
          reject(signal?.reason);
        }
        const waiter: Waiter = {
          grant() {
            signal?.removeEventListener("abort", onAbort);
            resolve(lease());
          },
        };
        queue.push(waiter);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
    tryAcquire(): Promise<LockLease | undefined> {
      if (locked) return Promise.resolve(undefined);
      locked = true;
      return Promise.resolve(lease());
    },
  };
}
