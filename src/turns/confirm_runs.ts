/**
 * The slow path of self-fencing: read this process's runs under the lock
 * and say which are still its own. The caller writes a heartbeat first, so
 * that an instance which judges this one dead afterwards, in a lock turn of
 * its own, sees the new beat.
 *
 * @module
 */

import type { JobStore } from "../store/store.ts";
import { withStoreLock } from "../store/with_store_lock.ts";
import { type Clock, type Instant, instantOf } from "../clock.ts";
import { isOwn } from "../jobs/advance_job.ts";

/** Options for {@linkcode confirmRuns}. */
export interface ConfirmRunsOptions {
  readonly store: JobStore;
  readonly clock: Clock;
  readonly instance: string;
  readonly incarnation: string;
  /** The runs this process holds: run id → job id. */
  readonly runs: ReadonlyMap<string, string>;
  /** Aborts waiting for the lock. */
  readonly signal?: AbortSignal;
}

/** What {@linkcode confirmRuns} found. */
export interface ConfirmedRuns {
  /** The runs that are still this process's own. */
  readonly ours: ReadonlySet<string>;
  /** When the lock was taken. */
  readonly at: Instant;
}

/**
 * Reads the jobs of this process's runs under the lock.
 *
 * @param options The store, this process, and its runs.
 * @returns The runs still its own, and when that was true.
 */
export async function confirmRuns(
  options: ConfirmRunsOptions,
): Promise<ConfirmedRuns> {
  const { store, clock } = options;
  return await withStoreLock(store, options, async (lease) => {
    const at = instantOf(clock);
    const jobs = [...new Set(options.runs.values())];
    const ours = new Set<string>();
    for (const record of await store.read(lease, jobs)) {
      for (const run of record.state.runs) {
        if (options.runs.has(run.runId) && isOwn(run, options)) {
          ours.add(run.runId);
        }
      }
    }
    return { ours, at };
  });
}
