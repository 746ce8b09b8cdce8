/**
 * Connections of the PostgreSQL store: postgres.js clients with the store's
 * settings, a bound on how long any statement may go unanswered, and the
 * translation of driver errors into one-line `StoreError`s.
 *
 * A client whose statement hangs (a network that drops packets instead of
 * closing the connection) is destroyed and replaced, so the scheduler's
 * claim backoff takes over instead of waiting on TCP timeouts.
 *
 * @module
 */

import postgres from "../../deps/postgres.ts";
import { StoreError } from "../../errors.ts";
import { redactUrl } from "./redact_url.ts";
import { guardDriverBug } from "./driver_bug.ts";

/** A postgres.js client (a pool of connections). */
export type Sql = postgres.Sql;

/** Either: what runs a statement. */
export type Db = postgres.ISql;

/** Where a store lives, and how to talk about it in messages. */
export interface PgTarget {
  /** The connection URL, as given. */
  readonly url: string;
  /** The schema holding the store's tables. */
  readonly schema: string;
  /** `postgres://***@host:port/db`, without the credentials, for messages. */
  readonly label: string;
  /** The longest any statement may go unanswered, in ms. */
  readonly timeoutMs: number;
}

/** Settings of one client. */
export interface ClientSettings {
  /** Connections in the pool. */
  readonly max: number;
  /** Extra session settings sent at connection start. */
  readonly session?: Readonly<Record<string, string>>;
}

/** A store URL taken apart. */
export interface StoreUrl {
  /** The URL for postgres.js (without tock's own `schema` parameter). */
  readonly url: string;
  /** `postgres://***@host:port/db`, without the credentials, for messages. */
  readonly label: string;
  /** The `schema` query parameter, if given. */
  readonly schema?: string;
}

/**
 * Parses a store URL: `postgres://` or `postgresql://`, with an optional
 * `schema` query parameter (tock's own; not sent to the server).
 *
 * @param url The URL.
 * @returns Its parts.
 * @throws {TypeError} If it is not such a URL, or a `%` escape in it is
 * malformed (the message shows the URL without its credentials).
 */
export function parseStoreUrl(url: string): StoreUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(
      `Cannot open PostgreSQL store: not a URL: ${
        JSON.stringify(redactUrl(url))
      }`,
    );
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new TypeError(
      `Cannot open PostgreSQL store: URL must start with postgres:// or postgresql://: received ${
        JSON.stringify(redactUrl(url))
      }`,
    );
  }
  // The driver decodes these; a malformed escape would surface from it as
  // a bare "URI malformed".
  for (const part of [parsed.username, parsed.password, parsed.hostname]) {
    try {
      decodeURIComponent(part);
    } catch (error) {
      throw new TypeError(
        `Cannot open PostgreSQL store: malformed %-escape in ${
          JSON.stringify(redactUrl(url))
        }`,
        { cause: error },
      );
    }
  }
  const credentials = parsed.username || parsed.password ? "***@" : "";
  const port = parsed.port ? `:${parsed.port}` : "";
  const label =
    `postgres://${credentials}${parsed.hostname}${port}${parsed.pathname}`;
  const schema = parsed.searchParams.get("schema") ?? undefined;
  if (schema === undefined) return { url, label };
  parsed.searchParams.delete("schema");
  return { url: parsed.href, label, schema };
}

/**
 * Turns anything a query throws into a one-line `StoreError`.
 *
 * @param context What failed (`Cannot commit to PostgreSQL store …`).
 * @param error The driver's error.
 * @returns The error to throw (a `StoreError` passes through unchanged).
 */
export function toStoreError(context: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  return new StoreError(`${context}: ${problem(error)}`, { cause: error });
}

const CONNECTION_PROBLEMS: Record<string, string> = {
  CONNECTION_CLOSED: "the connection was closed",
  CONNECTION_DESTROYED: "the connection was reset",
  CONNECTION_ENDED: "the store is closed",
  CONNECT_TIMEOUT: "connecting timed out",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "the connection was reset by the peer",
  ETIMEDOUT: "the connection timed out",
  EHOSTUNREACH: "the host is unreachable",
  ENOTFOUND: "the host name was not found",
  EPIPE: "the connection was closed",
};

function problem(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; name?: unknown };
  const message = oneLine(String(e?.message ?? error));
  if (e?.name === "PostgresError") return `${message} (SQLSTATE ${e.code})`;
  const known = typeof e?.code === "string"
    ? CONNECTION_PROBLEMS[e.code]
    : undefined;
  if (known) return `${known} (${message})`;
  return message;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * A postgres.js client that is replaced when one of its statements goes
 * unanswered for longer than the target's timeout.
 */
export class PgClient {
  readonly #target: PgTarget;
  readonly #settings: ClientSettings;
  #sql: Sql | undefined;
  readonly #ending = new Set<Promise<void>>();
  #closed = false;

  /**
   * @param target The store's database and schema.
   * @param settings Pool size and session settings.
   */
  constructor(target: PgTarget, settings: ClientSettings) {
    this.#target = target;
    this.#settings = settings;
    guardDriverBug();
  }

  #client(): Sql {
    if (this.#sql) return this.#sql;
    const target = this.#target;
    this.#sql = postgres(target.url, {
      max: this.#settings.max,
      // Connections are opened when needed and kept: the claim path should
      // not pay for a connection set-up.
      idle_timeout: 0,
      // A connection closed by age could take a held instance id, or a lock
      // turn's transaction, with it.
      max_lifetime: null,
      connect_timeout: Math.max(1, Math.ceil(target.timeoutMs / 1000)),
      fetch_types: false,
      // Retry connecting within a second once the database is back (the
      // default backoff grows to 20 s).
      backoff: (attempt: number) => Math.min(0.05 * 2 ** attempt, 1),
      onnotice: () => {},
      connection: {
        application_name: "tock",
        search_path: target.schema,
        ...this.#settings.session,
      },
    });
    return this.#sql;
  }

  /**
   * Runs statements on the client, bounded by the timeout.
   *
   * @param context The start of the error message.
   * @param fn The statements.
   * @param timeoutMs Overrides the target's timeout.
   * @returns What `fn` returns.
   * @throws {StoreError} On any failure, as one line.
   */
  async run<T>(
    context: string,
    fn: (sql: Sql) => Promise<T>,
    timeoutMs: number = this.#target.timeoutMs,
  ): Promise<T> {
    if (this.#closed) {
      throw new StoreError(`${context}: the store is closed`);
    }
    let sql: Sql;
    try {
      sql = this.#client();
    } catch (error) {
      throw toStoreError(context, error);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.reset(sql);
        reject(
          new StoreError(
            `${context}: no answer within ${timeoutMs} ms (the connection was reset)`,
          ),
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([fn(sql), expired]);
    } catch (error) {
      throw toStoreError(context, error);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Destroys the connections of `sql` (if it is still the current client);
   * the next statement opens a new client. The server releases whatever
   * the destroyed sessions held: advisory locks, open transactions.
   *
   * @param sql The client to destroy; the current one by default.
   */
  reset(sql: Sql | undefined = this.#sql): void {
    if (sql === undefined) return;
    if (this.#sql === sql) this.#sql = undefined;
    const ending = sql.end({ timeout: 0 }).catch(() => {});
    this.#ending.add(ending);
    ending.finally(() => this.#ending.delete(ending));
  }

  /** Ends the client (waiting briefly for statements in flight). */
  async close(): Promise<void> {
    this.#closed = true;
    const sql = this.#sql;
    this.#sql = undefined;
    if (sql) await sql.end({ timeout: 1 }).catch(() => {});
    await Promise.all(this.#ending);
  }
}
