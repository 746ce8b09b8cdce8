/**
 * Parsing of the file store's JSON-lines files (journal and archives), with
 * one rule for torn tails: bytes after the last newline, and a complete but
 * unparsable last line, are what a crash mid-append leaves, and are skipped;
 * an unparsable line followed by more data is corruption.
 *
 * @module
 */

import { StoreError } from "../../errors.ts";

/** The newline byte that completes a line. */
export const NEWLINE = 0x0a;

/** A parsed line with the byte offset just past it. */
export interface ParsedLine<T> {
  /** The parsed value. */
  readonly value: T;
  /** The file offset just past the line's newline. */
  readonly end: number;
}

/**
 * Parses the complete lines of `bytes`.
 *
 * @param bytes The bytes, starting at a line start.
 * @param base The file offset of `bytes[0]` (for offsets and messages).
 * @param check Tells whether a parsed value has the expected shape.
 * @param where The message prefix naming the file
 * (`Cannot read store "/x": ledger/a.jsonl`).
 * @returns The lines, in order.
 * @throws {StoreError} On an invalid line that is not a torn tail.
 */
export function parseLines<T>(
  bytes: Uint8Array,
  base: number,
  check: (value: unknown) => value is T,
  where: string,
): ParsedLine<T>[] {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const lines: ParsedLine<T>[] = [];
  let start = 0;
  while (true) {
    const stop = bytes.indexOf(NEWLINE, start);
    if (stop < 0) break;
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(bytes.subarray(start, stop)));
    } catch {
      if (stop + 1 === bytes.length) break;
      throw new StoreError(`${where} is corrupt at byte ${base + start}`);
    }
    if (!check(value)) {
      throw new StoreError(
        `${where} is corrupt at byte ${base + start}: unexpected content`,
      );
    }
    start = stop + 1;
    lines.push({ value, end: base + start });
  }
  return lines;
}
