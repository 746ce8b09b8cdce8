/**
 * The PostgreSQL store's lock: a session-level advisory lock held on one
 * dedicated connection (the lock session), which is also where every
 * statement made under the lease runs.
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
 * - A frozen holder is bounded (a process stopped by SIGSTOP, a debugger or
 *   its cgroup while it held the lock: its kernel still answers keepalives,
 *   so its connection stays up). While the lock is held, the session's
 *   `idle_session_timeout` is `idleMs`: the server ends a session left
 *   idle that long, the lock goes with it, and the frozen process's commit
 *   is refused when it is continued (a commit's transaction is bounded the
 *   same way by `idle_in_transaction_session_timeout`). Releasing sets it
 *   back to 0, so an idle lock connection is not ended between claims.
 *
 * The lock is a session lock rather than a transaction's: postgres.js
 * 3.4 crashes (an uncaught `socket.write` on a closed socket) when a
 * statement is sent on a transaction whose connection the server ended,
 * which is exactly what happens to a frozen or terminated holder.
 *
 * @module
 */

import type { Lock, LockLease } from "../../lock/lock.ts";
import { layeredLock, outerLease } from "../../lock/outer_lease.ts";
import type { PgClient, Sql } from "./_client.ts";

/** Options for {@linkcode createPgLock}. */
export interface PgLockOptions {
  /** The lock session (one connection, with `lock_timeout` set). */
  readonly session: PgClient;
  /** The advisory lock's two keys. */
  readonly key: readonly [number, number];
  /** The start of error messages. */
  readonly context: string;
  /** How long one wait may take in the database (its `lock_timeout`), ms. */
  readonly waitMs: number;
  /** How long any statement may go unanswered beyond that, ms. */
  readonly timeoutMs: number;
  /**
   * How long the lock's session may sit idle while it holds the lock
   * before the server ends it (`idle_session_timeout`), ms.
   */
  readonly idleMs: number;
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
  const idle = String(options.idleMs);
  /** Whether the server has `idle_session_timeout` (PostgreSQL 14+). */
  let bounded: boolean | undefined;

  /** One attempt; true when the lock was taken. */
  async function attempt(wait: boolean, signal?: AbortSignal) {
    const onAbort = () => session.reset();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await session.run(context, async (sql) => {
        bounded ??= await hasIdleSessionTimeout(sql);
        const timeout = bounded ? idle : null;
        if (!wait) {
          // The timeout is set only if the lock was taken.
          const [row] = await sql<{ ok: boolean }[]>`
            select case when pg_try_advisory_lock(${k1}::int4, ${k2}::int4)
              then ${timeout}::text is null or set_config(
                'idle_session_timeout', ${timeout}::text, false) is not null
              else false end as ok`;
          return row?.ok === true;
        }
        try {
          await sql`select pg_advisory_lock(${k1}::int4, ${k2}::int4),
            ${timeout}::text is null or set_config(
              'idle_session_timeout', ${timeout}::text, false) is not null`;
          return true;
        } catch (error) {
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
        await sql`select pg_advisory_unlock(${k1}::int4, ${k2}::int4),
          ${bounded ? "0" : null}::text is null or set_config(
            'idle_session_timeout', '0', false) is not null`;
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

/** Whether the server knows `idle_session_timeout` (PostgreSQL 14+). */
async function hasIdleSessionTimeout(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ ok: boolean }[]>`
    select current_setting('server_version_num')::int >= 140000 as ok`;
  return row?.ok === true;
}
