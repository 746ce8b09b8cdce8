/**
 * What a file store's journal lines cost per claimed slot and per recorded
 * run, read from a store a run has used: every complete line of every
 * journal in the directory (`journal-*.jsonl`; a compaction's rotation
 * ends one journal and starts another, and removes the old one once its
 * snapshot is written, so the lines counted are those still there).
 *
 * - A **claim line** is a claim step's commit: it has `claimedBy` (what its
 *   runs share, written once per line). Its slots are its changes' claimed
 *   runs: one per `job.claim` (format 3), and the runs a `job.patch` claims
 *   or adds (`runs.claim`, `runs.add`). Its bytes (newline included) count
 *   whole, with whatever else it holds (ledger entries of skipped slots).
 *   Besides bytes over slots of all claim lines, the median of the lines'
 *   own bytes per slot says what a typical claim costs (the first claim
 *   after a start, which catches up, is written longer).
 * - An **outcome line** is an outcome batch's commit: no `claimedBy`, and
 *   ledger entries of runs (`ledger.append` with a `runId`), one per run
 *   recorded.
 *
 * Other lines (the jobs' creation, rotation markers) are not counted.
 *
 * @module
 */

import { spread } from "./_stats.ts";

/** The journal figures of one store. */
export interface JournalBytes {
  /** The store's format version (`tock.json`), `null` if unreadable. */
  readonly format: number | null;
  /** Journal files read. */
  readonly journals: number;
  readonly claimLines: number;
  readonly claimBytes: number;
  readonly claimedSlots: number;
  readonly outcomeLines: number;
  readonly outcomeBytes: number;
  readonly recordedRuns: number;
  /** `claimBytes / claimedSlots`, whole bytes (`null` without slots). */
  readonly bytesPerClaimedSlot: number | null;
  /** The median over claim lines of a line's bytes per slot. */
  readonly claimLineBytesPerSlot: number | null;
  /** `outcomeBytes / recordedRuns`, whole bytes (`null` without runs). */
  readonly bytesPerRecordedRun: number | null;
}

/** Counts of lines, as {@linkcode countLines} adds them up. */
export interface LineCounts {
  claimLines: number;
  claimBytes: number;
  claimedSlots: number;
  outcomeLines: number;
  outcomeBytes: number;
  recordedRuns: number;
  /** Each claim line's bytes per slot (lines with slots). */
  lineBytesPerSlot: number[];
}

interface Change {
  readonly type?: string;
  readonly runs?: { readonly claim?: unknown[]; readonly add?: unknown[] };
  readonly entry?: { readonly runId?: unknown };
}

/**
 * Adds one journal's complete lines to the counts (a last line without its
 * newline, an append in progress or a torn tail, is left out).
 *
 * @param bytes The journal's content.
 * @param counts The counts so far (changed in place).
 * @example A claim line of two slots
 * ```ts
 * import { countLines } from "./_journal_bytes.ts";
 * const line = JSON.stringify({
 *   seq: 1,
 *   claimedBy: { instance: "a", claimedAt: 0 },
 *   changes: [{ type: "job.claim", id: "x", runId: "r", slot: 0 }, {
 *     type: "job.patch",
 *     id: "y",
 *     runs: { claim: [{ runId: "s", slot: 0, trigger: "schedule" }] },
 *   }],
 * }) + "\n";
 * const counts = {
 *   claimLines: 0, claimBytes: 0, claimedSlots: 0,
 *   outcomeLines: 0, outcomeBytes: 0, recordedRuns: 0,
 *   lineBytesPerSlot: [],
 * };
 * countLines(new TextEncoder().encode(line), counts);
 * console.assert(counts.claimedSlots === 2 && counts.claimBytes === line.length);
 * ```
 */
export function countLines(bytes: Uint8Array, counts: LineCounts): void {
  const decoder = new TextDecoder();
  let start = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(10, start);
    if (end < 0) break;
    const size = end + 1 - start;
    const batch = JSON.parse(decoder.decode(bytes.subarray(start, end))) as {
      readonly claimedBy?: unknown;
      readonly changes?: readonly Change[];
    };
    start = end + 1;
    const changes = batch.changes ?? [];
    if (batch.claimedBy !== undefined) {
      let slots = 0;
      for (const change of changes) {
        if (change.type === "job.claim") slots++;
        else if (change.type === "job.patch") {
          slots += (change.runs?.claim?.length ?? 0) +
            (change.runs?.add?.length ?? 0);
        }
      }
      counts.claimLines++;
      counts.claimBytes += size;
      counts.claimedSlots += slots;
      if (slots > 0) counts.lineBytesPerSlot.push(size / slots);
      continue;
    }
    const runs = changes.filter((change) =>
      change.type === "ledger.append" && change.entry?.runId !== undefined
    ).length;
    if (runs === 0) {
      continue;
    }
    counts.outcomeLines++;
    counts.outcomeBytes += size;
    counts.recordedRuns += runs;
  }
}

/**
 * Reads every journal of a file store directory (see the module doc).
 *
 * @param dir The store directory (no process writing to it).
 * @returns The counts and the bytes per claimed slot and per recorded run.
 */
export async function journalBytes(dir: string): Promise<JournalBytes> {
  const counts: LineCounts = {
    claimLines: 0,
    claimBytes: 0,
    claimedSlots: 0,
    outcomeLines: 0,
    outcomeBytes: 0,
    recordedRuns: 0,
    lineBytesPerSlot: [],
  };
  let journals = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !/^journal-.+\.jsonl$/.test(entry.name)) continue;
    journals++;
    countLines(await Deno.readFile(`${dir}/${entry.name}`), counts);
  }
  const { lineBytesPerSlot, ...totals } = counts;
  return {
    format: await formatVersion(dir),
    journals,
    ...totals,
    bytesPerClaimedSlot: bytes(counts.claimBytes, counts.claimedSlots),
    claimLineBytesPerSlot: bytes(spread(lineBytesPerSlot).median ?? 0, 1),
    bytesPerRecordedRun: bytes(counts.outcomeBytes, counts.recordedRuns),
  };
}

/** Whole bytes per item (`null` without items): repeats compare evenly. */
function bytes(total: number, items: number): number | null {
  return items > 0 && total > 0 ? Math.round(total / items) : null;
}

async function formatVersion(dir: string): Promise<number | null> {
  try {
    const marker = JSON.parse(await Deno.readTextFile(`${dir}/tock.json`));
    return typeof marker?.version === "number" ? marker.version : null;
  } catch {
    return null;
  }
}
