/**
 * Duration strings: `30s`, `1h30m`, `2 h`, `1H 30M`.
 *
 * @module
 */

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** The longest duration accepted: 100 years of 365.25 days. */
export const MAX_DURATION_MS: number = 100 * 365.25 * 86_400_000;

/**
 * Parses a duration made of integers with units `ms s m h d w`, combined
 * (`1h30m`). Units are case-insensitive, and spaces between numbers, units
 * and parts are tolerated (`2 h`, `1H 30M`).
 *
 * @param text The duration.
 * @returns The duration in milliseconds, a positive integer.
 * @throws {TypeError} When the text is not a duration (empty, a number
 * without a unit, an unknown unit, a fraction, a sign), naming the bad text:
 * `Cannot parse duration "5x": unknown unit "x"`.
 * @throws {RangeError} When the duration is zero or longer than 100 years.
 * @example Combined units
 * ```ts
 * import { parseDuration } from "./parse_duration.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseDuration("1h30m"), 5_400_000);
 * assert.equal(parseDuration("2 h"), 7_200_000);
 * ```
 */
export function parseDuration(text: string): number {
  if (typeof text !== "string") {
    throw new TypeError(`Cannot parse duration: expected a string`);
  }
  const fail = (detail: string): never => {
    throw new TypeError(
      `Cannot parse duration ${JSON.stringify(text)}: ${detail}`,
    );
  };
  const trimmed = text.trim();
  if (trimmed === "") fail("it is empty");
  const token = /\s*(\d+)\s*([a-z]*)\s*/iy;
  let total = 0;
  while (token.lastIndex < trimmed.length) {
    const at = token.lastIndex;
    const match = token.exec(trimmed);
    if (!match) {
      const rest = trimmed.slice(at);
      if (/^[-+]/.test(rest)) fail("a sign is not allowed");
      if (/^[.,]\d/.test(rest)) fail("use whole numbers (e.g. 1h30m)");
      fail(`unexpected ${JSON.stringify(rest)}`);
    }
    const [, digits, rawUnit] = match!;
    const unit = rawUnit!.toLowerCase();
    if (unit === "") {
      if (/^[.,]\d/.test(trimmed.slice(token.lastIndex))) {
        fail("use whole numbers (e.g. 1h30m)");
      }
      fail(`missing unit after ${JSON.stringify(digits)} (ms s m h d w)`);
    }
    const size = UNITS[unit] ?? fail(`unknown unit ${JSON.stringify(rawUnit)}`);
    total += Number(digits) * size;
  }
  if (total === 0) {
    throw new RangeError(
      `Cannot parse duration ${JSON.stringify(text)}: must be positive`,
    );
  }
  if (!(total <= MAX_DURATION_MS)) {
    throw new RangeError(
      `Cannot parse duration ${JSON.stringify(text)}: longer than 100 years`,
    );
  }
  return total;
}
