// Shared set-up of the PostgreSQL tests: the database URL, a probe that
// decides whether the tests run, and throw-away schemas.
//
// The URL is `TOCK_TEST_POSTGRES_URL`, else the local test database. When
// the database cannot be reached, the tests are registered as ignored with
// a name that says why; with `CI=true` (or `TOCK_TEST_POSTGRES_REQUIRED=1`,
// which `deno task test:props` sets) a failing test says so instead, so CI
// and long property runs never pass without having run them.
import postgres from "postgres";
import {
  createPostgresStore,
  type PostgresStoreOptions,
} from "../../../src/store/postgres/postgres_store.ts";
import type { JobStore } from "../../../src/store/store.ts";

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** The database the tests use. */
export const PG_URL: string = env("TOCK_TEST_POSTGRES_URL") ??
  "postgres://postgres@127.0.0.1:5432/test";

/** The URL without a password, for test names and messages. */
export const PG_LABEL: string = PG_URL.replace(/:[^/:@]*@/, ":***@");

async function probe(): Promise<string | undefined> {
  const sql = postgres(PG_URL, {
    max: 1,
    connect_timeout: 3,
    onnotice: () => {},
  });
  try {
    await sql`select 1`;
    return undefined;
  } catch (error) {
    return String((error as Error)?.message ?? error).replace(/\s+/g, " ");
  } finally {
    await sql.end({ timeout: 0 }).catch(() => {});
  }
}

const problem = await probe();

/**
 * Whether this file's PostgreSQL tests must be ignored. Registers a test
 * that explains why: ignored locally, failing when `CI=true` or
 * `TOCK_TEST_POSTGRES_REQUIRED=1` (as `deno task test:props` sets).
 *
 * @param what The tests, for the message.
 */
export function ignorePostgres(what: string): boolean {
  if (problem === undefined) return false;
  const message =
    `PostgreSQL is not reachable at ${PG_LABEL} (${problem}); start it or set TOCK_TEST_POSTGRES_URL`;
  const required = env("CI") === "true" ||
    env("TOCK_TEST_POSTGRES_REQUIRED") === "1";
  Deno.test({
    name: `${what}: ${required ? "FAILED" : "ignored"}: ${message}`,
    ignore: !required,
    fn() {
      throw new Error(`${what} cannot run: ${message}`);
    },
  });
  return true;
}

/** A new schema name, unique to one test. */
export function freshSchema(): string {
  return `tock_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
}

/**
 * Runs statements on a short-lived admin connection.
 *
 * @param fn The statements.
 * @returns What `fn` returns.
 */
export async function withAdmin<T>(
  fn: (sql: postgres.Sql) => Promise<T>,
): Promise<T> {
  const sql = postgres(PG_URL, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * Terminates the sessions whose lock turns hold jobs of the schema: open
 * transactions that locked rows of its `jobs` table (a claim, an outcome
 * batch… in flight).
 *
 * @param sql An admin connection.
 * @param schema The store's schema.
 * @returns How many sessions were terminated.
 */
export async function terminateLockTurns(
  sql: postgres.Sql,
  schema: string,
): Promise<number> {
  const rows = await sql<{ done: boolean }[]>`
    select pg_terminate_backend(pid) as done from pg_locks
    where locktype = 'relation' and granted and pid <> pg_backend_pid()
      and relation = to_regclass(${`${schema}.jobs`})
      and mode in ('RowShareLock', 'RowExclusiveLock')`;
  return rows.filter((row) => row.done).length;
}

/**
 * Waits until a tock session waits for a lock (a row another transaction
 * holds), so that a test knows a turn is blocked instead of sleeping and
 * hoping; fails after 10 s.
 */
export async function waitForLockWait(): Promise<void> {
  await withAdmin(async (sql) => {
    for (let i = 0; i < 1000; i++) {
      const [row] = await sql<{ waiting: boolean }[]>`
        select exists (
          select 1 from pg_stat_activity
          where wait_event_type = 'Lock' and application_name = 'tock'
        ) as waiting`;
      if (row?.waiting) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error("no tock session waited for a lock within 10 s");
  });
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  await withAdmin(async (sql) => {
    await sql.unsafe(`drop schema if exists ${schema} cascade`);
  });
}

/**
 * A PostgreSQL store in a fresh schema, closed and dropped at disposal.
 *
 * @param options More store options (a `schema` replaces the fresh one).
 * @returns The store and its schema.
 */
export async function schemaStore(
  options: Partial<PostgresStoreOptions> = {},
): Promise<
  { store: JobStore; schema: string; [Symbol.asyncDispose](): Promise<void> }
> {
  const schema = options.schema ?? freshSchema();
  const store = await createPostgresStore({ url: PG_URL, schema, ...options });
  return {
    store,
    schema,
    async [Symbol.asyncDispose]() {
      await store.close();
      await dropSchema(schema);
    },
  };
}
