/**
 * One file store object's view of the directory: the model built from the
 * snapshot and the journal, kept current by reading only new journal bytes,
 * plus commit (append one line, one `fdatasync`) and compaction.
 *
 * Commit point of a commit: the `fdatasync` of its journal line; a crash
 * before it leaves a torn tail that readers skip and the next writer cuts.
 *
 * A compaction holds the lock only to rotate the journal: a marker line
 * ends the old journal and names a new, empty one made just before the
 * lock turn (`_journal.ts`); readers follow markers, so the store stays one chain of
 * batches. Outside the lock, the process that rotated (holding the store's
 * compaction lock, so one compacts at a time) archives the ledger entries
 * and writes the snapshot of the model as of the marker, naming the new
 * journal. Its commit point is the rename of the new `state.json` (then the
 * directory fsync); before it, the old snapshot and the chain stay current,
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
  changesOf,
  createJournal,
  type JournalRead,
  prepareBatch,
  readJournal,
  rotationLine,
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
  type Snapshot,
  STATE_FILE,
} from "./_snapshot.ts";
import { crashPoint, crashPointArmed } from "./_crash_points.ts";
import {
  join,
  readWithStat,
  removeIfExists,
  type StagedWrite,
  stageWrite,
  statIfExists,
  syncDir,
} from "./_fs.ts";

const TEMP_FILE = /^\..+\.[0-9a-f]{16}\.tmp$/;
const LOAD_ATTEMPTS = 5;
const DEFAULT_COMPACT_BYTES = 8 * 1024 * 1024;
/**
 * Journal bytes per archive file the last compaction wrote, before the next
 * is due: a file costs several system calls and an fsync, so many jobs with
 * a few entries each wait for a longer journal.
 */
const BYTES_PER_ARCHIVE_FILE = 4096;
/** Archive files written at once during a compaction. */
const ARCHIVE_WRITERS = 16;

/** Tuning of a {@linkcode FileState}. */
export interface FileStateOptions {
  /**
   * Compact once the journal is this large; `undefined`: once it is 8 MiB,
   * as large as the last snapshot, and 4 KiB per archive file the last
   * compaction wrote (so compaction costs O(1) per byte written however
   * many jobs there are).
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

/**
 * The model as of a rotation marker: what the compaction that began there
 * writes outside the lock (the snapshot, naming the marker's next journal,
 * and the ledger items to archive). Job records and ledger items are
 * immutable, so this holds them, not copies.
 */
export interface CompactionPlan extends Snapshot {
  /** Each job's ledger items since the last snapshot. */
  readonly ledgers: readonly (readonly [JobId, readonly LedgerItem[]])[];
}

/** What writing a compaction did (see `FileState.writeCompaction`). */
export interface WrittenCompaction {
  /** Each job's archive size now. */
  readonly archived: Record<JobId, number>;
  /** The snapshot's size in bytes. */
  readonly bytes: number;
  /** How many archive files were written. */
  readonly files: number;
  /** The snapshot, written and synced, not yet renamed into place. */
  readonly snapshot: StagedWrite;
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
      const chain = await readChain(this.#dir, snapshot.journal, context);
      if (!chain) {
        const now = await statIfExists(path);
        if (now && keyOf(now) !== keyOf(file.stat)) continue;
        throw new StoreError(`${context}: ${snapshot.journal} is missing`);
      }
      // Nothing read is used (the model stays as it was) unless the
      // directory is still the one opened.
      await this.#options.verify?.(context);
      this.#trusted = undefined;
      let offset = 0;
      for (const { journal, read } of chain) {
        offset = replay(model, read, 0, `${context}: ${journal}`).offset;
      }
      const last = chain.at(-1)!;
      this.#offset = offset;
      this.model = model;
      this.#snapshotKey = keyOf(file.stat);
      this.#journal = last.journal;
      this.#tail = last.read.last;
      this.#seenSize = last.read.size;
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
    let read = keyOf(info) === this.#snapshotKey
      ? await readJournal(
        join(this.#dir, this.#journal),
        this.#offset,
        context,
        this.#tail,
      )
      : undefined;
    while (true) {
      // A missing or shrunk journal means a compaction we have not seen; a
      // shrunk or replaced one, also a line cut off after we read it.
      if (read === undefined || read.size < this.#offset || read.replaced) {
        await this.load(context);
        break;
      }
      const where = `${context}: ${this.#journal}`;
      if (read.batches.length > 0) await this.#options.verify?.(context);
      let next: string | undefined;
      try {
        ({ offset: this.#offset, next } = replay(
          this.model,
          read,
          this.#offset,
          where,
        ));
      } catch (error) {
        // Part of the read may be applied: start from scratch next time.
        this.#snapshotKey = undefined;
        throw error;
      }
      this.#tail = read.last;
      this.#seenSize = read.size;
      if (next === undefined) break;
      // A rotation marker: the batches go on in the next journal.
      this.#journal = next;
      this.#offset = 0;
      this.#tail = new Uint8Array();
      this.#seenSize = 0;
      read = await readJournal(join(this.#dir, next), 0, context);
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
    const { line, changes: applied } = prepareBatch(model, changes);
    checkChanges(model, applied);
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
    const { deleted } = applyChanges(model, applied, { checked: true });
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

  /**
   * Creates the empty journal a rotation will continue in (durably: the
   * file and the directory are fsynced). Needs no lock: no snapshot or
   * marker names it yet, and a compaction removes it if none comes to.
   *
   * @returns Its file name.
   */
  async newJournal(): Promise<string> {
    const journal = await createJournal(this.#dir);
    await syncDir(this.#dir);
    crashPoint("compact.after-journal");
    return journal;
  }

  /**
   * Begins a compaction if {@linkcode FileState.compactDue}: rotates the
   * journal (a marker ending the old one names the new one) and returns the
   * model as of the marker, for {@linkcode FileState.writeCompaction}. No
   * other rotation is due until {@linkcode FileState.adoptCompaction} or
   * {@linkcode FileState.compactionFailed}. The caller holds the lock and
   * has synced.
   *
   * @param journal The new journal ({@linkcode FileState.newJournal}).
   * @param context The message prefix (`Cannot write store "/x"`).
   * @returns The plan, or `undefined` when no compaction is due.
   * @throws {StoreError} If the marker could not be written (nothing
   * changed).
   */
  async rotate(
    journal: string,
    context: string,
  ): Promise<CompactionPlan | undefined> {
    if (!this.compactDue) return undefined;
    const dir = this.#dir;
    const model = this.model;
    const from = this.#journal;
    try {
      await appendBatch(
        join(dir, from),
        this.#offset,
        rotationLine(model.seq, journal),
      );
    } catch (error) {
      this.#trusted = undefined;
      this.compactionFailed();
      throw new StoreError(`${context}: ${from}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    crashPoint("compact.after-rotate");
    this.#journal = journal;
    this.#offset = 0;
    this.#tail = new Uint8Array();
    this.#seenSize = 0;
    this.#compactAt = Infinity;
    const archived: Record<JobId, number> = {};
    for (const [id, count] of Object.entries(this.#archived)) {
      if (model.jobs.has(id)) archived[id] = count;
    }
    return {
      seq: model.seq,
      ledgerSeq: model.ledgerSeq,
      journal,
      jobs: [...model.jobs.values()],
      born: Object.fromEntries(model.born),
      ledgers: [...model.ledgers]
        .filter(([id, items]) => model.jobs.has(id) && items.length > 0)
        .map(([id, items]) => [id, items.slice()] as const),
      archived,
    };
  }

  /**
   * Writes a compaction begun by {@linkcode FileState.rotate}: the ledger
   * archives, then the snapshot beside `state.json` (its rename, the commit
   * point, is {@linkcode FileState.adoptCompaction}'s). Needs no lock: it
   * reads only the plan, and one process compacts at a time (the caller
   * holds the store's compaction lock).
   *
   * @param plan What the rotation returned.
   * @param context The message prefix (`Cannot write store "/x"`).
   * @returns Each job's archive size, the snapshot's size, the files written.
   */
  async writeCompaction(
    plan: CompactionPlan,
    context: string,
  ): Promise<WrittenCompaction> {
    const dir = this.#dir;
    const counts = { ...plan.archived };
    // One file per job: write them several at a time (their fsyncs overlap).
    const next = plan.ledgers.values();
    const worker = async () => {
      for (const [id, items] of next) {
        counts[id] = await archiveItems(dir, id, items, {
          born: plan.born[id] ?? 0,
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
    const { ledgers: _, ...snapshotOf } = plan;
    const snapshot = encodeSnapshot({ ...snapshotOf, archived: counts });
    const staged = await stageWrite(join(dir, STATE_FILE), snapshot, {
      file: "snapshot",
    });
    return {
      archived: counts,
      bytes: snapshot.length,
      files: plan.ledgers.length,
      snapshot: staged,
    };
  }

  /**
   * Commits a compaction that {@linkcode FileState.writeCompaction} wrote
   * (renames its snapshot into place) and takes it in: the entries it
   * archived leave the model's ledgers, and the new snapshot becomes the
   * one this view continues. Called where this object's other calls wait
   * (so none sees the new snapshot before this view has taken it in, and
   * reloads it: seconds for a large store).
   *
   * @param plan The compaction's plan.
   * @param written What writing it returned.
   */
  async adoptCompaction(
    plan: CompactionPlan,
    written: WrittenCompaction,
  ): Promise<void> {
    await written.snapshot.commit();
    crashPoint("compact.after-snapshot");
    const model = this.model;
    this.#archived = {};
    for (const [id, count] of Object.entries(written.archived)) {
      if (model.jobs.has(id)) this.#archived[id] = count;
    }
    this.#archivedLedgerSeq = plan.ledgerSeq;
    for (const [id, items] of model.ledgers) {
      const rest = items.filter((item) => item.seq > plan.ledgerSeq);
      if (rest.length === 0) model.ledgers.delete(id);
      else if (rest.length < items.length) model.ledgers.set(id, rest);
    }
    const info = await statIfExists(join(this.#dir, STATE_FILE));
    // Unknown: the next read loads the snapshot again.
    this.#snapshotKey = info ? keyOf(info) : undefined;
    this.#compactAt = this.#options.compactBytes ??
      Math.max(
        DEFAULT_COMPACT_BYTES,
        written.bytes,
        written.files * BYTES_PER_ARCHIVE_FILE,
      );
  }

  /** A compaction failed: try again after more growth. */
  compactionFailed(): void {
    this.#compactAt = this.#offset +
      (this.#options.compactBytes ?? DEFAULT_COMPACT_BYTES) / 4;
  }

  /**
   * Removes files no snapshot refers to, after a compaction was adopted:
   * older journals, archives of jobs that are gone, and temporary files of
   * archives and snapshots. Needs no lock (only the compaction writes these).
   */
  async tidy(): Promise<void> {
    for await (const entry of Deno.readDir(this.#dir)) {
      const name = entry.name;
      if (
        (isJournalName(name) && name !== this.#journal) ||
        (TEMP_FILE.test(name) && name.startsWith(`.${STATE_FILE}.`))
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

/**
 * Reads a journal and the journals its rotation markers lead to.
 *
 * @returns Each journal's read, or `undefined` if one of them is missing
 * (a compaction removed it: load again).
 */
async function readChain(
  dir: string,
  first: string,
  context: string,
): Promise<{ journal: string; read: JournalRead }[] | undefined> {
  const chain: { journal: string; read: JournalRead }[] = [];
  let journal: string | undefined = first;
  while (journal !== undefined) {
    const read = await readJournal(join(dir, journal), 0, context);
    if (!read) return undefined;
    chain.push({ journal, read });
    journal = read.batches.at(-1)?.batch.next;
  }
  return chain;
}

function replay(
  model: StoreModel,
  read: JournalRead,
  offset: number,
  where: string,
): { offset: number; next?: string } {
  let next: string | undefined;
  for (const { batch, end } of read.batches) {
    if (next !== undefined) {
      throw new StoreError(
        `${where} is corrupt at byte ${offset}: a batch follows the rotation to ${next}`,
      );
    }
    // A rotation marker repeats the number of the batch before it: it
    // changes nothing (a watcher must not take it for a commit).
    const marker = batch.next !== undefined;
    if (batch.seq !== model.seq + (marker ? 0 : 1)) {
      throw new StoreError(
        `${where} is corrupt at byte ${offset}: batch ${batch.seq} does not follow batch ${model.seq}`,
      );
    }
    if (marker) {
      offset = end;
      next = batch.next;
      continue;
    }
    try {
      applyChanges(model, changesOf(model, batch));
    } catch (error) {
      throw new StoreError(
        `${where} is corrupt at byte ${offset}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    offset = end;
  }
  return next === undefined ? { offset } : { offset, next };
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
