// The PostgreSQL side of a chaos run on a database: a fresh schema for the
// run, one TCP proxy per instance slot (so that one instance can be cut off
// from the database for real while the others carry on), and the database's
// own faults: `pg_terminate_backend` of the session holding the claim lock,
// and a restart of the server where this machine allows it.
import postgres from "postgres";
import { terminateLockTurns } from "../store/postgres/_pg.ts";
import { targetOf, TcpProxy, viaProxy } from "../store/postgres/_proxy.ts";
import { delay } from "./_wait.ts";

/** `pg_ctlcluster`, where the server is a Debian cluster this user may restart. */
const PG_CTLCLUSTER = "/usr/bin/pg_ctlcluster";

/** A chaos run's database: see the module comment. */
export class ChaosDatabase implements AsyncDisposable {
  /** The store URL with the run's schema, for commands of the harness. */
  readonly url: string;
  readonly schema: string;
  readonly #base: string;
  readonly #proxies: TcpProxy[];

  private constructor(base: string, schema: string, slots: number) {
    this.#base = base;
    this.schema = schema;
    this.url = withSchema(base, schema);
    this.#proxies = Array.from(
      { length: slots },
      () => TcpProxy.start(targetOf(base)),
    );
  }

  /**
   * Prepares a run's database: a schema name nobody uses (the first
   * `tock add` creates it), and a proxy per slot.
   *
   * @param base The database URL (`postgres://…/db`, no schema).
   * @param slots Instance slots.
   */
  static open(base: string, slots: number): ChaosDatabase {
    const schema = `tock_chaos_${
      crypto.randomUUID().replaceAll("-", "").slice(0, 12)
    }`;
    return new ChaosDatabase(base, schema, slots);
  }

  /** The store URL a slot's instances use: through its proxy. */
  urlFor(slot: number): string {
    return withSchema(viaProxy(this.#base, this.#proxies[slot]!), this.schema);
  }

  /** Whether the slot's proxy is cut. */
  isCut(slot: number): boolean {
    return this.#proxies[slot]!.cutOff;
  }

  /** Cuts the slot's instance off from the database (every connection). */
  async cut(slot: number): Promise<void> {
    await this.#proxies[slot]!.cut();
  }

  /** Lets the slot's instance reach the database again. */
  restore(slot: number): void {
    this.#proxies[slot]!.restore();
  }

  /**
   * Terminates the sessions of lock turns in flight (a claim holding the
   * jobs it claims, …), waiting up to `waitMs` for one (a turn holds jobs
   * only across its step).
   *
   * @returns Whether a session was terminated.
   */
  async terminateLockHolder(waitMs: number): Promise<boolean> {
    const deadline = performance.now() + waitMs;
    // The server may be restarting meanwhile: then nobody is terminated.
    return await admin(this.#base, async (sql) => {
      while (performance.now() < deadline) {
        if (await terminateLockTurns(sql, this.schema) > 0) return true;
        await delay(5);
      }
      return false;
    }).catch(() => false);
  }

  /** Whether {@linkcode restartServer} can restart the server here. */
  static async canRestart(): Promise<boolean> {
    if (Deno.uid?.() !== 0) return false;
    try {
      return (await Deno.stat(PG_CTLCLUSTER)).isFile &&
        (await clusters()).length === 1;
    } catch {
      return false;
    }
  }

  /**
   * Restarts the PostgreSQL server (every session of every client ends),
   * and waits until it accepts connections again.
   */
  async restartServer(): Promise<void> {
    const [version] = await clusters();
    const result = await new Deno.Command(PG_CTLCLUSTER, {
      args: ["--skip-systemctl-redirect", version!, "main", "restart"],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!result.success) {
      throw new Error(
        `Cannot restart PostgreSQL: ${new TextDecoder().decode(result.stderr)}`,
      );
    }
    for (let i = 0; i < 100; i++) {
      try {
        await admin(this.#base, (sql) => sql`select 1`);
        return;
      } catch {
        await delay(100);
      }
    }
    throw new Error("PostgreSQL did not come back within 10 s of a restart");
  }

  /** Closes the proxies and drops the run's schema. */
  async close(): Promise<void> {
    await Promise.all(this.#proxies.map((proxy) => proxy.close()));
    await admin(this.#base, async (sql) => {
      await sql.unsafe(`drop schema if exists ${this.schema} cascade`);
    });
  }

  /** Closes the proxies only (the schema is kept, to look at). */
  async closeProxies(): Promise<void> {
    await Promise.all(this.#proxies.map((proxy) => proxy.close()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("schema", schema);
  return parsed.href;
}

async function admin<T>(
  url: string,
  fn: (sql: postgres.Sql) => Promise<T>,
): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 3 });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** The clusters' versions under /etc/postgresql. */
async function clusters(): Promise<string[]> {
  const versions: string[] = [];
  for await (const entry of Deno.readDir("/etc/postgresql")) {
    if (entry.isDirectory) versions.push(entry.name);
  }
  return versions;
}
