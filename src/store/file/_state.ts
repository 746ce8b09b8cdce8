/**
 * One file store object's view of the directory: the model built from the
 * snapshot and the journal, kept current by reading only new journal bytes,
 * plus commit (append one line, one `fdatasync`) and compaction.
 *
 * Commit point of a commit: the `fdatasync` of its journal line; a crash
 * before it leaves a torn tail that readers skip and the next writer cuts.
 * Commit point of a compaction: the rename of the new `state.json` (then the
 * directory fsync); before it, the old snapshot and journal stay current,
 * and archive lines written early are ignored (see `_archive.ts`).
 *
 * Over 400 lines on purpose: the in-memory model and every way it changes
 * (journal replay, commits, compaction) must agree byte for byte with what
 * is on disk, and are kept side by side to be read together.
 *
 * @module
 */

import { StoreError } from "../../errors.ts";
import type { JobId, LedgerEntry } from "../../types.ts";
import type { StoreChange } from "../store.ts";
import {
  applyChanges,
  checkChanges,
  createModel,
  type LedgerItem,
  type StoreModel,
} from "../_state.ts";
import {
  appendBatch,
  createJournal,
  type JournalRead,
  prepareBatch,
  readJournal,
} from "./_journal.ts";
import {
  archiveItems,
  archivePath,
  LEDGER_DIR,
  readArchive,
} from "./_archive.ts";
import {
  encodeSnapshot,
  isJournalName,
  parseSnapshot,
  STATE_FILE,
} from "./_snapshot.ts";
import { crashPoint, crashPointArmed } from "./_crash_points.ts";
import {
  atomicWrite,
  join,
  readWithStat,
  removeIfExists,
  statIfExists,
  syncDir,
} from "./_fs.ts";

const TEMP_FILE = /^\..+\.[0-9a-f]{16}\.tmp$/;
const LOAD_ATTEMPTS = 5;
const DEFAULT_COMPACT_BYTES = 8 * 1024 * 1024;
/** Archive files written at once during a compaction. */
const ARCHIVE_WRITERS = 16;

/** Tuning of a {@linkcode FileState}. */
export interface FileStateOptions {
  /**
   * Compact once the journal is this large; `undefined`: once it is 8 MiB
   * and as large as the last snapshot (so compaction costs O(1) per byte
   * written however many jobs there are).
   */
  readonly compactBytes: number | undefined;
  /** Archived entries kept per job. */
  readonly historyLimit: number;
  /**
   * Checks that the directory is still the one opened; called before
   * anything newly read from it is used (a reload, new journal lines).
   */
  readonly verify?: (context: string) => Promise<void>;
  /**
   * The directory was not initialised when opened read-only: until a
   * `state.json` appears, it reads as an empty store.
   */
  readonly uninitialised?: boolean;
}

/** The snapshot key of a read-only view whose `state.json` is not there yet. */
const NO_SNAPSHOT = "none";

/** The in-memory view of a file store directory; see the module doc. */
export class FileState {
  /** The model; valid after {@linkcode FileState.load}. */
  model: StoreModel = createModel();
  #dir: string;
  #options: FileStateOptions;
  #snapshotKey: string | undefined;
  #journal = "";
  #offset = 0;
  /** The journal line that ends at `#offset` (see `readJournal`). */
  #tail: Uint8Array = new Uint8Array();
  #seenSize = 0;
  #archivedLedgerSeq = 0;
  #archived: Record<JobId, number> = {};
  #compactAt: number;
  #trusted: unknown;

  /**
   * Creates an empty view; call {@linkcode FileState.load} next.
   *
   * @param dir The store directory.
   * @param options Tuning.
   */
  constructor(dir: string, options: FileStateOptions) {
    this.#dir = dir;
    this.#options = options;
    this.#compactAt = options.compactBytes ?? DEFAULT_COMPACT_BYTES;
  }

  /**
   * Reads the snapshot and its whole journal.
   *
   * @param context The message prefix (`Cannot open store "/x"`).
   */
  async load(context: string): Promise<void> {
    const path = join(this.#dir, STATE_FILE);
    for (let attempt = 0; attempt < LOAD_ATTEMPTS; attempt++) {
      const file = await readWithStat(path);
      if (!file && this.#notYet()) {
        await this.#options.verify?.(context);
        this.#snapshotKey = NO_SNAPSHOT;
        return;
      }
      if (!file) throw new StoreError(`${context}: ${STATE_FILE} is missing`);
      const snapshot = parseSnapshot(file.bytes, context);
      const model = createModel(snapshot);
      const read = await readJournal(
        join(this.#dir, snapshot.journal),
        0,
        context,
      );
      if (!read) {
        const now = await statIfExists(path);
        if (now && keyOf(now) !== keyOf(file.stat)) continue;
        throw new StoreError(`${context}: ${snapshot.journal} is missing`);
      }
      // Nothing read is used (the model stays as it was) unless the
      // directory is still the one opened.
      await this.#options.verify?.(context);
      this.#trusted = undefined;
      this.#offset = replay(model, read, 0, `${context}: ${snapshot.journal}`);
      this.model = model;
      this.#snapshotKey = keyOf(file.stat);
      this.#journal = snapshot.journal;
      this.#tail = read.last;
      this.#seenSize = read.size;
      this.#archived = { ...snapshot.archived };
      this.#archivedLedgerSeq = snapshot.ledgerSeq;
      return;
    }
    throw new StoreError(`${context}: ${STATE_FILE} keeps changing`);
  }

  /**
   * Catches up with other writers: reads the new journal bytes, or reloads
   * if the snapshot was replaced. With a `token` (the caller's lease), a
   * second call with the same token trusts the model: nobody else writes
   * while the lock is held.
   *
   * @param context The message prefix (`Cannot read store "/x"`).
   * @param token The lease the caller holds, if any.
   */
  async sync(context: string, token?: object): Promise<void> {
    if (token !== undefined && token === this.#trusted) return;
    this.#trusted = undefined;
    const info = await statIfExists(join(this.#dir, STATE_FILE));
    if (!info && this.#snapshotKey === NO_SNAPSHOT) return;
    if (!info) throw new StoreError(`${context}: ${STATE_FILE} is missing`);
    const path = join(this.#dir, this.#journal);
    const read = keyOf(info) === this.#snapshotKey
      ? await readJournal(path, this.#offset, context, this.#tail)
      : undefined;
    // A missing or shrunk journal means a compaction we have not seen; a
    // shrunk or replaced one, also a line cut off after we read it.
    if (read === undefined || read.size < this.#offset || read.replaced) {
      await this.load(context);
    } else {
      const where = `${context}: ${this.#journal}`;
      if (read.batches.length > 0) await this.#options.verify?.(context);
      try {
        this.#offset = replay(this.model, read, this.#offset, where);
      } catch (error) {
        // Part of the read may be applied: start from scratch next time.
        this.#snapshotKey = undefined;
        throw error;
      }
      this.#tail = read.last;
      this.#seenSize = read.size;
    }
    this.#trusted = token;
  }

  /** Whether a missing `state.json` still means "not initialised yet". */
  #notYet(): boolean {
    return this.#options.uninitialised === true &&
      (this.#snapshotKey === undefined || this.#snapshotKey === NO_SNAPSHOT) &&
      this.model.seq === 0;
  }

  /**
   * A token for what this object has read; {@linkcode FileState.current}
   * differs from it once anyone changes the journal or the snapshot.
   *
   * @returns The token.
   */
  watermark(): string {
    return `${this.#snapshotKey}|${this.#journal}|${this.#seenSize}`;
  }

  /**
   * The directory's current token (see {@linkcode FileState.watermark}).
   *
   * @returns The token.
   */
  async current(): Promise<string> {
    const state = await statIfExists(join(this.#dir, STATE_FILE));
    const key = state ? keyOf(state) : undefined;
    if (!state && this.#snapshotKey === NO_SNAPSHOT) return this.watermark();
    if (key !== this.#snapshotKey) return `${key}`;
    const journal = await statIfExists(join(this.#dir, this.#journal));
    return `${key}|${this.#journal}|${journal?.size}`;
  }

  /**
   * Appends one batch durably, then applies it; compacts when the journal
   * is large. The caller holds the lock and has synced.
   *
   * @param changes The batch.
   * @param context The message prefix (`Cannot write store "/x"`).
   * @throws {StoreError} If the batch is invalid (nothing written) or the
   * write fails (nothing committed).
   */
  async commit(
    changes: readonly StoreChange[],
    context: string,
  ): Promise<void> {
    const model = this.model;
    const { line, batch } = prepareBatch(model.seq + 1, changes);
    checkChanges(model, batch.changes);
    const claim = crashPointArmed("claim") && claimsRuns(model, changes);
    try {
      await appendBatch(
        join(this.#dir, this.#journal),
        this.#offset,
        line,
        claim,
      );
    } catch (error) {
      this.#trusted = undefined;
      throw new StoreError(
        `${context}: ${this.#journal}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    crashPoint("commit.after-sync");
    if (claim) crashPoint("claim.after-sync");
    this.#offset += line.length;
    this.#tail = line;
    this.#seenSize = this.#offset;
    const { deleted } = applyChanges(model, batch.changes, { checked: true });
    for (const id of deleted) {
      delete this.#archived[id];
      await removeIfExists(archivePath(this.#dir, id)).catch(() => {});
    }
  }

  /** Whether the journal has grown enough to compact. */
  get compactDue(): boolean {
    return this.#offset >= this.#compactAt;
  }

  /**
   * Compacts if {@linkcode FileState.compactDue}; a failure is not thrown
   * (the commits are durable; it is tried again after more growth). The
   * caller holds the lock and has synced.
   *
   * @param context The message prefix (`Cannot write store "/x"`).
   * @returns Whether it compacted.
   */
  async compactIfDue(context: string): Promise<boolean> {
    if (!this.compactDue) return false;
    return await this.#compact(context);
  }

  /**
   * Archived ledger entries (not those still in the journal), oldest first.
   *
   * @param job Only this job's entries (`undefined`: every job's).
   * @param context The message prefix (`Cannot read store "/x"`).
   * @returns The entries.
   */
  async archived(
    job: JobId | undefined,
    context: string,
  ): Promise<LedgerEntry[]> {
    const ids = job === undefined ? Object.keys(this.#archived) : [job];
    const items: LedgerItem[] = [];
    for (const id of ids) {
      if (!this.model.jobs.has(id) || !(id in this.#archived)) continue;
      const window = {
        born: this.model.born.get(id) ?? 0,
        maxSeq: this.#archivedLedgerSeq,
      };
      items.push(...await readArchive(this.#dir, id, window, context));
    }
    if (ids.length > 1) items.sort((a, b) => a.seq - b.seq);
    return items.map((item) => item.entry);
  }

  async #compact(context: string): Promise<boolean> {
    try {
      const snapshotBytes = await this.#compactNow(context);
      this.#compactAt = this.#options.compactBytes ??
        Math.max(DEFAULT_COMPACT_BYTES, snapshotBytes);
      return true;
    } catch {
      // The commits are durable; try again after more growth, and
      // re-read the directory before the next write.
      this.#trusted = undefined;
      this.#compactAt = this.#offset +
        (this.#options.compactBytes ?? DEFAULT_COMPACT_BYTES) / 4;
      return false;
    }
  }

  async #compactNow(context: string): Promise<number> {
    const dir = this.#dir;
    const model = this.model;
    const counts: Record<JobId, number> = {};
    for (const [id, count] of Object.entries(this.#archived)) {
      if (model.jobs.has(id)) counts[id] = count;
    }
    // One file per job: write them several at a time (their fsyncs overlap).
    const work = [...model.ledgers].filter(([id, items]) =>
      model.jobs.has(id) && items.length > 0
    );
    const next = work.values();
    const worker = async () => {
      for (const [id, items] of next) {
        counts[id] = await archiveItems(dir, id, items, {
          born: model.born.get(id) ?? 0,
          count: counts[id] ?? 0,
          limit: this.#options.historyLimit,
          context,
        });
      }
    };
    await Promise.all(Array.from({ length: ARCHIVE_WRITERS }, worker));
    crashPoint("compact.after-archive");
    await syncDir(join(dir, LEDGER_DIR));
    crashPoint("compact.after-archive-sync");
    const journal = await createJournal(dir);
    await syncDir(dir);
    crashPoint("compact.after-journal");
    const snapshot = encodeSnapshot({
      seq: model.seq,
      ledgerSeq: model.ledgerSeq,
      journal,
      jobs: [...model.jobs.values()],
      born: Object.fromEntries(model.born),
      archived: counts,
    });
    await atomicWrite(join(dir, STATE_FILE), snapshot, { file: "snapshot" });
    crashPoint("compact.after-snapshot");
    // Committed: the new snapshot and the empty journal are current.
    this.#snapshotKey = undefined;
    this.#journal = journal;
    this.#offset = 0;
    this.#tail = new Uint8Array();
    this.#seenSize = 0;
    this.#archived = counts;
    this.#archivedLedgerSeq = model.ledgerSeq;
    model.ledgers.clear();
    this.#snapshotKey = keyOf(await Deno.stat(join(dir, STATE_FILE)));
    await this.#tidy();
    return snapshot.length;
  }

  /** Removes files no snapshot refers to (the lock is held). */
  async #tidy(): Promise<void> {
    for await (const entry of Deno.readDir(this.#dir)) {
      const name = entry.name;
      if (
        (isJournalName(name) && name !== this.#journal) ||
        TEMP_FILE.test(name)
      ) await removeIfExists(join(this.#dir, name));
    }
    const ledger = join(this.#dir, LEDGER_DIR);
    for await (const entry of Deno.readDir(ledger)) {
      const id = entry.name.replace(/\.jsonl$/, "");
      if (TEMP_FILE.test(entry.name) || !this.model.jobs.has(id)) {
        await removeIfExists(join(ledger, entry.name));
      }
    }
  }
}

function replay(
  model: StoreModel,
  read: JournalRead,
  offset: number,
  where: string,
): number {
  for (const { batch, end } of read.batches) {
    if (batch.seq !== model.seq + 1) {
      throw new StoreError(
        `${where} is corrupt at byte ${offset}: batch ${batch.seq} does not follow batch ${model.seq}`,
      );
    }
    try {
      applyChanges(model, batch.changes);
    } catch (error) {
      throw new StoreError(
        `${where} is corrupt at byte ${offset}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    offset = end;
  }
  return offset;
}

function keyOf(info: Deno.FileInfo): string {
  return [
    info.dev,
    info.ino,
    info.size,
    info.mtime?.getTime(),
    info.ctime?.getTime(),
  ].join(":");
}

/** Whether the changes add a run that the model's job does not have. */
function claimsRuns(model: StoreModel, changes: readonly StoreChange[]) {
  return changes.some((change) => {
    if (change.type !== "job.state") return false;
    const before = model.jobs.get(change.id)?.state.runs ?? [];
    return change.state.runs.some((run) =>
      !before.some((old) => old.runId === run.runId)
    );
  });
}
