/**
 * One short turn of the store lock for a job operation: read what it needs,
 * compute the change, commit it. Shared by `manage_jobs.ts` and
 * `job_controls.ts`; `sync_jobs.ts` takes its options.
 *
 * @module
 */

import type { JobRecord } from "../types.ts";
import type { JobStore, StoreChange } from "../store/store.ts";
import { withStoreLock } from "../store/with_store_lock.ts";
import { JobNotFoundError } from "../errors.ts";
import { validateJobId } from "../jobs/define_job.ts";
import { draftOf, type StateDraft } from "../jobs/job_state.ts";

/** Options shared by the job operations. */
export interface ManageOptions {
  /** Wall-clock time of the operation, epoch ms. */
  readonly now: number;
  /** Aborts waiting for the store lock; nothing is changed then. */
  readonly signal?: AbortSignal;
}

/** Runs `fn` under the store lock and commits what it returns. */
export async function locked<T>(
  store: JobStore,
  options: ManageOptions,
  fn: (read: (id: string) => Promise<JobRecord | undefined>) => Promise<
    { changes: StoreChange[]; value: T }
  >,
): Promise<T> {
  return await withStoreLock(store, options, async (lease) => {
    const { changes, value } = await fn(async (id) =>
      (await store.read(lease, [id]))[0]
    );
    if (changes.length > 0) await store.commit(lease, changes);
    return value;
  });
}

/** The job, or `JobNotFoundError`. */
export async function existing(
  read: (id: string) => Promise<JobRecord | undefined>,
  id: string,
): Promise<JobRecord> {
  const record = await read(validateJobId(id));
  if (!record) throw new JobNotFoundError(id);
  return record;
}

/** Changes an existing job's state (with the ledger entries it made). */
export async function setState(
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
