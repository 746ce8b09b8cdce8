/**
 * The permission flags of a module job's child process: what the module
 * needs to load itself, the runner's extra flags and the job's own
 * permissions, added together, one flag per kind; then the store's files
 * denied on top, which no grant overrides (Deno's `--deny-*` wins over
 * every `--allow-*`, `-A` included), as far as Deno's own path checks go
 * (see `run_module.ts` for the grants that reach past them).
 *
 * @module
 */

import type { ModulePermissions } from "../types.ts";
import { permissionFlags } from "../jobs/permission_flags.ts";
import { unionPermissions } from "../jobs/permissions.ts";

/**
 * Deno's default import hosts: allowed when no `--allow-import` is given,
 * forgotten once one is, so every import list carries them.
 */
const DEFAULT_IMPORT_HOSTS = [
  "deno.land:443",
  "jsr.io:443",
  "esm.sh:443",
  "cdn.jsdelivr.net:443",
  "raw.githubusercontent.com:443",
  "user.githubusercontent.com:443",
];

/** What {@linkcode moduleFlags} combines. */
export interface ModuleFlagsOptions {
  /** The module as the job names it (for messages). */
  readonly module: string;
  /** The module's URL, its directory resolved to its real path. */
  readonly url: URL;
  /** The runner's extra permissions, for every module. */
  readonly runner?: ModulePermissions | undefined;
  /** The job's own permissions. */
  readonly job?: ModulePermissions | undefined;
  /** The store's files, denied to every child. */
  readonly protectedPaths: readonly string[];
}

/**
 * The child's permission flags.
 *
 * @param options See {@linkcode ModuleFlagsOptions}.
 * @returns The flags for `deno run`.
 * @throws {TypeError} When the module's directory is the filesystem root,
 * or it or a store path holds a comma (Deno's lists cannot name it).
 */
export function moduleFlags(options: ModuleFlagsOptions): string[] {
  const { module, protectedPaths } = options;
  if (protectedPaths.some((path) => path.includes(","))) {
    throw new TypeError(
      `Cannot run module "${module}": the store's path contains a comma, which --deny-read cannot name`,
    );
  }
  const all = unionPermissions(
    protectedPaths.length > 0
      ? { deny: { read: protectedPaths, write: protectedPaths } }
      : undefined,
    loading(module, options.url),
    options.runner,
    options.job,
  );
  const imports = all?.import;
  return permissionFlags(
    Array.isArray(imports)
      ? { ...all, import: [...new Set([...imports, ...DEFAULT_IMPORT_HOSTS])] }
      : all,
  );
}

/**
 * What the module needs to load itself: read access to its directory, or,
 * for a remote module, import access to its host.
 */
function loading(module: string, url: URL): ModulePermissions {
  if (url.protocol !== "file:") return { import: [url.host] };
  const path = decodeURIComponent(url.pathname);
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  if (dir === "/") {
    throw new TypeError(
      `Cannot run module "${module}": its directory is the filesystem root, which the module would be allowed to read`,
    );
  }
  if (dir.includes(",")) {
    throw new TypeError(
      `Cannot run module "${module}": its directory contains a comma, which --allow-read cannot name`,
    );
  }
  return { read: [dir] };
}
