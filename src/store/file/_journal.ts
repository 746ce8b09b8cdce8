/**
 * The file store's append-only journal: one JSON line per committed batch.
 *
 * A journal ends with a rotation marker when a compaction has begun: a
 * line with the number of the batch before it, no changes, and the `next`
 * journal, where the batches continue
 * (`{"seq":n,"changes":[],"next":"journal-….jsonl"}`). Readers follow it;
 * nothing is written after it.
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

import { Buffer } from "node:buffer";
import type { StoreChange } from "../store.ts";
import type { StoreModel } from "../_state.ts";
import {
  type ClaimedBy,
  decodeChanges,
  encodeChanges,
  type JournalChange,
} from "./_delta.ts";
import { crashPoint } from "./_crash_points.ts";
import {
  FILE_MODE,
  join,
  openFile,
  randomId,
  readFrom,
  syncFile,
  truncateFile,
  writeAll,
} from "./_fs.ts";
import { parseLines } from "./_jsonl.ts";
import { isJournalName } from "./_snapshot.ts";

/** One committed batch: the journal line's content. */
export interface JournalBatch {
  /** The store-wide batch number (the snapshot's `seq` + line number). */
  readonly seq: number;
  /** The changes, as the line holds them (see `_delta.ts`). */
  readonly changes: JournalChange[];
  /** What the runs of the batch's claim share (see `_delta.ts`). */
  readonly claimedBy?: ClaimedBy;
  /** A rotation marker's next journal (the batch has no changes). */
  readonly next?: string;
}

/** What {@linkcode readJournal} found after the offset. */
export interface JournalRead {
  /** Complete batches, each with the byte offset just past its line. */
  readonly batches: { readonly batch: JournalBatch; readonly end: number }[];
  /** The file's size when read; bytes past the last batch are a torn tail. */
  readonly size: number;
  /** The last complete line up to the end of the batches (or `tail`). */
  readonly last: Uint8Array;
  /**
   * The bytes before the offset are not `tail` any more: the line the
   * caller read last was cut off (its commit failed) and something else
   * written in its place. Nothing after the offset is read then.
   */
  readonly replaced: boolean;
}

/**
 * Reads the complete batches that follow `offset`, after checking that the
 * line just before it is still `tail`.
 *
 * A line is readable from its write until its `fdatasync` fails and the
 * writer cuts it off, so a reader may have applied a line that was never
 * committed; the next commit can then put a line of the very same length
 * in its place, which the offset alone cannot tell apart.
 *
 * @param path The journal file.
 * @param offset Where the caller's knowledge ends (just after a line).
 * @param context The message prefix (`Cannot read store "/x"`).
 * @param tail The line the caller read last (ending at `offset`).
 * @returns The batches, or `undefined` if the journal does not exist.
 * @throws {StoreError} If a line that is followed by more data is invalid.
 */
export async function readJournal(
  path: string,
  offset: number,
  context: string,
  tail: Uint8Array = new Uint8Array(),
): Promise<JournalRead | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const back = tail.length <= offset ? tail.length : 0;
  let bytes: Uint8Array;
  let size: number;
  try {
    size = (await file.stat()).size;
    if (size < offset) {
      return { batches: [], size, last: tail, replaced: false };
    }
    bytes = await readFrom(file, offset - back, size);
    size = offset - back + bytes.length;
  } finally {
    file.close();
  }
  if (!sameBytes(bytes.subarray(0, back), tail.subarray(tail.length - back))) {
    return { batches: [], size, last: tail, replaced: true };
  }
  const body = bytes.subarray(back);
  const name = path.slice(path.lastIndexOf("/") + 1);
  const lines = parseLines(body, offset, isBatch, `${context}: ${name}`);
  const batches = lines.map(({ value, end }) => ({ batch: value, end }));
  const end = lines.at(-1)?.end;
  const start = lines.at(-2)?.end ?? offset;
  const last = end === undefined
    ? tail
    : body.slice(start - offset, end - offset);
  return { batches, size, last, replaced: false };
}

/** Byte equality, natively (the last line of a claim can be megabytes). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Serialises a batch as one journal line (job states as patches against
 * the model), and parses and decodes it back: that is exactly what every
 * reader of the journal will apply (JSON drops `undefined` fields, for
 * one), so the writer applies that too.
 *
 * @param model The model the batch applies to.
 * @param changes The changes.
 * @returns The line's bytes (newline included) and the changes to apply.
 */
export function prepareBatch(
  model: StoreModel,
  changes: readonly StoreChange[],
): { line: Uint8Array; changes: StoreChange[] } {
  const stored = storedState(model);
  const text = JSON.stringify({
    seq: model.seq + 1,
    ...encodeChanges(stored, changes),
  });
  const batch = JSON.parse(text) as JournalBatch;
  return {
    line: new TextEncoder().encode(text + "\n"),
    changes: decodeChanges(stored, batch),
  };
}

/**
 * The rotation marker that ends a journal (see the module documentation).
 *
 * @param seq The number of the last batch before it.
 * @param next The journal the batches continue in.
 * @returns The line's bytes, newline included.
 */
export function rotationLine(seq: number, next: string): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({ seq, changes: [], next }) + "\n",
  );
}

/**
 * A journal line's changes as the model applies them.
 *
 * @param model The model the line follows.
 * @param batch The line.
 * @returns The store changes.
 */
export function changesOf(
  model: StoreModel,
  batch: JournalBatch,
): StoreChange[] {
  return decodeChanges(storedState(model), batch);
}

function storedState(model: StoreModel) {
  return (id: string) => model.jobs.get(id)?.state;
}

/**
 * Appends a line at `offset`, first cutting off whatever follows it (a torn
 * tail), then makes it durable with one `fdatasync`. On failure it tries to
 * cut the file back to `offset`, so a failed commit leaves no line behind.
 *
 * @param path The journal file.
 * @param offset The end of the last complete line.
 * @param line The bytes to append.
 * @param claim Whether the commit claims runs (for the `claim.*` crash
 * points of tests).
 */
export async function appendBatch(
  path: string,
  offset: number,
  line: Uint8Array,
  claim = false,
): Promise<void> {
  using file = await openFile(path, { read: true, write: true });
  try {
    if ((await file.stat()).size !== offset) {
      await truncateFile(file, path, offset);
    }
    await file.seek(offset, Deno.SeekMode.Start);
    crashPoint("commit.before-write");
    if (claim) crashPoint("claim.before-write");
    await writeAll(file, path, line);
    crashPoint("commit.after-write");
    if (claim) crashPoint("claim.after-write");
    await syncFile(file, path, { data: true });
  } catch (error) {
    await truncateFile(file, path, offset).catch(() => {});
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
  const path = join(dir, name);
  const file = await openFile(path, {
    write: true,
    createNew: true,
    mode: FILE_MODE,
  });
  try {
    await syncFile(file, path);
  } finally {
    file.close();
  }
  return name;
}

function isBatch(value: unknown): value is JournalBatch {
  if (typeof value !== "object" || value === null) return false;
  const { seq, changes, next } = value as Record<string, unknown>;
  return Number.isSafeInteger(seq) && Array.isArray(changes) &&
    (next === undefined ||
      (typeof next === "string" && isJournalName(next) &&
        changes.length === 0));
}
