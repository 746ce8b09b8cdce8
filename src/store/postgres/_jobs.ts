/**
 * Job rows of the PostgreSQL store: the columns a record is written to, and
 * the queries that read jobs and the ledger.
 *
 * A job row keeps its definition as JSON (`spec`) and its state in two
 * parts: what a claim or an outcome changes in columns of its own
 * (`version`, `cursor`, `next_slot`, `next_due_at`, `run_count`,
 * `changed_at`, and the small `runs`, `counters` and `last`), the rest (when
 * it was created, paused, its backlog and open range) as JSON (`state`),
 * rewritten only when it changes. A claim of a slot therefore writes a few
 * numbers and the job's runs in flight, not its whole state.
 *
 * Columns make the claim step's questions index lookups: `next_due_at`
 * (indexed), `active` (runs or a backlog; partial index), `backlog_ready`
 * (a backlog and no run; partial index) and `has_backlog` (a backlog;
 * partial index), with the instances running its runs in `job_runs` (see
 * `_due.ts`). `due()` and `nextDueAt()` therefore cost what is due, not the
 * number of jobs.
 *
 * @module
 */

import type postgres from "../../deps/postgres.ts";
import type {
  ActiveRun,
  JobId,
  JobRecord,
  JobSpec,
  JobState,
  LedgerEntry,
  Outcome,
} from "../../types.ts";
import type { Capabilities, HistoryQuery } from "../store.ts";
import { createModel, finishHistory } from "../_state.ts";
import type { Db, Sql } from "./_client.ts";

/**
 * The state fields a claim or an outcome changes, kept in columns of their
 * own (schema version 3) so that neither rewrites the job's JSON state.
 * `state` holds the rest: when it was created, whether it is paused, its
 * backlog and its open range.
 */
const HOT_FIELDS = [
  "version",
  "updatedAt",
  "cursor",
  "nextSlot",
  "nextDueAt",
  "runCount",
  "runs",
  "counters",
  "last",
] as const;

/** What a job row keeps of its state in `state` (see `HOT_FIELDS`). */
export type ColdState = Omit<JobState, (typeof HOT_FIELDS)[number]>;

/** The columns every read of whole jobs selects (see {@linkcode toRecord}). */
export const JOB_SELECT = `id, spec, state, version::float8 as version,
  changed_at as "changedAt", cursor, next_slot as "nextSlot",
  next_due_at as "nextDueAt", run_count::float8 as "runCount", runs,
  counters, last`;

/** A job state's columns, as written and as read. */
interface StateColumns {
  readonly state: ColdState;
  readonly version: number;
  readonly changedAt: number;
  readonly cursor: number;
  readonly nextSlot: number | null;
  readonly nextDueAt: number | null;
  readonly runCount: number;
  readonly runs: readonly ActiveRun[];
  readonly counters: Readonly<Record<Outcome, number>>;
  readonly last: JobState["last"] | null;
}

/** A job row as read with {@linkcode JOB_SELECT}. */
export interface JobRow extends StateColumns {
  readonly id: JobId;
  readonly spec: JobSpec;
}

/** What a job row's state is written to: its columns and those derived. */
interface StateWrite extends StateColumns {
  readonly active: boolean;
  readonly backlogReady: boolean;
  readonly hasBacklog: boolean;
}

/** The part of a state `state` holds: every field but `HOT_FIELDS`. */
export function coldState(state: JobState): ColdState {
  const {
    version: _version,
    updatedAt: _updatedAt,
    cursor: _cursor,
    nextSlot: _nextSlot,
    nextDueAt: _nextDueAt,
    runCount: _runCount,
    runs: _runs,
    counters: _counters,
    last: _last,
    ...cold
  } = state;
  return cold;
}

/**
 * Whether two states have the same `state` column: their cold fields are
 * the same values (the same objects, as the pure job functions keep what
 * they do not change, or equal JSON).
 *
 * @param a A state.
 * @param b Another.
 * @returns Whether writing `b` over `a` may leave `state` as it is.
 */
export function sameColdState(a: JobState, b: JobState): boolean {
  const x = coldState(a) as Record<string, unknown>;
  const y = coldState(b) as Record<string, unknown>;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const key of keys) {
    const [u, v] = [x[key], y[key]];
    if (u === v) continue;
    if (
      typeof u !== "object" || typeof v !== "object" ||
      JSON.stringify(u) !== JSON.stringify(v)
    ) return false;
  }
  return true;
}

/**
 * The columns of a state, and those derived from it that the due queries
 * use.
 *
 * @param state The state.
 * @returns Its columns.
 */
function stateColumns(state: JobState): StateWrite {
  const due = state.nextDueAt;
  return {
    state: coldState(state),
    version: state.version,
    changedAt: state.updatedAt,
    cursor: state.cursor,
    nextSlot: state.nextSlot ?? null,
    nextDueAt: typeof due === "number" && Number.isFinite(due) ? due : null,
    runCount: state.runCount,
    runs: state.runs,
    counters: state.counters,
    last: state.last ?? null,
    active: state.runs.length > 0 || state.backlog.length > 0,
    backlogReady: state.backlog.length > 0 && state.runs.length === 0,
    hasBacklog: state.backlog.length > 0,
  };
}

/** The target columns of a definition. */
function targetColumns(spec: JobSpec) {
  return {
    targetKind: spec.target.kind,
    targetName: spec.target.kind === "function" ? spec.target.name : null,
  };
}

/** `json_to_recordset`'s column list for {@linkcode StateWrite}. */
const STATE_RECORD = `state json, version bigint, "changedAt" float8,
  cursor float8, "nextSlot" float8, "nextDueAt" float8, "runCount" bigint,
  runs json, counters json, last json, active boolean, "backlogReady" boolean,
  "hasBacklog" boolean`;

/**
 * The statement that inserts jobs' rows (not yet sent): one statement for
 * many jobs (a jobs file of thousands is one commit).
 *
 * @param tx The commit's transaction.
 * @param records The jobs.
 * @returns The statement.
 */
export function insertJobRows(
  tx: Db,
  records: readonly JobRecord[],
): postgres.PendingQuery<postgres.Row[]> {
  const rows = records.map((record) => ({
    id: record.spec.id,
    spec: record.spec,
    ...targetColumns(record.spec),
    ...stateColumns(record.state),
  }));
  return tx.unsafe(
    `insert into jobs (id, spec, target_kind, target_name, state, version,
      changed_at, cursor, next_slot, next_due_at, run_count, runs, counters,
      last, active, backlog_ready, has_backlog)
    select id, spec, "targetKind", "targetName", state, version, "changedAt",
      cursor, "nextSlot", "nextDueAt", "runCount", runs, counters, last,
      active, "backlogReady", "hasBacklog"
    from json_to_recordset($1::text::json) as r(id text, spec json,
      "targetKind" text, "targetName" text, ${STATE_RECORD})`,
    [JSON.stringify(rows)],
  );
}

/** One job's new row for {@linkcode updateJobRows}. */
export interface JobUpdate {
  /** The job's new record. */
  readonly record: JobRecord;
  /** The version its row must have. */
  readonly expected: number;
  /** Its ledger entries appended so far. */
  readonly appended: number;
  /** Whether `spec` changed (else it is not sent). */
  readonly spec: boolean;
  /** Whether `state` changed (else it is not sent; see `sameColdState`). */
  readonly state: boolean;
}

/**
 * The statement that writes jobs' rows, each only if its version is the
 * one expected (a compare-and-set: it updates no row otherwise); it returns
 * the ids it updated. A claim or an outcome writes the state's columns
 * and leaves `spec` and `state` as they are. Not yet sent.
 *
 * @param tx The commit's transaction.
 * @param updates Each job's new record, expected version and ledger count.
 * @returns The statement.
 */
export function updateJobRows(
  tx: Db,
  updates: readonly JobUpdate[],
): postgres.PendingQuery<{ id: JobId }[]> {
  const rows = updates.map((update) => {
    const { spec, state } = update.record;
    const columns = stateColumns(state);
    return {
      id: spec.id,
      expected: update.expected,
      appended: update.appended,
      ...(update.spec ? { spec, ...targetColumns(spec) } : {}),
      ...columns,
      state: update.state ? columns.state : null,
    };
  });
  return tx.unsafe(
    `update jobs as j set spec = coalesce(r.spec, j.spec),
      target_kind = coalesce(r."targetKind", j.target_kind),
      target_name = case when r.spec is null then j.target_name
        else r."targetName" end,
      state = coalesce(r.state, j.state), version = r.version,
      changed_at = r."changedAt", cursor = r.cursor, next_slot = r."nextSlot",
      next_due_at = r."nextDueAt", run_count = r."runCount", runs = r.runs,
      counters = r.counters, last = r.last, active = r.active,
      backlog_ready = r."backlogReady", has_backlog = r."hasBacklog",
      appended = r.appended, updated_at = now()
    from json_to_recordset($1::text::json) as r(id text, expected bigint,
      appended bigint, spec json, "targetKind" text, "targetName" text,
      ${STATE_RECORD})
    where j.id = r.id and j.version = r.expected
    returning j.id`,
    [JSON.stringify(rows)],
  );
}

/**
 * The record of a row read with {@linkcode JOB_SELECT}.
 *
 * @param row The row.
 * @returns The record.
 */
export function toRecord(row: JobRow): JobRecord {
  const state: JobState = {
    ...row.state,
    version: Number(row.version),
    updatedAt: row.changedAt,
    cursor: row.cursor,
    ...(row.nextSlot !== null ? { nextSlot: row.nextSlot } : {}),
    ...(row.nextDueAt !== null ? { nextDueAt: row.nextDueAt } : {}),
    runCount: row.runCount,
    runs: row.runs,
    counters: row.counters,
    ...(row.last ? { last: row.last } : {}),
  };
  return { spec: row.spec, state };
}

/**
 * The records of the given ids that exist, in the order asked.
 *
 * @param sql A client or transaction.
 * @param ids Job ids.
 * @param lock Lock the rows for the transaction, waiting for rows another
 * holds; in id order, as every waiting lock turn takes them (so two turns
 * never wait for each other).
 * @returns The records found.
 */
export async function selectJobs(
  sql: Db,
  ids: readonly JobId[],
  lock = false,
): Promise<JobRecord[]> {
  const unique = [...new Set(ids)].filter((id) => typeof id === "string");
  if (unique.length === 0) return [];
  const rows = await sql<JobRow[]>`
    select ${sql.unsafe(JOB_SELECT)} from jobs
    where id in (select json_array_elements_text(${
    JSON.stringify(unique)
  }::text::json))
    ${lock ? sql`order by id for no key update` : sql``}`;
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
  const rows = await sql.unsafe<JobRow[]>(
    `select ${JOB_SELECT} from jobs order by id`,
  );
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
        select ${sql.unsafe(JOB_SELECT)} from jobs
        where (state -> 'openRange') is not null`
      : sql<JobRow[]>`
        select ${sql.unsafe(JOB_SELECT)} from jobs
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
  tx: Db,
  ids: readonly unknown[],
): Promise<(JobRow & { appended: number })[]> {
  const unique = [...new Set(ids.filter((id) => typeof id === "string"))];
  if (unique.length === 0) return [];
  return await tx<(JobRow & { appended: number })[]>`
    select ${tx.unsafe(JOB_SELECT)}, appended::float8 as appended from jobs
    where id in (select json_array_elements_text(${
    JSON.stringify(unique)
  }::text::json))
    order by id for no key update`;
}
