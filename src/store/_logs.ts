/**
 * Run-log rules shared by the stores: validation (ids become file names in
 * the file store), the order logs are listed in, the per-job cap, and
 * queries.
 *
 * A log whose job does not exist when it is saved is dropped: a run can end
 * right after its job was removed, and a log kept then would outlive the job
 * (and show up under a new job of the same id).
 *
 * @module
 */

import type { LogQuery, RunLog } from "./store.ts";
import { ID_SYNTAX, isValidId } from "./_ids.ts";

/** Logs kept per job; saving one more drops the oldest. */
export const LOG_LIMIT = 100;

/**
 * Throws a `TypeError` unless the log's job id, run id and attempt can be
 * stored (and used in a file name).
 *
 * @param log The log to save.
 * @throws {TypeError} If an id or the attempt is invalid.
 */
export function checkLog(log: RunLog): void {
  if (!isValidId(log?.job)) {
    throw new TypeError(
      `Cannot save run log: job id ${
        JSON.stringify(log?.job)
      } must match ${ID_SYNTAX}`,
    );
  }
  if (!isValidId(log.runId)) {
    throw new TypeError(
      `Cannot save run log: run id ${
        JSON.stringify(log.runId)
      } must match ${ID_SYNTAX}`,
    );
  }
  if (!Number.isSafeInteger(log.attempt) || log.attempt < 1) {
    throw new TypeError(
      `Cannot save run log: attempt must be a positive integer: received ${log.attempt}`,
    );
  }
}

/**
 * Throws a `TypeError` unless `job` is a valid job id.
 *
 * @param job The job id to read logs of.
 * @throws {TypeError} If it is invalid.
 */
export function checkLogJob(job: unknown): void {
  if (!isValidId(job)) {
    throw new TypeError(
      `Cannot read run logs: job id ${
        JSON.stringify(job)
      } must match ${ID_SYNTAX}`,
    );
  }
}

/**
 * Orders logs oldest first: by start, then end, run id and attempt, so
 * every backend lists the same logs in the same order.
 *
 * @param a One log.
 * @param b Another.
 * @returns Negative when `a` comes first.
 */
export function compareLogs(a: RunLog, b: RunLog): number {
  return a.startedAt - b.startedAt || a.finishedAt - b.finishedAt ||
    (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0) ||
    a.attempt - b.attempt;
}

/**
 * Applies a query to one job's logs, sorted oldest first: only the newest
 * {@linkcode LOG_LIMIT} count, then the run filter, then the limit.
 *
 * @param sorted The job's logs, oldest first.
 * @param query The query.
 * @returns The selected logs, oldest first.
 */
export function selectLogs(
  sorted: readonly RunLog[],
  query: LogQuery,
): RunLog[] {
  let logs = sorted.slice(-LOG_LIMIT);
  if (query.runId !== undefined) {
    logs = logs.filter((log) => log.runId === query.runId);
  }
  const limit = query.limit;
  if (limit === undefined || limit >= logs.length) return logs;
  return limit <= 0 ? [] : logs.slice(logs.length - limit);
}
