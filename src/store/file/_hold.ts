/**
 * Instance ids of the file store: `instances/<id>.lock`, held with an
 * exclusive `flock`-style lock on an open handle for the life of the
 * process. The kernel drops the lock when the process dies, however it
 * dies, so a crashed process never keeps its id. The holder writes its pid,
 * host and incarnation into the file, for the message a refused process
 * prints.
 *
 * Releasing deletes the file while still holding its lock. A process that
 * opened the file just before and locks it just after would then hold a
 * lock on a file no longer in the directory, so every taker checks, once
 * locked, that the path still names the file it locked, and starts over if
 * not.
 *
 * @module
 */

import type { InstanceHold, InstanceHolder } from "../store.ts";
import { assertInstanceId } from "../_ids.ts";
import { INSTANCES_DIR } from "./_instances.ts";
import { instanceHold, takenError } from "../_instance_hold.ts";
import { join, removeIfExists } from "./_fs.ts";

const ATTEMPTS = 8;
const HOLDER_READS = 10;

/**
 * Takes an instance id of a file store.
 *
 * @param dir The store directory.
 * @param id The instance id.
 * @param holder Who takes it (written into the lock file).
 * @returns The hold.
 * @throws {StoreError} When another process holds the id.
 * @throws {TypeError} When the id is invalid.
 */
export async function holdFileInstance(
  dir: string,
  id: string,
  holder: InstanceHolder,
): Promise<InstanceHold> {
  assertInstanceId(id, "take instance id");
  const path = join(dir, INSTANCES_DIR, `${id}.lock`);
  let file = await take(path, holder);
  if (!file) throw takenError(id, await readHolder(path));
  return instanceHold(id, {
    async check() {
      if (await names(path, file!)) return true;
      // Deleted or replaced under us: the id is open to others. Take it
      // again if nobody has.
      const again = await take(path, holder);
      if (!again) return false;
      file!.close();
      file = again;
      return true;
    },
    async release() {
      try {
        if (await names(path, file!)) await removeIfExists(path);
      } finally {
        file!.close();
      }
    },
  });
}

/**
 * Deletes the lock file of an id nobody holds (a process killed while it
 * held the id leaves the file behind); a held one is left alone.
 *
 * @param dir The store directory.
 * @param id The instance id.
 */
export async function removeStaleHold(dir: string, id: string): Promise<void> {
  assertInstanceId(id, "remove instance");
  const path = join(dir, INSTANCES_DIR, `${id}.lock`);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  try {
    // Locked first: a process taking the id now either holds it (we leave
    // the file) or finds the file gone after locking and starts over.
    if (await file.tryLock(true) && await names(path, file)) {
      await removeIfExists(path);
    }
  } finally {
    file.close();
  }
}

/** The locked handle, or `undefined` when another handle holds the lock. */
async function take(
  path: string,
  holder: InstanceHolder,
): Promise<Deno.FsFile | undefined> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const file = await Deno.open(path, {
      read: true,
      write: true,
      create: true,
      mode: 0o600,
    });
    let kept = false;
    try {
      if (!(await file.tryLock(true))) return undefined;
      if (!(await names(path, file))) continue;
      const text = JSON.stringify({
        pid: holder.pid,
        host: holder.host,
        incarnation: holder.incarnation,
      });
      await file.truncate(0);
      await file.write(new TextEncoder().encode(`${text}\n`));
      kept = true;
      return file;
    } finally {
      if (!kept) file.close();
    }
  }
  // A path replaced eight times in a row: someone keeps taking the id.
  return undefined;
}

/** Whether `path` still names the file open as `file`. */
async function names(path: string, file: Deno.FsFile): Promise<boolean> {
  try {
    const [open, named] = await Promise.all([file.stat(), Deno.stat(path)]);
    return open.ino === named.ino && open.dev === named.dev;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * The holder a lock file names, if it can be read. A holder that has just
 * taken the lock may not have written itself yet: look a few more times.
 */
async function readHolder(
  path: string,
): Promise<Partial<InstanceHolder> | undefined> {
  for (let attempt = 0; attempt < HOLDER_READS; attempt++) {
    try {
      const value = JSON.parse(await Deno.readTextFile(path));
      return {
        ...(Number.isSafeInteger(value?.pid) ? { pid: value.pid } : {}),
        ...(typeof value?.host === "string" ? { host: value.host } : {}),
      };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return undefined;
}
