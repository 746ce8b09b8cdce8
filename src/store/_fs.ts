/**
 * The file-system helpers `@std/fs` would give (ensure a directory, atomic
 * write), kept in one module so moving to `@std/fs` is a one-file change.
 *
 * @module
 */

/** Mode of every file the store creates. */
export const FILE_MODE = 0o600;
/** Mode of every directory the store creates. */
export const DIR_MODE = 0o700;

/**
 * Joins path segments with `/` (the store only joins its own file names).
 *
 * @param parts The segments.
 * @returns The joined path.
 */
export function join(...parts: string[]): string {
  return parts.join("/").replace(/\/{2,}/g, "/");
}

/**
 * Creates a directory (mode 0700) if it does not exist.
 *
 * @param path The directory.
 * @returns True if it was created.
 */
export async function ensureDir(path: string): Promise<boolean> {
  try {
    await Deno.mkdir(path, { mode: DIR_MODE });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    await Deno.mkdir(path, { recursive: true, mode: DIR_MODE });
  }
  // mkdir's mode is reduced by the umask; set it exactly.
  if (Deno.build.os !== "windows") await Deno.chmod(path, DIR_MODE);
  return true;
}

/**
 * Flushes a directory's entries (renames, creations) to disk.
 *
 * @param path The directory.
 */
export async function syncDir(path: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  using dir = await Deno.open(path, { read: true });
  await dir.sync();
}

/**
 * Writes all of `data` to `file` at its current position.
 *
 * @param file An open file.
 * @param data The bytes.
 */
export async function writeAll(
  file: Deno.FsFile,
  data: Uint8Array,
): Promise<void> {
  let done = 0;
  while (done < data.length) done += await file.write(data.subarray(done));
}

/**
 * Replaces a file atomically and durably: writes a temp file in the same
 * directory, fsyncs it, renames it over `path`, and fsyncs the directory.
 * A crash leaves either the old or the new content, never a mix.
 *
 * @param path The file to replace.
 * @param data Its new content.
 * @param options `syncDir: false` skips the directory fsync (the caller
 * does it once for several files).
 */
export async function atomicWrite(
  path: string,
  data: string | Uint8Array,
  options: { syncDir?: boolean } = {},
): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash) || "/" : ".";
  const name = path.slice(slash + 1);
  const temp = join(dir, `.${name}.${randomId()}.tmp`);
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  try {
    {
      using file = await Deno.open(temp, {
        write: true,
        createNew: true,
        mode: FILE_MODE,
      });
      await writeAll(file, bytes);
      await file.sync();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  if (options.syncDir !== false) await syncDir(dir);
}

/**
 * Reads a whole file together with the `stat` of the same open file, so the
 * identity (inode, size, mtime) matches the content read.
 *
 * @param path The file.
 * @returns Its bytes and stat, or `undefined` if it does not exist.
 */
export async function readWithStat(
  path: string,
): Promise<{ bytes: Uint8Array; stat: Deno.FileInfo } | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    const stat = await file.stat();
    const bytes = await readFrom(file, 0, stat.size);
    return { bytes, stat };
  } finally {
    file.close();
  }
}

/**
 * Reads from `start` to the end of an open file (up to `end` is expected;
 * more is read if the file grew).
 *
 * @param file An open file.
 * @param start The byte offset to read from.
 * @param end The expected end (the file's size when stat'ed).
 * @returns The bytes read.
 */
export async function readFrom(
  file: Deno.FsFile,
  start: number,
  end: number,
): Promise<Uint8Array> {
  await file.seek(start, Deno.SeekMode.Start);
  let buffer = new Uint8Array(Math.max(end - start, 0) + 1);
  let length = 0;
  while (true) {
    if (length === buffer.length) {
      const bigger = new Uint8Array(buffer.length * 2);
      bigger.set(buffer);
      buffer = bigger;
    }
    const n = await file.read(buffer.subarray(length));
    if (n === null) break;
    length += n;
  }
  return buffer.subarray(0, length);
}

/**
 * Stats a path, or returns `undefined` if it does not exist.
 *
 * @param path The path.
 * @returns Its stat.
 */
export async function statIfExists(
  path: string,
): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Removes a file, ignoring a missing one.
 *
 * @param path The file.
 */
export async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * A random hex id for temp and journal file names.
 *
 * @returns 16 hex digits.
 */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
