/**
 * The JSON views of a store that both the read commands' `--json` and the
 * HTTP API return: one function per view, so the two can never drift.
 *
 * @module
 */

import type { JobStore, RunLog } from "../store/store.ts";
import type { JobRecord, LedgerEntry } from "../types.ts";
import { JobNotFoundError } from "../errors.ts";
import { nextSlotOf, scheduleOf } from "../jobs/job_state.ts";
import { dstNote } from "../schedule/dst_note.ts";
import type { Schedule } from "../schedule/schedule.ts";
import { slotsBetween } from "../schedule/slots_between.ts";
import type { BackfillResult, TriggerResult } from "../turns/job_controls.ts";
import { iso, jobJson, ledgerJson, localTime, logJson } from "./_output.ts";
import { CliFailure } from "./_errors.ts";
import { type StatusJson, statusJson } from "./status_json.ts";

/** Every job, sorted by id, as `list --json` prints it (env names only). */
export async function jobsView(
  store: JobStore,
  options: { readonly showEnv?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const jobs = (await store.jobs()).sort((a, b) =>
    a.spec.id < b.spec.id ? -1 : a.spec.id > b.spec.id ? 1 : 0
  );
  return jobs.map((job) => jobJson(job, options));
}

/**
 * One job as `show --json` prints it.
 *
 * @throws {JobNotFoundError} When the job does not exist.
 */
export async function jobView(
  store: JobStore,
  id: string,
  options: { readonly showEnv?: boolean } = {},
): Promise<Record<string, unknown>> {
  const job = await store.job(id);
  if (!job) throw new JobNotFoundError(id);
  return jobJson(job, options);
}

/** What {@linkcode historyView} reads. */
export interface HistoryViewOptions {
  /** Only this job's entries. */
  readonly job?: string;
  /** Only the newest N entries. */
  readonly limit?: number;
}

/**
 * The ledger, oldest first (the entries; see {@linkcode historyView}).
 *
 * @throws {JobNotFoundError} When `job` is given and does not exist.
 */
export async function historyRead(
  store: JobStore,
  options: HistoryViewOptions = {},
): Promise<LedgerEntry[]> {
  const { job, limit } = options;
  if (job !== undefined && !(await store.job(job))) {
    throw new JobNotFoundError(job);
  }
  return await store.history({
    ...(job !== undefined ? { job } : {}),
    ...(limit !== undefined ? { limit } : {}),
  });
}

/**
 * The ledger, oldest first, as `history --json` prints it.
 *
 * @throws {JobNotFoundError} When `job` is given and does not exist.
 */
export async function historyView(
  store: JobStore,
  options: HistoryViewOptions = {},
): Promise<Record<string, unknown>[]> {
  return (await historyRead(store, options)).map(ledgerJson);
}

/** The store's status at `now`, as `status --json` prints it. */
export async function statusView(
  store: JobStore,
  ref: string,
  now: number,
): Promise<StatusJson> {
  const [instances, jobs] = await Promise.all([
    store.instances(),
    store.jobs(),
  ]);
  return statusJson(ref, instances, jobs, now);
}

/** What {@linkcode logsRead} reads. */
export interface LogsViewOptions {
  /** Only this run (a unique prefix of its id is enough). */
  readonly run?: string;
  /** Only the newest N attempts. */
  readonly limit?: number;
}

/**
 * A job's run logs, oldest first (the records; see {@linkcode logsView}).
 *
 * @throws {JobNotFoundError} When the job does not exist.
 * @throws {CliFailure} When `run` is a prefix of several runs.
 */
export async function logsRead(
  store: JobStore,
  id: string,
  options: LogsViewOptions = {},
): Promise<RunLog[]> {
  const { run, limit } = options;
  if (!(await store.job(id))) throw new JobNotFoundError(id);
  let logs = await store.logs(id, run !== undefined ? { runId: run } : {});
  if (run !== undefined && logs.length === 0) {
    logs = byPrefix(await store.logs(id), run, id);
  }
  return limit !== undefined ? logs.slice(-limit) : logs;
}

/** A job's run logs as `logs --json` prints them. */
export async function logsView(
  store: JobStore,
  id: string,
  options: LogsViewOptions = {},
): Promise<Record<string, unknown>[]> {
  return (await logsRead(store, id, options)).map(logJson);
}

function byPrefix(logs: RunLog[], prefix: string, job: string): RunLog[] {
  const matches = logs.filter((log) =>
    log.runId.startsWith(prefix) || log.runId.startsWith(`run-${prefix}`)
  );
  const runs = new Set(matches.map((log) => log.runId));
  if (runs.size > 1) {
    throw new CliFailure(
      `Cannot choose a run of job '${job}': "${prefix}" matches ${runs.size} runs (give more of the id)`,
    );
  }
  return matches;
}

/** The result of a trigger as `trigger --json` prints it. */
export function triggerResultJson(
  job: string,
  result: TriggerResult,
): Record<string, unknown> {
  return {
    job,
    status: result.status,
    slot: iso(result.slot.getTime()),
    runId: result.runId ?? null,
  };
}

/** The result of a backfill as `backfill --json` prints it. */
export function backfillResultJson(
  job: string,
  result: BackfillResult,
): Record<string, unknown> {
  return {
    job,
    slots: result.slots.map((s) => iso(s.getTime())),
    more: result.more,
  };
}

/** One upcoming slot, as `next --json` prints it. */
export interface NextSlotJson {
  /** The slot, ISO 8601 UTC. */
  readonly slot: string;
  /** Its wall time in the display zone, with the offset. */
  readonly local: string;
  /** Present when a DST change moved or doubled the slot. */
  readonly dst?: {
    readonly kind: "gap" | "repeat";
    readonly wall: string;
    readonly date: string;
    readonly message: string;
  };
}

/** Slots of a schedule as `next --json` prints them, shown in `zone`. */
export function nextSlotsJson(
  schedule: Schedule,
  slots: readonly number[],
  zone: string,
): NextSlotJson[] {
  return slots.map((slot) => {
    const note = dstNote(schedule, slot);
    return {
      slot: iso(slot)!,
      local: localTime(slot, zone),
      ...(note
        ? {
          dst: {
            kind: note.kind,
            wall: note.wall,
            date: note.date,
            message: note.message,
          },
        }
        : {}),
    };
  });
}

/**
 * A job's next slots: from its next slot on (or from `from`, when later),
 * within its bounds as they stand.
 */
export function jobSlots(
  job: JobRecord,
  count: number,
  from?: number,
): number[] {
  const slots: number[] = [];
  let slot = job.state.nextSlot;
  if (from !== undefined && slot !== undefined && slot < from) {
    slot = nextSlotOf(job.spec, job.state, from - 1);
  }
  while (slot !== undefined && slots.length < count) {
    slots.push(slot);
    slot = nextSlotOf(job.spec, {
      createdAt: job.state.createdAt,
      runCount: job.state.runCount + slots.length,
    }, slot);
  }
  return slots;
}

/**
 * A job's next `count` slots as `next ID --json` prints them.
 *
 * @throws {JobNotFoundError} When the job does not exist.
 */
export async function nextView(
  store: JobStore,
  id: string,
  count: number,
): Promise<NextSlotJson[]> {
  const job = await store.job(id);
  if (!job) throw new JobNotFoundError(id);
  const schedule = scheduleOf(job.spec, job.state.createdAt);
  return nextSlotsJson(schedule, jobSlots(job, count), schedule.tz);
}

/**
 * The slots of a job's schedule in `[from, to]` (a skipped or missed range
 * of its history, expanded), at most `limit`.
 *
 * @throws {JobNotFoundError} When the job does not exist.
 */
export async function slotsView(
  store: JobStore,
  id: string,
  from: number,
  to: number,
  limit: number,
): Promise<{ slots: string[]; more: boolean }> {
  const job = await store.job(id);
  if (!job) throw new JobNotFoundError(id);
  const schedule = scheduleOf(job.spec, job.state.createdAt);
  const found = slotsBetween(schedule, from - 1, to, limit);
  return { slots: found.slots.map((slot) => iso(slot)!), more: found.more };
}
