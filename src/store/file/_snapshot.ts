/**
 * The file store's marker (`tock.json`) and snapshot (`state.json`): their
 * formats, and strict parsing that names the file on any problem.
 *
 * @module
 */

import { StoreError } from "../../errors.ts";
import type { JobId, JobRecord } from "../../types.ts";
import { isValidId } from "../_ids.ts";

/** The marker file's name. */
export const MARKER_FILE = "tock.json";
/** The snapshot file's name. */
export const STATE_FILE = "state.json";
/**
 * The format version this code writes. Version 2 journals hold job states
 * as patches, version 3 also a claim's short form (`_delta.ts`); this code
 * reads versions 1 and 2 too, and a writer migrates an older store by
 * rewriting its marker (see `_open.ts`), so that an older tock refuses it
 * with one line instead of misreading it.
 */
export const FORMAT_VERSION = 3;
/** The oldest format version this code reads. */
const OLDEST_VERSION = 1;

const MARKER_FORMAT = "tock-file-store";
const STATE_FORMAT = "tock-file-store-state";
const JOURNAL_NAME = /^journal-[0-9a-f]{16}\.jsonl$/;

/** The marker file's content. */
export const MARKER_TEXT: string = JSON.stringify({
  format: MARKER_FORMAT,
  version: FORMAT_VERSION,
}) + "\n";

/** Everything `state.json` holds. */
export interface Snapshot {
  /** Batches committed up to this snapshot. */
  readonly seq: number;
  /** The newest ledger entry's sequence number up to this snapshot. */
  readonly ledgerSeq: number;
  /** The journal that continues this snapshot (`journal-<hex>.jsonl`). */
  readonly journal: string;
  /** Every job record. */
  readonly jobs: readonly JobRecord[];
  /** Per job: `ledgerSeq` at its creation (older archive lines are stale). */
  readonly born: Readonly<Record<JobId, number>>;
  /** Per job: about how many entries its archive holds (to plan pruning). */
  readonly archived: Readonly<Record<JobId, number>>;
}

/**
 * Tells whether a name is a journal file name.
 *
 * @param name A file name.
 * @returns True for `journal-<16 hex>.jsonl`.
 */
export function isJournalName(name: string): boolean {
  return JOURNAL_NAME.test(name);
}

/**
 * Checks the marker file's content.
 *
 * @param bytes The content of `tock.json`.
 * @param context The message prefix (`Cannot open store "/x"`).
 * @returns The store's format version.
 * @throws {StoreError} If it is not a tock store marker of a known version.
 */
export function checkMarker(bytes: Uint8Array, context: string): number {
  const value = parseJson(bytes);
  if (!isObject(value) || value.format !== MARKER_FORMAT) {
    throw new StoreError(
      `${context}: ${MARKER_FILE} is not a tock store file`,
    );
  }
  return checkVersion(value.version, MARKER_FILE, context);
}

/**
 * Parses and checks `state.json`.
 *
 * @param bytes Its content.
 * @param context The message prefix (`Cannot open store "/x"`).
 * @returns The snapshot.
 * @throws {StoreError} If it is not valid JSON, not a state file, from a
 * newer version, or inconsistent.
 */
export function parseSnapshot(bytes: Uint8Array, context: string): Snapshot {
  const value = parseJson(bytes);
  if (!isObject(value) || value.format !== STATE_FORMAT) {
    throw new StoreError(`${context}: ${STATE_FILE} is not a tock state file`);
  }
  checkVersion(value.version, STATE_FILE, context);
  const corrupt = (detail: string) =>
    new StoreError(`${context}: ${STATE_FILE} is corrupt: ${detail}`);
  const { seq, ledgerSeq, journal, jobs, born, archived } = value;
  if (!isCount(seq)) throw corrupt("'seq' is not a count");
  if (!isCount(ledgerSeq)) throw corrupt("'ledgerSeq' is not a count");
  if (typeof journal !== "string" || !isJournalName(journal)) {
    throw corrupt("'journal' is not a journal file name");
  }
  if (!Array.isArray(jobs)) throw corrupt("'jobs' is not an array");
  if (!isCountMap(born)) throw corrupt("'born' is not a map of counts");
  if (!isCountMap(archived)) throw corrupt("'archived' is not a map of counts");
  const seen = new Set<string>();
  for (const job of jobs as unknown[]) {
    if (!isJobRecord(job) || seen.has(job.spec.id)) {
      throw corrupt(`job #${seen.size + 1} is not a valid job record`);
    }
    seen.add(job.spec.id);
  }
  return { seq, ledgerSeq, journal, jobs: jobs as JobRecord[], born, archived };
}

/**
 * Serialises a snapshot for `state.json`.
 *
 * @param snapshot The snapshot.
 * @returns The file's text.
 */
export function encodeSnapshot(snapshot: Snapshot): string {
  return JSON.stringify({
    format: STATE_FORMAT,
    version: FORMAT_VERSION,
    ...snapshot,
  }) + "\n";
}

/**
 * Checks the shape a job record needs for the store's own bookkeeping.
 *
 * @param value A parsed value.
 * @returns True if it looks like a job record.
 */
export function isJobRecord(value: unknown): value is JobRecord {
  if (!isObject(value)) return false;
  const { spec, state } = value;
  if (!isObject(spec) || !isObject(state)) return false;
  return isValidId(spec.id) && Number.isSafeInteger(state.version) &&
    Array.isArray(state.runs) && Array.isArray(state.backlog) &&
    (state.nextDueAt === undefined || typeof state.nextDueAt === "number");
}

function checkVersion(
  version: unknown,
  file: string,
  context: string,
): number {
  if (
    typeof version === "number" && Number.isSafeInteger(version) &&
    version >= OLDEST_VERSION && version <= FORMAT_VERSION
  ) return version;
  if (typeof version === "number" && version > FORMAT_VERSION) {
    throw new StoreError(
      `${context}: ${file} has format version ${version}, this tock reads version ${FORMAT_VERSION} (upgrade tock)`,
    );
  }
  throw new StoreError(`${context}: ${file} is not a tock store file`);
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isCountMap(value: unknown): value is Record<string, number> {
  return isObject(value) && Object.values(value).every(isCount);
}
