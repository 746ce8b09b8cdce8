/**
 * The PostgreSQL store's answer to "which jobs need the claim step", in
 * rows proportional to the answer: jobs due by `until` (`next_due_at`),
 * jobs with a backlog (`has_backlog`), and the jobs with runs of dead
 * instances, found through `job_runs` (one row per job and instance with
 * runs of it), which every commit keeps in step with the jobs' states.
 *
 * Deadness is the caller's predicate, so a claim first reads the distinct
 * instances that have runs (a loose index scan: one probe per instance),
 * judges them in JavaScript, then asks for the jobs of the dead ones.
 *
 * @module
 */

import type postgres from "../../deps/postgres.ts";
import type { JobId, JobRecord, JobState } from "../../types.ts";
import type { DueOptions } from "../store.ts";
import type { Db } from "./_client.ts";
import { JOB_SELECT, type JobRow, toRecord } from "./_jobs.ts";

/**
 * The distinct instances with runs, one index probe each (PostgreSQL has
 * no skip scan, so the recursion does it).
 */
export const RUN_INSTANCES_SQL = `
  with recursive i (instance) as (
    (select instance from job_runs order by instance limit 1)
    union all
    select (select r.instance from job_runs r where r.instance > i.instance
            order by r.instance limit 1)
    from i where i.instance is not null)
  select instance from i where instance is not null`;

/**
 * Jobs due by `$1` (at most `$3` of them, earliest due first; all when
 * null), with a backlog, or with runs of the instances in the array
 * literal `$2`; earliest due first (jobs without a due time first), then
 * by id. A job may come twice (keep the first).
 *
 * Each branch locks its rows for the lease's transaction, and passes over
 * rows another transaction holds (`skip locked`): another instance is
 * claiming them, and this one claims the next due jobs beside it. It never
 * waits. The rows returned are those locked (a row changed meanwhile is
 * read as it now is, and left out if it is no longer due).
 */
export const DUE_SQL = `
  with picked as materialized (
    select ${JOB_SELECT} from jobs where next_due_at <= $1::float8
    order by next_due_at, id limit $3::float8::bigint
    for no key update skip locked),
  backlog as materialized (
    select ${JOB_SELECT} from jobs where has_backlog
    for no key update skip locked),
  dead as materialized (
    select ${JOB_SELECT} from jobs
    where cardinality ($2::text::text[]) > 0 and id in (
      select job from job_runs where instance = any ($2::text::text[]))
    for no key update skip locked)
  select * from picked union all select * from backlog
  union all select * from dead
  order by "nextDueAt" asc nulls first, id`;

/**
 * A first claim's read: jobs due by `$1`, with a backlog, or with runs, all
 * of them. It waits for rows other turns hold, taking every row in one
 * pass in id order, as every waiting turn does, so that no two turns wait
 * for each other. The ids are collected into an array first, which keeps
 * the planner from joining (and scanning) `jobs`.
 */
export const DUE_ALL_SQL = `
  select ${JOB_SELECT} from jobs where id = any (array (
    select id from jobs where next_due_at <= $1::float8
    union select id from jobs where has_backlog
    union select id from jobs where active))
  order by id for no key update`;

/**
 * The instances running a job's runs, sorted and distinct (what `job_runs`
 * holds for it).
 *
 * @param state The job's state.
 * @returns The instance ids.
 */
export function runInstances(state: JobState): string[] {
  return [...new Set(state.runs.map((run) => run.instance))].sort();
}

/**
 * Jobs needing the claim step by `until`, as {@linkcode DUE_SQL} says:
 * with `options.all` every job with runs, else those with runs of an
 * instance `options.isDead` names.
 *
 * @param sql A client (on the lock's connection).
 * @param until Epoch ms.
 * @param options Which jobs with active runs to include.
 * @returns The records.
 */
export async function selectDue(
  sql: Db,
  until: number,
  options: DueOptions = {},
): Promise<JobRecord[]> {
  if (options.all === true) {
    const rows = await sql.unsafe<JobRow[]>(DUE_ALL_SQL, [until]);
    return rows.map(toRecord).sort(earliestDue);
  }
  const isDead = options.isDead;
  const limit = options.limit !== undefined && Number.isFinite(options.limit)
    ? Math.max(1, Math.floor(options.limit))
    : null;
  // One round trip in the common case: both statements are pipelined on the
  // connection, and only a dead instance costs a second query (which
  // returns the rows the first locked, and those of the dead instances).
  const [instances, rows] = await Promise.all([
    isDead ? sql.unsafe<{ instance: string }[]>(RUN_INSTANCES_SQL) : [],
    sql.unsafe<JobRow[]>(DUE_SQL, [until, "{}", limit]),
  ]);
  const dead = isDead
    ? instances.map((row) => row.instance).filter((id) => isDead(id))
    : [];
  if (dead.length === 0) return distinct(rows);
  const withDead = await sql.unsafe<JobRow[]>(DUE_SQL, [
    until,
    arrayLiteral(dead),
    limit,
  ]);
  return distinct(withDead);
}

/** Earliest due first (no due time first), then by id, as DUE_SQL orders. */
function earliestDue(a: JobRecord, b: JobRecord): number {
  const x = a.state.nextDueAt ?? -Infinity;
  const y = b.state.nextDueAt ?? -Infinity;
  if (x !== y) return x < y ? -1 : 1;
  return a.spec.id < b.spec.id ? -1 : a.spec.id > b.spec.id ? 1 : 0;
}

/** The records of the rows, each job once (its first row). */
function distinct(rows: readonly JobRow[]): JobRecord[] {
  const seen = new Set<JobId>();
  const records: JobRecord[] = [];
  for (const row of rows) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    records.push(toRecord(row));
  }
  return records;
}

/**
 * A PostgreSQL array literal of strings (a constant array lets the planner
 * estimate the matching rows, which a JSON array does not).
 *
 * @param values The strings.
 * @returns The literal, every element quoted.
 */
export function arrayLiteral(values: readonly string[]): string {
  const quoted = values.map((v) => `"${v.replace(/["\\]/g, "\\$&")}"`);
  return `{${quoted.join(",")}}`;
}

/**
 * Sets `job_runs` of the given jobs to their instances: removes the pairs
 * no longer running, adds the new ones. The jobs' rows must exist.
 *
 * @param tx The commit's transaction.
 * @param jobs Each job with its instances, as {@linkcode runInstances} says.
 * @returns The statement (not yet sent).
 */
export function syncJobRuns(
  tx: Db,
  jobs: readonly { job: JobId; instances: readonly string[] }[],
): postgres.PendingQuery<postgres.Row[]> {
  // Both parts see the rows as they were before the statement; they touch
  // different pairs (gone ones, new ones), so the order does not matter.
  return tx`
    with changed as (
      select j ->> 'job' as job, j -> 'instances' as instances
      from json_array_elements(${JSON.stringify(jobs)}::text::json) j),
    wanted as (
      select c.job, i as instance from changed c
      cross join lateral json_array_elements_text(c.instances) i),
    gone as (
      delete from job_runs r using changed c
      where r.job = c.job and not exists (
        select 1 from wanted w where w.job = r.job and w.instance = r.instance))
    insert into job_runs (job, instance)
    select job, instance from wanted
    on conflict do nothing`;
}
