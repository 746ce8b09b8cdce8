/**
 * A module job's permissions ({@linkcode ModulePermissions}): their check
 * and normal form, relative paths, and the two ways two sets combine (an
 * update replaces the kinds it names; the runner adds its defaults).
 *
 * The normal form is what the store keeps: kinds in a fixed order, each
 * `true` or a list without duplicates, nothing empty (`false` and `[]`
 * mean "none" and are left out), and `undefined` when nothing remains.
 *
 * @module
 */

import type {
  ModulePermissions,
  PermissionGrants,
  PermissionKind,
} from "../types.ts";

/** Every kind, in the order flags and the store write them. */
export const PERMISSION_KINDS: readonly PermissionKind[] = [
  "read",
  "write",
  "net",
  "env",
  "run",
  "sys",
  "ffi",
  "import",
];

/** The API names `--allow-sys` takes (Deno 2.9). */
const SYS_NAMES = [
  "hostname",
  "osRelease",
  "osUptime",
  "loadavg",
  "networkInterfaces",
  "systemMemoryInfo",
  "uid",
  "gid",
  "cpus",
  "homedir",
  "getegid",
  "statfs",
  "getPriority",
  "setPriority",
  "userInfo",
  "username",
];

/** What a kind's list holds, for messages. */
const WHAT: Record<PermissionKind, string> = {
  read: "paths",
  write: "paths",
  net: "hosts",
  env: "variable names",
  run: "programs",
  sys: "API names",
  ffi: "paths",
  import: "hosts",
};

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_*][A-Za-z0-9_.*-]*)(?::(\d+))?$/;

/**
 * Whether a kind is a permission kind (`read`, `write`, `net`, `env`,
 * `run`, `sys`, `ffi`, `import`).
 */
export function isPermissionKind(kind: string): kind is PermissionKind {
  return (PERMISSION_KINDS as readonly string[]).includes(kind);
}

/**
 * What is wrong with one entry of a kind's list, or `undefined` when it is
 * fine. Deno's lists are comma-separated with no escape, so no entry may
 * hold a comma.
 */
export function permissionEntryProblem(
  kind: PermissionKind,
  entry: unknown,
): string | undefined {
  if (typeof entry !== "string" || entry.trim() === "") {
    return "expected a non-empty string";
  }
  if (entry.includes("\0")) return "it contains a NUL byte";
  if (entry.includes(",")) {
    return "it contains a comma, which Deno's permission lists cannot name";
  }
  switch (kind) {
    case "env":
      return entry.includes("=")
        ? `expected a variable name (no "=")`
        : undefined;
    case "sys":
      return SYS_NAMES.includes(entry)
        ? undefined
        : `expected one of ${SYS_NAMES.join(", ")}`;
    case "net":
    case "import":
      return hostProblem(kind, entry);
    default:
      return undefined;
  }
}

function hostProblem(kind: PermissionKind, entry: string): string | undefined {
  if (kind === "net" && entry.startsWith("unix:")) {
    return entry.startsWith("unix:/")
      ? undefined
      : "expected unix: and an absolute socket path";
  }
  const match = HOST.exec(entry);
  const port = match?.[2] === undefined ? 0 : Number(match[2]);
  if (match && port <= 65_535) return undefined;
  return `expected a host, with a port if needed (api.example.com:443, 10.0.0.1, [::1]:8080)${
    entry.includes("://") ? ", not a URL" : ""
  }`;
}

/** Options for {@linkcode checkPermissions}. */
export interface CheckPermissionsOptions {
  /** Throws with a message naming the problem. */
  readonly fail: (message: string) => never;
  /**
   * How a field is named in messages, given its path (`""`, `"write"`,
   * `"deny.net"`); by default `'permissions'`, `'permissions.write'`, ….
   */
  readonly name?: (path: string) => string;
}

/**
 * Checks permissions as users write them (a job definition, a jobs file)
 * and returns their normal form.
 *
 * @param value `{ read: ["./data"], write: true, deny: { write: [...] } }`;
 * each kind `true`, `false` or a list of strings.
 * @param options See {@linkcode CheckPermissionsOptions}.
 * @returns The normal form, or `undefined` when it grants and denies
 * nothing.
 * @throws Whatever `fail` throws, with a message naming the field and the
 * value.
 * @example Normalise what a user wrote
 * ```ts
 * import { checkPermissions } from "./permissions.ts";
 * const permissions = checkPermissions(
 *   { env: ["API_TOKEN"], write: true, read: [], net: false },
 *   { fail: (message) => { throw new TypeError(message); } },
 * );
 * console.log(permissions); // { write: true, env: ["API_TOKEN"] }
 * ```
 */
export function checkPermissions(
  value: unknown,
  options: CheckPermissionsOptions,
): ModulePermissions | undefined {
  const { fail } = options;
  const name = options.name ??
    ((path: string) => `'permissions${path ? `.${path}` : ""}'`);
  if (value === undefined) return undefined;
  const allow = checkGrants(value, "", fail, name);
  const { deny } = value as { deny?: unknown };
  return normal(
    allow,
    deny === undefined ? undefined : checkGrants(deny, "deny", fail, name),
  );
}

function checkGrants(
  value: unknown,
  path: string,
  fail: (message: string) => never,
  name: (path: string) => string,
): PermissionGrants {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail(
      `${name(path)} must be an object such as {"write": ["./out"]}: received ${
        show(value)
      }`,
    );
  }
  const keys = [...PERMISSION_KINDS, ...(path === "" ? ["deny"] : [])];
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) {
      fail(
        `${name(path)} has an unknown kind ${JSON.stringify(key)}: expected ${
          keys.join(", ")
        }`,
      );
    }
  }
  const grants: Record<string, true | string[]> = {};
  for (const kind of PERMISSION_KINDS) {
    const where = name(path ? `${path}.${kind}` : kind);
    const given = (value as Record<string, unknown>)[kind];
    if (given === undefined || given === false) continue;
    if (given === true) {
      grants[kind] = true;
      continue;
    }
    if (!Array.isArray(given)) {
      fail(
        `${where} must be true, false or a list of ${WHAT[kind]}: received ${
          show(given)
        }`,
      );
    }
    for (const entry of given as unknown[]) {
      const problem = permissionEntryProblem(kind, entry);
      if (problem) fail(`${where} has a bad entry ${show(entry)}: ${problem}`);
    }
    grants[kind] = given as string[];
  }
  return grants;
}

/**
 * Resolves the relative paths of permissions (`read`, `write` and `ffi`
 * entries, and `run` entries that name a path, such as `./tool`); other
 * entries stay as they are.
 *
 * @param permissions Permissions in normal form.
 * @param resolve Turns a path into an absolute one.
 * @returns The same permissions with absolute paths.
 */
export function resolvePermissionPaths(
  permissions: ModulePermissions,
  resolve: (path: string) => string,
): ModulePermissions {
  const map = (grants: PermissionGrants | undefined) => {
    const out: Record<string, true | readonly string[]> = {};
    for (const kind of PERMISSION_KINDS) {
      const grant = grants?.[kind];
      if (grant === undefined) continue;
      out[kind] = grant === true
        ? true
        : grant.map((entry) => isPath(kind, entry) ? resolve(entry) : entry);
    }
    return out;
  };
  return normal(map(permissions), map(permissions.deny)) ?? {};
}

function isPath(kind: PermissionKind, entry: string): boolean {
  return kind === "read" || kind === "write" || kind === "ffi" ||
    (kind === "run" && entry.includes("/"));
}

/**
 * Applies a change to stored permissions, as `tock update` does: each
 * kind the change names (allowed or denied) replaces that kind; the others
 * stay.
 *
 * @param base The permissions before.
 * @param change The kinds to replace.
 * @returns The result in normal form (`undefined`: nothing granted or
 * denied).
 */
export function overridePermissions(
  base: ModulePermissions | undefined,
  change: ModulePermissions | undefined,
): ModulePermissions | undefined {
  const { deny: baseDeny, ...baseAllow } = base ?? {};
  const { deny: changeDeny, ...changeAllow } = change ?? {};
  return normal(
    { ...baseAllow, ...changeAllow },
    { ...baseDeny, ...changeDeny },
  );
}

/**
 * Adds permissions together, as `deno run` adds repeated flags: a kind
 * granted wholly (`true`) in any of them is granted wholly; lists are
 * joined.
 *
 * @param all Permissions to add (`undefined` ones are skipped).
 * @returns The sum in normal form (`undefined`: nothing granted or denied).
 */
export function unionPermissions(
  ...all: readonly (ModulePermissions | undefined)[]
): ModulePermissions | undefined {
  const join = (
    pick: (p: ModulePermissions) => PermissionGrants | undefined,
  ) => {
    const out: Record<string, true | string[]> = {};
    for (const permissions of all) {
      const grants = permissions && pick(permissions);
      for (const kind of PERMISSION_KINDS) {
        const grant = grants?.[kind];
        if (grant === undefined) continue;
        const had = out[kind];
        out[kind] = grant === true || had === true
          ? true
          : [...(had ?? []), ...grant];
      }
    }
    return out;
  };
  return normal(join((p) => p), join((p) => p.deny));
}

/**
 * Whether the grants reach past the store's denial. Deno checks
 * `--deny-read`/`--deny-write` by path as written: a subprocess (`run`),
 * native code (`ffi`), or a symbolic link made with unscoped `read` and
 * `write` reads the store all the same.
 *
 * @param permissions A job's permissions (normal form).
 * @returns True when the store's denial does not hold against them.
 * @example
 * ```ts
 * import { reachesPastDenial } from "./permissions.ts";
 * import assert from "node:assert/strict";
 * assert.equal(reachesPastDenial({ write: ["/srv/out"] }), false);
 * assert.equal(reachesPastDenial({ run: ["git"] }), true);
 * assert.equal(reachesPastDenial({ read: true, write: true }), true);
 * ```
 */
export function reachesPastDenial(
  permissions: ModulePermissions | undefined,
): boolean {
  const granted = (kind: PermissionKind) =>
    permissions?.[kind] !== undefined && permissions.deny?.[kind] !== true;
  const whole = (kind: PermissionKind) =>
    permissions?.[kind] === true && granted(kind);
  return granted("run") || granted("ffi") || (whole("read") && whole("write"));
}

/** The normal form of checked grants (kind order, no duplicates or empties). */
function normal(
  allow: PermissionGrants,
  deny: PermissionGrants | undefined,
): ModulePermissions | undefined {
  const tidy = (grants: PermissionGrants | undefined) => {
    const out: Record<string, true | string[]> = {};
    for (const kind of PERMISSION_KINDS) {
      const grant = grants?.[kind];
      if (grant === true) out[kind] = true;
      else if (grant !== undefined && grant.length > 0) {
        out[kind] = [...new Set(grant)];
      }
    }
    return Object.keys(out).length > 0 ? out : undefined;
  };
  const allowed = tidy(allow);
  const denied = tidy(deny);
  if (!allowed && !denied) return undefined;
  return { ...allowed, ...(denied ? { deny: denied } : {}) };
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? text.slice(0, 59) + "…" : text;
}
