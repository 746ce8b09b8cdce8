/**
 * tock: a durable, multi-process cron and job runtime.
 *
 * Each job is an actor (idle → claimed → running → done); a scheduler actor
 * holds the store's lock only across claim-and-advance, never while a job
 * runs. Any number of schedulers may share one store: every (job, slot) runs
 * at most once and every slot's fate is recorded in the ledger.
 *
 * This entry point holds what users of tock call: the scheduler, the
 * stores, schedules, and the job operations as free functions over a store
 * (for tools that change jobs without running a scheduler). Test helpers
 * are in `@tock/tock/testing`, the PostgreSQL store in
 * `@tock/tock/postgres`, and the contract for writing a store backend in
 * `@tock/tock/store`.
 *
 * @example Two jobs on the embedded file store
 * ```ts
 * import { createFileStore, createScheduler } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await using store = await createFileStore({ dir: `${dir}/.tock` });
 * await using scheduler = await createScheduler({ store });
 * await scheduler.add({
 *   id: "report",
 *   schedule: "*\/5 * * * *",
 *   handler: ({ slot, signal }) => console.log("report for", slot, signal.aborted),
 * });
 * scheduler.addEventListener("run.failed", (e) => console.error(e));
 * await Deno.remove(dir, { recursive: true }).catch(() => {});
 * ```
 *
 * @module
 */

export type {
  ActiveRun,
  CatchupPolicy,
  ErrorInfo,
  InstanceRecord,
  JobId,
  JobRecord,
  JobSpec,
  JobState,
  LedgerEntry,
  ModulePermissions,
  Outcome,
  OverlapPolicy,
  PendingSlot,
  PermissionGrants,
  PermissionKind,
  RangeEntry,
  RecoverPolicy,
  RunOutcome,
  Target,
  Trigger,
} from "./src/types.ts";
export { OUTCOMES } from "./src/types.ts";
export {
  JobNotFoundError,
  JobTimeoutError,
  SchedulerClosedError,
  ScheduleSyntaxError,
  StoreError,
  toError,
} from "./src/errors.ts";
export { parseDuration } from "./src/schedule/parse_duration.ts";
export {
  type CronSchedule,
  type IntervalSchedule,
  type OnceSchedule,
  type Schedule,
} from "./src/schedule/schedule.ts";
export {
  parseSchedule,
  type ParseScheduleOptions,
} from "./src/schedule/parse_schedule.ts";
export { nextSlot } from "./src/schedule/next_slot.ts";
export {
  countSlotsBetween,
  type SlotsBetween,
  slotsBetween,
} from "./src/schedule/slots_between.ts";
export { type DstNote, dstNote } from "./src/schedule/dst_note.ts";
export type {
  HistoryQuery,
  JobStore,
  LogQuery,
  RunLog,
} from "./src/store/store.ts";
export {
  createMemoryStore,
  type MemoryStoreOptions,
} from "./src/store/memory_store.ts";
export {
  createFileStore,
  type FileStoreOptions,
} from "./src/store/file/file_store.ts";
export { type Clock, delay, systemClock } from "./src/clock.ts";
export {
  defineJob,
  type DurationInput,
  type InstantInput,
  type JobInput,
  validateJobId,
} from "./src/jobs/define_job.ts";
export {
  addJob,
  inputOf,
  removeJob,
  updateJob,
  upsertJob,
  type UpsertResult,
} from "./src/turns/manage_jobs.ts";
export { type ManageOptions } from "./src/turns/job_turn.ts";
export {
  syncJobs,
  type SyncJobsOptions,
  type SyncResult,
} from "./src/turns/sync_jobs.ts";
export {
  backfillJob,
  type BackfillResult,
  pauseJob,
  resumeJob,
  triggerJob,
  type TriggerResult,
} from "./src/turns/job_controls.ts";
export type {
  JobContext,
  JobHandler,
  TargetRunner,
} from "./src/executors/run_handler.ts";
export {
  type CommandRunnerOptions,
  createCommandRunner,
} from "./src/executors/run_command.ts";
export {
  createModuleRunner,
  type ModuleRunnerOptions,
} from "./src/executors/run_module.ts";
export {
  TockEvent,
  type TockEventDetail,
  type TockEventType,
} from "./src/runtime/events.ts";
export { createScheduler } from "./src/runtime/scheduler.ts";
export {
  type Scheduler,
  type SchedulerJobInput,
  type SchedulerOptions,
} from "./src/runtime/scheduler_api.ts";
export { cron } from "./src/runtime/deno_cron.ts";
export type { CronHandler, CronOptions } from "./src/runtime/cron_call.ts";
export {
  type DenoCronSchedule,
  type DenoCronScheduleExpression,
  formatDenoCronSchedule,
} from "./src/schedule/deno_cron_schedule.ts";
