/**
 * The benchmark's own PostgreSQL connection (outside the store): the
 * database URL, throw-away schemas, and copying a built store's rows into a
 * fresh schema. Everything here goes through SQL on tables the store
 * created itself, so it follows the store's schema as it changes.
 *
 * The URL is `TOCK_BENCH_POSTGRES_URL`, else `TOCK_TEST_POSTGRES_URL`, else
 * the local test database.
 *
 * @module
 */

import postgres from "postgres";

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** The database the PostgreSQL rows are measured on. */
export const PG_URL: string = env("TOCK_BENCH_POSTGRES_URL") ??
  env("TOCK_TEST_POSTGRES_URL") ?? "postgres://postgres@127.0.0.1:5432/test";

/** The prefix of every schema the benchmark creates. */
export const SCHEMA_PREFIX = "tock_bench_";

/**
 * Runs statements on a short-lived connection of the benchmark's own.
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
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/**
 * A new schema name for one store (`tock_bench_<16 hex>`).
 *
 * @returns The name.
 */
export function freshSchema(): string {
  return `${SCHEMA_PREFIX}${
    crypto.randomUUID().replaceAll("-", "").slice(0, 16)
  }`;
}

/** Throws unless `schema` is one the benchmark creates (it is spliced in). */
export function assertBenchSchema(schema: string): void {
  if (!new RegExp(`^${SCHEMA_PREFIX}[a-z0-9_]{1,28}$`).test(schema)) {
    throw new TypeError(
      `Cannot use schema '${schema}': not a benchmark schema (${SCHEMA_PREFIX}…)`,
    );
  }
}

/**
 * Drops a benchmark schema and everything in it.
 *
 * @param schema The schema.
 */
export async function dropSchema(schema: string): Promise<void> {
  assertBenchSchema(schema);
  await withAdmin((sql) =>
    sql.unsafe(`drop schema if exists ${schema} cascade`)
  );
}

/**
 * Copies every row of one store's tables into another store (both created
 * by the store, so their tables match), except run logs' and instances'
 * rows (heartbeats belong to the processes that wrote them).
 *
 * @param from The schema to copy.
 * @param to An empty store's schema.
 */
export async function copyRows(from: string, to: string): Promise<void> {
  assertBenchSchema(from);
  assertBenchSchema(to);
  await withAdmin(async (sql) => {
    const tables = await sql<{ name: string }[]>`
      select table_name as name from information_schema.tables
      where table_schema = ${from} and table_type = 'BASE TABLE'
        and table_name not in ('migrations', 'instances', 'logs')
      order by table_name <> 'jobs', table_name`;
    await sql.begin(async (tx) => {
      for (const { name } of tables) {
        await tx.unsafe(
          `insert into ${to}."${name}" overriding system value
           select * from ${from}."${name}"`,
        );
      }
    });
    await sql.unsafe(`analyze ${to}.jobs`);
  });
}
