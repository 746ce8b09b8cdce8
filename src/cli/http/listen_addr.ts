/**
 * The `--http ADDR` value: `HOST:PORT`, `[IPv6]:PORT`, or a bare port,
 * which binds loopback (`127.0.0.1`).
 *
 * @module
 */

import { UsageError } from "../_errors.ts";

/** Where the HTTP server listens. */
export interface ListenAddr {
  /** The interface to bind (`127.0.0.1` unless told otherwise). */
  readonly hostname: string;
  /** The TCP port; 0 picks a free one. */
  readonly port: number;
}

/**
 * Parses `--http ADDR`.
 *
 * @throws {UsageError} When the value is not a port or `HOST:PORT`.
 */
export function parseListenAddr(text: string): ListenAddr {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new UsageError(
      `Invalid --http address: expected PORT or HOST:PORT, received "${text}"`,
    );
  }
  const host = m[1] ?? "127.0.0.1";
  return {
    hostname: host.startsWith("[") ? host.slice(1, -1) : host,
    port,
  };
}

/** A hostname as a URL writes it: an IPv6 address in brackets. */
export function urlHost(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
