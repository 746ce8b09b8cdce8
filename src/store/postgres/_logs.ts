/**
 * Run logs of the PostgreSQL store: one row per attempt, the newest 100 per
 * job kept (trimmed at every save), deleted with their job (a foreign key
 * with `on delete cascade`).
 *
 * @module
 */

import type { JobId } from "../../types.ts";
import type { LogQuery, RunLog } from "../store.ts";
import { LOG_LIMIT, selectLogs } from "../_logs.ts";
import type { Sql } from "./_client.ts";

const FOREIGN_KEY_VIOLATION = "23503";

/**
 * Saves one attempt's log (replacing the same run and attempt), unless its
 * job does not exist, and trims the job's logs to the newest 100.
 *
 * @param sql A client.
 * @param log A checked log.
 */
export async function insertLog(sql: Sql, log: RunLog): Promise<void> {
  try {
    await sql.begin(async (tx) => {
      const saved = await tx`
        insert into logs (job, run_id, attempt, started_at, finished_at, log)
        select ${log.job}, ${log.runId}, ${log.attempt}::int,
          ${log.startedAt}::float8, ${log.finishedAt}::float8,
          ${JSON.stringify(log)}::text::json
        where exists (select 1 from jobs where id = ${log.job})
        on conflict (job, run_id, attempt) do update
          set started_at = excluded.started_at,
            finished_at = excluded.finished_at, log = excluded.log`;
      if (saved.count === 0) return;
      await tx`
        delete from logs where job = ${log.job}
          and (started_at, finished_at, run_id, attempt) < (
            select started_at, finished_at, run_id, attempt from logs
            where job = ${log.job}
            order by started_at desc, finished_at desc, run_id desc,
              attempt desc
            offset ${LOG_LIMIT - 1} limit 1)`;
    });
  } catch (error) {
    // The job was deleted while the log was being saved: drop the log.
    if ((error as { code?: string })?.code === FOREIGN_KEY_VIOLATION) return;
    throw error;
  }
}

/**
 * A job's logs, oldest first: the newest 100, then the query's filters.
 *
 * @param sql A client.
 * @param job A checked job id.
 * @param query The run filter and limit.
 * @returns The logs.
 */
export async function selectJobLogs(
  sql: Sql,
  job: JobId,
  query: LogQuery,
): Promise<RunLog[]> {
  const rows = await sql<{ log: RunLog }[]>`
    select log from (
      select log, started_at, finished_at, run_id, attempt from logs
      where job = ${job}
      order by started_at desc, finished_at desc, run_id desc, attempt desc
      limit ${LOG_LIMIT}
    ) newest
    order by started_at, finished_at, run_id, attempt`;
  return selectLogs(rows.map((row) => row.log), query);
}
