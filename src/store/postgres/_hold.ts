/**
 * Instance ids of the PostgreSQL store: a session-level advisory lock,
 * keyed by schema and id, held on a connection of its own for the life of
 * the process. The server drops it with the session when the process dies
 * (its connection closes, or keepalives stop being answered).
 *
 * The lock takes the one-key (bigint) form, which PostgreSQL keeps apart
 * from the two-key form of the store lock. The connection's
 * `application_name` says who holds the id, for the message a refused
 * process prints. A connection lost and reopened by the driver has lost
 * the lock: `check()` notices and takes it again if nobody else has.
 *
 * The lock alone does not say that nobody runs under the id: a restart of
 * the server drops every advisory lock, while their holders live on and
 * take them again only at their next check. So before taking the lock, a
 * process looks at the id's heartbeat: a record of another incarnation
 * whose heartbeat is fresh is watched until its beat moves (a live holder:
 * the id is refused) or it has been silent for `SILENT_MS` (its process
 * is gone: the id is taken). A process that stopped cleanly removed its
 * record, so only a restart after a crash waits, at most that long.
 *
 * @module
 */

import type { InstanceHold, InstanceHolder } from "../store.ts";
import { assertInstanceId } from "../_ids.ts";
import { instanceHold, takenError } from "../_instance_hold.ts";
import { PgClient, type PgTarget, type Sql } from "./_client.ts";
import type { InstanceRecord } from "../../types.ts";

/**
 * How long an id's heartbeat must have been silent before another process
 * may take the id (over twice the default 3 s heartbeat), ms.
 */
const SILENT_MS = 7_000;

/** How often a fresh heartbeat is read while it is watched, ms. */
const WATCH_MS = 250;

/**
 * The advisory key of an instance id: 63 bits of FNV-1a over the schema
 * and the id.
 *
 * @param schema The store's schema.
 * @param id The instance id.
 * @returns The key, a positive 64-bit integer.
 */
export function instanceKey(schema: string, id: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(`${schema}\u0000${id}`)) {
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash & 0x7fffffffffffffffn;
}

/**
 * Takes an instance id of a PostgreSQL store.
 *
 * @param target The store's database and schema.
 * @param id The instance id.
 * @param holder Who takes it.
 * @param context The start of error messages.
 * @returns The hold.
 * @throws {StoreError} When another process holds the id, or the database
 * cannot be reached.
 */
export async function holdPgInstance(
  target: PgTarget,
  id: string,
  holder: InstanceHolder,
  context: string,
): Promise<InstanceHold> {
  assertInstanceId(id, "take instance id");
  const key = instanceKey(target.schema, id);
  const client = new PgClient(target, {
    max: 1,
    session: {
      application_name: `tock ${holder.pid ?? "?"}@${holder.host ?? "?"}`
        .slice(0, 63),
      tcp_keepalives_idle: "10",
      tcp_keepalives_interval: "5",
      tcp_keepalives_count: "3",
    },
  });
  const take = () => client.run(context, (sql) => tryLock(sql, key));
  try {
    const live = await liveHolder(client, context, id, holder);
    if (live) throw takenError(id, live);
    if (!(await take())) {
      throw takenError(id, await client.run(context, (sql) => who(sql, key)));
    }
  } catch (error) {
    await client.close();
    throw error;
  }
  return instanceHold(id, {
    async check() {
      const held = await client.run(context, (sql) => holding(sql, key));
      return held || await take();
    },
    // Ending the session releases the lock.
    release: () => client.close(),
  });
}

/**
 * Another incarnation still beating under the id, if one is: see the
 * module comment.
 */
async function liveHolder(
  client: PgClient,
  context: string,
  id: string,
  holder: InstanceHolder,
): Promise<Partial<InstanceHolder> | undefined> {
  let first: number | undefined;
  while (true) {
    const [row] = await client.run(
      context,
      (sql) =>
        sql<{ beat: number; age: number; record: InstanceRecord }[]>`
        select beat, record, extract(epoch from
          clock_timestamp() - db_heartbeat_at) * 1000 as age
        from instances where id = ${id}`,
    );
    if (!row || row.record?.incarnation === holder.incarnation) return;
    if (Number(row.age) >= SILENT_MS) return;
    if (first === undefined) first = row.beat;
    else if (row.beat !== first) {
      return {
        ...(row.record.pid !== undefined ? { pid: row.record.pid } : {}),
        ...(row.record.host !== undefined ? { host: row.record.host } : {}),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
  }
}

async function tryLock(sql: Sql, key: bigint): Promise<boolean> {
  const [row] = await sql<{ ok: boolean }[]>`
    select pg_try_advisory_lock(${key.toString()}::int8) as ok`;
  return row?.ok === true;
}

/** The lock's row in `pg_locks`: a bigint key splits into two oids. */
function where(key: bigint): [number, number] {
  return [Number(key >> 32n), Number(key & 0xffffffffn)];
}

async function holding(sql: Sql, key: bigint): Promise<boolean> {
  const [hi, lo] = where(key);
  const [row] = await sql<{ ok: boolean }[]>`
    select exists (
      select 1 from pg_locks
      where locktype = 'advisory' and objsubid = 1 and granted
        and classid = ${hi}::oid and objid = ${lo}::oid
        and pid = pg_backend_pid()
    ) as ok`;
  return row?.ok === true;
}

/** The holder, from its session's `application_name` (`tock PID@HOST`). */
async function who(
  sql: Sql,
  key: bigint,
): Promise<Partial<InstanceHolder> | undefined> {
  const [hi, lo] = where(key);
  const [row] = await sql<{ name: string | null }[]>`
    select a.application_name as name
    from pg_locks l join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'advisory' and l.objsubid = 1 and l.granted
      and l.classid = ${hi}::oid and l.objid = ${lo}::oid
    limit 1`;
  const match = /^tock (\d+|\?)@(.*)$/.exec(row?.name ?? "");
  if (!match) return undefined;
  return {
    ...(match[1] !== "?" ? { pid: Number(match[1]) } : {}),
    ...(match[2] && match[2] !== "?" ? { host: match[2] } : {}),
  };
}
