/**
 * Recording a run's outcome, as a pure function over the job record.
 *
 * @module
 */

import type {
  ErrorInfo,
  JobRecord,
  JobState,
  LedgerEntry,
  RunOutcome,
} from "../types.ts";
import type { StoreChange } from "../store/store.ts";
import { StateDraft } from "./job_state.ts";

/** What an instance reports when a run ends. */
export interface RunResult {
  readonly runId: string;
  readonly outcome: RunOutcome;
  readonly attempt: number;
  readonly startedAt?: number;
  readonly finishedAt: number;
  readonly error?: ErrorInfo;
}

/**
 * Removes a finished run from the job's active runs and records its outcome.
 *
 * @param record The job as stored now.
 * @param result What the run ended with.
 * @returns The new state and ledger entries, or `undefined` when the run is
 * no longer active (another instance recovered it: its outcome is fenced).
 */
export function finishRun(
  record: JobRecord,
  result: RunResult,
): { state: JobState; entries: readonly LedgerEntry[] } | undefined {
  const run = record.state.runs.find((r) => r.runId === result.runId);
  if (!run) return undefined;
  const draft = new StateDraft(record.spec.id, record.state);
  draft.state.runs = record.state.runs.filter((r) => r !== run);
  draft.record({
    slot: run.slot,
    outcome: result.outcome,
    trigger: run.trigger,
    runId: run.runId,
    instance: run.instance,
    attempt: result.attempt,
    ...(result.startedAt !== undefined ? { startedAt: result.startedAt } : {}),
    finishedAt: result.finishedAt,
    ...(result.error ? { error: result.error } : {}),
    ...(run.note !== undefined ? { note: run.note } : {}),
  }, result.finishedAt);
  return { state: draft.finish(result.finishedAt), entries: draft.entries };
}

/**
 * The changes that record several runs' outcomes: one new version per job,
 * however many of its runs ended, and their ledger entries in order.
 *
 * @param records The jobs as stored now (missing ones: their runs fenced).
 * @param results What the runs ended with, with their jobs.
 * @returns The changes, and for each result whether it was recorded
 * (false: the run is no longer active, its outcome is fenced).
 */
export function finishRuns(
  records: readonly JobRecord[],
  results: readonly { readonly jobId: string; readonly result: RunResult }[],
): { changes: StoreChange[]; recorded: boolean[] } {
  const current = new Map(records.map((r) => [r.spec.id, r]));
  const entries: StoreChange[] = [];
  const recorded = results.map(({ jobId, result }) => {
    const record = current.get(jobId);
    const done = record && finishRun(record, result);
    if (!record || !done) return false;
    current.set(jobId, { spec: record.spec, state: done.state });
    for (const entry of done.entries) {
      entries.push({ type: "ledger.append", entry });
    }
    return true;
  });
  const changes: StoreChange[] = [];
  for (const before of records) {
    const id = before.spec.id;
    const after = current.get(id)!.state;
    if (after === before.state) continue;
    const state = { ...after, version: before.state.version + 1 };
    changes.push({ type: "job.state", id, state });
  }
  return { changes: changes.concat(entries), recorded };
}
