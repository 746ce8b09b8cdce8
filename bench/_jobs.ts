/**
 * Creating many jobs at once. `scheduler.add()` takes the store lock and
 * commits once per job, which makes 100,000 jobs a matter of minutes; the
 * benchmark instead builds each record as `addJob()` does (`defineJob()` and
 * `initialState()`) and commits the `job.create` changes in batches under
 * the store lock. The records are the same as those `add()` would store.
 *
 * @module
 */

import type { JobRecord } from "../src/types.ts";
import type { JobStore, StoreChange } from "../src/store/store.ts";
import type { OverlapPolicy } from "../src/types.ts";
import { defineJob } from "../src/jobs/define_job.ts";
import { initialState } from "../src/jobs/job_state.ts";

/** A group of identical jobs (JSON, passed to child processes). */
export interface JobGroup {
  /** How many jobs; their ids are `<prefix>-<index>`. */
  readonly count: number;
  /** The id prefix. */
  readonly prefix: string;
  /** Their schedule (`* * * * * *`, `every 1h`, …). */
  readonly schedule: string;
  /** The function handler they name. */
  readonly run: string;
  /** Their overlap policy (the default `skip` when omitted). */
  readonly overlap?: OverlapPolicy;
  /** No slot before this instant, epoch ms. */
  readonly startAt?: number;
}

/** Jobs per commit: large enough to be quick, small enough per journal line. */
const BATCH = 2_000;

/**
 * Creates the jobs of every group, in batches of {@linkcode BATCH} per
 * commit under the store lock.
 *
 * @param store The store (the ids must not exist).
 * @param groups The jobs.
 * @param now The creation instant, epoch ms.
 * @returns How many jobs were created.
 */
export async function seedJobs(
  store: JobStore,
  groups: readonly JobGroup[],
  now: number,
): Promise<number> {
  let batch: StoreChange[] = [];
  let created = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await using lease = await store.lock.acquire();
    await store.commit(lease, batch);
    created += batch.length;
    batch = [];
  };
  for (const group of groups) {
    for (let i = 0; i < group.count; i++) {
      batch.push({ type: "job.create", job: jobRecord(group, i, now) });
      if (batch.length >= BATCH) await flush();
    }
  }
  await flush();
  return created;
}

/**
 * The record of one job of a group, as `addJob()` builds it.
 *
 * @param group The group.
 * @param index The job's index in it (its id is `<prefix>-<index>`).
 * @param now The creation instant, epoch ms.
 * @returns The record.
 */
export function jobRecord(
  group: JobGroup,
  index: number,
  now: number,
): JobRecord {
  const spec = defineJob({
    id: `${group.prefix}-${index}`,
    schedule: group.schedule,
    run: group.run,
    ...(group.overlap !== undefined ? { overlap: group.overlap } : {}),
    ...(group.startAt !== undefined ? { startAt: group.startAt } : {}),
  }, now);
  return { spec, state: initialState(spec, now) };
}
