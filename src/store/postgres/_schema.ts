/**
 * The PostgreSQL store's schema, created and migrated by tock itself.
 *
 * Every change to the tables is a numbered migration, recorded in the
 * schema's `migrations` table when applied. Opening a store applies the
 * missing ones in one transaction under an advisory lock (so two processes
 * starting at once do not race), and refuses a schema whose version is newer
 * than this tock knows, or a schema that holds tables but is not tock's.
 *
 * @module
 */

import { StoreError } from "../../errors.ts";
import type { Db, Sql } from "./_client.ts";

/** The schema version this tock writes. */
export const SCHEMA_VERSION = 3;

/** First key of the migration lock ("tocm"). */
const MIGRATION_CLASS = 0x746f636d;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

/**
 * Throws unless `schema` is a plain lower-case identifier (it is written
 * into DDL and channel names unquoted).
 *
 * @param schema The schema name.
 * @throws {TypeError} If it is not one.
 */
export function assertSchemaName(schema: unknown): asserts schema is string {
  if (typeof schema !== "string" || !SCHEMA_NAME.test(schema)) {
    throw new TypeError(
      `Cannot open PostgreSQL store: schema must match ${SCHEMA_NAME.source}: received ${
        JSON.stringify(schema)
      }`,
    );
  }
}

/**
 * The second key of the schema's migration lock: a 31-bit FNV-1a hash of
 * its name, so stores in different schemas do not exclude each other.
 *
 * @param schema The schema name.
 * @returns A non-negative 32-bit integer.
 */
export function schemaKey(schema: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(schema)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash & 0x7fffffff;
}

/** The tables of version 1 (`S` is replaced by the schema name). */
const V1 = `
create table S.jobs (
  id text collate "C" primary key,
  version bigint not null,
  spec json not null,
  state json not null,
  next_due_at double precision,
  active boolean not null,
  backlog_ready boolean not null,
  target_kind text not null,
  target_name text,
  appended bigint not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index jobs_next_due_at on S.jobs (next_due_at)
  where next_due_at is not null;
create index jobs_active on S.jobs (id) where active;
create index jobs_backlog_ready on S.jobs (id) where backlog_ready;

create table S.ledger (
  seq bigint generated always as identity primary key,
  job text collate "C" not null references S.jobs (id) on delete cascade,
  slot double precision not null,
  until_slot double precision,
  slot_count bigint,
  outcome text not null,
  run_trigger text,
  run_id text,
  instance text,
  entry json not null,
  recorded_at timestamptz not null default now()
);
create index ledger_job_seq on S.ledger (job, seq);

create table S.claims (
  job text collate "C" not null references S.jobs (id) on delete cascade,
  slot double precision not null,
  kind text not null check (kind in ('first', 'recovery')),
  run_id text not null,
  instance text not null,
  claimed_at double precision not null,
  recorded_at timestamptz not null default now(),
  primary key (job, slot, kind)
);

create table S.counters (
  job text collate "C" not null references S.jobs (id) on delete cascade,
  outcome text not null,
  count bigint not null,
  primary key (job, outcome)
);

create table S.logs (
  job text collate "C" not null references S.jobs (id) on delete cascade,
  run_id text collate "C" not null,
  attempt integer not null,
  started_at double precision not null,
  finished_at double precision not null,
  log json not null,
  primary key (job, run_id, attempt)
);
create index logs_job_order
  on S.logs (job, started_at, finished_at, run_id, attempt);

create table S.instances (
  id text collate "C" primary key,
  beat double precision not null,
  heartbeat_at double precision not null,
  record json not null,
  db_heartbeat_at timestamptz not null default clock_timestamp(),
  registered_at timestamptz not null default clock_timestamp()
);
`;

/**
 * Version 2: what `due()` needs to read only the jobs that need the claim
 * step. `has_backlog` (a backlog, with or without runs) and `job_runs` (a
 * job and an instance it has runs of), filled from the existing states in
 * the migration's transaction; commits keep them in step from then on.
 */
const V2 = `
alter table S.jobs add column has_backlog boolean not null default false;
create index jobs_has_backlog on S.jobs (id) where has_backlog;

create table S.job_runs (
  job text collate "C" not null references S.jobs (id) on delete cascade,
  instance text collate "C" not null,
  primary key (job, instance)
);
create index job_runs_instance on S.job_runs (instance, job);

update S.jobs set has_backlog = true
where active and json_array_length(state -> 'backlog') > 0;
insert into S.job_runs (job, instance)
select distinct j.id, r ->> 'instance'
from S.jobs j cross join lateral json_array_elements(j.state -> 'runs') r
where j.active and r ->> 'instance' is not null;
`;

/**
 * Version 3: the state fields a claim or an outcome changes move out of
 * the JSON `state` into columns (see `_jobs.ts`), so that neither rewrites
 * the job's whole state. The existing states are split in the migration's
 * transaction.
 */
const V3 = `
alter table S.jobs add column changed_at double precision,
  add column cursor double precision, add column next_slot double precision,
  add column run_count bigint, add column runs json, add column counters json,
  add column last json;
update S.jobs set changed_at = (state ->> 'updatedAt')::float8,
  cursor = (state ->> 'cursor')::float8,
  next_slot = (state ->> 'nextSlot')::float8,
  run_count = (state ->> 'runCount')::bigint,
  runs = coalesce(state -> 'runs', '[]'::json),
  counters = coalesce(state -> 'counters', '{}'::json),
  last = state -> 'last',
  state = (state::jsonb - array['version', 'updatedAt', 'cursor', 'nextSlot',
    'nextDueAt', 'runCount', 'runs', 'counters', 'last'])::json;
alter table S.jobs alter column changed_at set not null,
  alter column cursor set not null, alter column run_count set not null,
  alter column runs set not null, alter column counters set not null;
`;

const MIGRATIONS: readonly { version: number; name: string; ddl: string }[] = [
  {
    version: 1,
    name: "jobs, ledger, claims, counters, logs, instances",
    ddl: V1,
  },
  { version: 2, name: "jobs.has_backlog, job_runs", ddl: V2 },
  { version: 3, name: "the state's changing fields as columns", ddl: V3 },
];

/**
 * Creates or migrates the schema, or refuses it.
 *
 * @param sql A client of the store.
 * @param schema The schema name (already checked).
 * @param context The start of error messages.
 * @param target The version to migrate to (tests build older schemas).
 * @throws {StoreError} If the schema is newer than this tock, not tock's,
 * or the database fails.
 */
export async function migrate(
  sql: Sql,
  schema: string,
  context: string,
  target: number = SCHEMA_VERSION,
): Promise<void> {
  // The common case, an up-to-date schema, needs no lock and no DDL.
  if ((await version(sql, schema, context)) === target) return;
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_CLASS}::int4, ${
      schemaKey(schema)
    }::int4)`;
    const current = await version(tx, schema, context);
    if (current >= target) return;
    if (current === 0) {
      await tx.unsafe(`create schema if not exists ${schema}`);
      await tx.unsafe(`create table ${schema}.migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`);
    }
    for (const step of MIGRATIONS) {
      if (step.version <= current || step.version > target) continue;
      await tx.unsafe(step.ddl.replaceAll("S.", `${schema}.`));
      await tx.unsafe(
        `insert into ${schema}.migrations (version, name) values ($1, $2)`,
        [step.version, step.name],
      );
    }
  });
}

/**
 * Throws unless the schema is a tock schema at this tock's version (a
 * read-only open, which creates and migrates nothing).
 *
 * @param sql A client of the store.
 * @param schema The schema name (already checked).
 * @param context The start of error messages.
 * @throws {StoreError} If there is no tock schema, or it is at another
 * version, or not tock's.
 */
export async function assertCurrent(
  sql: Sql,
  schema: string,
  context: string,
): Promise<void> {
  const current = await version(sql, schema, context);
  if (current === 0) {
    throw new StoreError(
      `${context}: there is no tock schema "${schema}" in this database (nothing was created; a command that writes, such as tock add or tock start, creates it)`,
    );
  }
  if (current < SCHEMA_VERSION) {
    throw new StoreError(
      `${context}: schema "${schema}" is at version ${current}, older than this tock (${SCHEMA_VERSION}); a command that writes, such as tock start, migrates it`,
    );
  }
}

/** The schema's version: 0 when there is no schema or it is empty. */
async function version(
  sql: Db,
  schema: string,
  context: string,
): Promise<number> {
  const [found] = await sql<{ tables: number; marked: boolean }[]>`
    select count(*)::int as tables,
      to_regclass(${`${schema}.migrations`}) is not null as marked
    from pg_tables where schemaname = ${schema}`;
  if (!found?.marked) {
    if ((found?.tables ?? 0) > 0) {
      throw new StoreError(
        `${context}: schema "${schema}" holds tables but is not a tock store (no migrations table)`,
      );
    }
    return 0;
  }
  const [row] = await sql.unsafe<{ version: number | null }[]>(
    `select max(version) as version from ${schema}.migrations`,
  );
  const current = row?.version ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new StoreError(
      `${context}: schema "${schema}" is at version ${current}, newer than this tock knows (${SCHEMA_VERSION}); upgrade tock`,
    );
  }
  return current;
}
