/**
 * Building large PostgreSQL stores fast. The store inserts one row per job
 * per statement, which makes 1,000,000 jobs a matter of minutes; here the
 * first job of each group is created through the store itself
 * (`job.create`, so its row is exactly what the store writes), and the
 * other jobs are copies of that row made in SQL with `generate_series`,
 * their `id` and the id inside `spec` replaced. Every other column (the JSON
 * state, the due columns, whatever later schema versions add) is copied as
 * is, which is right because the jobs of a group differ only in their id
 * ({@linkcode templateParts} and {@linkcode assertUniform} check that).
 * 1,000,000 jobs take about 8 s on 2 cores, and copying them into another
 * schema (`copyRows()` of `_pg.ts`) about 7 s, so no store is cached between
 * runs.
 *
 * @module
 */

import type { JobGroup } from "./_jobs.ts";
import { jobRecord, seedJobs } from "./_jobs.ts";
import { openStore, type PostgresSpec } from "./_stores.ts";
import { assertBenchSchema, withAdmin } from "./_pg.ts";

/** Rows per `insert … select` statement. */
const CHUNK = 250_000;

/**
 * Splits a template job's `spec` JSON around its id value.
 *
 * @param specJson The `spec` text of the group's first job.
 * @param id That job's id.
 * @returns The text before and after the id's JSON string.
 * @throws {Error} Unless the id's JSON string occurs exactly once.
 */
export function templateParts(
  specJson: string,
  id: string,
): [before: string, after: string] {
  const quoted = JSON.stringify(id);
  const at = specJson.indexOf(quoted);
  if (at < 0 || specJson.indexOf(quoted, at + 1) >= 0) {
    throw new Error(
      `Cannot bulk-copy job '${id}': its id occurs ${
        at < 0 ? "nowhere" : "more than once"
      } in its spec`,
    );
  }
  return [specJson.slice(0, at), specJson.slice(at + quoted.length)];
}

/**
 * Throws unless two jobs of a group differ only in their id (a jittered
 * schedule, for instance, would make their states differ too).
 *
 * @param group The group.
 * @param now The creation instant.
 */
export function assertUniform(group: JobGroup, now: number): void {
  if (group.count < 2) return;
  const text = (index: number) =>
    JSON.stringify(jobRecord(group, index, now))
      .replaceAll(JSON.stringify(`${group.prefix}-${index}`), '"ID"');
  if (text(0) !== text(group.count - 1)) {
    throw new Error(
      `Cannot bulk-build group '${group.prefix}': its jobs differ beyond their ids`,
    );
  }
}

/**
 * Creates the groups' jobs in a PostgreSQL store: the first of each group
 * through the store, the others as SQL copies of its row.
 *
 * @param spec The store (created if missing).
 * @param groups The jobs (their ids must not exist).
 * @param now The creation instant, epoch ms.
 * @returns How many jobs were created.
 */
export async function bulkBuild(
  spec: PostgresSpec,
  groups: readonly JobGroup[],
  now: number,
): Promise<number> {
  const schema = spec.schema;
  assertBenchSchema(schema);
  for (const group of groups) assertUniform(group, now);
  const live = groups.filter((g) => g.count > 0);
  {
    await using store = await openStore(spec);
    await seedJobs(store, live.map((g) => ({ ...g, count: 1 })), now);
  }
  await withAdmin(async (sql) => {
    const columns = (await sql<{ name: string }[]>`
      select column_name as name from information_schema.columns
      where table_schema = ${schema} and table_name = 'jobs'
      order by ordinal_position`).map((c) => c.name);
    const id = `($1 || '-' || i)`;
    const list = columns.map((c) => `"${c}"`).join(", ");
    const values = columns.map((c) =>
      c === "id"
        ? id
        : c === "spec"
        ? `($2 || to_json(${id})::text || $3)::json`
        : `t."${c}"`
    ).join(", ");
    for (const group of live) {
      const first = `${group.prefix}-0`;
      const [row] = await sql.unsafe<{ spec: string }[]>(
        `select spec::text as spec from ${schema}.jobs where id = $1`,
        [first],
      );
      const [before, after] = templateParts(row!.spec, first);
      for (let from = 1; from < group.count; from += CHUNK) {
        const to = Math.min(group.count - 1, from + CHUNK - 1);
        await sql.unsafe(
          `insert into ${schema}.jobs (${list})
           select ${values} from ${schema}.jobs t
           cross join generate_series($4::int, $5::int) as i
           where t.id = $1 || '-0'`,
          [group.prefix, before, after, from, to],
        );
      }
    }
    await sql.unsafe(`analyze ${schema}.jobs`);
  });
  return live.reduce((n, g) => n + g.count, 0);
}
