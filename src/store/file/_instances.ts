/**
 * Instance heartbeats of the file store: one file per instance,
 * `instances/<id>.json`, each replaced atomically by its own instance (no
 * lock needed, no two writers share a file).
 *
 * @module
 */

import type { InstanceRecord } from "../../types.ts";
import { assertInstanceId, isValidId } from "../_ids.ts";
import { atomicWrite, join, removeIfExists } from "./_fs.ts";

/** The instance directory's name, inside the store directory. */
export const INSTANCES_DIR = "instances";

/**
 * Writes an instance's record.
 *
 * @param dir The store directory.
 * @param instance The record.
 * @throws {TypeError} If the instance id is invalid.
 */
export async function writeInstance(
  dir: string,
  instance: InstanceRecord,
): Promise<void> {
  assertInstanceId(instance?.id, "write heartbeat");
  const path = join(dir, INSTANCES_DIR, `${instance.id}.json`);
  // Not synced: a heartbeat lost in a crash is an instance that stopped
  // beating, which is what it is; readers skip a file they cannot parse.
  await atomicWrite(path, JSON.stringify(instance) + "\n", {
    file: "heartbeat",
    sync: false,
  });
}

/**
 * Removes an instance's record; a missing one is not an error.
 *
 * @param dir The store directory.
 * @param id The instance id.
 * @throws {TypeError} If the instance id is invalid.
 */
export async function deleteInstance(dir: string, id: string): Promise<void> {
  assertInstanceId(id, "remove instance");
  await removeIfExists(join(dir, INSTANCES_DIR, `${id}.json`));
}

/**
 * Reads every instance record, ordered by id. A file that vanishes while it
 * is read, or that cannot be parsed (a heartbeat is rewritten every few
 * seconds and carries no state worth an error), is skipped.
 *
 * @param dir The store directory.
 * @returns The records.
 */
export async function readInstances(dir: string): Promise<InstanceRecord[]> {
  const path = join(dir, INSTANCES_DIR);
  const records: InstanceRecord[] = [];
  for await (const entry of Deno.readDir(path)) {
    const id = entry.name.slice(0, -".json".length);
    if (!entry.isFile || !entry.name.endsWith(".json") || !isValidId(id)) {
      continue;
    }
    try {
      const file = join(path, entry.name);
      const [text, info] = await Promise.all([
        Deno.readTextFile(file),
        Deno.stat(file),
      ]);
      const value = JSON.parse(text);
      if (value?.id !== id) continue;
      // The record as written, and when it was written on this machine's
      // clock (for observers that never saw the instance beat).
      delete value.ageMs;
      delete value.storedAt;
      const storedAt = info.mtime?.getTime();
      records.push(storedAt === undefined ? value : { ...value, storedAt });
    } catch (error) {
      if (error instanceof SyntaxError) continue;
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
  }
  return records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
