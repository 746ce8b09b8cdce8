/**
 * Module permissions as `deno run` flags, both ways: `--allow-write=/out`
 * and `-A` to {@linkcode ModulePermissions} (the command line, the module
 * runner's own extra flags), and back (the child process, `tock show`).
 *
 * @module
 */

import type {
  ModulePermissions,
  PermissionGrants,
  PermissionKind,
} from "../types.ts";
import {
  isPermissionKind,
  PERMISSION_KINDS,
  permissionEntryProblem,
  unionPermissions,
} from "./permissions.ts";

const FLAG = /^--(allow|deny)-([a-z]+)(?:=(.*))?$/s;

/**
 * Reads `deno run` permission flags: `--allow-<kind>` (all of a kind),
 * `--allow-<kind>=a,b` (a list), the same with `--deny-`, and `-A` or
 * `--allow-all` (every kind). Repeated flags add up, as in `deno run`.
 *
 * @param flags The flags, one per element.
 * @returns The permissions in normal form, or `undefined` for none.
 * @throws {TypeError} Naming the flag that is not a permission flag, or
 * the entry that is wrong.
 * @example Read the flags of a job
 * ```ts
 * import { parsePermissionFlags } from "./permission_flags.ts";
 * const permissions = parsePermissionFlags([
 *   "--allow-write=/var/reports",
 *   "--allow-net=api.example.com:443",
 *   "--allow-env",
 * ]);
 * console.log(permissions?.env); // true
 * ```
 */
export function parsePermissionFlags(
  flags: readonly string[],
): ModulePermissions | undefined {
  const parts = flags.map((flag): ModulePermissions => {
    if (flag === "-A" || flag === "--allow-all") {
      return Object.fromEntries(PERMISSION_KINDS.map((kind) => [kind, true]));
    }
    const match = FLAG.exec(flag);
    const kind = match?.[2] ?? "";
    if (!match || !isPermissionKind(kind)) {
      throw new TypeError(
        `Cannot use permission flag ${
          JSON.stringify(flag)
        }: expected -A, --allow-all, --allow-KIND[=…] or --deny-KIND[=…] with a KIND of ${
          PERMISSION_KINDS.join(", ")
        }`,
      );
    }
    const grant = { [kind]: entries(kind, match[3], `--${match[1]}-${kind}`) };
    return match[1] === "deny" ? { deny: grant } : grant;
  });
  return unionPermissions(...parts);
}

function entries(
  kind: PermissionKind,
  value: string | undefined,
  flag: string,
): true | string[] {
  if (value === undefined) return true;
  const list = value.split(",");
  for (const entry of list) {
    const problem = entry === ""
      ? `an empty entry names nothing (give ${flag} alone for all of it)`
      : permissionEntryProblem(kind, entry);
    if (problem) {
      throw new TypeError(
        `Cannot use ${flag}=${value}${
          list.length > 1 && entry !== "" ? ` ("${entry}")` : ""
        }: ${problem}`,
      );
    }
  }
  return list;
}

/** Options for {@linkcode permissionFlags}. */
export interface PermissionFlagsOptions {
  /**
   * Write `--allow-all` for a grant of every kind (for people; a child
   * process gets one flag per kind either way).
   *
   * @default {false}
   */
  readonly allowAll?: boolean;
}

/**
 * The `deno run` flags that grant and deny what permissions say: one flag
 * per kind (Deno does not add a whole grant to a list given for the same
 * kind: `--allow-read --allow-read=/a` grants `/a` only), grants first.
 *
 * @param permissions Permissions in normal form.
 * @param options See {@linkcode PermissionFlagsOptions}.
 * @returns The flags, such as `["--allow-write=/out", "--deny-net"]`.
 * @example Flags of a job
 * ```ts
 * import { permissionFlags } from "./permission_flags.ts";
 * const flags = permissionFlags({
 *   write: ["/out"],
 *   env: true,
 *   deny: { write: ["/out/keep"] },
 * });
 * console.log(flags.join(" "));
 * // "--allow-write=/out --allow-env --deny-write=/out/keep"
 * ```
 */
export function permissionFlags(
  permissions: ModulePermissions | undefined,
  options: PermissionFlagsOptions = {},
): string[] {
  const flags = (mode: "allow" | "deny", grants?: PermissionGrants) =>
    PERMISSION_KINDS.flatMap((kind) => {
      const grant = grants?.[kind];
      return grant === undefined ? [] : [permissionFlag(mode, kind, grant)];
    });
  const all = options.allowAll &&
    PERMISSION_KINDS.every((kind) => permissions?.[kind] === true);
  return [
    ...(all ? ["--allow-all"] : flags("allow", permissions)),
    ...flags("deny", permissions?.deny),
  ];
}

/** One flag: `--allow-write`, `--allow-write=/a,/b`, `--deny-net=x.com`. */
function permissionFlag(
  mode: "allow" | "deny",
  kind: PermissionKind,
  grant: true | readonly string[],
): string {
  return grant === true
    ? `--${mode}-${kind}`
    : `--${mode}-${kind}=${grant.join(",")}`;
}
