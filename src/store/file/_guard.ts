/**
 * Guarding the file store directory after it was opened: its identity is
 * checked again before anything newly read from it is used and before its
 * lock is taken, so that a directory swapped in at the store's path (by
 * whoever can write the parent) is never read or written as ours; and the
 * parent itself is checked at open. A read-only store's lock refuses every
 * acquisition.
 *
 * @module
 */

import { StoreError } from "../../errors.ts";
import type { Lock, LockLease } from "../../lock/lock.ts";
import { statIfExists } from "./_fs.ts";

/** What a store directory was when it was opened (see {@linkcode verifyDir}). */
export interface DirIdentity {
  /** The device it is on. */
  readonly dev: number | null;
  /** Its inode. */
  readonly ino: number | null;
  /** Its owner. */
  readonly uid: number | null;
}

/**
 * Checks that the store directory is still the one that was opened: same
 * device and inode, same owner, not writable by group or others. A
 * directory swapped in at the same path (by whoever can write its parent)
 * would otherwise be read, and its jobs run, as ours.
 *
 * @param dir The store directory.
 * @param identity What it was at open.
 * @param context The message prefix (`Cannot read store "/x"`).
 * @throws {StoreError} If it changed (or is gone).
 */
export async function verifyDir(
  dir: string,
  identity: DirIdentity,
  context: string,
): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw changed(context, "gone");
    throw new StoreError(`${context}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (
    !info.isDirectory || info.dev !== identity.dev || info.ino !== identity.ino
  ) {
    throw changed(
      context,
      `device ${info.dev} inode ${info.ino}, was device ${identity.dev} inode ${identity.ino}`,
    );
  }
  if (info.uid !== identity.uid) {
    throw changed(
      context,
      `owned by uid ${info.uid}, was uid ${identity.uid}`,
    );
  }
  if (info.mode !== null && (info.mode & 0o022) !== 0) {
    throw changed(context, `writable by group or others: mode ${modeOf(info)}`);
  }
}

function changed(context: string, detail: string): StoreError {
  return new StoreError(
    `${context}: the store directory changed since it was opened (${detail}); refusing to use it`,
  );
}

/**
 * A mode for messages: `0777`.
 *
 * @param info A stat.
 * @returns The permission bits in octal.
 */
export function modeOf(info: Deno.FileInfo): string {
  return ((info.mode ?? 0) & 0o7777).toString(8).padStart(4, "0");
}

/**
 * The directory `path` is in, as written (`.` for a bare name).
 *
 * @param path A path.
 * @returns Its parent.
 */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  if (slash < 0) return ".";
  return slash === 0 ? "/" : path.slice(0, slash);
}

/**
 * Refuses a parent directory that others may write without the sticky
 * bit: anyone could then rename the store away and put their own
 * directory at its path. A missing parent is not checked (it is created
 * 0700 with the store).
 *
 * @param parent The parent directory.
 * @param context The message prefix (`Cannot open store "/x"`).
 * @throws {StoreError} If others may write it and it is not sticky.
 */
export async function checkParent(
  parent: string,
  context: string,
): Promise<void> {
  const info = await statIfExists(parent);
  if (!info || info.mode === null) return;
  if ((info.mode & 0o002) !== 0 && (info.mode & 0o1000) === 0) {
    throw new StoreError(
      `${context}: its parent directory "${parent}" is writable by others without the sticky bit (mode ${
        modeOf(info)
      }); run chmod o-w or chmod +t on it`,
    );
  }
}

/**
 * Wraps a lock so that `check` runs (and may throw) before each
 * acquisition. The checks run one after another, so acquisitions still
 * reach the lock in the order they were asked for (its waiters are FIFO).
 *
 * @param inner The lock on the store's lock file.
 * @param check Throws if the directory is no longer the one opened.
 * @returns The guarded lock.
 */
export function guardedLock(inner: Lock, check: () => Promise<void>): Lock {
  let gate: Promise<unknown> = Promise.resolve();
  function checked(): Promise<void> {
    const turn = gate.then(check);
    gate = turn.catch(() => {});
    return turn;
  }
  return {
    async acquire(options): Promise<LockLease> {
      await checked();
      return await inner.acquire(options);
    },
    async tryAcquire(): Promise<LockLease | undefined> {
      await checked();
      return await inner.tryAcquire();
    },
  };
}
