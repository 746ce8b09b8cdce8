/**
 * The file store's append-only journal: one JSON line per committed batch.
 *
 * A line is written with one `write` and made durable with one `fdatasync`;
 * the line's final newline is what makes it complete. Readers stop at the
 * last complete line, so an append in progress or a tail torn by a crash is
 * never read; the next writer (under the lock) truncates such a tail before
 * it appends. An unparsable line followed by more data cannot come from a
 * crash (writers truncate first), so it is reported as corruption.
 *
 * @module
 */

import type { StoreChange } from "./store.ts";
import { FILE_MODE, join, randomId, readFrom, writeAll } from "./_fs.ts";
import { parseLines } from "./_jsonl.ts";

/** One committed batch: the journal line's content. */
export interface JournalBatch {
  /** The store-wide batch number (the snapshot's `seq` + line number). */
  readonly seq: number;
  /** The changes, as committed. */
  readonly changes: StoreChange[];
}

/** What {@linkcode readJournal} found after the offset. */
export interface JournalRead {
  /** Complete batches, each with the byte offset just past its line. */
  readonly batches: { readonly batch: JournalBatch; readonly end: number }[];
  /** The file's size when read; bytes past the last batch are a torn tail. */
  readonly size: number;
}

/**
 * Reads the complete batches that follow `offset`.
 *
 * @param path The journal file.
 * @param offset Where the caller's knowledge ends (just after a line).
 * @param context The message prefix (`Cannot read store "/x"`).
 * @returns The batches, or `undefined` if the journal does not exist.
 * @throws {StoreError} If a line that is followed by more data is invalid.
 */
export async function readJournal(
  path: string,
  offset: number,
  context: string,
): Promise<JournalRead | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let bytes: Uint8Array;
  let size: number;
  try {
    size = (await file.stat()).size;
    if (size <= offset) return { batches: [], size };
    bytes = await readFrom(file, offset, size);
    size = offset + bytes.length;
  } finally {
    file.close();
  }
  const name = path.slice(path.lastIndexOf("/") + 1);
  const lines = parseLines(bytes, offset, isBatch, `${context}: ${name}`);
  const batches = lines.map(({ value, end }) => ({ batch: value, end }));
  return { batches, size };
}

/**
 * Serialises a batch as one journal line, and parses it back: the parsed
 * batch is exactly what every reader of the journal will apply (JSON drops
 * `undefined` fields, for one), so the writer applies that too.
 *
 * @param seq The batch number.
 * @param changes The changes.
 * @returns The line's bytes (newline included) and the parsed batch.
 */
export function prepareBatch(
  seq: number,
  changes: readonly StoreChange[],
): { line: Uint8Array; batch: JournalBatch } {
  const text = JSON.stringify({ seq, changes });
  const batch = JSON.parse(text) as JournalBatch;
  return { line: new TextEncoder().encode(text + "\n"), batch };
}

/**
 * Appends a line at `offset`, first cutting off whatever follows it (a torn
 * tail), then makes it durable with one `fdatasync`. On failure it tries to
 * cut the file back to `offset`, so a failed commit leaves no line behind.
 *
 * @param path The journal file.
 * @param offset The end of the last complete line.
 * @param line The bytes to append.
 */
export async function appendBatch(
  path: string,
  offset: number,
  line: Uint8Array,
): Promise<void> {
  using file = await Deno.open(path, { read: true, write: true });
  try {
    if ((await file.stat()).size !== offset) await file.truncate(offset);
    await file.seek(offset, Deno.SeekMode.Start);
    await writeAll(file, line);
    await file.syncData();
  } catch (error) {
    await file.truncate(offset).catch(() => {});
    throw error;
  }
}

/**
 * Creates a new, empty journal file (the caller fsyncs the directory).
 *
 * @param dir The store directory.
 * @returns Its file name.
 */
export async function createJournal(dir: string): Promise<string> {
  const name = `journal-${randomId()}.jsonl`;
  const file = await Deno.open(join(dir, name), {
    write: true,
    createNew: true,
    mode: FILE_MODE,
  });
  try {
    await file.sync();
  } finally {
    file.close();
  }
  return name;
}

function isBatch(value: unknown): value is JournalBatch {
  if (typeof value !== "object" || value === null) return false;
  const { seq, changes } = value as Record<string, unknown>;
  return Number.isSafeInteger(seq) && Array.isArray(changes);
}
