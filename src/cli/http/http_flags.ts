/**
 * `--http ADDR` and `--http-token TOKEN` (or `$TOCK_HTTP_TOKEN`), shared by
 * `tock serve` and `tock start`.
 *
 * @module
 */

import { type ParsedArgs, stringFlag } from "../_args.ts";
import type { CliContext } from "../_command.ts";
import type { FlagSpec } from "../_flag_spec.ts";
import { type ListenAddr, parseListenAddr } from "./listen_addr.ts";

/** The flags. */
export const HTTP_FLAGS: Readonly<Record<string, FlagSpec>> = {
  http: { type: "string" },
  "http-token": { type: "string" },
};

/** The help lines of the flags. */
export const HTTP_HELP =
  `  --http ADDR        serve the status page, the JSON API and /metrics on
                     ADDR (HOST:PORT; a bare PORT binds 127.0.0.1)
  --http-token TOKEN allow writes (run, pause, resume, backfill) with
                     'Authorization: Bearer TOKEN' (default
                     $TOCK_HTTP_TOKEN; without one the API is read-only)`;

/** What the flags ask for. */
export interface HttpFlags {
  /** Where to listen. */
  readonly addr: ListenAddr;
  /** The write token, if any. */
  readonly token?: string;
}

/**
 * Reads the flags.
 *
 * @returns `undefined` when `--http` is not given.
 * @throws {UsageError} For a malformed address.
 */
export function httpFlags(
  parsed: ParsedArgs,
  ctx: CliContext,
): HttpFlags | undefined {
  const addr = stringFlag(parsed, "http");
  if (addr === undefined) return undefined;
  const token = stringFlag(parsed, "http-token") ??
    ctx.env("TOCK_HTTP_TOKEN");
  return {
    addr: parseListenAddr(addr),
    ...(token !== undefined && token !== "" ? { token } : {}),
  };
}

/** What the server lets clients do, for the "serving …" line. */
export function accessText(http: HttpFlags): string {
  return http.token === undefined ? "read-only" : "writes with the token";
}
