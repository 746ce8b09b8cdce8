/**
 * Controlling an existing job: pause, resume, trigger a run now, backfill a
 * past range. Each is one short turn of the store lock. Public API, like
 * the operations of `manage_jobs.ts` (its module documentation says why).
 *
 * @module
 */

import type { JobRecord, JobState } from "../types.ts";
import type { JobStore } from "../store/store.ts";
import {
  scheduleOf,
  type StateDraft,
  withNextSlot,
} from "../jobs/job_state.ts";
import { slotsBetween } from "../schedule/slots_between.ts";
import { newRunId } from "../jobs/run_id.ts";
import { type ManageOptions, setState } from "./job_turn.ts";

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
 * import { addJob } from "./manage_jobs.ts";
 * import { pauseJob } from "./job_controls.ts";
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
 * import { addJob } from "./manage_jobs.ts";
 * import { pauseJob, resumeJob } from "./job_controls.ts";
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
 * @param options The current time, `force`, and the run id to use (a new
 * one by default).
 * @returns What happened.
 * @throws {JobNotFoundError} When the job does not exist.
 * @example Trigger a job twice
 * ```ts
 * import { addJob } from "./manage_jobs.ts";
 * import { triggerJob } from "./job_controls.ts";
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
  options: ManageOptions & {
    readonly force?: boolean;
    readonly runId?: string;
  },
): Promise<TriggerResult> {
  let result: TriggerResult | undefined;
  const runId = options.runId ?? newRunId();
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
      runId,
      ...(options.force ? { force: true } : {}),
    }];
    result = { status: "queued", slot: new Date(slot), runId };
  }).then(() => result!);
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
