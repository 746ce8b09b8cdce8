/**
 * `syncJobs()`: makes the store's jobs from one source (a jobs file) match
 * a list, in one lock turn and one commit, so a large list costs one fsync
 * and is applied whole or not at all.
 *
 * @module
 */

import type { JobId, JobRecord } from "../types.ts";
import type { JobStore, StoreChange } from "../store/store.ts";
import { withStoreLock } from "../store/with_store_lock.ts";
import { type JobInput, validateJobId } from "../jobs/define_job.ts";
import type { ManageOptions } from "./job_turn.ts";
import { planUpsert } from "./manage_jobs.ts";

/** Options for {@linkcode syncJobs}. */
export interface SyncJobsOptions extends ManageOptions {
  /**
   * Where the jobs come from (a jobs file's absolute path): stored as each
   * job's `source`. Jobs with this source that the list no longer holds
   * are removed; jobs from elsewhere are never touched.
   */
  readonly source: string;
}

/** What {@linkcode syncJobs} did, by job id. */
export interface SyncResult {
  /** Jobs created, in list order. */
  readonly added: readonly JobId[];
  /** Jobs whose definition changed (their state and history stay), in list order. */
  readonly changed: readonly JobId[];
  /** Jobs of the list that were already stored as given, in list order. */
  readonly unchanged: readonly JobId[];
  /** Jobs of the source that the list no longer holds, removed with their history. */
  readonly removed: readonly JobId[];
}

/**
 * Upserts every job of a list (as `upsertJob()` would, each with `source`
 * set) and removes the jobs of that source the list no longer holds (as
 * `removeJob()` would), in one store commit: all of it
 * is applied or, when anything fails, nothing. Nothing is committed when
 * nothing differs.
 *
 * @param store The store.
 * @param inputs The jobs; ids must be unique.
 * @param options The source, the current time and the lock wait's signal.
 * @returns The ids added, changed, unchanged and removed.
 * @throws {TypeError | SyntaxError | RangeError} On bad input, naming the
 * job (nothing stored).
 * @throws {StoreError} When the store cannot commit (nothing stored).
 * @example Sync a list twice, then without one of its jobs
 * ```ts
 * import { syncJobs } from "./sync_jobs.ts";
 * import { createMemoryStore } from "../store/memory_store.ts";
 *
 * await using store = createMemoryStore();
 * const jobs = [
 *   { id: "sync", schedule: "every 10m", cmd: "./sync.sh" },
 *   { id: "report", schedule: "0 6 * * *", cmd: "./report.sh" },
 * ];
 * const options = { source: "/srv/jobs.json", now: Date.now() };
 * await syncJobs(store, jobs, options);
 * const again = await syncJobs(store, jobs, options);
 * console.log(again.unchanged); // ["sync", "report"]
 * const fewer = await syncJobs(store, jobs.slice(0, 1), options);
 * console.log(fewer.removed); // ["report"]
 * ```
 */
export async function syncJobs(
  store: JobStore,
  inputs: readonly JobInput[],
  options: SyncJobsOptions,
): Promise<SyncResult> {
  const { source, now } = options;
  if (typeof source !== "string" || source === "") {
    throw new TypeError(
      `Cannot sync jobs as 'source' must be a non-empty string: received ${
        JSON.stringify(source)
      }`,
    );
  }
  const listed = new Set<JobId>();
  for (const input of inputs) {
    const id = validateJobId(input?.id);
    if (listed.has(id)) {
      throw new TypeError(
        `Cannot sync jobs as each job must be listed once: received '${id}' twice`,
      );
    }
    listed.add(id);
  }
  return await withStoreLock(store, options, async (lease) => {
    // The jobs this sync may change (listed, or from this source), read
    // and held for the turn: no commit can land on them between this read
    // and ours, so what is compared and removed is what is stored.
    // Every listed id, stored or not: one another process creates meanwhile
    // is read here, not created twice.
    const fromSource = (await store.jobs())
      .filter((record) => record.spec.source === source)
      .map((record) => record.spec.id);
    const mine = [...new Set([...listed, ...fromSource])];
    const stored = new Map<JobId, JobRecord>();
    const removed: JobId[] = [];
    for (const record of await store.read(lease, mine)) {
      const id = record.spec.id;
      stored.set(id, record);
      if (record.spec.source === source && !listed.has(id)) removed.push(id);
    }
    const changes: StoreChange[] = [];
    const added: JobId[] = [];
    const changed: JobId[] = [];
    const unchanged: JobId[] = [];
    for (const input of inputs) {
      const old = stored.get(input.id);
      const { change, result } = planUpsert(old, { ...input, source }, now);
      if (change) changes.push(change);
      (result.created ? added : result.changed ? changed : unchanged)
        .push(input.id);
    }
    for (const id of removed) changes.push({ type: "job.delete", id });
    if (changes.length > 0) await store.commit(lease, changes);
    return { added, changed, unchanged, removed };
  });
}
