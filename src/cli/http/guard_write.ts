/**
 * Who may write through the HTTP API: only a request that carries the
 * configured bearer token and, when a browser says where it comes from
 * (`Origin`), comes from the server's own origin. Without a configured
 * token the API is read-only.
 *
 * @module
 */

import { urlHost } from "./listen_addr.ts";

/** Why a write is refused, as an HTTP status and a one-line reason. */
export interface WriteRefusal {
  /** 401 (no or a wrong token) or 403 (read-only, or another origin). */
  readonly status: 401 | 403;
  /** The reason, for `{ "error": … }`. */
  readonly error: string;
}

/** What {@linkcode guardWrite} checks a request against. */
export interface GuardWriteOptions {
  /** The token writes need; none: every write is refused. */
  readonly token?: string;
  /** The origins the server itself is reached at (`http://127.0.0.1:8787`). */
  readonly origins: ReadonlySet<string>;
}

/**
 * Checks a write request.
 *
 * @returns Why it is refused, or `undefined` when it may go ahead.
 */
export function guardWrite(
  request: Request,
  options: GuardWriteOptions,
): WriteRefusal | undefined {
  if (options.token === undefined || options.token === "") {
    return {
      status: 403,
      error:
        "Cannot write: the server is read-only (start it with --http-token)",
    };
  }
  const origin = request.headers.get("origin");
  if (origin !== null && !options.origins.has(origin)) {
    return {
      status: 403,
      error: `Cannot write from another origin: ${JSON.stringify(origin)}`,
    };
  }
  const auth = request.headers.get("authorization") ?? "";
  const m = /^Bearer (.+)$/.exec(auth);
  if (!m || !sameText(m[1]!, options.token)) {
    return {
      status: 401,
      error: "Cannot write: a valid bearer token is required",
    };
  }
  return undefined;
}

/** Compares two strings in time that depends only on their lengths. */
function sameText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  }
  return diff === 0;
}

/**
 * The origins a server bound to `hostname:port` is reached at: that host,
 * and for a loopback or wildcard bind the loopback names too.
 */
export function ownOrigins(hostname: string, port: number): Set<string> {
  const names = new Set([hostname]);
  if (
    ["127.0.0.1", "::1", "localhost", "0.0.0.0", "::"].includes(hostname)
  ) {
    for (const name of ["127.0.0.1", "localhost", "::1"]) names.add(name);
  }
  return new Set([...names].map((name) => `http://${urlHost(name)}:${port}`));
}
