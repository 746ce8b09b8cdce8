/**
 * The persistence port. Every backend implements {@linkcode JobStore} and
 * passes the shared contract suite (`tests/store/_store_contract.ts`).
 *
 * A store persists domain records: job definitions with their state, ledger
 * entries and instance heartbeats. It makes no scheduling decisions; the
 * runtime computes new records with pure functions and asks the store to
 * write them, atomically and durably, under the store's lock.
 *
 * @module
 */

import type {
  InstanceRecord,
  JobId,
  JobRecord,
  JobSpec,
  JobState,
  LedgerEntry,
  Target,
} from "../types.ts";
import type { Lock, LockLease } from "../lock/lock.ts";

/** One change in a {@linkcode JobStore.commit}. */
export type StoreChange =
  /** Create a job; the commit fails if the id exists. */
  | { readonly type: "job.create"; readonly job: JobRecord }
  /** Replace a job's definition (its state stays as given in `state`). */
  | {
    readonly type: "job.define";
    readonly spec: JobSpec;
    readonly state: JobState;
  }
  /** Replace a job's state; `state.version` must be the stored version + 1. */
  | { readonly type: "job.state"; readonly id: JobId; readonly state: JobState }
  /** Delete a job and its history. */
  | { readonly type: "job.delete"; readonly id: JobId }
  /** Append one entry to a job's ledger. */
  | { readonly type: "ledger.append"; readonly entry: LedgerEntry };

/** What an instance can run; it claims only jobs it can run. */
export interface Capabilities {
  /** Names of the function handlers registered in the instance. */
  readonly functions: readonly string[];
  /** Whether it runs command targets. */
  readonly commands: boolean;
  /** Whether it runs module targets. */
  readonly modules: boolean;
}

/**
 * Whether an instance with these capabilities can run a target.
 *
 * @param capabilities What the instance can run.
 * @param target A job's target.
 * @returns True when it can.
 */
export function canRun(capabilities: Capabilities, target: Target): boolean {
  switch (target.kind) {
    case "function":
      return capabilities.functions.includes(target.name);
    case "command":
      return capabilities.commands;
    case "module":
      return capabilities.modules;
  }
}

/** The output of one attempt of a command or module run (size-capped). */
export interface RunLog {
  /** The job. */
  readonly job: JobId;
  /** The run the attempt belongs to. */
  readonly runId: string;
  /** 1-based attempt number. */
  readonly attempt: number;
  /** The slot the run is for, epoch ms. */
  readonly slot: number;
  /** The instance that ran it. */
  readonly instance: string;
  /** When the attempt started, epoch ms. */
  readonly startedAt: number;
  /** When it ended, epoch ms. */
  readonly finishedAt: number;
  /**
   * The exit code, or `null` when a signal ended the process or it could
   * not be started (see `error`).
   */
  readonly exitCode: number | null;
  /** The signal that ended the process, if one did. */
  readonly signal?: string;
  /**
   * Set when the process could not be started: why, on one line (`Cannot
   * start command in "/srv/x": …`). `exitCode` is then `null` and
   * `signal` unset.
   */
  readonly error?: string;
  /** Standard output (the last bytes, if it was cut). */
  readonly stdout: string;
  /** Standard error (the last bytes, if it was cut). */
  readonly stderr: string;
  /** Whether stdout or stderr was cut to the size cap. */
  readonly truncated: boolean;
}

/** A query for {@linkcode JobStore.logs}. */
export interface LogQuery {
  /** Only this run's attempts. */
  readonly runId?: string;
  /** At most this many logs, the newest. */
  readonly limit?: number;
}

/** Which jobs with active runs {@linkcode JobStore.due} returns. */
export interface DueOptions {
  /**
   * Whether an instance is dead: jobs with its runs are returned (their
   * runs need recovery). Without it, no job is returned for its runs alone.
   */
  readonly isDead?: (instance: string) => boolean;
  /** Return every job with active runs (a first claim, or after a failure). */
  readonly all?: boolean;
  /**
   * At most this many jobs due by `until` (the earliest due first); jobs
   * with a backlog or with runs to recover come besides. A store may
   * return more. @default {Infinity}
   */
  readonly limit?: number;
}

/** Options for {@linkcode JobStore.read}. */
export interface ReadOptions {
  /**
   * Hold the jobs for the lease, so that another lease's turn on them
   * waits until this one ends (the default). With `false`, read what was
   * last committed without waiting: for jobs the turn looks at but does
   * not change. A store whose lock admits one lease at a time (file,
   * memory) reads the same either way.
   * @default {true}
   */
  readonly lock?: boolean;
}

/** Options for {@linkcode JobStore.nextDueAt}. */
export interface NextDueOptions {
  /**
   * Count jobs whose backlog could start now. An instance with no free
   * capacity asks without them: it can only advance schedules.
   * @default {true}
   */
  readonly backlog?: boolean;
}

/** Who asks for an instance id (see {@linkcode JobStore.holdInstance}). */
export interface InstanceHolder {
  /** The asking process's incarnation (a per-process nonce). */
  readonly incarnation: string;
  /** Its process id, shown to a process that is refused the id. */
  readonly pid?: number;
  /** Its host name, shown to a process that is refused the id. */
  readonly host?: string;
}

/**
 * An instance id held for the life of a process. Disposing it (or calling
 * `release()`) gives the id up.
 */
export interface InstanceHold extends AsyncDisposable {
  /** The instance id. */
  readonly id: string;
  /**
   * Whether the hold still stands. A store that can lose a hold without
   * the process dying (a PostgreSQL session whose connection broke, a lock
   * file deleted under it) takes it again when the id is free; false means
   * another process has the id now.
   */
  check(): Promise<boolean>;
  /** Gives the id up; calling it again does nothing. */
  release(): Promise<void>;
}

/** A query for {@linkcode JobStore.history}. */
export interface HistoryQuery {
  /** Only this job's entries. */
  readonly job?: JobId;
  /** At most this many entries, the newest. */
  readonly limit?: number;
}

/**
 * A job store. Methods that take a `lease` must be called while holding
 * `store.lock`; the store may check that the lease is its own and held.
 * Other methods may be called at any time and read committed data.
 *
 * What a lease excludes depends on the store, and either way a turn
 * commits only what it computed from what is stored:
 * - the file and memory stores admit one lease at a time, across every
 *   process sharing the store;
 * - the PostgreSQL store gives each lease a transaction in which the jobs
 *   it reads are held until it ends: `read` waits for jobs another lease
 *   holds, `due` passes over them (another instance is claiming them), so
 *   instances claim side by side.
 */
export interface JobStore extends AsyncDisposable {
  /** The lock every instance of this store shares. */
  readonly lock: Lock;

  /**
   * Paths that hold the store's data (absolute, real paths), which job
   * processes must never read or write: the module runner denies them to
   * every module's child. Unset for a store with no files (memory,
   * PostgreSQL).
   */
  readonly protectedPaths?: readonly string[];

  /**
   * Jobs that need the claim step: those whose `nextDueAt` is at or before
   * `until`, those with a backlog, and those with runs of dead instances
   * (or every job with active runs, with `options.all`). A store may return
   * more (every job with active runs, say); the claim step ignores jobs
   * with nothing to do. Reads the latest committed state, including other
   * processes' commits. A store whose leases run side by side leaves out
   * the jobs another lease holds, except with `options.all`, when it waits
   * for them.
   */
  due(
    lease: LockLease,
    until: number,
    options?: DueOptions,
  ): Promise<JobRecord[]>;

  /**
   * The latest committed records of the given jobs (missing ids omitted),
   * held for the lease unless `options.lock` is false.
   */
  read(
    lease: LockLease,
    ids: readonly JobId[],
    options?: ReadOptions,
  ): Promise<JobRecord[]>;

  /**
   * Applies the changes atomically (all or none) and durably (on disk before
   * it resolves). Fails with `StoreError` on a version conflict, an existing
   * id on create, or a missing id, and then changes nothing.
   */
  commit(lease: LockLease, changes: readonly StoreChange[]): Promise<void>;

  /**
   * The earliest instant at which a job this instance can run needs the
   * claim step: its `nextDueAt`, or any past instant when it has a backlog
   * and no active run. `undefined` when there is none. Needs no lock.
   */
  nextDueAt(
    capabilities: Capabilities,
    options?: NextDueOptions,
  ): Promise<number | undefined>;

  /** Every job, by id. */
  jobs(): Promise<JobRecord[]>;

  /** One job, or `undefined`. */
  job(id: JobId): Promise<JobRecord | undefined>;

  /**
   * Ledger entries, oldest first; each job's open range (`state.openRange`)
   * is included as a range entry.
   */
  history(query?: HistoryQuery): Promise<LedgerEntry[]>;

  /**
   * Keeps the output of one attempt; needs no lock. A store keeps at least
   * the newest 100 logs per job and deletes a job's logs with the job. A
   * log whose job does not exist (a run that ended just after its job was
   * removed) is dropped; saving the same run and attempt again replaces it.
   * Rejects with a `TypeError` when the job id, run id or attempt is
   * invalid.
   */
  saveLog(log: RunLog): Promise<void>;

  /**
   * A job's run logs, oldest first (by start time); at most the newest 100,
   * and none for a job that does not exist.
   */
  logs(job: JobId, query?: LogQuery): Promise<RunLog[]>;

  /**
   * Takes an instance id for the life of the calling process: while the
   * hold stands, no other process (or store object) can hold the same id.
   * The hold ends when it is released, when the store is closed, or when
   * the process dies (the kernel drops a file lock, the server a session).
   * Rejects with a `StoreError` naming the holder (pid, host) when the id is
   * held, and with a `TypeError` when the id is invalid.
   */
  holdInstance(id: string, holder: InstanceHolder): Promise<InstanceHold>;

  /** Writes an instance's heartbeat; needs no lock (each writes its own). */
  heartbeat(instance: InstanceRecord): Promise<void>;

  /** Removes an instance's record (on clean stop, or when found dead). */
  removeInstance(id: string): Promise<void>;

  /** Every registered instance. */
  instances(): Promise<InstanceRecord[]>;

  /**
   * Resolves when jobs may have changed: a commit this store object has not
   * read yet (by any process). Heartbeats do not count. Rejects with the
   * signal's reason when aborted.
   */
  changed?(signal: AbortSignal): Promise<void>;

  /**
   * Calls `listener` with each failure of the store's own background work
   * (a file store's compaction), which the store tries again by itself.
   * Returns a function that stops the calls.
   */
  onProblem?(listener: (error: Error) => void): () => void;

  /** Releases resources. Idempotent. */
  close(): Promise<void>;
}
