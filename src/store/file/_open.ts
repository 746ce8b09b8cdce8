/**
 * Opening a file store directory: the trust-boundary checks, the marker,
 * and first-time initialisation.
 *
 * Initialisation writes, in order: the empty journal, `state.json`, then
 * `tock.json`. The marker comes last, so it is the commit point: a
 * directory without it holds at most an interrupted initialisation (only
 * files this code creates, and an empty snapshot), which is redone; a
 * directory with anything else is foreign and refused, and nothing in it is
 * ever overwritten.
 *
 * @module
 */

import { StoreError } from "../../errors.ts";
import type { Lock } from "../../lock/lock.ts";
import { withStoreLock } from "../with_store_lock.ts";
import { createJournal } from "./_journal.ts";
import { LEDGER_DIR } from "./_archive.ts";
import { INSTANCES_DIR } from "./_instances.ts";
import { checkParent, type DirIdentity, modeOf, parentOf } from "./_guard.ts";
import {
  checkMarker,
  encodeSnapshot,
  FORMAT_VERSION,
  isJournalName,
  MARKER_FILE,
  MARKER_TEXT,
  parseSnapshot,
  STATE_FILE,
} from "./_snapshot.ts";
import {
  atomicWrite,
  ensureDir,
  join,
  randomId,
  removeIfExists,
  statIfExists,
  syncDir,
} from "./_fs.ts";

/** The lock file's name, inside the store directory. */
export const LOCK_FILE = "lock";
/** The compaction lock file's name (one process compacts at a time). */
export const COMPACT_LOCK_FILE = "compact.lock";

const TEMP_FILE = /^\..+\.[0-9a-f]{16}\.tmp$/;

/** What {@linkcode prepareDir} found. */
export interface PreparedDir {
  /** The directory's identity, for {@linkcode verifyDir}. */
  readonly identity: DirIdentity;
  /**
   * False only in read-only mode, for a directory no process has
   * initialised yet (empty, or an interrupted initialisation).
   */
  readonly initialised: boolean;
}

/**
 * Makes sure `dir` is a safe, initialised tock store directory.
 *
 * In read-only mode nothing is written: the directory must exist, it is
 * not initialised, and no lock is taken.
 *
 * @param dir The store directory (created 0700 if missing).
 * @param lock The store's lock (held while initialising).
 * @param context The message prefix (`Cannot open store "/x"`).
 * @param options `readOnly`: write nothing.
 * @returns The directory's identity, and whether it is initialised.
 * @throws {StoreError} If the directory or its parent is unsafe, the
 * directory is foreign, or its marker or snapshot cannot be read.
 */
export async function prepareDir(
  dir: string,
  lock: Lock,
  context: string,
  options: { readonly readOnly: boolean } = { readOnly: false },
): Promise<PreparedDir> {
  const { readOnly } = options;
  // Before the directory is created in it.
  await checkParent(parentOf(dir), context);
  if (!readOnly) {
    try {
      await ensureDir(dir);
    } catch (error) {
      throw new StoreError(`${context}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  const identity = await checkDir(dir, context, readOnly);
  const version = await markerVersion(dir, context);
  if (version === undefined) {
    // Refuse a foreign directory before the lock file is created in it.
    await leftovers(dir, context);
    if (readOnly) return { identity, initialised: false };
    await withStoreLock({ lock }, {}, async () => {
      // Another process may have initialised it while we waited.
      const now = await markerVersion(dir, context);
      if (now === undefined) await initialise(dir, context);
    });
  } else if (version < FORMAT_VERSION && !readOnly) {
    await withStoreLock({ lock }, {}, () => migrate(dir));
  }
  if (!(await statIfExists(join(dir, STATE_FILE)))) {
    throw new StoreError(`${context}: ${STATE_FILE} is missing`);
  }
  if (!readOnly) {
    await ensureDir(join(dir, LEDGER_DIR));
    await ensureDir(join(dir, INSTANCES_DIR));
  }
  return { identity, initialised: true };
}

async function checkDir(
  dir: string,
  context: string,
  readOnly: boolean,
): Promise<DirIdentity> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new StoreError(`${context}: it does not exist`, { cause: error });
    }
    throw new StoreError(`${context}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!info.isDirectory) {
    throw new StoreError(`${context}: it is not a directory`);
  }
  const uid = await ownUid(dir, readOnly);
  if (info.uid !== null && uid !== null && info.uid !== uid) {
    throw new StoreError(
      `${context}: it is owned by uid ${info.uid}, not by this user`,
    );
  }
  if (info.mode !== null && (info.mode & 0o022) !== 0) {
    throw new StoreError(
      `${context}: it is writable by group or others (mode ${
        modeOf(info)
      }); run chmod 700 on it`,
    );
  }
  // Through a symbolic link, the directory that holds the real one counts.
  const real = await Deno.realPath(dir).catch(() => undefined);
  if (real !== undefined) await checkParent(parentOf(real), context);
  return { dev: info.dev, ino: info.ino, uid: info.uid };
}

/**
 * This process's uid: `Deno.uid()` needs `--allow-sys`, so without it the
 * owner of a fresh temp file in the directory tells. In read-only mode
 * nothing may be written: without `--allow-sys=uid` the owner is then not
 * checked (a read-only open never runs anything from the store).
 */
async function ownUid(dir: string, readOnly: boolean): Promise<number | null> {
  try {
    return Deno.uid();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) throw error;
  }
  if (readOnly) return null;
  const probe = join(dir, `.probe.${randomId()}.tmp`);
  try {
    await Deno.writeFile(probe, new Uint8Array(), {
      createNew: true,
      mode: 0o600,
    });
    return (await Deno.stat(probe)).uid;
  } catch (error) {
    // Not even writable by us: certainly not ours.
    if (error instanceof Deno.errors.PermissionDenied) return -1;
    throw error;
  } finally {
    await removeIfExists(probe);
  }
}

/** The marker's format version; `undefined` when there is no marker. */
async function markerVersion(
  dir: string,
  context: string,
): Promise<number | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(join(dir, MARKER_FILE));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new StoreError(`${context}: cannot read ${MARKER_FILE}`, {
      cause: error,
    });
  }
  return checkMarker(bytes, context);
}

/**
 * Migrates an older store to this format: its files stay readable as they
 * are, so only the marker changes, before this process writes anything
 * newer; an older tock then refuses the store instead of misreading it.
 */
async function migrate(dir: string): Promise<void> {
  await atomicWrite(join(dir, MARKER_FILE), MARKER_TEXT, { file: "marker" });
}

/**
 * The files an interrupted initialisation left, to be removed; throws if
 * the directory holds anything else.
 */
async function leftovers(dir: string, context: string): Promise<string[]> {
  const leftovers: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const name = entry.name;
    if (name === LOCK_FILE) continue;
    if (TEMP_FILE.test(name)) {
      leftovers.push(name);
    } else if (isJournalName(name)) {
      const info = await Deno.stat(join(dir, name));
      if (info.size > 0) {
        throw new StoreError(`${context}: ${MARKER_FILE} is missing`);
      }
      leftovers.push(name);
    } else if (name === LEDGER_DIR || name === INSTANCES_DIR) {
      if (!(await isEmptyDir(join(dir, name)))) throw foreign(context);
    } else if (name === STATE_FILE) {
      const state = parseSnapshot(
        await Deno.readFile(join(dir, name)),
        context,
      );
      if (state.seq !== 0 || state.jobs.length > 0) {
        throw new StoreError(`${context}: ${MARKER_FILE} is missing`);
      }
    } else throw foreign(context);
  }
  return leftovers;
}

async function initialise(dir: string, context: string): Promise<void> {
  for (const name of await leftovers(dir, context)) {
    await removeIfExists(join(dir, name));
  }
  await ensureDir(join(dir, LEDGER_DIR));
  await ensureDir(join(dir, INSTANCES_DIR));
  const journal = await createJournal(dir);
  await syncDir(dir);
  await atomicWrite(
    join(dir, STATE_FILE),
    encodeSnapshot({
      seq: 0,
      ledgerSeq: 0,
      journal,
      jobs: [],
      born: {},
      archived: {},
    }),
    { file: "init-state" },
  );
  await atomicWrite(join(dir, MARKER_FILE), MARKER_TEXT, { file: "marker" });
}

async function isEmptyDir(path: string): Promise<boolean> {
  for await (const _ of Deno.readDir(path)) return false;
  return true;
}

function foreign(context: string): StoreError {
  return new StoreError(
    `${context}: the directory is not empty and has no ${MARKER_FILE} (not a tock store)`,
  );
}
