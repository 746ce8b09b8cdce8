/**
 * Runs one attempt of a claimed slot: builds the context a handler receives
 * and calls the function handler or the target's runner. A timeout or a
 * cancellation aborts the context's signal; the promise still settles only
 * when the handler does, so a runner can kill what it started.
 *
 * @module
 */

import type { JobSpec, Target, Trigger } from "../types.ts";

/** What a handler receives for one attempt of one slot. */
export interface JobContext {
  /** The job's id (`TOCK_JOB_ID`). */
  readonly jobId: string;
  /** The scheduled instant this run is for. */
  readonly slot: Date;
  /** The run's id, the same for every attempt of the slot (`TOCK_RUN_ID`). */
  readonly runId: string;
  /** 1-based; above 1 for retries. */
  readonly attempt: number;
  /** `retry` for attempts after the first; otherwise why the slot ran. */
  readonly trigger: Trigger;
  /** True when the run was made by catch-up. */
  readonly catchup: boolean;
  /** The instance running it. */
  readonly instance: string;
  /** Aborted on timeout (reason: `JobTimeoutError`), cancel or stop. */
  readonly signal: AbortSignal;
}

/** A function job's handler. Throwing (or rejecting) fails the attempt. */
export type JobHandler = (context: JobContext) => unknown;

/** Runs command or module targets (supplied by the command line). */
export type TargetRunner = (
  target: Target,
  context: JobContext,
) => Promise<void>;

/** Where handlers and runners come from. */
export interface HandlerRegistry {
  /** Function handlers by the name a job's `run` field gives. */
  readonly handlers: ReadonlyMap<string, JobHandler>;
  /** Runners for command and module targets; a missing one cannot run that kind. */
  readonly runners: {
    readonly command?: TargetRunner;
    readonly module?: TargetRunner;
  };
}

/**
 * Runs one attempt: calls the job's function handler, or hands a command or
 * module target to its runner.
 *
 * @param spec The job.
 * @param context What the handler receives.
 * @param registry Handlers and runners.
 * @returns Resolves when the handler or runner does.
 * @throws {Error} When this instance has no handler of that name or no
 * runner for the target's kind; also whatever the handler or runner throws.
 * @example Run a function job's handler once
 * ```ts
 * import { runHandler } from "./run_handler.ts";
 * import { defineJob } from "../jobs/define_job.ts";
 *
 * const spec = defineJob({ id: "hello", schedule: "every 1h", run: "hello" }, 0);
 * await runHandler(spec, {
 *   jobId: "hello",
 *   slot: new Date(0),
 *   runId: "run-example",
 *   attempt: 1,
 *   trigger: "manual",
 *   catchup: false,
 *   instance: "example",
 *   signal: new AbortController().signal,
 * }, {
 *   handlers: new Map([["hello", () => console.log("hello")]]),
 *   runners: {},
 * }); // logs "hello"
 * ```
 */
export async function runHandler(
  spec: JobSpec,
  context: JobContext,
  registry: HandlerRegistry,
): Promise<void> {
  const target = spec.target;
  if (target.kind === "function") {
    const handler = registry.handlers.get(target.name);
    if (!handler) {
      throw new Error(`No handler named '${target.name}' in this instance`);
    }
    await handler(context);
    return;
  }
  const runner = registry.runners[target.kind];
  if (!runner) throw new Error(`This instance cannot run ${target.kind} jobs`);
  await runner(target, context);
}
