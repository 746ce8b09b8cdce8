/**
 * A cross-process lock on a lock file, with `Deno.FsFile.tryLock`.
 *
 * @module
 */

import type { Lock, LockLease } from "./lock.ts";
import { layeredLock, outerLease } from "./outer_lease.ts";

const FIRST_WAIT_MS = 1;
const MAX_WAIT_MS = 5;

/**
 * Creates a lock that excludes every other holder of the same lock file, in
 * this process or another one.
 *
 * Each acquisition opens its own handle on the file (created 0600) and takes
 * an exclusive `flock`-style lock on it. Such locks belong to an open file
 * description, so two handles exclude each other even within one process:
 * two lock objects on one path exclude each other, and a lease survives no
 * longer than its handle. Waiters of one lock object queue in FIFO order in
 * process; only the head polls the file (with `tryLock`, waiting at most
 * 5 ms between attempts), so an aborted wait never leaves a blocked call.
 *
 * @param path The lock file; created if missing, never written.
 * @returns The lock.
 *
 * @example Exclude another process
 * ```ts
 * import { createFileLock } from "./file_lock.ts";
 *
 * const path = await Deno.makeTempFile();
 * const lock = createFileLock(path);
 * {
 *   await using lease = await lock.acquire();
 *   console.assert(lease.held);
 * }
 * await Deno.remove(path);
 * ```
 */
export function createFileLock(path: string): Lock {
  async function open(): Promise<Deno.FsFile> {
    return await Deno.open(path, {
      read: true,
      write: true,
      create: true,
      mode: 0o600,
    });
  }

  function lease(file: Deno.FsFile, inner: LockLease): LockLease {
    // Closing the handle releases the lock with it.
    return outerLease(inner, () => file.close());
  }

  async function take(
    inner: LockLease,
    wait: boolean,
    signal?: AbortSignal,
  ): Promise<LockLease | undefined> {
    let file: Deno.FsFile | undefined;
    try {
      file = await open();
      let pause = FIRST_WAIT_MS;
      while (!(await file.tryLock(true))) {
        if (!wait) {
          file.close();
          await inner.release();
          return undefined;
        }
        await sleep(pause, signal);
        pause = Math.min(pause * 2, MAX_WAIT_MS);
      }
      signal?.throwIfAborted();
      return lease(file, inner);
    } catch (error) {
      file?.close();
      await inner.release();
      throw error;
    }
  }

  return layeredLock(take);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    function onAbort(): void {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
