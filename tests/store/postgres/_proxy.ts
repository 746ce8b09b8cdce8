// A TCP forwarder between a tock instance and PostgreSQL, so a test can cut
// the instance off from the database for real: `cut()` closes every
// forwarded connection and stops listening (new connections are refused),
// `restore()` listens again on the same port.

/** Where to forward to. */
export interface ProxyTarget {
  hostname: string;
  port: number;
}

/** The target of a `postgres://` URL. */
export function targetOf(url: string): ProxyTarget {
  const parsed = new URL(url);
  return {
    hostname: parsed.hostname || "127.0.0.1",
    port: Number(parsed.port || 5432),
  };
}

/** `url` with its host and port replaced by the proxy's. */
export function viaProxy(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.hostname = "127.0.0.1";
  parsed.port = String(proxy.port);
  return parsed.href;
}

/** A forwarder; see the module comment. */
export class TcpProxy implements AsyncDisposable {
  readonly #target: ProxyTarget;
  #port = 0;
  #listener: Deno.Listener | undefined;
  #accepting: Promise<void> = Promise.resolve();
  readonly #conns = new Set<Deno.Conn>();
  readonly #pumps = new Set<Promise<void>>();
  /** Connections forwarded so far. */
  connections = 0;

  constructor(target: ProxyTarget) {
    this.#target = target;
  }

  /** Starts a proxy on a free local port. */
  static start(target: ProxyTarget): TcpProxy {
    const proxy = new TcpProxy(target);
    proxy.restore();
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  get cutOff(): boolean {
    return this.#listener === undefined;
  }

  /** Listens (again, on the same port) and forwards. */
  restore(): void {
    if (this.#listener) return;
    const listener = Deno.listen({ hostname: "127.0.0.1", port: this.#port });
    this.#port = (listener.addr as Deno.NetAddr).port;
    this.#listener = listener;
    this.#accepting = this.#accept(listener);
  }

  /** Closes every connection and refuses new ones until `restore()`. */
  async cut(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    try {
      listener?.close();
    } catch { /* already closed */ }
    for (const conn of this.#conns) close(conn);
    this.#conns.clear();
    await this.#accepting;
    await Promise.all(this.#pumps);
  }

  async close(): Promise<void> {
    await this.cut();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #accept(listener: Deno.Listener): Promise<void> {
    while (true) {
      let client: Deno.Conn;
      try {
        client = await listener.accept();
      } catch {
        return; // closed
      }
      if (this.#listener !== listener) {
        close(client);
        return;
      }
      let server: Deno.Conn;
      try {
        server = await Deno.connect(this.#target);
      } catch {
        close(client);
        continue;
      }
      if (this.#listener !== listener) {
        close(client);
        close(server);
        return;
      }
      this.connections += 1;
      this.#conns.add(client);
      this.#conns.add(server);
      const done = Promise.all([pump(client, server), pump(server, client)])
        .then(() => {
          this.#conns.delete(client);
          this.#conns.delete(server);
          this.#pumps.delete(done);
        });
      this.#pumps.add(done);
    }
  }
}

async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  try {
    while (true) {
      const n = await from.read(buffer);
      if (n === null) break;
      let sent = 0;
      while (sent < n) sent += await to.write(buffer.subarray(sent, n));
    }
  } catch {
    // The other side, or cut(), closed a connection.
  } finally {
    close(from);
    close(to);
  }
}

function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}
