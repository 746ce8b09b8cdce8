/**
 * The file-system helpers `@std/fs` would give (ensure a directory, atomic
 * write), kept in one module so moving to `@std/fs` is a one-file change.
 *
 * Every step by which the file store writes its data (open for writing,
 * write, fsync, truncate, rename, remove) goes through this module, and
 * each first asks a test-only fault hook ({@linkcode setFaultHook}) whether
 * to fail, so tests can make any of them fail as a full disk would. Atomic
 * writes also pass crash points (`_crash_points.ts`).
 *
 * @module
 */

import { type AtomicFile, crashPoint } from "./_crash_points.ts";

/** A step that changes the disk, as the fault hook sees it. */
export type FsStep =
  | "open"
  | "write"
  | "sync"
  | "truncate"
  | "rename"
  | "remove";

/** How the fault hook fails a step. */
export interface FsFault {
  /** The error the step throws. */
  readonly error: Error;
  /** A write first writes this many bytes (a short write), then throws. */
  readonly written?: number;
}

/**
 * Decides, before each step, whether it fails.
 *
 * @param step The step.
 * @param path The file (or, for a directory fsync, the directory).
 * @returns The fault, or `undefined` to let the step run.
 */
export type FaultHook = (step: FsStep, path: string) => FsFault | undefined;

let faultHook: FaultHook | undefined;

/**
 * Installs (or, with `undefined`, removes) the fault hook of this process.
 * For tests only: it affects every file store in the process.
 *
 * @param hook The hook.
 */
export function setFaultHook(hook: FaultHook | undefined): void {
  faultHook = hook;
}

function faultOf(step: FsStep, path: string): FsFault | undefined {
  return faultHook?.(step, path);
}

function check(step: FsStep, path: string): void {
  const fault = faultOf(step, path);
  if (fault) throw fault.error;
}

/**
 * Opens a file for writing (a step the fault hook sees).
 *
 * @param path The file.
 * @param options As for `Deno.open`.
 * @returns The open file.
 */
export async function openFile(
  path: string,
  options: Deno.OpenOptions,
): Promise<Deno.FsFile> {
  check("open", path);
  return await Deno.open(path, options);
}

/**
 * Flushes an open file to disk: `fdatasync` with `data: true`, else `fsync`.
 *
 * @param file The open file.
 * @param path Its path (for the fault hook).
 * @param options `data`: flush the data only (`fdatasync`).
 */
export async function syncFile(
  file: Deno.FsFile,
  path: string,
  options: { data?: boolean } = {},
): Promise<void> {
  check("sync", path);
  if (options.data) await file.syncData();
  else await file.sync();
}

/**
 * Cuts an open file to `length` bytes.
 *
 * @param file The open file.
 * @param path Its path (for the fault hook).
 * @param length The new length.
 */
export async function truncateFile(
  file: Deno.FsFile,
  path: string,
  length: number,
): Promise<void> {
  check("truncate", path);
  await file.truncate(length);
}

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
  check("sync", path);
  using dir = await Deno.open(path, { read: true });
  await dir.sync();
}

/**
 * Writes all of `data` to `file` at its current position.
 *
 * @param file An open file.
 * @param path Its path (for the fault hook).
 * @param data The bytes.
 */
export async function writeAll(
  file: Deno.FsFile,
  path: string,
  data: Uint8Array,
): Promise<void> {
  const fault = faultOf("write", path);
  let done = 0;
  if (fault) {
    const short = data.subarray(0, Math.min(fault.written ?? 0, data.length));
    while (done < short.length) done += await file.write(short.subarray(done));
    throw fault.error;
  }
  while (done < data.length) done += await file.write(data.subarray(done));
}

/**
 * Replaces a file atomically and durably: writes a temp file in the same
 * directory, fsyncs it, renames it over `path`, and fsyncs the directory.
 * A crash leaves either the old or the new content, never a mix.
 *
 * @param path The file to replace.
 * @param data Its new content.
 * @param options `file`: which store file it is (names its crash points);
 * `syncDir: false` skips the directory fsync (the caller does it once for
 * several files).
 */
export async function atomicWrite(
  path: string,
  data: string | Uint8Array,
  options: { file: AtomicFile; syncDir?: boolean; sync?: boolean },
): Promise<void> {
  const staged = await stageWrite(path, data, options);
  await staged.commit();
}

/** A file written beside its path, to be renamed into place. */
export interface StagedWrite {
  /** Renames it into place (then fsyncs the directory, unless told not to). */
  commit(): Promise<void>;
  /** Removes it. */
  discard(): Promise<void>;
}

/**
 * The first half of {@linkcode atomicWrite}: writes (and fsyncs) the
 * temporary file, leaving the rename to the caller, who may do it later
 * (at a moment when nothing else reads the path).
 *
 * @param path The file to replace.
 * @param data Its new content.
 * @param options As for {@linkcode atomicWrite}.
 * @returns The staged write.
 */
export async function stageWrite(
  path: string,
  data: string | Uint8Array,
  options: { file: AtomicFile; syncDir?: boolean; sync?: boolean },
): Promise<StagedWrite> {
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash) || "/" : ".";
  const name = path.slice(slash + 1);
  const temp = join(dir, `.${name}.${randomId()}.tmp`);
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  const discard = () => Deno.remove(temp).catch(() => {});
  try {
    using file = await openFile(temp, {
      write: true,
      createNew: true,
      mode: FILE_MODE,
    });
    await writeAll(file, temp, bytes);
    crashPoint(`${options.file}.after-temp-write`);
    if (options.sync !== false) await syncFile(file, temp);
  } catch (error) {
    await discard();
    throw error;
  }
  return {
    async commit() {
      try {
        crashPoint(`${options.file}.before-rename`);
        check("rename", path);
        await Deno.rename(temp, path);
      } catch (error) {
        await discard();
        throw error;
      }
      crashPoint(`${options.file}.after-rename`);
      if (options.syncDir !== false && options.sync !== false) {
        await syncDir(dir);
      }
    },
    discard,
  };
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
  check("remove", path);
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
