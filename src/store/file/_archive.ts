/**
 * Per-job ledger archives (`ledger/<id>.jsonl`): where compaction moves
 * ledger entries out of the journal. Lines are `{"seq":n,"entry":{…}}`.
 *
 * Crash safety without a second commit point: compaction appends entries
 * before it swaps the snapshot, so a crash in between leaves entries that
 * are in both the archive and the still-current journal. Readers therefore
 * take only archive lines with `seq` up to the snapshot's `ledgerSeq`, and
 * the next compaction appends only entries newer than the archive's last
 * line. Lines at or below the job's `born` belong to an earlier job with the
 * same id and are ignored.
 *
 * @module
 */

import { StoreError } from "../../errors.ts";
import type { JobId, LedgerEntry } from "../../types.ts";
import type { LedgerItem } from "../_state.ts";
import { isValidId } from "../_ids.ts";
import { NEWLINE, parseLines } from "./_jsonl.ts";
import { crashPoint } from "./_crash_points.ts";
import {
  atomicWrite,
  FILE_MODE,
  join,
  openFile,
  readFrom,
  syncFile,
  truncateFile,
  writeAll,
} from "./_fs.ts";

/** The archive directory's name, inside the store directory. */
export const LEDGER_DIR = "ledger";

const TAIL_CHUNK = 64 * 1024;

/** Which lines of an archive belong to the job now. */
export interface ArchiveWindow {
  /** Lines with `seq` at or below this are from an earlier job. */
  readonly born: number;
  /** Lines with `seq` above this are not committed yet (see module doc). */
  readonly maxSeq: number;
}

/**
 * The path of a job's archive, after checking the id.
 *
 * @param dir The store directory.
 * @param id The job id.
 * @returns The path.
 */
export function archivePath(dir: string, id: JobId): string {
  if (!isValidId(id)) {
    throw new StoreError(`Cannot use job id ${JSON.stringify(id)} in a path`);
  }
  return join(dir, LEDGER_DIR, `${id}.jsonl`);
}

/**
 * Reads a job's archived entries, oldest first.
 *
 * @param dir The store directory.
 * @param id The job.
 * @param window Which lines count.
 * @param context The message prefix (`Cannot read store "/x"`).
 * @returns The entries.
 */
export async function readArchive(
  dir: string,
  id: JobId,
  window: ArchiveWindow,
  context: string,
): Promise<LedgerItem[]> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(archivePath(dir, id));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const where = `${context}: ${LEDGER_DIR}/${id}.jsonl`;
  return parseLines(bytes, 0, isItem, where)
    .map((line) => line.value)
    .filter((item) => item.seq > window.born && item.seq <= window.maxSeq);
}

/**
 * Moves a job's journal entries into its archive: appends those newer than
 * the archive's last line (made durable with `fdatasync`), or, when the
 * archive would exceed `limit`, rewrites it atomically with the newest
 * `limit` entries. The caller fsyncs the ledger directory afterwards.
 *
 * @param dir The store directory.
 * @param id The job.
 * @param items Its entries from the journal, oldest first.
 * @param options `born` (see {@linkcode ArchiveWindow}), `count` (entries
 * the archive held at the last snapshot), `limit`, and the message `context`.
 * @returns How many entries the archive holds now (exact after a rewrite).
 */
export async function archiveItems(
  dir: string,
  id: JobId,
  items: readonly LedgerItem[],
  options: { born: number; count: number; limit: number; context: string },
): Promise<number> {
  const path = archivePath(dir, id);
  const where = `${options.context}: ${LEDGER_DIR}/${id}.jsonl`;
  using file = await openFile(path, {
    read: true,
    write: true,
    create: true,
    mode: FILE_MODE,
  });
  const tail = await readTail(file, where);
  // A last line at or before `born` means the whole file is an earlier job's.
  const stale = tail.lastSeq !== undefined && tail.lastSeq <= options.born;
  const after = stale
    ? options.born
    : Math.max(tail.lastSeq ?? 0, options.born);
  const fresh = items.filter((item) => item.seq > after);
  const count = (stale ? 0 : options.count) + fresh.length;
  if (count > options.limit) {
    const old = stale ? [] : parseLines(
      (await readFrom(file, 0, tail.end)).subarray(0, tail.end),
      0,
      isItem,
      where,
    ).map((line) => line.value).filter((item) => item.seq > options.born);
    const keep = old.concat(fresh).slice(-options.limit);
    await atomicWrite(path, encodeItems(keep), {
      file: "archive",
      syncDir: false,
    });
    return keep.length;
  }
  if (fresh.length === 0 && !stale && tail.end === tail.size) return count;
  await truncateFile(file, path, stale ? 0 : tail.end);
  await file.seek(0, Deno.SeekMode.End);
  await writeAll(file, path, encodeItems(fresh));
  crashPoint("archive.after-append");
  await syncFile(file, path, { data: true });
  return count;
}

function encodeItems(items: readonly LedgerItem[]): Uint8Array {
  return new TextEncoder().encode(
    items.map((item) => JSON.stringify(item) + "\n").join(""),
  );
}

/**
 * Finds the end of the last complete, readable line and its `seq`, reading
 * backwards from the end in growing chunks.
 */
async function readTail(
  file: Deno.FsFile,
  where: string,
): Promise<{ size: number; end: number; lastSeq?: number }> {
  const size = (await file.stat()).size;
  let end = size;
  let chunk = TAIL_CHUNK;
  while (end > 0) {
    const start = Math.max(0, end - chunk);
    const bytes = (await readFrom(file, start, end)).subarray(0, end - start);
    const last = bytes.lastIndexOf(NEWLINE);
    if (last < 0 && start > 0) {
      chunk *= 2;
      continue;
    }
    if (last < 0) return { size, end: 0 };
    const before = bytes.lastIndexOf(NEWLINE, last - 1);
    if (before < 0 && start > 0) {
      chunk *= 2;
      continue;
    }
    const lines = parseLines(
      bytes.subarray(before + 1, last + 1),
      start + before + 1,
      isItem,
      where,
    );
    const line = lines[0];
    if (line) return { size, end: start + last + 1, lastSeq: line.value.seq };
    // The last complete line is torn: look at the one before it.
    end = start + before + 1;
  }
  return { size, end: 0 };
}

function isItem(value: unknown): value is LedgerItem {
  if (typeof value !== "object" || value === null) return false;
  const { seq, entry } = value as { seq?: unknown; entry?: LedgerEntry };
  return Number.isSafeInteger(seq) && typeof entry === "object" &&
    entry !== null && typeof entry.job === "string";
}
