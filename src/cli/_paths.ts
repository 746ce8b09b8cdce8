/**
 * Path helpers (kept in one place so that moving to `@std/path` later is a
 * one-file change).
 *
 * @module
 */

/** Whether a module reference is a URL (`file:`, `https:`, `jsr:`, `npm:`). */
export function isUrl(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(ref) && !/^[a-z]:[\\/]/i.test(ref);
}

/** Whether a path is absolute. */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/") || /^[a-z]:[\\/]/i.test(path);
}

/** Resolves `path` against the directory `base`, normalising `.` and `..`. */
export function resolvePath(base: string, path: string): string {
  const joined = isAbsolute(path) ? path : `${base}/${path}`;
  const parts: string[] = [];
  for (const part of joined.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  const root = /^[a-z]:$/i.test(parts[0] ?? "") ? "" : "/";
  return root + parts.join("/");
}

/** The directory part of a path. */
export function dirname(path: string): string {
  const at = path.lastIndexOf("/");
  return at <= 0 ? "/" : path.slice(0, at);
}
