/**
 * The public shape of a tock instance: what `createScheduler()` takes and
 * what it returns (the implementation is in `scheduler.ts`).
 *
 * @module
 */

import type { JobRecord, LedgerEntry } from "../types.ts";
import type { HistoryQuery, JobStore } from "../store/store.ts";
import type { Clock } from "../clock.ts";
import type { JobInput } from "../jobs/define_job.ts";
import type { TriggerResult } from "../turns/job_controls.ts";
import type { JobHandler, TargetRunner } from "../executors/run_handler.ts";

/** Options for `createScheduler()`. */
export interface SchedulerOptions {
  /** Where jobs, their state and the ledger live (shared by instances). */
  readonly store: JobStore;
  /**
   * Time source; tests pass a `FakeClock`.
   *
   * @default {systemClock}
   */
  readonly clock?: Clock;
  /**
   * This instance's id. It is exclusive: the scheduler holds it in the
   * store for its whole life (`JobStore.holdInstance`), and
   * `createScheduler()` rejects with a `StoreError` while another live
   * scheduler, in this process or another, holds it.
   *
   * @default {"<host>-<pid>-<random>"}
   */
  readonly instance?: string;
  /**
   * Most runs this instance executes at once.
   *
   * @default {8}
   */
  readonly maxParallel?: number;
  /** Function handlers by name (jobs with `run: name`). */
  readonly handlers?: Readonly<Record<string, JobHandler>>;
  /** Runners for command and module jobs (the command line supplies them). */
  readonly runners?: {
    readonly command?: TargetRunner;
    readonly module?: TargetRunner;
  };
  /**
   * Interval between this instance's heartbeats, in ms (each also reads the
   * other instances' heartbeats). Three beats fit in the default lease;
   * a beat costs about a millisecond of CPU on the file store, so this
   * keeps an idle instance under 0.1% of a core.
   *
   * @default {3000}
   */
  readonly heartbeatMs?: number;
  /**
   * An instance whose heartbeat stands still this many ms is judged dead.
   *
   * @default {10000}
   */
  readonly leaseMs?: number;
  /**
   * How long, in ms, `stop()` lets running jobs finish before cancelling them.
   *
   * @default {10000}
   */
  readonly gracePeriodMs?: number;
  /**
   * Longest sleep between claims when nothing is due, in ms.
   *
   * @default {30000}
   */
  readonly maxSleepMs?: number;
  /**
   * Claim a slot up to this many ms before it is due (when nothing of its
   * job is running), so that the durable claim is done when the slot
   * arrives and the run starts on time; `0` claims at the due time. When
   * claims take longer, the lookahead grows to twice the slowest of the
   * last 16 claims (at most 2 s).
   *
   * @default {250}
   */
  readonly lookaheadMs?: number;
  /**
   * The most jobs one claim changes. When more are due at once (a burst),
   * the earliest go first and the scheduler claims again at once, so the
   * first runs start while later claims take the rest.
   *
   * @default {1000}
   */
  readonly maxJobsPerClaim?: number;
  /** Stops the scheduler when aborted. */
  readonly signal?: AbortSignal;
  /**
   * Claim until nothing more is due now, then only run what was claimed:
   * no later slot, new job or manual trigger is claimed (`tock tick`).
   * `idle()` resolves once those runs have ended.
   *
   * @default {false}
   */
  readonly once?: boolean;
}

/** A job as {@linkcode Scheduler.add} takes it: a `handler` may be inline. */
export type SchedulerJobInput =
  & Omit<JobInput, "run">
  & { readonly run?: string; readonly handler?: JobHandler };

/** A running tock instance. Dispatches `TockEvent`s (`events.ts`). */
export interface Scheduler extends EventTarget, AsyncDisposable {
  /** This instance's id. */
  readonly instance: string;
  /**
   * This scheduler's incarnation: a nonce drawn when it was created and
   * written on every run it claims (an instance id outlives processes).
   */
  readonly incarnation: string;
  /**
   * Registers a function handler under a name, replacing any earlier one.
   *
   * @param name The name jobs give in `run`.
   * @param handler Called for each attempt of those jobs.
   * @throws {TypeError} When `handler` is not a function.
   */
  handle(name: string, handler: JobHandler): void;
  /**
   * Unregisters a function handler: from its next claim on, this instance
   * no longer claims the jobs that name it. Their attempts already running
   * here go on; a later retry of such a run fails, as no handler is left.
   *
   * @param name The name given to {@linkcode Scheduler.handle}.
   * @returns Whether a handler of that name was registered.
   */
  unhandle(name: string): boolean;
  /**
   * Creates a job (an inline `handler` is registered under the job's id).
   *
   * @param input The job.
   * @returns The stored record.
   * @throws {TypeError | SyntaxError | RangeError} On bad input (nothing stored).
   * @throws {StoreError} When the id exists.
   * @throws {SchedulerClosedError} After `stop()`.
   */
  add(input: SchedulerJobInput): Promise<JobRecord>;
  /**
   * Changes a job's definition; its state and history stay.
   *
   * @param id The job.
   * @param patch The fields to change.
   * @returns The new record.
   * @throws {JobNotFoundError} When the job does not exist.
   * @throws {SchedulerClosedError} After `stop()`.
   */
  update(id: string, patch: Partial<JobInput>): Promise<JobRecord>;
  /**
   * Deletes a job and its history.
   *
   * @param id The job.
   * @returns Resolves once the deletion is committed.
   * @throws {JobNotFoundError} When the job does not exist.
   * @throws {SchedulerClosedError} After `stop()`.
   */
  remove(id: string): Promise<void>;
  /**
   * Pauses a job; its slots are recorded `skipped` until it is resumed.
   *
   * @param id The job.
   * @param options `note`: why the job is paused, kept in its state.
   * @returns The new record.
   * @throws {JobNotFoundError} When the job does not exist.
   * @throws {SchedulerClosedError} After `stop()`.
   */
  pause(id: string, options?: { readonly note?: string }): Promise<JobRecord>;
  /**
   * Resumes a paused job; the slots it skipped are not replayed.
   *
   * @param id The job.
   * @returns The new record.
   * @throws {JobNotFoundError} When the job does not exist.
   * @throws {SchedulerClosedError} After `stop()`.
   */
  resume(id: string): Promise<JobRecord>;
  /**
   * Runs a job now (a manual slot), subject to its overlap policy unless
   * forced; a trigger while one is still pending returns that one.
   *
   * @param id The job.
   * @param options `force`: run even if the job is running.
   * @returns Whether the run was queued, a duplicate, or skipped.
   * @throws {JobNotFoundError} When the job does not exist.
   * @throws {SchedulerClosedError} After `stop()`.
   */
  trigger(
    id: string,
    options?: { readonly force?: boolean },
  ): Promise<TriggerResult>;
  /**
   * Reads one job.
   *
   * @param id The job.
   * @returns Its record, or `undefined` when it does not exist.
   */
  job(id: string): Promise<JobRecord | undefined>;
  /**
   * Reads every job.
   *
   * @returns Every job record in the store.
   */
  jobs(): Promise<JobRecord[]>;
  /**
   * Reads the ledger.
   *
   * @param query Optionally one job's entries, and at most the newest `limit`.
   * @returns The entries, oldest first.
   */
  history(query?: HistoryQuery): Promise<LedgerEntry[]>;
  /**
   * Waits until this instance is waiting with no run in progress here.
   *
   * @returns Resolves then, or at once when the scheduler has stopped.
   */
  idle(): Promise<void>;
  /**
   * Stops claiming, lets runs finish within the grace, cancels the rest.
   *
   * @param options `graceMs`: overrides {@linkcode SchedulerOptions.gracePeriodMs}.
   * @returns Resolves when every run has ended and the heartbeat has stopped.
   */
  stop(options?: { readonly graceMs?: number }): Promise<void>;
  /**
   * Same as `stop()` with the default grace.
   *
   * @returns Resolves when the scheduler has stopped.
   */
  close(): Promise<void>;
}
