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
  readonly jobId: string;
  /** The scheduled instant this run is for. */
  readonly slot: Date;
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
export type TargetRunner = (target: Target, context: JobContext) => Promise<void>;

/** Where handlers and runners come from. */
export interface HandlerRegistry {
  readonly handlers: ReadonlyMap<string, JobHandler>;
  readonly runners: {
    readonly command?: TargetRunner;
    readonly module?: TargetRunner;
  };
}

/**
 * Runs one attempt.
 *
 * @param spec The job.
 * @param context What the handler receives.
 * @param registry Handlers and runners.
 * @returns Resolves on success; rejects with the handler's error.
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
