/**
 * Says which flag would grant what a module job was refused. Deno's
 * `NotCapable` message ends `run again with the --allow-write flag`, which
 * is no help to a job run by a scheduler; the hint names the exact flag
 * and the `tock update` that adds it, or says why no flag can (the
 * store's files, or the job's own `deny`).
 *
 * @module
 */

import type { ModulePermissions, PermissionKind } from "../types.ts";
import { permissionFlags } from "./permission_flags.ts";
import { PERMISSION_KINDS } from "./permissions.ts";

/** What {@linkcode withPermissionHint} knows about the job. */
export interface PermissionHintOptions {
  /** The job's id, for the `tock update` it suggests. */
  readonly jobId: string;
  /** The job's own permissions. */
  readonly permissions?: ModulePermissions | undefined;
  /** The store's files, which no flag grants. */
  readonly protectedPaths?: readonly string[] | undefined;
}

/** Deno's refusal: what it requires (kept), then its advice (replaced). */
const REFUSED = new RegExp(
  `(Requires (${
    PERMISSION_KINDS.join("|")
  }) access(?: to "(.*?)")?), run again with the --allow-\\2 flag`,
  "s",
);

/** Where the grant hint starts in a message (see {@linkcode splitPermissionHint}). */
const GRANT = ": grant it with ";

/**
 * Replaces the advice of Deno's `Requires … access` message with the flag
 * that grants it: `Requires write access to "/var/reports/x.txt": grant it
 * with --allow-write=/var/reports/x.txt (tock update report
 * --allow-write=/var/reports/x.txt)`. The `tock update` keeps the paths the
 * job already has for that kind (it replaces the kind).
 *
 * @param message An error message (one line).
 * @param options The job.
 * @returns The message with the hint; as it was when Deno did not refuse
 * anything in it, or when the job already grants the access.
 * @example A module that wrote without the grant
 * ```ts
 * import { withPermissionHint } from "./permission_hint.ts";
 * const message = withPermissionHint(
 *   'Requires write access to "/srv/out.txt", run again with the --allow-write flag',
 *   { jobId: "report" },
 * );
 * console.log(message);
 * // Requires write access to "/srv/out.txt": grant it with
 * // --allow-write=/srv/out.txt (tock update report --allow-write=/srv/out.txt)
 * ```
 */
export function withPermissionHint(
  message: string,
  options: PermissionHintOptions,
): string {
  const match = REFUSED.exec(message);
  if (!match) return message;
  const [refusal, what, kind, value] = match;
  const hint = hintFor(kind as PermissionKind, value, options);
  if (hint === undefined) return message;
  // Sliced, not `replace`d: a path may hold `$&`, a replacement pattern.
  return `${message.slice(0, match.index)}${what}${hint}${
    message.slice(match.index + refusal.length)
  }`;
}

/**
 * Splits a message at its grant hint, so that a short view can cut the
 * first part and keep the hint whole.
 *
 * @param message An error message.
 * @returns The part before the hint, and the hint (`: grant it with …`).
 */
export function splitPermissionHint(
  message: string,
): { readonly text: string; readonly hint: string } {
  const at = message.indexOf(GRANT);
  return at < 0
    ? { text: message, hint: "" }
    : { text: message.slice(0, at), hint: message.slice(at) };
}

function hintFor(
  kind: PermissionKind,
  value: string | undefined,
  options: PermissionHintOptions,
): string | undefined {
  const { permissions } = options;
  if (
    value !== undefined && (kind === "read" || kind === "write") &&
    (options.protectedPaths ?? []).some((path) => covers(kind, path, value))
  ) {
    return ": the store's files are never granted to a job";
  }
  const denied = permissions?.deny?.[kind];
  if (
    denied === true ||
    (value !== undefined && denied?.some((d) => covers(kind, d, value)))
  ) {
    return `: the job denies it (${
      permissionFlags({ deny: { [kind]: denied } })[0]
    })`;
  }
  const granted = permissions?.[kind];
  if (granted === true) return undefined;
  const allow = (grant: true | string[]) =>
    permissionFlags({ [kind]: grant })[0]!;
  // Deno's lists cannot name a value with a comma: only all of it can.
  const whole = value === undefined || value.includes(",");
  const flag = allow(whole ? true : [value]);
  const update = whole ? flag : allow([...(granted ?? []), value]);
  return `${GRANT}${shellWord(flag)} (tock update ${options.jobId} ${
    shellWord(update)
  })`;
}

/** Whether a granted or denied entry covers a value. */
function covers(kind: PermissionKind, entry: string, value: string): boolean {
  if (entry === value) return true;
  switch (kind) {
    case "read":
    case "write":
    case "ffi":
      return value.startsWith(entry.endsWith("/") ? entry : `${entry}/`);
    case "net":
    case "import":
      // A host without a port covers all its ports.
      return value.startsWith(`${entry}:`);
    case "env":
      return entry.endsWith("*") && value.startsWith(entry.slice(0, -1));
    default:
      return false;
  }
}

/** Quotes a word for a POSIX shell when it needs it. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)
    ? word
    : `'${word.replaceAll("'", `'\\''`)}'`;
}
