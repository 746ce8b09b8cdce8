/**
 * Job rows of the PostgreSQL store: the columns derived from a record (what
 * the due queries use), and the queries that read jobs and the ledger.
 *
 * A job row keeps its record as JSON (`spec`, `state`) plus columns that
 * make the claim step's questions index lookups: `next_due_at` (indexed),
 * `active` (runs or a backlog; partial index), `backlog_ready` (a backlog
 * and no run; partial index) and `has_backlog` (a backlog; partial index),
 * with the instances running its runs in `job_runs` (see `_due.ts`).
 * `due()` and `nextDueAt()` therefore cost what is due, not the number of
 * jobs.
 *
 * @module
 */

import type postgres from "postgres";
import type { JobId, JobRecord, JobSpec, LedgerEntry } from "../../types.ts";
import type { Capabilities, HistoryQuery } from "../store.ts";
import { createModel, finishHistory } from "../_state.ts";
import type { Sql, Tx } from "./_client.ts";

/** A job row as read. */
export interface JobRow {
  readonly id: JobId;
  readonly version: string | number;
  readonly spec: JobSpec;
  readonly state: JobRecord["state"];
}

/** The columns derived from a record. */
export interface JobColumns {
  readonly nextDueAt: number | null;
  readonly active: boolean;
  readonly backlogReady: boolean;
  readonly hasBacklog: boolean;
  readonly targetKind: string;
  readonly targetName: string | null;
}

/**
 * The derived columns of a record.
 *
 * @param record The job.
 * @returns Its columns.
 */
function jobColumns(record: JobRecord): JobColumns {
  const { state, spec } = record;
  const due = state.nextDueAt;
  return {
    nextDueAt: typeof due === "number" && Number.isFinite(due) ? due : null,
    active: state.runs.length > 0 || state.backlog.length > 0,
    backlogReady: state.backlog.length > 0 && state.runs.length === 0,
    hasBacklog: state.backlog.length > 0,
    targetKind: spec.target.kind,
    targetName: spec.target.kind === "function" ? spec.target.name : null,
  };
}

/**
 * The statement that inserts jobs' rows (not yet sent): one statement for
 * many jobs (a jobs file of thousands is one commit).
 *
 * @param tx The commit's transaction.
 * @param records The jobs.
 * @returns The statement.
 */
export function insertJobRows(
  tx: Tx,
  records: readonly JobRecord[],
): postgres.PendingQuery<postgres.Row[]> {
  const rows = records.map((record) => ({
    id: record.spec.id,
    version: record.state.version,
    spec: record.spec,
    state: record.state,
    ...jobColumns(record),
  }));
  return tx`
    insert into jobs (id, version, spec, state, next_due_at, active,
      backlog_ready, has_backlog, target_kind, target_name)
    select id, version, spec, state, "nextDueAt", active, "backlogReady",
      "hasBacklog", "targetKind", "targetName"
    from json_to_recordset(${JSON.stringify(rows)}::text::json) as r(
      id text, version bigint, spec json, state json, "nextDueAt" float8,
      active boolean, "backlogReady" boolean, "hasBacklog" boolean,
      "targetKind" text, "targetName" text)`;
}

/**
 * The statement that writes many jobs' rows, each only if its version is
 * the one expected (see {@linkcode updateJobRow}); it returns the ids it
 * updated. Not yet sent.
 *
 * @param tx The commit's transaction.
 * @param updates Each job's new record, expected version and ledger count.
 * @returns The statement.
 */
export function updateJobRows(
  tx: Tx,
  updates: readonly {
    readonly record: JobRecord;
    readonly expected: number;
    readonly appended: number;
  }[],
): postgres.PendingQuery<{ id: JobId }[]> {
  const rows = updates.map(({ record, expected, appended }) => ({
    id: record.spec.id,
    expected,
    version: record.state.version,
    spec: record.spec,
    state: record.state,
    appended,
    ...jobColumns(record),
  }));
  return tx<{ id: JobId }[]>`
    update jobs as j set version = r.version, spec = r.spec,
      state = r.state, next_due_at = r."nextDueAt", active = r.active,
      backlog_ready = r."backlogReady", has_backlog = r."hasBacklog",
      target_kind = r."targetKind", target_name = r."targetName",
      appended = r.appended, updated_at = now()
    from json_to_recordset(${JSON.stringify(rows)}::text::json) as r(
      id text, expected bigint, version bigint, spec json, state json,
      appended bigint, "nextDueAt" float8, active boolean,
      "backlogReady" boolean, "hasBacklog" boolean, "targetKind" text,
      "targetName" text)
    where j.id = r.id and j.version = r.expected
    returning j.id`;
}

/**
 * The statement that writes a job's row if its version is `expected` (a
 * compare-and-set: it updates no row otherwise). Not yet sent.
 *
 * @param tx The commit's transaction.
 * @param record The job's new record.
 * @param expected The version the row must have.
 * @param appended The job's ledger entries appended so far.
 * @returns The statement.
 */
export function updateJobRow(
  tx: Tx,
  record: JobRecord,
  expected: number,
  appended: number,
): postgres.PendingQuery<postgres.Row[]> {
  const c = jobColumns(record);
  return tx`
    update jobs set version = ${record.state.version}::bigint,
      spec = ${JSON.stringify(record.spec)}::text::json,
      state = ${JSON.stringify(record.state)}::text::json,
      next_due_at = ${c.nextDueAt}::float8, active = ${c.active}::boolean,
      backlog_ready = ${c.backlogReady}::boolean,
      has_backlog = ${c.hasBacklog}::boolean,
      target_kind = ${c.targetKind}, target_name = ${c.targetName},
      appended = ${appended}::bigint, updated_at = now()
    where id = ${record.spec.id} and version = ${expected}::bigint`;
}

/**
 * The record of a row.
 *
 * @param row A row with `spec` and `state`.
 * @returns The record.
 */
export function toRecord(row: Pick<JobRow, "spec" | "state">): JobRecord {
  return { spec: row.spec, state: row.state };
}

/**
 * The records of the given ids that exist, in the order asked.
 *
 * @param sql A client or transaction.
 * @param ids Job ids.
 * @returns The records found.
 */
export async function selectJobs(
  sql: Sql,
  ids: readonly JobId[],
): Promise<JobRecord[]> {
  const unique = [...new Set(ids)].filter((id) => typeof id === "string");
  if (unique.length === 0) return [];
  const rows = await sql<JobRow[]>`
    select id, spec, state from jobs
    where id in (select json_array_elements_text(${
    JSON.stringify(unique)
  }::text::json))`;
  const byId = new Map(rows.map((row) => [row.id, toRecord(row)]));
  return unique.flatMap((id) => byId.get(id) ?? []);
}

/**
 * Every job, by id.
 *
 * @param sql A client.
 * @returns The records.
 */
export async function selectAllJobs(sql: Sql): Promise<JobRecord[]> {
  const rows = await sql<JobRow[]>`select spec, state from jobs order by id`;
  return rows.map(toRecord);
}

/**
 * The earliest instant at which a job an instance can run needs the claim
 * step; `0` when one has a backlog ready to start.
 *
 * @param sql A client.
 * @param capabilities What the instance can run.
 * @param backlog Whether backlogs count.
 * @returns The instant, or `undefined`.
 */
export async function selectNextDueAt(
  sql: Sql,
  capabilities: Capabilities,
  backlog: boolean,
): Promise<number | undefined> {
  const commands = capabilities.commands;
  const modules = capabilities.modules;
  const functions = JSON.stringify(capabilities.functions);
  const capable = sql`(
    (target_kind = 'command' and ${commands}::boolean)
    or (target_kind = 'module' and ${modules}::boolean)
    or (target_kind = 'function' and target_name in
      (select json_array_elements_text(${functions}::text::json))))`;
  const [row] = await sql<{ at: number | null }[]>`
    select least(
      (select 0::float8 from jobs
        where ${backlog}::boolean and backlog_ready and ${capable} limit 1),
      (select next_due_at from jobs
        where next_due_at is not null and ${capable}
        order by next_due_at limit 1)) as at`;
  return row?.at ?? undefined;
}

/**
 * Ledger entries (oldest first) with each job's open range appended, as
 * `JobStore.history` describes.
 *
 * @param sql A client.
 * @param query The job and limit.
 * @returns The entries.
 */
export async function selectHistory(
  sql: Sql,
  query: HistoryQuery,
): Promise<LedgerEntry[]> {
  const job = query.job;
  if (job !== undefined && typeof job !== "string") return [];
  const limit = query.limit;
  if (limit !== undefined && limit <= 0) return [];
  const cap = limit === undefined ? null : Math.floor(limit);
  const [entries, open] = await Promise.all([
    job === undefined
      ? sql<{ entry: LedgerEntry }[]>`
        select entry from (
          select seq, entry from ledger order by seq desc limit ${cap}
        ) newest order by seq`
      : sql<{ entry: LedgerEntry }[]>`
        select entry from (
          select seq, entry from ledger where job = ${job}
          order by seq desc limit ${cap}
        ) newest order by seq`,
    job === undefined
      ? sql<JobRow[]>`
        select spec, state from jobs where (state -> 'openRange') is not null`
      : sql<JobRow[]>`
        select spec, state from jobs
        where id = ${job} and (state -> 'openRange') is not null`,
  ]);
  const model = createModel({
    jobs: open.map(toRecord),
    born: {},
    seq: 0,
    ledgerSeq: 0,
  });
  return finishHistory(model, entries.map((row) => row.entry), query);
}

/**
 * Locks the rows of the given jobs for this transaction and reads them.
 *
 * @param tx A transaction.
 * @param ids Job ids (any values; non-strings are ignored).
 * @returns The rows found, with the number of ledger entries appended.
 */
export async function lockJobs(
  tx: Tx,
  ids: readonly unknown[],
): Promise<(JobRow & { appended: number })[]> {
  const unique = [...new Set(ids.filter((id) => typeof id === "string"))];
  if (unique.length === 0) return [];
  return await tx<(JobRow & { appended: number })[]>`
    select id, version, spec, state, appended::float8 as appended from jobs
    where id in (select json_array_elements_text(${
    JSON.stringify(unique)
  }::text::json))
    order by id for no key update`;
}
