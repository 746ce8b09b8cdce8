/**
 * Group commit for run outcomes. Runs that end close together are recorded
 * under one lock and in one durable commit (one `fdatasync` on the file
 * store) instead of one each: at a thousand runs a second, per-run commits
 * would be a thousand lock turns and disk flushes.
 *
 * The batch that is being written takes the outcomes reported before its
 * lock was acquired; outcomes reported meanwhile wait for the next one,
 * which starts as soon as the current one ends. There is no timer: a lone
 * outcome is written at once.
 *
 * A commit can fail after it was written (the connection to a database lost
 * while its answer was on the way). The outcome is then reported again and
 * finds its run gone; before calling it fenced, the batch looks for the
 * run's own outcome in the ledger, and an outcome already recorded counts as
 * recorded.
 *
 * @module
 */

import type { JobStore } from "../store/store.ts";
import { withStoreLock } from "../store/with_store_lock.ts";
import { finishRuns, type RunResult } from "../jobs/finish_run.ts";

/** Ledger entries read back per job to find an outcome already recorded. */
const LEDGER_LOOKBACK = 256;

interface Pending {
  readonly jobId: string;
  readonly result: RunResult;
  readonly resolve: (recorded: boolean) => void;
  readonly reject: (error: unknown) => void;
}

/** Records run outcomes in batches; see the module documentation. */
export class OutcomeBatch {
  readonly #store: JobStore;
  #pending: Pending[] = [];
  #flushing: Promise<void> | undefined;

  /** @param store Where outcomes are committed. */
  constructor(store: JobStore) {
    this.#store = store;
  }

  /**
   * Records one run's outcome (with the outcomes of other runs that end
   * about the same time).
   *
   * @param jobId The run's job.
   * @param result How the run ended.
   * @returns Whether it was recorded: false when the run is no longer
   * active (another instance recovered it, or its job was removed).
   * @throws {StoreError} When the commit fails (nothing of the batch is
   * written; report it again).
   */
  record(jobId: string, result: RunResult): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ jobId, result, resolve, reject });
      this.#flushing ??= this.#drain();
    });
  }

  /** Resolves when every outcome reported so far has been written or failed. */
  async settled(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) await this.#flush();
    } finally {
      this.#flushing = undefined;
    }
  }

  /**
   * Turns a "not recorded" into "recorded" where the ledger holds the run's
   * own outcome (same run, outcome and attempt): an earlier commit of it
   * was written although it reported a failure.
   */
  async #alreadyRecorded(
    batch: readonly Pending[],
    recorded: readonly boolean[],
  ): Promise<boolean[]> {
    const out = [...recorded];
    for (const [i, p] of batch.entries()) {
      if (out[i]) continue;
      const { runId, outcome, attempt } = p.result;
      const ledger = await this.#store.history({
        job: p.jobId,
        limit: LEDGER_LOOKBACK,
      });
      out[i] = ledger.some((entry) =>
        entry.runId === runId && entry.outcome === outcome &&
        entry.attempt === attempt
      );
    }
    return out;
  }

  async #flush(): Promise<void> {
    let batch: Pending[] = [];
    try {
      const store = this.#store;
      const recorded = await withStoreLock(store, {}, async (lease) => {
        // Everything reported while the lock was awaited joins this batch.
        batch = this.#pending;
        this.#pending = [];
        const ids = [...new Set(batch.map((p) => p.jobId))];
        const finished = finishRuns(await store.read(lease, ids), batch);
        if (finished.changes.length > 0) {
          await store.commit(lease, finished.changes);
        }
        return finished.recorded;
      });
      // Read outside the lock: the look-up is rare, and claims wait on it.
      const settled = await this.#alreadyRecorded(batch, recorded);
      batch.forEach((p, i) => p.resolve(settled[i]!));
    } catch (error) {
      const failed = batch.length > 0 ? batch : this.#pending.splice(0);
      for (const p of failed) p.reject(error);
    }
  }
}
