/**
 * Changing jobs: add, update, remove, pause, resume, trigger. Each is one
 * short read-modify-write under the store lock (never around execution), so
 * it works the same from a running scheduler and from the command line.
 *
 * @module
 */

import type { JobRecord, JobState } from "../types.ts";
import type { JobStore, StoreChange } from "../store/store.ts";
import { JobNotFoundError } from "../errors.ts";
import { defineJob, type JobInput, validateJobId } from "./define_job.ts";
import {
  draftOf,
  initialState,
  scheduleOf,
  type StateDraft,
  withNextSlot,
} from "./job_state.ts";
import { slotsBetween } from "../schedule/slots_between.ts";
import { finishRun, type RunResult } from "./finish_run.ts";

/** Options shared by the job operations. */
export interface ManageOptions {
  /** Wall-clock time of the operation, epoch ms. */
  readonly now: number;
  /** Aborts waiting for the store lock; nothing is changed then. */
  readonly signal?: AbortSignal;
}

async function locked<T>(
  store: JobStore,
  options: ManageOptions,
  fn: (read: (id: string) => Promise<JobRecord | undefined>) => Promise<
    { changes: StoreChange[]; value: T }
  >,
): Promise<T> {
  await using lease = await store.lock.acquire(
    options.signal ? { signal: options.signal } : {},
  );
  const { changes, value } = await fn(async (id) =>
    (await store.read(lease, [id]))[0]
  );
  if (changes.length > 0) await store.commit(lease, changes);
  return value;
}

async function existing(
  read: (id: string) => Promise<JobRecord | undefined>,
  id: string,
): Promise<JobRecord> {
  const record = await read(validateJobId(id));
  if (!record) throw new JobNotFoundError(id);
  return record;
}

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
    const base = defineJob(input, old?.state.createdAt ?? options.now);
    const spec = input.source !== undefined
      ? { ...base, source: input.source }
      : base;
    if (!old) {
      const job = {
        spec,
        state: initialState(spec, options.now, input.paused),
      };
      return {
        changes: [{ type: "job.create", job }],
        value: { record: job, created: true, changed: true },
      };
    }
    if (JSON.stringify(old.spec) === JSON.stringify(spec)) {
      return {
        changes: [],
        value: { record: old, created: false, changed: false },
      };
    }
    const state = redefined(old, spec, options.now);
    return {
      changes: [{ type: "job.define", spec, state }],
      value: { record: { spec, state }, created: false, changed: true },
    };
  });
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
    }
    : { module: t.module };
  return {
    id: spec.id,
    schedule: spec.schedule,
    tz: spec.tz,
    ...target,
    overlap: spec.overlap,
    catchup: spec.catchup,
    catchupWindow: spec.catchupWindowMs,
    catchupMax: spec.catchupMax,
    retries: spec.retries,
    backoff: spec.backoffMs,
    backoffMax: spec.backoffMaxMs,
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

async function setState(
  store: JobStore,
  id: string,
  options: ManageOptions,
  change: (draft: StateDraft, record: JobRecord) => void,
): Promise<JobRecord> {
  return await locked(store, options, async (read) => {
    const record = await existing(read, id);
    const draft = draftOf(record);
    change(draft, record);
    const state = draft.finish(options.now);
    const changes: StoreChange[] = draft.changed
      ? [
        { type: "job.state", id: record.spec.id, state },
        ...draft.entries.map((entry) => ({
          type: "ledger.append" as const,
          entry,
        })),
      ]
      : [];
    return { changes, value: { spec: record.spec, state } };
  });
}

/**
 * Pauses a job: its slots are recorded `skipped` until it is resumed.
 *
 * @param store The store.
 * @param id The job.
 * @param options The current time, and an optional note.
 * @returns The new record.
 * @throws {JobNotFoundError} When the job does not exist.
 * @example Pause a job with a note
 * ```ts
 * import { addJob, pauseJob } from "./manage_jobs.ts";
 * import { createMemoryStore } from "../store/memory_store.ts";
 *
 * await using store = createMemoryStore();
 * const now = Date.now();
 * await addJob(store, { id: "sync", schedule: "every 10m", cmd: "./sync.sh" }, { now });
 * const job = await pauseJob(store, "sync", { now, note: "maintenance" });
 * console.log(job.state.paused, job.state.pauseNote); // true "maintenance"
 * ```
 */
export async function pauseJob(
  store: JobStore,
  id: string,
  options: ManageOptions & { readonly note?: string },
): Promise<JobRecord> {
  return await setState(store, id, options, (draft) => {
    draft.touch();
    draft.state.paused = true;
    if (options.note !== undefined) draft.state.pauseNote = options.note;
    else delete draft.state.pauseNote;
  });
}

/**
 * Resumes a paused job; the slots it skipped are not replayed.
 *
 * @param store The store.
 * @param id The job.
 * @param options The current time.
 * @returns The new record (unchanged when the job was not paused).
 * @throws {JobNotFoundError} When the job does not exist.
 * @example Pause and resume a job
 * ```ts
 * import { addJob, pauseJob, resumeJob } from "./manage_jobs.ts";
 * import { createMemoryStore } from "../store/memory_store.ts";
 *
 * await using store = createMemoryStore();
 * const now = Date.now();
 * await addJob(store, { id: "sync", schedule: "every 10m", cmd: "./sync.sh" }, { now });
 * await pauseJob(store, "sync", { now });
 * const job = await resumeJob(store, "sync", { now });
 * console.log(job.state.paused); // false
 * ```
 */
export async function resumeJob(
  store: JobStore,
  id: string,
  options: ManageOptions,
): Promise<JobRecord> {
  return await setState(store, id, options, (draft, record) => {
    if (!record.state.paused) return;
    draft.touch();
    draft.state.paused = false;
    delete draft.state.pauseNote;
    // Slots that fell while paused and are not recorded yet stay owed to
    // the claim step, which records them `skipped` only if still paused; so
    // record them here.
    skipUntil(draft, record, options.now);
  });
}

function skipUntil(draft: StateDraft, record: JobRecord, now: number) {
  let guard = 0;
  while (
    draft.state.nextSlot !== undefined && draft.state.nextSlot <= now &&
    guard++ < 1_000_000
  ) {
    draft.recordRange("skipped", draft.state.nextSlot, "paused");
    draft.state.cursor = draft.state.nextSlot;
    const next = withNextSlot(record.spec, draft.state as JobState);
    draft.state.nextSlot = next.nextSlot as number;
    draft.state.nextDueAt = next.nextDueAt as number;
    if (next.nextSlot === undefined) {
      delete draft.state.nextSlot;
      delete draft.state.nextDueAt;
    }
  }
}

/** What {@linkcode triggerJob} did. */
export interface TriggerResult {
  /** The run id of the manual run (or of the one already pending). */
  readonly runId?: string;
  /** `queued`: it will run; `duplicate`: one was already pending; `skipped`: the overlap policy refused it. */
  readonly status: "queued" | "duplicate" | "skipped";
  /** The manual slot's instant (at or after the trigger time, unique within the job). */
  readonly slot: Date;
}

/**
 * Asks for a run now (a manual slot at the current instant), subject to the
 * overlap policy unless forced. A second trigger while the first is still
 * pending returns the first.
 *
 * @param store The store.
 * @param id The job.
 * @param options The current time, `force`, and a fresh run id.
 * @returns What happened.
 * @throws {JobNotFoundError} When the job does not exist.
 * @example Trigger a job twice
 * ```ts
 * import { addJob, triggerJob } from "./manage_jobs.ts";
 * import { createMemoryStore } from "../store/memory_store.ts";
 *
 * await using store = createMemoryStore();
 * const now = Date.now();
 * await addJob(store, { id: "sync", schedule: "every 10m", cmd: "./sync.sh" }, { now });
 * const first = await triggerJob(store, "sync", { now, runId: "run-1" });
 * const second = await triggerJob(store, "sync", { now, runId: "run-2" });
 * console.log(first.status, second.status, second.runId); // "queued" "duplicate" "run-1"
 * ```
 */
export async function triggerJob(
  store: JobStore,
  id: string,
  options: ManageOptions & { readonly force?: boolean; readonly runId: string },
): Promise<TriggerResult> {
  let result: TriggerResult | undefined;
  return await setState(store, id, options, (draft, record) => {
    const pending = record.state.backlog.find((b) => b.trigger === "manual");
    if (pending) {
      result = {
        status: "duplicate",
        slot: new Date(pending.slot),
        ...(pending.runId ? { runId: pending.runId } : {}),
      };
      return;
    }
    const last = Math.max(
      0,
      ...record.state.runs.map((r) => r.slot),
      record.state.cursor,
    );
    let slot = Math.max(options.now, last + 1);
    // Keep (job, slot) unique: a manual slot never equals a scheduled one.
    if (slot === record.state.nextSlot) slot += 1;
    const busy = record.state.runs.length > 0 ||
      record.state.backlog.length > 0;
    const refuse = !options.force && busy &&
      (record.spec.overlap === "skip" ||
        (record.spec.overlap === "queue" && record.state.backlog.length > 0));
    if (refuse) {
      draft.record({
        slot,
        outcome: "skipped",
        trigger: "manual",
        note: "overlap",
      }, options.now);
      result = { status: "skipped", slot: new Date(slot) };
      return;
    }
    draft.touch();
    if (!options.force && busy && record.spec.overlap === "replace") {
      draft.state.runs = draft.state.runs.map((r) => ({
        ...r,
        cancelRequested: true,
      }));
    }
    draft.state.backlog = [...draft.state.backlog, {
      slot,
      trigger: "manual",
      runId: options.runId,
      ...(options.force ? { force: true } : {}),
    }];
    result = { status: "queued", slot: new Date(slot), runId: options.runId };
  }).then(() => result!);
}

/**
 * Records the outcome of a run that ended in this instance.
 *
 * @param store The store.
 * @param jobId The job.
 * @param result The run's outcome.
 * @param options The current time.
 * @returns False when the outcome was fenced: the job is gone, or another
 * instance recovered the run after judging this one dead.
 * @example An outcome for a run that is not active is fenced
 * ```ts
 * import { recordOutcome } from "./manage_jobs.ts";
 * import { createMemoryStore } from "../store/memory_store.ts";
 *
 * await using store = createMemoryStore();
 * const now = Date.now();
 * const recorded = await recordOutcome(
 *   store,
 *   "sync",
 *   { runId: "run-1", outcome: "succeeded", attempt: 1, finishedAt: now },
 *   { now },
 * );
 * console.log(recorded); // false
 * ```
 */
export async function recordOutcome(
  store: JobStore,
  jobId: string,
  result: RunResult,
  options: ManageOptions,
): Promise<boolean> {
  return await locked(store, options, async (read) => {
    const record = await read(jobId);
    const done = record && finishRun(record, result);
    if (!done) return { changes: [], value: false };
    return {
      changes: [
        { type: "job.state", id: jobId, state: done.state },
        ...done.entries.map((entry) => ({
          type: "ledger.append" as const,
          entry,
        })),
      ],
      value: true,
    };
  });
}

/** What {@linkcode backfillJob} queued. */
export interface BackfillResult {
  /** The slots queued, oldest first. */
  readonly slots: readonly Date[];
  /** More slots lie in the range than one backfill queues (1000). */
  readonly more: boolean;
}

/** The most slots one backfill queues. */
export const BACKFILL_LIMIT = 1000;

/**
 * Queues the job's slots in a past range to run again, oldest first, one
 * at a time (trigger `manual`, ledger note `backfill`). This deliberately
 * runs slots that may have run before: it is an explicit re-run.
 *
 * @param store The store.
 * @param id The job.
 * @param options The current time and the range `[from, to]` (epoch ms).
 * @returns The slots queued.
 * @throws {RangeError} When the range is empty, reversed or in the future.
 * @throws {JobNotFoundError} When the job does not exist.
 */
export async function backfillJob(
  store: JobStore,
  id: string,
  options: ManageOptions & { readonly from: number; readonly to: number },
): Promise<BackfillResult> {
  const { from, to, now } = options;
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) {
    throw new RangeError(
      `Cannot backfill '${id}': '--to' must not be before '--from'`,
    );
  }
  if (to > now) {
    throw new RangeError(
      `Cannot backfill '${id}': the range must be in the past: '--to' is ${
        new Date(to).toISOString()
      }`,
    );
  }
  let result: BackfillResult = { slots: [], more: false };
  await setState(store, id, options, (draft, record) => {
    const schedule = scheduleOf(record.spec, record.state.createdAt);
    const { slots, more } = slotsBetween(
      schedule,
      from - 1,
      to,
      BACKFILL_LIMIT,
    );
    if (slots.length === 0) return;
    draft.touch();
    draft.state.backlog = [
      ...draft.state.backlog,
      ...slots.map((slot) => ({
        slot,
        trigger: "manual" as const,
        force: false,
        note: "backfill",
      })),
    ];
    result = { slots: slots.map((s) => new Date(s)), more };
  });
  return result;
}
