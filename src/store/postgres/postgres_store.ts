/**
 * The PostgreSQL store: one schedule run by scheduler instances on many
 * machines, with the same guarantees as the file store.
 *
 * ```ts ignore
 * import { createScheduler } from "@tock/tock";
 * import { createPostgresStore } from "@tock/tock/postgres";
 *
 * const store = await createPostgresStore({
 *   url: "postgres://tock@db.internal:5432/app",
 * });
 * await using scheduler = await createScheduler({ store });
 * ```
 *
 * tock creates and migrates its tables itself, in one schema (default
 * `tock`): `jobs` (definition and state as JSON, plus indexed due columns),
 * `job_runs` (which instances run each job's runs), `ledger` (one row per
 * outcome or range, in commit order), `claims` (a unique key on job and
 * slot), `counters`, `logs`, `instances` and `migrations`. Each lock turn is one
 * transaction on a dedicated connection (see `_transaction.ts`): the jobs
 * it reads are locked until it ends, a claim passes over jobs another
 * instance is claiming (so instances claim side by side), and the commit
 * writes with a compare-and-set on each job's version. Commits `NOTIFY` the schema's
 * channel, which every store object listens to from the start, so
 * `changed()` wakes other processes at once.
 *
 * Needs `--allow-net` (the database) and `--allow-env` (postgres.js reads
 * its `PG*` variables).
 *
 * Over 400 lines on purpose: it is the whole `JobStore` contract for
 * PostgreSQL; each method is a short delegation to the `_*.ts` modules
 * beside it, with the connection, lock and closed checks in one place.
 *
 * @module
 */

import { StoreError } from "../../errors.ts";
import type { LockLease } from "../../lock/lock.ts";
import type {
  InstanceRecord,
  JobId,
  JobRecord,
  LedgerEntry,
} from "../../types.ts";
import type {
  Capabilities,
  DueOptions,
  HistoryQuery,
  InstanceHold,
  InstanceHolder,
  JobStore,
  LogQuery,
  NextDueOptions,
  ReadOptions,
  RunLog,
  StoreChange,
} from "../store.ts";
import { assertInstanceId } from "../_ids.ts";
import { type TrackedLock, trackLeases } from "../_leases.ts";
import { checkLog, checkLogJob } from "../_logs.ts";
import { parseStoreUrl, PgClient, type PgTarget, type Sql } from "./_client.ts";
import { commitChanges } from "./_commit.ts";
import { selectDue } from "./_due.ts";
import {
  selectAllJobs,
  selectHistory,
  selectJobs,
  selectNextDueAt,
} from "./_jobs.ts";
import { leaseLock, LeaseTransaction, type Tx } from "./_transaction.ts";
import { refusingLock } from "../../lock/refusing_lock.ts";
import { holdPgInstance } from "./_hold.ts";
import { HoldSet } from "../_instance_hold.ts";
import { insertLog, selectJobLogs } from "./_logs.ts";
import { assertCurrent, assertSchemaName, migrate } from "./_schema.ts";
import { ChangeWatcher } from "./_watch.ts";

/** Options for {@linkcode createPostgresStore}. */
export interface PostgresStoreOptions {
  /**
   * The database: `postgres://user:password@host:port/database`
   * (`postgresql://` too), optionally with `?schema=NAME`.
   */
  readonly url: string;
  /**
   * The schema holding tock's tables (created if missing); lower-case
   * letters, digits and `_`. Stores in different schemas are independent.
   * A `schema` query parameter of the URL (`…/db?schema=jobs`) is used when
   * this is not given.
   *
   * @default {"tock"}
   */
  readonly schema?: string;
  /**
   * Connections for reads, heartbeats and logs. The store also opens one
   * for the lock and its commits, and one for `LISTEN`.
   *
   * @default {4}
   */
  readonly poolSize?: number;
  /**
   * The longest a statement may go unanswered before its connection is
   * reset and the call fails with a `StoreError`, in ms (also the connect
   * timeout).
   *
   * @default {10000}
   */
  readonly timeoutMs?: number;
  /**
   * Ledger entries kept per job; older ones are pruned (the counters in
   * the job state and the `counters` table keep counting).
   *
   * @default {10000}
   */
  readonly historyLimit?: number;
  /**
   * The longest a lock turn's transaction may sit idle before the server
   * ends it (`idle_in_transaction_session_timeout`), in ms: the bound on
   * how long a frozen holder (a process stopped in a claim) holds the
   * jobs it was claiming. Nothing a frozen holder had not committed
   * commits afterwards.
   *
   * @default {4000}
   */
  readonly lockIdleTimeoutMs?: number;
  /**
   * Open the store without creating or changing anything, for the read
   * commands: a schema that does not exist, or that an older tock wrote
   * and a writer has not migrated yet, is refused in one line, and taking
   * the lock, saving a log or a heartbeat, or holding an instance id fails.
   *
   * @default {false}
   */
  readonly readOnly?: boolean;
}

/**
 * Opens a PostgreSQL store, creating or migrating its schema.
 *
 * @param options The URL, schema and limits.
 * @returns The store; its lock turns are transactions (see `_transaction.ts`).
 * @throws {TypeError} On a malformed URL, schema name or option.
 * @throws {StoreError} When the database cannot be reached, or the schema
 * is newer than this tock or not tock's.
 *
 * @example Open a store in its own schema
 * ```ts ignore
 * import { createPostgresStore } from "@tock/tock/postgres";
 *
 * await using store = await createPostgresStore({
 *   url: "postgres://postgres@127.0.0.1:5432/test",
 *   schema: "tock_example",
 * });
 * console.log((await store.jobs()).length);
 * ```
 */
export async function createPostgresStore(
  options: PostgresStoreOptions,
): Promise<JobStore> {
  const parsed = parseStoreUrl(options.url);
  const schema = options.schema ?? parsed.schema ?? "tock";
  assertSchemaName(schema);
  const target: PgTarget = {
    url: parsed.url,
    schema,
    label: parsed.label,
    timeoutMs: positive("timeoutMs", options.timeoutMs, 10_000),
  };
  const poolSize = positive("poolSize", options.poolSize, 4);
  const historyLimit = positive("historyLimit", options.historyLimit, 10_000);
  const readOnly = options.readOnly ?? false;
  const lockIdleTimeoutMs = positive(
    "lockIdleTimeoutMs",
    options.lockIdleTimeoutMs,
    4000,
  );
  const pool = new PgClient(target, { max: poolSize });
  const context = contextOf(target, "open");
  try {
    await pool.run(
      context,
      (sql) =>
        readOnly
          ? assertCurrent(sql, schema, context)
          : migrate(sql, schema, context),
    );
  } catch (error) {
    await pool.close();
    throw error;
  }
  const store = new PostgresStore(target, pool, {
    historyLimit,
    readOnly,
    lockIdleTimeoutMs,
  });
  try {
    // Listening from the start means no commit is missed between a read
    // and the first wait for changes.
    await store.listen();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

function positive(name: string, value: number | undefined, fallback: number) {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(
      `Cannot open PostgreSQL store as '${name}' must be a positive integer: received ${value}`,
    );
  }
  return value;
}

function contextOf(target: PgTarget, action: string): string {
  return `Cannot ${action} (PostgreSQL store ${target.label}, schema ${target.schema})`;
}

class PostgresStore implements JobStore {
  readonly #target: PgTarget;
  readonly #pool: PgClient;
  readonly #session: PgClient;
  readonly #transaction: LeaseTransaction;
  readonly #leases: TrackedLock;
  readonly #watcher: ChangeWatcher;
  readonly #commit: Parameters<typeof commitChanges>[1];
  readonly #holds = new HoldSet();
  readonly #readOnly: boolean;
  /** How long a statement waiting for other leases' rows may take, ms. */
  readonly #waitMs: number;
  #closed = false;

  constructor(
    target: PgTarget,
    pool: PgClient,
    { historyLimit, readOnly, lockIdleTimeoutMs }: {
      historyLimit: number;
      readOnly: boolean;
      lockIdleTimeoutMs: number;
    },
  ) {
    this.#target = target;
    this.#pool = pool;
    this.#readOnly = readOnly;
    // Keepalives let the server end the transaction of a client that
    // vanished, and free the jobs it held.
    this.#session = new PgClient(target, {
      max: 1,
      session: {
        // A holder frozen in a lock turn is ended by the server after this
        // long, and the rows it held are free again (see _transaction.ts).
        idle_in_transaction_session_timeout: String(lockIdleTimeoutMs),
        tcp_keepalives_idle: "10",
        tcp_keepalives_interval: "5",
        tcp_keepalives_count: "3",
      },
    });
    this.#transaction = new LeaseTransaction(this.#session);
    this.#leases = trackLeases(
      readOnly
        ? refusingLock(() => this.#readOnlyError("take the lock"))
        : leaseLock(this.#transaction),
    );
    // A turn waiting for jobs a frozen holder held waits until the server
    // ends that holder's transaction.
    this.#waitMs = target.timeoutMs + lockIdleTimeoutMs;
    const origin = crypto.randomUUID();
    const channel = `tock.${target.schema}.changed`;
    this.#watcher = new ChangeWatcher({
      client: new PgClient(target, { max: 1 }),
      channel,
      origin,
      context: contextOf(target, "watch for changes"),
    });
    this.#commit = {
      channel,
      origin,
      historyLimit,
      context: contextOf(target, "commit"),
    };
  }

  get lock() {
    return this.#leases.lock;
  }

  /** Subscribes to the schema's channel (see `_watch.ts`). */
  listen(): Promise<void> {
    return this.#watcher.subscribe();
  }

  due(
    lease: LockLease,
    until: number,
    options?: DueOptions,
  ): Promise<JobRecord[]> {
    // Only the runs of dead instances (or all, when asked) are read, so a
    // claim's rows and lock hold follow what is due, not how long runs last.
    return this.#locked(
      lease,
      "read due jobs",
      (sql) => selectDue(sql, until, options),
      options?.all === true,
    );
  }

  read(
    lease: LockLease,
    ids: readonly JobId[],
    options: ReadOptions = {},
  ): Promise<JobRecord[]> {
    const lock = options.lock ?? true;
    return this.#locked(
      lease,
      "read jobs",
      (sql) => selectJobs(sql, ids, lock),
      lock,
    );
  }

  async commit(
    lease: LockLease,
    changes: readonly StoreChange[],
  ): Promise<void> {
    this.#check(lease, "commit");
    if (changes.length === 0) return;
    await this.#transaction.commit(
      this.#commit.context,
      (tx) => commitChanges(tx, this.#commit, changes),
    );
    this.#watcher.committed();
  }

  async nextDueAt(
    capabilities: Capabilities,
    options: NextDueOptions = {},
  ): Promise<number | undefined> {
    this.#watcher.markRead();
    return await this.#read(
      "read due times",
      (sql) => selectNextDueAt(sql, capabilities, options.backlog ?? true),
    );
  }

  jobs(): Promise<JobRecord[]> {
    this.#watcher.markRead();
    return this.#read("list jobs", selectAllJobs);
  }

  async job(id: JobId): Promise<JobRecord | undefined> {
    this.#watcher.markRead();
    const [record] = await this.#read(
      "read job",
      (sql) => selectJobs(sql, [id]),
    );
    return record;
  }

  history(query: HistoryQuery = {}): Promise<LedgerEntry[]> {
    return this.#read("read history", (sql) => selectHistory(sql, query));
  }

  async saveLog(log: RunLog): Promise<void> {
    this.#writable("save run log");
    checkLog(log);
    await this.#read("save run log", (sql) => insertLog(sql, log));
  }

  async logs(job: JobId, query: LogQuery = {}): Promise<RunLog[]> {
    this.#open("read run logs");
    checkLogJob(job);
    return await this.#read(
      "read run logs",
      (sql) => selectJobLogs(sql, job, query),
    );
  }

  async holdInstance(
    id: string,
    holder: InstanceHolder,
  ): Promise<InstanceHold> {
    this.#writable("take instance id");
    const hold = await holdPgInstance(
      this.#target,
      id,
      holder,
      contextOf(this.#target, "take instance id"),
    );
    return this.#holds.track(hold);
  }

  async heartbeat(instance: InstanceRecord): Promise<void> {
    this.#writable("write heartbeat");
    assertInstanceId(instance?.id, "write heartbeat");
    // The record is stored as given (liveness is judged by its beat, on
    // the observer's own clock); the database's clock stamps it too.
    await this.#read("write heartbeat", async (sql) => {
      await sql`
        insert into instances (id, beat, heartbeat_at, record)
        values (${instance.id}, ${instance.beat ?? 0}::float8,
          ${instance.heartbeatAt ?? 0}::float8,
          ${JSON.stringify(instance)}::text::json)
        on conflict (id) do update set beat = excluded.beat,
          heartbeat_at = excluded.heartbeat_at, record = excluded.record,
          db_heartbeat_at = clock_timestamp()`;
    });
  }

  async removeInstance(id: string): Promise<void> {
    this.#writable("remove instance");
    assertInstanceId(id, "remove instance");
    await this.#read("remove instance", async (sql) => {
      await sql`delete from instances where id = ${id}`;
    });
  }

  async instances(): Promise<InstanceRecord[]> {
    // The age is measured on the database's clock, where the heartbeat
    // was stamped, so that hosts' clocks do not matter.
    const rows = await this.#read(
      "list instances",
      (sql) =>
        sql<{ record: InstanceRecord; age: number }[]>`
          select record, extract(epoch from
            clock_timestamp() - db_heartbeat_at) * 1000 as age
          from instances order by id`,
    );
    return rows.map(({ record, age }) => {
      const { ageMs: _, storedAt: __, ...written } = record;
      return { ...written, ageMs: Math.max(0, Number(age)) };
    });
  }

  changed(signal: AbortSignal): Promise<void> {
    return this.#watcher.changed(signal);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = new StoreError(
      `${contextOf(this.#target, "use the store")}: it was closed`,
    );
    await this.#watcher.close();
    await this.#holds.releaseAll();
    await this.#leases.close(error);
    await this.#session.close();
    await this.#pool.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #open(action: string): void {
    if (this.#closed) {
      throw new StoreError(
        `${contextOf(this.#target, action)}: the store is closed`,
      );
    }
  }

  /** Throws in a closed store, or one opened read-only. */
  #writable(action: string): void {
    this.#open(action);
    if (this.#readOnly) throw this.#readOnlyError(action);
  }

  #readOnlyError(action: string): StoreError {
    return new StoreError(
      `${contextOf(this.#target, action)}: it was opened read-only`,
    );
  }

  #check(lease: LockLease, action: string): void {
    this.#open(action);
    this.#leases.check(lease, action);
  }

  async #read<T>(action: string, fn: (sql: Sql) => Promise<T>): Promise<T> {
    this.#open(action);
    return await this.#pool.run(contextOf(this.#target, action), fn);
  }

  /** Runs statements in the lease's transaction; `waits`: for row locks. */
  async #locked<T>(
    lease: LockLease,
    action: string,
    fn: (tx: Tx) => Promise<T>,
    waits = false,
  ): Promise<T> {
    this.#check(lease, action);
    this.#watcher.markRead();
    return await this.#transaction.run(
      contextOf(this.#target, action),
      fn,
      waits ? this.#waitMs : undefined,
    );
  }
}
