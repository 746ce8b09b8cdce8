/**
 * The embedded default backend: a directory shared by any number of
 * processes on one machine.
 *
 * Layout (directory 0700, files 0600):
 * - `tock.json`: the marker, `{"format":"tock-file-store","version":2}`;
 * - `lock`: the lock file (`flock`-style lock, never written);
 * - `compact.lock`: held by the process compacting, outside `lock`;
 * - `state.json`: a snapshot of every job record, plus the name of the
 *   journal that continues it and the sequence numbers;
 * - `journal-<hex>.jsonl`: one line per commit, appended and `fdatasync`ed
 *   (job states as what changed); a compaction ends it with a marker
 *   naming the journal that continues it;
 * - `ledger/<job>.jsonl`: archived ledger entries, filled by compaction;
 * - `instances/<id>.json`: one heartbeat file per instance;
 * - `logs/<job>/<runId>-<attempt>.json`: run logs, the newest 100 per job
 *   (a few more on disk between trims); deleted with their job, and a log
 *   saved when its job no longer exists is dropped.
 *
 * Every store object keeps the model in memory and catches up by reading
 * only the journal bytes it has not seen (and reloads when the snapshot was
 * replaced), so a claim costs in proportion to the jobs it changes, not to
 * the number of jobs or the length of the history.
 *
 * Over 400 lines on purpose: it is the whole `JobStore` contract for the
 * file backend; each method is a short delegation to the `_*.ts` modules
 * beside it, with the lock, lease and closed checks in one place.
 *
 * @module
 */

import { StoreError } from "../../errors.ts";
import type { Lock, LockLease } from "../../lock/lock.ts";
import { createFileLock } from "../../lock/file_lock.ts";
import { refusingLock } from "../../lock/refusing_lock.ts";
import type {
  InstanceRecord,
  JobId,
  JobRecord,
  LedgerEntry,
} from "../../types.ts";
import type {
  Capabilities,
  DueOptions,
  HistoryQuery,
  InstanceHold,
  InstanceHolder,
  JobStore,
  LogQuery,
  NextDueOptions,
  RunLog,
  StoreChange,
} from "../store.ts";
import { type TrackedLock, trackLeases } from "../_leases.ts";
import {
  allRecords,
  dueRecords,
  finishHistory,
  memoryItems,
  nextDueAt,
  readRecords,
} from "../_state.ts";
import { COMPACT_LOCK_FILE, LOCK_FILE, prepareDir } from "./_open.ts";
import { type DirIdentity, guardedLock, verifyDir } from "./_guard.ts";
import {
  deleteInstance,
  INSTANCES_DIR,
  readInstances,
  writeInstance,
} from "./_instances.ts";
import { assertInstanceId } from "../_ids.ts";
import {
  type CompactionPlan,
  FileState,
  type WrittenCompaction,
} from "./_state.ts";
import { STATE_FILE } from "./_snapshot.ts";
import { LOGS_DIR, LogWriter, readLogs } from "./_logs.ts";
import { checkLog, checkLogJob, selectLogs } from "../_logs.ts";
import { join, removeIfExists } from "./_fs.ts";
import { watchDir } from "./_watch.ts";
import { holdFileInstance, removeStaleHold } from "./_hold.ts";
import { HoldSet } from "../_instance_hold.ts";
import { withStoreLock } from "../with_store_lock.ts";

/** With file events, the safety poll runs this many times less often. */
const WATCHED_POLL_FACTOR = 20;

/** Options for {@linkcode createFileStore}. */
export interface FileStoreOptions {
  /** The store directory; created (0700) if missing. */
  readonly dir: string;
  /**
   * Compact (move ledger entries to the archives and write a new snapshot)
   * once the journal is this large. By default, once it is 8 MiB, at least
   * as large as the last snapshot, and 4 KiB per archive file the last
   * compaction wrote, so that compaction costs O(1) per byte written
   * however many jobs the store holds. After the commit that crossed the
   * threshold, it rotates the journal in a lock turn of its own and writes
   * the rest outside the lock.
   *
   * @default {8 MiB, or more for a large store (see above)}
   */
  readonly compactBytes?: number;
  /**
   * Archived ledger entries kept per job; older ones are pruned at
   * compaction (the counters in the job state keep counting).
   *
   * @default {10000}
   */
  readonly historyLimit?: number;
  /**
   * How often `changed()` looks at the directory, in milliseconds, where
   * file events are not available; with them (Linux, macOS, Windows) it
   * looks only when an event arrives, and every 20 × this as a safety net.
   *
   * @default {250}
   */
  readonly pollMs?: number;
  /**
   * Open without writing anything: no directory, lock file or probe file
   * is created and nothing is compacted, so a store directory this process
   * may not write can be read. The directory must exist; one no process
   * has initialised yet reads as empty. Taking the lock, committing,
   * heartbeats and saving logs fail with a `StoreError`. Without
   * `--allow-sys=uid`, the directory's owner is not checked.
   *
   * @default {false}
   */
  readonly readOnly?: boolean;
}

/**
 * Opens (and, in an empty or missing directory, creates) a file store.
 *
 * @param options See {@linkcode FileStoreOptions}.
 * @returns The store; its lock is a file lock on `<dir>/lock`.
 * @throws {StoreError} If the directory is owned by another user, writable
 * by group or others, not a tock store, from a newer tock, or corrupt.
 *
 * @example Open a store in a temporary directory
 * ```ts
 * import { createFileStore } from "./file_store.ts";
 *
 * const dir = await Deno.makeTempDir();
 * {
 *   await using store = await createFileStore({ dir: `${dir}/.tock` });
 *   console.assert((await store.jobs()).length === 0);
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function createFileStore(
  options: FileStoreOptions,
): Promise<JobStore> {
  const dir = options.dir.replace(/(.)\/+$/, "$1");
  const readOnly = options.readOnly ?? false;
  // Known once the directory is open; re-checked whenever the store reads
  // new data or takes its lock, so that a directory swapped in at the path
  // is never read or written as ours.
  const opened: { identity?: DirIdentity } = {};
  const verify = (context: string) =>
    opened.identity
      ? verifyDir(dir, opened.identity, context)
      : Promise.resolve();
  const leases = trackLeases(
    readOnly
      ? refusingLock(() => readOnlyError(dir, "take the lock of"))
      : guardedLock(
        createFileLock(join(dir, LOCK_FILE)),
        () => verify(`Cannot lock store "${dir}"`),
      ),
  );
  const prepared = await prepareDir(
    dir,
    leases.lock,
    `Cannot open store "${dir}"`,
    { readOnly },
  );
  opened.identity = prepared.identity;
  const state = new FileState(dir, {
    compactBytes: options.compactBytes,
    historyLimit: options.historyLimit ?? 10_000,
    verify,
    uninitialised: !prepared.initialised,
  });
  await state.load(`Cannot open store "${dir}"`);
  // Job processes must never read or write it: by its real path, and by
  // the path given (Deno checks a module's permissions on paths as written).
  const real = await Deno.realPath(dir).catch(() => dir);
  return new FileStore(dir, leases, state, options.pollMs ?? 250, {
    readOnly,
    verify,
    protectedPaths: dir.startsWith("/") && dir !== real ? [real, dir] : [real],
  });
}

/**
 * Resolves once a file store has no compaction under way; at once for any
 * other store. For tests: a compaction writes outside the lock, after the
 * lock turn that began it.
 *
 * @param store A store.
 */
export async function compactionSettled(store: JobStore): Promise<void> {
  if (store instanceof FileStore) await store.compactionSettled();
}

function readOnlyError(dir: string, action: string): StoreError {
  return new StoreError(
    `Cannot ${action} store "${dir}": it was opened read-only`,
  );
}

/** How a {@linkcode FileStore} may use its directory. */
interface DirAccess {
  readonly readOnly: boolean;
  /** Throws unless the directory is still the one opened. */
  verify(context: string): Promise<void>;
  /** See {@linkcode JobStore.protectedPaths}. */
  readonly protectedPaths: readonly string[];
}

class FileStore implements JobStore {
  #dir: string;
  #leases: TrackedLock;
  #state: FileState;
  #pollMs: number;
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();
  #watchers = new Set<(error: Error) => void>();
  #compaction: Promise<void> | undefined;
  /** The compaction's rotation holds a lease (not a caller's). */
  #compacting = false;
  /** Held by the one process that compacts, from rotation to tidy. */
  #compactLock: Lock;
  #problemListeners = new Set<(error: Error) => void>();
  #holds = new HoldSet();
  #logs: LogWriter;

  #access: DirAccess;

  /** The store directory's real path (and its path as given). */
  readonly protectedPaths: readonly string[];

  constructor(
    dir: string,
    leases: TrackedLock,
    state: FileState,
    pollMs: number,
    access: DirAccess,
  ) {
    this.#access = access;
    this.protectedPaths = access.protectedPaths;
    this.#dir = dir;
    this.#logs = new LogWriter(dir);
    this.#leases = leases;
    this.#state = state;
    this.#pollMs = pollMs;
    this.#compactLock = createFileLock(join(dir, COMPACT_LOCK_FILE));
  }

  get lock() {
    return this.#leases.lock;
  }

  due(
    lease: LockLease,
    until: number,
    options?: DueOptions,
  ): Promise<JobRecord[]> {
    return this.#locked(
      lease,
      "read due jobs",
      (state) => Promise.resolve(dueRecords(state.model, until, options)),
    );
  }

  read(lease: LockLease, ids: readonly JobId[]): Promise<JobRecord[]> {
    return this.#locked(
      lease,
      "read jobs",
      (state) => Promise.resolve(readRecords(state.model, ids)),
    );
  }

  commit(lease: LockLease, changes: readonly StoreChange[]): Promise<void> {
    return this.#locked(lease, "commit", async (state) => {
      this.#writable("commit to");
      await state.commit(changes, this.#context("write"));
      // Committed: the logs of deleted jobs go (a created id's leftover
      // logs, saved by a run that raced the delete, too). A failure here
      // leaves files behind but does not undo the commit.
      const ids = changes.flatMap((change) =>
        change.type === "job.delete"
          ? [change.id]
          : change.type === "job.create"
          ? [change.job.spec.id]
          : []
      );
      if (ids.length > 0) await this.#logs.delete(ids).catch(() => {});
      if (state.compactDue) this.#compactSoon();
    });
  }

  nextDueAt(
    capabilities: Capabilities,
    options: NextDueOptions = {},
  ): Promise<number | undefined> {
    return this.#read(
      "read due times",
      (state) => nextDueAt(state.model, capabilities, options.backlog ?? true),
    );
  }

  jobs(): Promise<JobRecord[]> {
    return this.#read("list jobs", (state) => allRecords(state.model));
  }

  job(id: JobId): Promise<JobRecord | undefined> {
    return this.#read("read job", (state) => state.model.jobs.get(id));
  }

  history(query: HistoryQuery = {}): Promise<LedgerEntry[]> {
    return this.#serial("read history", async () => {
      const state = this.#state;
      await state.sync(this.#context("read"));
      const model = state.model;
      const recent = memoryItems(model, query.job).map((item) => item.entry);
      const open = query.job === undefined
        ? [...model.jobs.values()].filter((r) => r.state.openRange).length
        : model.jobs.get(query.job)?.state.openRange
        ? 1
        : 0;
      const enough = query.limit !== undefined &&
        recent.length + open >= query.limit;
      const archived = enough
        ? []
        : await state.archived(query.job, this.#context("read"));
      return finishHistory(model, archived.concat(recent), query);
    });
  }

  async saveLog(log: RunLog): Promise<void> {
    // The file is written outside this object's queue, where a claim
    // holding the lock would wait for it; a commit that deletes the job
    // waits for it instead (see `LogWriter.delete`).
    const writing = await this.#serial("save run log", async () => {
      checkLog(log);
      this.#writable("save a run log in");
      await this.#state.sync(this.#context("read"));
      // A run may end right after its job was removed: drop its log.
      if (!this.#state.model.jobs.has(log.job)) return undefined;
      return { done: this.#logs.write(log) };
    });
    try {
      await writing?.done;
    } catch (error) {
      const file = `${log.runId}-${log.attempt}.json`;
      throw this.#writeError(join(LOGS_DIR, log.job, file), error);
    }
  }

  logs(job: JobId, query: LogQuery = {}): Promise<RunLog[]> {
    return this.#serial("read run logs", async () => {
      checkLogJob(job);
      await this.#state.sync(this.#context("read"));
      if (!this.#state.model.jobs.has(job)) return [];
      return selectLogs(await readLogs(this.#dir, job), query);
    });
  }

  async holdInstance(
    id: string,
    holder: InstanceHolder,
  ): Promise<InstanceHold> {
    this.#open("take instance id");
    this.#writable("take an instance id in");
    await this.#access.verify(this.#context("write"));
    const hold = await holdFileInstance(this.#dir, id, holder);
    // A check may take the id again: never in a directory swapped in.
    return this.#holds.track(hold, async () => {
      await this.#access.verify(this.#context("write"));
      return await hold.check();
    });
  }

  async heartbeat(instance: InstanceRecord): Promise<void> {
    this.#open("write heartbeat");
    assertInstanceId(instance?.id, "write heartbeat");
    this.#writable("write a heartbeat in");
    await this.#access.verify(this.#context("write"));
    try {
      await writeInstance(this.#dir, instance);
    } catch (error) {
      const file = join(INSTANCES_DIR, `${instance.id}.json`);
      throw this.#writeError(file, error);
    }
  }

  async removeInstance(id: string): Promise<void> {
    this.#open("remove instance");
    this.#writable("remove an instance from");
    await this.#access.verify(this.#context("write"));
    await deleteInstance(this.#dir, id);
    await removeStaleHold(this.#dir, id);
  }

  async instances(): Promise<InstanceRecord[]> {
    this.#open("list instances");
    await this.#access.verify(this.#context("read"));
    try {
      return await readInstances(this.#dir);
    } catch (error) {
      // A store opened read-only before anyone initialised it.
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
  }

  changed(signal: AbortSignal): Promise<void> {
    try {
      this.#open("watch for changes");
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    // Commits this object has not read yet count as changes. Heartbeats do
    // not: waking every instance at every heartbeat of every other would be
    // polling by another name (the runtime watches heartbeats itself).
    // Counted in commits, not file identities: this object's own compaction
    // replaces files but changes no job.
    const seen = this.#state.model.seq;
    const moved = async () => {
      if (this.#state.model.seq > seen) return true;
      if ((await this.#state.current()) === this.#state.watermark()) {
        return false;
      }
      await this.#read("watch for changes", () => undefined);
      return this.#state.model.seq > seen;
    };
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let polling = false;
      let again = false;
      let outcome: (() => void) | undefined;
      // File events wake the check at once; the timer is a safety net (a
      // slow one while events arrive, the only one where they cannot).
      const watch = watchDir(this.#dir, () => {
        if (outcome) return;
        if (polling) again = true;
        else {
          clearTimeout(timer);
          poll();
        }
      });
      const every = watch ? this.#pollMs * WATCHED_POLL_FACTOR : this.#pollMs;
      const settle = () => {
        // Neither a stat nor the watch's read is left pending (no leaked op).
        if (polling || !outcome) return;
        const done = outcome;
        void (watch?.done ?? Promise.resolve()).then(done);
      };
      const finish = (end: () => void) => {
        if (outcome) return;
        outcome = end;
        clearTimeout(timer);
        watch?.close();
        signal.removeEventListener("abort", onAbort);
        this.#watchers.delete(onClose);
        settle();
      };
      const onAbort = () => finish(() => reject(signal.reason));
      const onClose = (error: Error) => finish(() => reject(error));
      const poll = async () => {
        polling = true;
        let changed = false;
        let failure: { error: unknown } | undefined;
        try {
          changed = await moved();
        } catch (error) {
          failure = { error };
        }
        polling = false;
        if (outcome) return settle();
        if (failure) return finish(() => reject(failure.error));
        if (changed) return finish(resolve);
        if (again) {
          again = false;
          return poll();
        }
        timer = setTimeout(poll, every);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#watchers.add(onClose);
      poll();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Finish a compaction that is due (a short-lived process, `tock add`,
    // would otherwise never compact), unless a lease of ours is still held.
    const others = this.#leases.held - (this.#compacting ? 1 : 0);
    if (this.#compaction && others === 0) await this.#compaction;
    if (this.#closed) return;
    this.#closed = true;
    const error = new StoreError(
      `Cannot use store "${this.#dir}": it was closed`,
    );
    for (const stop of [...this.#watchers]) stop(error);
    await this.#holds.releaseAll();
    await this.#queue;
    await this.#leases.close(error);
    await this.#compaction;
    await this.#logs.settled();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Resolves once no compaction is under way (for tests). */
  async compactionSettled(): Promise<void> {
    while (this.#compaction) await this.#compaction;
  }

  onProblem(listener: (error: Error) => void): () => void {
    this.#problemListeners.add(listener);
    return () => this.#problemListeners.delete(listener);
  }

  /**
   * Compacts after the commit that made the journal large, so the claim
   * step that crossed the threshold does not pay for it. Only the rotation
   * takes the lock (a turn of its own); the archives and the snapshot are
   * written outside it. A failure is reported to the problem listeners and
   * tried again after more growth.
   */
  #compactSoon(): void {
    this.#compaction ??= this.#compact().catch((error) => {
      if (this.#closed) return;
      for (const listener of this.#problemListeners) listener(error);
    }).finally(() => {
      this.#compaction = undefined;
    });
  }

  async #compact(): Promise<void> {
    const context = this.#context("write");
    // Another process is compacting: it will take this growth too.
    await using turn = await this.#compactLock.tryAcquire();
    if (!turn) return;
    const state = this.#state;
    // Its file and directory fsyncs stay out of the lock turn.
    const journal = await state.newJournal().catch(async (error) => {
      await this.#compactionFailed();
      throw this.#writeError("journal", error);
    });
    let plan: CompactionPlan | undefined;
    await withStoreLock(this.#leases, {}, async (lease) => {
      this.#compacting = true;
      try {
        plan = await this.#locked(
          lease,
          "compact",
          (s) => s.rotate(journal, context),
        );
      } finally {
        this.#compacting = false;
      }
    });
    if (!plan) {
      await removeIfExists(join(this.#dir, journal)).catch(() => {});
      return;
    }
    let written: WrittenCompaction | undefined;
    try {
      written = await state.writeCompaction(plan, context);
      const done = written;
      await this.#serial("compact", () => state.adoptCompaction(plan!, done));
    } catch (error) {
      await written?.snapshot.discard();
      await this.#compactionFailed();
      throw error instanceof StoreError ? error : this.#writeError(
        STATE_FILE,
        error,
      );
    }
    await state.tidy().catch(() => {});
  }

  /** Tries compacting again after more growth (see `FileState`). */
  async #compactionFailed(): Promise<void> {
    await this.#serial(
      "compact",
      () => Promise.resolve(this.#state.compactionFailed()),
    ).catch(() => {});
  }

  #context(verb: string): string {
    return `Cannot ${verb} store "${this.#dir}"`;
  }

  /** A failed write, as a one-line error naming the file. */
  #writeError(file: string, error: unknown): StoreError {
    const message = error instanceof Error ? error.message : String(error);
    return new StoreError(`${this.#context("write")}: ${file}: ${message}`, {
      cause: error,
    });
  }

  /** Throws in a read-only store. */
  #writable(action: string): void {
    if (this.#access.readOnly) throw readOnlyError(this.#dir, action);
  }

  #open(action: string): void {
    if (this.#closed) {
      throw new StoreError(
        `Cannot ${action}: store "${this.#dir}" is closed`,
      );
    }
  }

  /** Runs `fn` after every earlier call of this object (one model user). */
  #serial<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      this.#open(action);
    } catch (error) {
      return Promise.reject(error);
    }
    const run = this.#queue.then(() => {
      this.#open(action);
      return fn();
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  #read<T>(action: string, fn: (state: FileState) => T): Promise<T> {
    return this.#serial(action, async () => {
      await this.#state.sync(this.#context("read"));
      return fn(this.#state);
    });
  }

  #locked<T>(
    lease: LockLease,
    action: string,
    fn: (state: FileState) => Promise<T>,
  ): Promise<T> {
    return this.#serial(action, async () => {
      this.#leases.check(lease, action);
      await this.#state.sync(this.#context("read"), lease);
      return await fn(this.#state);
    });
  }
}
