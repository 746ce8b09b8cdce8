/**
 * The PostgreSQL store's lease: one transaction on the store object's
 * lease connection, opened by the first statement made under the lease and
 * ended by its commit (or rolled back when the lease is released).
 *
 * Rows a lease reads are locked in its transaction until it ends (see
 * `_due.ts` and `_jobs.ts`), so what it commits was computed from what is
 * stored; the store's lock itself only queues one store object's turns.
 * Leases of different store objects (instances) therefore claim side by
 * side, each skipping the rows another holds.
 *
 * A frozen holder is bounded: the connection's
 * `idle_in_transaction_session_timeout` ends a transaction that sits idle
 * that long (a process stopped by SIGSTOP, a debugger or its cgroup keeps
 * its connection open: its kernel answers keepalives). Its row locks go
 * with it, and the stopped process, once continued, commits nothing: its
 * transaction is gone, and postgres.js never runs a transaction's
 * statements on another connection.
 *
 * @module
 */

import type postgres from "../../deps/postgres.ts";
import { StoreError } from "../../errors.ts";
import type { Lock } from "../../lock/lock.ts";
import { layeredLock, outerLease } from "../../lock/outer_lease.ts";
import type { PgClient } from "./_client.ts";

/** A statement runner bound to the lease's transaction. */
export type Tx = postgres.TransactionSql;

interface Open {
  readonly tx: Tx;
  /** Resolve: COMMIT; reject: ROLLBACK. */
  readonly finish: PromiseWithResolvers<void>;
  /** Settles when COMMIT or ROLLBACK was answered. */
  readonly ended: Promise<unknown>;
}

/** Why a transaction is rolled back (never seen by callers). */
const ROLLBACK = new Error("rolled back at the end of the lease");

/** The transaction of the lease a store object holds (one at a time). */
export class LeaseTransaction {
  readonly #session: PgClient;
  #open: Open | undefined;
  /** A statement failed: the transaction can only be rolled back. */
  #failed = false;

  /** @param session The lease connection (one connection). */
  constructor(session: PgClient) {
    this.#session = session;
  }

  /**
   * Runs statements in the transaction, opening it first if needed.
   *
   * @param context The start of error messages.
   * @param fn The statements.
   * @param timeoutMs How long they may go unanswered (the session's
   * timeout by default); longer for a statement that waits for row locks.
   * @returns What `fn` returns.
   * @throws {StoreError} When a statement fails; the transaction is then
   * rolled back when the lease ends, and nothing of it commits.
   */
  async run<T>(
    context: string,
    fn: (tx: Tx) => Promise<T>,
    timeoutMs?: number,
  ): Promise<T> {
    if (this.#failed) {
      throw new StoreError(
        `${context}: an earlier statement of this lock turn failed; nothing was committed`,
      );
    }
    const open = this.#open ?? await this.#begin(context);
    try {
      return await this.#session.run(context, () => fn(open.tx), timeoutMs);
    } catch (error) {
      this.#failed = true;
      throw error;
    }
  }

  /**
   * Runs the writes, then commits: resolves once the server answered the
   * COMMIT (durable). The next statement opens a new transaction.
   *
   * @param context The start of error messages.
   * @param fn The writes.
   * @throws {StoreError} When a write or the COMMIT fails; nothing of the
   * transaction is committed then (except that a COMMIT whose answer was
   * lost may have committed).
   */
  async commit(context: string, fn: (tx: Tx) => Promise<void>): Promise<void> {
    await this.run(context, fn);
    const open = this.#open!;
    this.#open = undefined;
    open.finish.resolve();
    await this.#session.run(context, () => open.ended);
  }

  /** Rolls the transaction back, if one is open; never throws. */
  async rollback(): Promise<void> {
    const open = this.#open;
    this.#open = undefined;
    this.#failed = false;
    if (!open) return;
    open.finish.reject(ROLLBACK);
    try {
      await this.#session.run("Cannot roll back", () => open.ended);
    } catch {
      // The connection is gone or was reset: the server rolled it back.
    }
  }

  async #begin(context: string): Promise<Open> {
    const ready = Promise.withResolvers<Tx>();
    const finish = Promise.withResolvers<void>();
    let ended: Promise<unknown> = Promise.resolve();
    await this.#session.run(context, (sql) => {
      ended = sql.begin(async (tx) => {
        ready.resolve(tx);
        await finish.promise;
      });
      // Before the callback ran: BEGIN failed (the connection is down).
      ended.catch((error) => ready.reject(error));
      return ready.promise;
    });
    const open = { tx: await ready.promise, finish, ended };
    // Its outcome is awaited by `commit` or `rollback`, or by nobody when
    // the connection dies first.
    ended.catch(() => {});
    this.#open = open;
    return open;
  }
}

/**
 * The store object's lock: its turns queue in process, and each lease
 * rolls back what it left open when it is released.
 *
 * @param transaction The store object's lease transaction.
 * @returns The lock.
 */
export function leaseLock(transaction: LeaseTransaction): Lock {
  return layeredLock((inner) =>
    Promise.resolve(outerLease(inner, () => transaction.rollback()))
  );
}
