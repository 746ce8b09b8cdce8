/**
 * Changing jobs: add, upsert, update, remove (and, in `job_controls.ts`,
 * pause, resume, trigger, backfill; in `sync_jobs.ts`, a whole jobs file
 * in one commit, through {@linkcode planUpsert}). Each is one short read-modify-write in
 * `withStoreLock()` (never around execution), so it works the same
 * from a running scheduler and from the command line.
 *
 * These free functions are public API (exported from `mod.ts`), next to the
 * scheduler's methods of the same names: a deploy script, an admin tool or
 * the `tock` command line changes jobs in a store without running a
 * scheduler, and a running scheduler on that store sees the change at its
 * next claim. Everything they do is one committed store change, so they
 * carry the same guarantees as the methods.
 *
 * @module
 */

import type { JobRecord, JobState } from "../types.ts";
import type { JobStore, StoreChange } from "../store/store.ts";
import { defineJob, type JobInput, validateJobId } from "../jobs/define_job.ts";
import { initialState, withNextSlot } from "../jobs/job_state.ts";
import { existing, locked, type ManageOptions } from "./job_turn.ts";

/**
 * Creates a job.
 *
 * @param store The store.
 * @param input The job.
 * @param options The current time.
 * @returns The stored record.
 * @throws {TypeError | SyntaxError | RangeError} On bad input (nothing stored).
 * @throws {StoreError} When the id exists.
 * @example Add a daily command job
 * ```ts
 * import { addJob } from "./manage_jobs.ts";
 * import { createMemoryStore } from "../store/memory_store.ts";
 *
 * await using store = createMemoryStore();
 * const job = await addJob(
 *   store,
 *   { id: "report", schedule: "0 6 * * *", cmd: "./report.sh" },
 *   { now: Date.now() },
 * );
 * console.log(job.spec.overlap); // "skip"
 * ```
 */
export async function addJob(
  store: JobStore,
  input: JobInput,
  options: ManageOptions,
): Promise<JobRecord> {
  const spec = defineJob(input, options.now);
  return await locked(store, options, () => {
    const job: JobRecord = {
      spec,
      state: initialState(spec, options.now, input.paused ?? false),
    };
    return Promise.resolve({
      changes: [{ type: "job.create", job }],
      value: job,
    });
  });
}

/** What {@linkcode upsertJob} did. */
export interface UpsertResult {
  /** The job as stored after the call. */
  readonly record: JobRecord;
  /** True when the job did not exist and was created. */
  readonly created: boolean;
  /** True when anything was written (created, or the definition differed). */
  readonly changed: boolean;
}

/**
 * Creates a job, or redefines it keeping its state and history.
 *
 * @param store The store.
 * @param input The job.
 * @param options The current time.
 * @returns The stored record and whether it changed.
 * @throws {TypeError | SyntaxError | RangeError} On bad input (nothing stored).
 * @example Apply the same definition twice
 * ```ts
 * import { upsertJob } from "./manage_jobs.ts";
 * import { createMemoryStore } from "../store/memory_store.ts";
 *
 * await using store = createMemoryStore();
 * const input = { id: "sync", schedule: "every 10m", cmd: "./sync.sh" };
 * await upsertJob(store, input, { now: Date.now() });
 * const again = await upsertJob(store, input, { now: Date.now() });
 * console.log(again.created, again.changed); // false false
 * ```
 */
export async function upsertJob(
  store: JobStore,
  input: JobInput & { readonly source?: string },
  options: ManageOptions,
): Promise<UpsertResult> {
  return await locked<UpsertResult>(store, options, async (read) => {
    const old = await read(validateJobId(input.id));
    const { change, result } = planUpsert(old, input, options.now);
    return { changes: change ? [change] : [], value: result };
  });
}

/** What upserting one job changes: see {@linkcode planUpsert}. */
export interface UpsertPlan {
  /** The change to commit; `undefined` when the job is unchanged. */
  readonly change: StoreChange | undefined;
  /** What {@linkcode upsertJob} reports once the change is committed. */
  readonly result: UpsertResult;
}

/**
 * The change that upserts `input` over the stored job (pure: the part of
 * {@linkcode upsertJob} that runs under the lock, shared with `syncJobs`).
 *
 * @param old The job as stored, or `undefined` when it does not exist.
 * @param input The job.
 * @param now The current time.
 * @returns The change (none when the definition is the same) and the result.
 * @throws {TypeError | SyntaxError | RangeError} On bad input.
 * @example Plan a job that does not exist yet
 * ```ts
 * import { planUpsert } from "./manage_jobs.ts";
 *
 * const input = { id: "sync", schedule: "every 10m", cmd: "./sync.sh" };
 * const { change, result } = planUpsert(undefined, input, Date.now());
 * console.log(change?.type, result.created); // "job.create" true
 * ```
 */
export function planUpsert(
  old: JobRecord | undefined,
  input: JobInput & { readonly source?: string },
  now: number,
): UpsertPlan {
  const base = defineJob(input, old?.state.createdAt ?? now);
  const spec = input.source !== undefined
    ? { ...base, source: input.source }
    : base;
  if (!old) {
    const job = { spec, state: initialState(spec, now, input.paused) };
    return {
      change: { type: "job.create", job },
      result: { record: job, created: true, changed: true },
    };
  }
  if (JSON.stringify(old.spec) === JSON.stringify(spec)) {
    return {
      change: undefined,
      result: { record: old, created: false, changed: false },
    };
  }
  const state = redefined(old, spec, now);
  return {
    change: { type: "job.define", spec, state },
    result: { record: { spec, state }, created: false, changed: true },
  };
}

function redefined(old: JobRecord, spec: JobRecord["spec"], now: number) {
  // The cursor stays: slots of the new schedule after it are still owed,
  // except those before a (new) startAt, which are not slots at all.
  const cursor = spec.startAt !== undefined
    ? Math.max(old.state.cursor, spec.startAt - 1)
    : old.state.cursor;
  const state: JobState = {
    ...withNextSlot(spec, { ...old.state, cursor }),
    version: old.state.version + 1,
    updatedAt: now,
  };
  return state;
}

/**
 * Changes a job's definition; its state and history stay.
 *
 * @param store The store.
 * @param id The job.
 * @param patch The fields to change (as in {@linkcode JobInput}).
 * @param options The current time.
 * @returns The new record.
 * @throws {JobNotFoundError} When the job does not exist.
 * @throws {TypeError | SyntaxError | RangeError} On bad input (nothing stored).
 * @example Change a job's schedule
 * ```ts
 * import { addJob, updateJob } from "./manage_jobs.ts";
 * import { createMemoryStore } from "../store/memory_store.ts";
 *
 * await using store = createMemoryStore();
 * const now = Date.now();
 * await addJob(store, { id: "sync", schedule: "every 10m", cmd: "./sync.sh" }, { now });
 * const job = await updateJob(store, "sync", { schedule: "every 5m" }, { now });
 * console.log(job.spec.schedule); // "every 5m"
 * ```
 */
export async function updateJob(
  store: JobStore,
  id: string,
  patch: Partial<JobInput>,
  options: ManageOptions,
): Promise<JobRecord> {
  return await locked(store, options, async (read) => {
    const old = await existing(read, id);
    const input = { ...inputOf(old), ...patch, id: old.spec.id } as JobInput;
    const spec = { ...defineJob(input, old.state.createdAt), ...sourceOf(old) };
    const state = redefined(old, spec, options.now);
    return {
      changes: [{ type: "job.define", spec, state }],
      value: { spec, state },
    };
  });
}

function sourceOf(record: JobRecord) {
  return record.spec.source !== undefined ? { source: record.spec.source } : {};
}

/**
 * The {@linkcode JobInput} that defines a stored job (for updates).
 *
 * @param record A stored job.
 * @returns Its definition in input form; durations are in milliseconds.
 * @example Read a stored job back as input
 * ```ts
 * import { addJob, inputOf } from "./manage_jobs.ts";
 * import { createMemoryStore } from "../store/memory_store.ts";
 *
 * await using store = createMemoryStore();
 * const job = await addJob(
 *   store,
 *   { id: "sync", schedule: "every 10m", cmd: "./sync.sh", retries: 2 },
 *   { now: Date.now() },
 * );
 * console.log(inputOf(job).retries); // 2
 * ```
 */
export function inputOf(record: JobRecord): JobInput {
  const { spec } = record;
  const t = spec.target;
  const target = t.kind === "function"
    ? { run: t.name }
    : t.kind === "command"
    ? {
      cmd: t.cmd,
      ...(t.cwd ? { cwd: t.cwd } : {}),
      ...(t.env ? { env: t.env } : {}),
      ...(t.inheritEnv ? { inheritEnv: true } : {}),
    }
    : {
      module: t.module,
      ...(t.inheritEnv ? { inheritEnv: true } : {}),
      ...(t.permissions ? { permissions: t.permissions } : {}),
    };
  return {
    id: spec.id,
    schedule: spec.schedule,
    tz: spec.tz,
    ...(spec.domAndDow ? { domAndDow: true } : {}),
    ...target,
    overlap: spec.overlap,
    catchup: spec.catchup,
    catchupWindow: spec.catchupWindowMs,
    catchupMax: spec.catchupMax,
    retries: spec.retries,
    backoff: spec.backoffMs,
    backoffMax: spec.backoffMaxMs,
    ...(spec.backoffSchedule ? { backoffSchedule: spec.backoffSchedule } : {}),
    recover: spec.recover,
    jitter: spec.jitterMs,
    ...(spec.timeoutMs !== undefined ? { timeout: spec.timeoutMs } : {}),
    ...(spec.maxRuns !== undefined ? { maxRuns: spec.maxRuns } : {}),
    ...(spec.startAt !== undefined ? { startAt: spec.startAt } : {}),
    ...(spec.endAt !== undefined ? { endAt: spec.endAt } : {}),
  };
}

/**
 * Deletes a job and its history. Runs in progress finish; their outcomes
 * are dropped.
 *
 * @param store The store.
 * @param id The job.
 * @param options The current time.
 * @returns Resolves once the deletion is committed.
 * @throws {JobNotFoundError} When it does not exist.
 * @example Remove a job
 * ```ts
 * import { addJob, removeJob } from "./manage_jobs.ts";
 * import { createMemoryStore } from "../store/memory_store.ts";
 *
 * await using store = createMemoryStore();
 * const now = Date.now();
 * await addJob(store, { id: "sync", schedule: "every 10m", cmd: "./sync.sh" }, { now });
 * await removeJob(store, "sync", { now });
 * console.log((await store.jobs()).length); // 0
 * ```
 */
export async function removeJob(
  store: JobStore,
  id: string,
  options: ManageOptions,
): Promise<void> {
  return await locked(store, options, async (read) => {
    await existing(read, id);
    return { changes: [{ type: "job.delete", id }], value: undefined };
  });
}
