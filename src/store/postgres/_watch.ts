/**
 * `changed()` of the PostgreSQL store: `LISTEN` on the schema's channel.
 *
 * Every commit sends `NOTIFY` inside its transaction (so it is delivered
 * when, and only if, the commit lands), with the committing store object's
 * id as the payload. A watcher counts notifications from other objects and
 * remembers how many it had seen when its store last read jobs: a commit
 * that arrived since then resolves `changed()` at once, so none is missed
 * between a read and the next wait. Its own commits wake waiters directly
 * and do not count as unread. A re-established subscription (after a lost
 * connection) counts as a change, since notifications may have been missed.
 * Heartbeats never notify.
 *
 * @module
 */

import { StoreError } from "../../errors.ts";
import type { PgClient } from "./_client.ts";

/** Options for {@linkcode ChangeWatcher}. */
export interface ChangeWatcherOptions {
  /** A client used only for `LISTEN` (postgres.js gives it a connection). */
  readonly client: PgClient;
  /** The channel. */
  readonly channel: string;
  /** This store object's id (the payload of its own commits). */
  readonly origin: string;
  /** The start of error messages. */
  readonly context: string;
}

/** Watches one store's channel; see the module doc. */
export class ChangeWatcher {
  readonly #options: ChangeWatcherOptions;
  #subscription: Promise<void> | undefined;
  #listens = 0;
  #notified = 0;
  #readMark = 0;
  readonly #waiters = new Set<(error?: Error) => void>();
  #closed = false;

  /** @param options The client, channel and origin. */
  constructor(options: ChangeWatcherOptions) {
    this.#options = options;
  }

  /** The store read jobs: what was notified so far counts as seen. */
  markRead(): void {
    this.#readMark = this.#notified;
  }

  /** This store object committed: wake the waiters. */
  committed(): void {
    this.#wake();
  }

  /**
   * Subscribes (once; again after a failure).
   *
   * @returns Resolves when the subscription is active.
   * @throws {StoreError} When the database cannot be reached.
   */
  subscribe(): Promise<void> {
    const { client, channel, context } = this.#options;
    this.#subscription ??= client.run(context, async (sql) => {
      await sql.listen(
        channel,
        (payload) => this.#onNotify(payload),
        () => this.#onListen(),
      );
    }).catch((error) => {
      // Start from a fresh client next time (postgres.js would otherwise
      // keep retrying the failed subscription on its own).
      this.#subscription = undefined;
      client.reset();
      throw error;
    });
    return this.#subscription;
  }

  /**
   * Resolves at a commit by any process that this store has not read yet.
   *
   * @param signal Rejects with its reason when aborted.
   * @returns Resolves on a change.
   */
  changed(signal: AbortSignal): Promise<void> {
    try {
      this.#open();
      signal.throwIfAborted();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const done = (settle: () => void) => {
        this.#waiters.delete(onWake);
        signal.removeEventListener("abort", onAbort);
        settle();
      };
      // Any wake counts, even one before the subscription is active (this
      // object's own commit).
      const onWake = (error?: Error) =>
        done(() => error ? reject(error) : resolve());
      const onAbort = () => done(() => reject(signal.reason));
      this.#waiters.add(onWake);
      signal.addEventListener("abort", onAbort, { once: true });
      this.subscribe().then(
        () => {
          if (this.#notified > this.#readMark) done(resolve);
        },
        (error) => done(() => reject(error)),
      );
    });
  }

  /** Rejects every waiter and ends the subscription. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = new StoreError(
      `${this.#options.context}: the store was closed`,
    );
    for (const waiter of [...this.#waiters]) waiter(error);
    await this.#options.client.close();
  }

  #open(): void {
    if (this.#closed) {
      throw new StoreError(`${this.#options.context}: the store is closed`);
    }
  }

  #onListen(): void {
    this.#listens += 1;
    if (this.#listens > 1) this.#bump();
  }

  #onNotify(payload: string): void {
    if (payload !== this.#options.origin) this.#bump();
  }

  #bump(): void {
    this.#notified += 1;
    this.#wake();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
