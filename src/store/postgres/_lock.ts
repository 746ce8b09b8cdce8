/**
 * The PostgreSQL store's lock: a transaction-level advisory lock
 * (`pg_advisory_xact_lock`) taken in a transaction opened on one dedicated
 * connection (the lock session), where every statement made under the
 * lease runs. A commit under the lease ends that transaction and opens the
 * next one, taking the lock again without waiting (see
 * {@linkcode commitAndContinue}); releasing rolls it back.
 *
 * Holding the lock inside a transaction is what bounds a frozen holder (a
 * process stopped by SIGSTOP, a debugger or its cgroup, whose kernel still
 * answers keepalives): the lock session's
 * `idle_in_transaction_session_timeout` makes the server end a transaction
 * left idle that long, the lock goes with it, and nothing of it commits.
 *
 * - Waiters of one store object queue in process (a FIFO mutex); only the
 *   head waits in the database, so one connection suffices.
 * - The session's `lock_timeout` ends each wait after a while; the wait is
 *   then repeated, so a connection that stopped answering is noticed.
 * - Aborting a wait resets the lock session instead of sending a cancel
 *   request: the server drops the waiting backend at its next step, and no
 *   extra connection is needed while the database may be unreachable.
 * - Releasing unlocks; if that fails, the session is reset, which releases
 *   the lock on the server. A lease whose connection died is released by
 *   the server at once; the store then refuses commits under it (see
 *   `_commit.ts`), so a lost lock can never let a commit through.
 *
 * @module
 */

import type { Lock, LockLease } from "../../lock/lock.ts";
import { layeredLock, outerLease } from "../../lock/outer_lease.ts";
import type { PgClient, Sql } from "./_client.ts";

/** Options for {@linkcode createPgLock}. */
export interface PgLockOptions {
  /**
   * The lock session (one connection, with `lock_timeout` and
   * `idle_in_transaction_session_timeout` set).
   */
  readonly session: PgClient;
  /** The advisory lock's two keys. */
  readonly key: readonly [number, number];
  /** The start of error messages. */
  readonly context: string;
  /** How long one wait may take in the database (its `lock_timeout`), ms. */
  readonly waitMs: number;
  /** How long any statement may go unanswered beyond that, ms. */
  readonly timeoutMs: number;
}

const LOCK_TIMEOUT = "55P03";

/**
 * Creates the advisory lock of one store object.
 *
 * @param options The session, keys and wait bound.
 * @returns The lock.
 */
export function createPgLock(options: PgLockOptions): Lock {
  const { session, context } = options;
  const [k1, k2] = options.key;

  /** One attempt; true when the lock was taken (in an open transaction). */
  async function attempt(wait: boolean, signal?: AbortSignal) {
    const onAbort = () => session.reset();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await session.run(context, async (sql) => {
        await sql`begin`;
        try {
          if (wait) {
            await sql`select pg_advisory_xact_lock(${k1}::int4, ${k2}::int4)`;
            return true;
          }
          if (await tryLock(sql, options.key)) return true;
          await sql`rollback`;
          return false;
        } catch (error) {
          await sql`rollback`.catch(() => session.reset(sql));
          if ((error as { code?: string })?.code === LOCK_TIMEOUT) return false;
          throw error;
        }
      }, wait ? options.waitMs + options.timeoutMs : options.timeoutMs);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async function unlock(): Promise<void> {
    try {
      await session.run(context, async (sql) => {
        await sql`rollback`;
      });
    } catch {
      // The server releases the lock with the session.
      session.reset();
    }
  }

  function lease(inner: LockLease): LockLease {
    return outerLease(inner, unlock);
  }

  async function take(
    inner: LockLease,
    wait: boolean,
    signal?: AbortSignal,
  ): Promise<LockLease | undefined> {
    try {
      while (true) {
        signal?.throwIfAborted();
        if (await attempt(wait, signal)) break;
        if (!wait) {
          await inner.release();
          return undefined;
        }
      }
      if (signal?.aborted) {
        await unlock();
        throw signal.reason;
      }
      return lease(inner);
    } catch (error) {
      await inner.release();
      throw error;
    }
  }

  return layeredLock(take);
}

/** `pg_try_advisory_xact_lock` of the key: whether it was taken. */
async function tryLock(
  sql: Sql,
  [k1, k2]: readonly [number, number],
): Promise<boolean> {
  const [row] = await sql<{ ok: boolean }[]>`
    select pg_try_advisory_xact_lock(${k1}::int4, ${k2}::int4) as ok`;
  return row?.ok === true;
}

/**
 * Commits the lease's transaction after `write` (or rolls it back if
 * `write` fails), then opens the next transaction and takes the lock again
 * without waiting, so that the lease goes on. If another session took the
 * lock in between, the lease is lost: the new transaction is rolled back,
 * and the store refuses commits under the lease (its lock check), as for a
 * lost connection.
 *
 * Once the commit succeeded, nothing after it may fail the call (the
 * changes are durable): a failure to go on loses the lease, and resets the
 * session so that no transaction is left open.
 *
 * @param session The lock session's client.
 * @param sql The lock session.
 * @param key The advisory lock's two keys.
 * @param write The commit's statements, in the lease's transaction.
 */
export async function commitAndContinue(
  session: PgClient,
  sql: Sql,
  key: readonly [number, number],
  write: () => Promise<void>,
): Promise<void> {
  try {
    await write();
    await sql`commit`;
  } catch (error) {
    await sql`rollback`.catch(() => {});
    await goOn();
    throw error;
  }
  await goOn();

  async function goOn(): Promise<void> {
    try {
      await sql`begin`;
      if (!(await tryLock(sql, key))) await sql`rollback`;
    } catch {
      session.reset(sql);
    }
  }
}
