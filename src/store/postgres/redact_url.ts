/**
 * Hiding the credentials of a store URL before it is shown.
 *
 * @module
 */

/**
 * Replaces everything between `://` and the last `@` with `***`: the user
 * name and the password, whatever characters the password holds (`/`,
 * `@`, `:`, a malformed `%` escape). A `password` query parameter (which
 * libpq-style URLs allow) is hidden too. Text without `://` is returned as
 * it is.
 *
 * @param url A URL, or any store reference (a directory is unchanged).
 * @returns The text with its credentials hidden.
 *
 * @example Hide a password that holds a slash
 * ```ts
 * import { redactUrl } from "./redact_url.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(redactUrl("postgres://u:pa/ss@host/db"), "postgres://***@host/db");
 * assert.equal(redactUrl("/var/lib/tock"), "/var/lib/tock");
 * ```
 */
export function redactUrl(url: string): string {
  const start = url.indexOf("://");
  if (start < 0) return url;
  const at = url.lastIndexOf("@");
  const hidden = at < start + 3
    ? url
    : `${url.slice(0, start + 3)}***${url.slice(at)}`;
  return hidden.replace(/([?&]password=)[^&#]*/gi, "$1***");
}
