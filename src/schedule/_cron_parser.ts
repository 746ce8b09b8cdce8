/**
 * The only module that imports cron-parser. It turns a 5- or 6-field
 * expression (or an alias) into expanded field tables, and searches those
 * tables for the next matching wall-clock time. Zones and DST are not its
 * business: callers map wall times to instants (see `next_slot.ts`).
 * It is longer than most files because parsing, field tables and the wall
 * search share one representation that no other file should see.
 *
 * @module
 */

import { CronExpressionParser } from "../deps/cron_parser.ts";
import { ScheduleSyntaxError } from "../errors.ts";
import { daysInMonth, utcMs, weekdayOf } from "./_zone.ts";

/** A cron expression expanded into lookup tables. */
export interface CompiledCron {
  /** The expression has a leading seconds field. */
  readonly seconds: boolean;
  /** The hour field is `*` or a step: follow real time across DST changes. */
  readonly realTime: boolean;
  /** `next*[v]`: the smallest allowed value `>= v`, or -1. */
  readonly nextSecond: Int8Array;
  /** Like `nextSecond`, for minutes 0-59. */
  readonly nextMinute: Int8Array;
  /** Like `nextSecond`, for hours 0-23. */
  readonly nextHour: Int8Array;
  /** Like `nextSecond`, for months 1-12. */
  readonly nextMonth: Int8Array;
  /** `dom[d]` is 1 when day `d` (1-31) is listed. */
  readonly dom: Uint8Array;
  /** `L` in the day-of-month field. */
  readonly domLast: boolean;
  /** The day-of-month field is `*` or `?` (unrestricted). */
  readonly domStar: boolean;
  /** `dow[w]` is 1 when weekday `w` (0 = Sunday) is listed. */
  readonly dow: Uint8Array;
  /** `dowLast[w]` is 1 for `wL` (the last such weekday of the month). */
  readonly dowLast: Uint8Array;
  /** `n` of `w#n`, or 0. */
  readonly dowNth: number;
  /** The day-of-week field is `*` or `?` (unrestricted). */
  readonly dowStar: boolean;
}

const ALIASES: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const FIELD_NAMES = [
  "second",
  "minute",
  "hour",
  "day of month",
  "month",
  "day of week",
];

/** Years the wall search looks ahead: Feb 29 on a given weekday recurs within 40. */
export const HORIZON_YEARS = 50;

const CACHE = new Map<string, CompiledCron>();

/**
 * Parses and expands a cron expression (cached by text).
 *
 * @param text A 5- or 6-field expression, or `@yearly` `@annually`
 * `@monthly` `@weekly` `@daily` `@hourly`.
 * @returns The expanded fields.
 * @throws {ScheduleSyntaxError} When the expression is malformed; the
 * message names the field, and cron-parser's error is the `cause`.
 * @example
 * ```ts
 * import { compileCron } from "./_cron_parser.ts";
 * compileCron("*\/5 * * * *").realTime; // true
 * ```
 */
export function compileCron(text: string): CompiledCron {
  const cached = CACHE.get(text);
  if (cached) return cached;
  const compiled = compile(text);
  if (CACHE.size >= 1000) CACHE.clear();
  CACHE.set(text, compiled);
  return compiled;
}

function fail(text: string, detail: string, cause?: unknown): never {
  throw new ScheduleSyntaxError(
    text,
    `Cannot parse schedule ${JSON.stringify(text)}: ${detail}`,
    cause === undefined ? undefined : { cause },
  );
}

function compile(text: string): CompiledCron {
  const trimmed = text.trim();
  let body = trimmed;
  if (trimmed.startsWith("@")) {
    body = ALIASES[trimmed.toLowerCase()] ??
      fail(
        text,
        `unknown alias, expected one of ${Object.keys(ALIASES).join(" ")}`,
      );
  }
  const parts = body.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    fail(text, `expected 5 or 6 fields, got ${parts.length}`);
  }
  const fields = parts.length === 6 ? parts : ["0", ...parts];
  fields.forEach((field, i) => {
    // Hashed values are random per process unless seeded: refuse them.
    if (/H/i.test(i >= 4 ? field.replace(/[a-z]{3}/gi, "") : field)) {
      fail(
        text,
        `hashed values (H) are not supported: ${JSON.stringify(field)}`,
      );
    }
  });
  const [second, minute, hour, domRaw, month, dowRaw] = fields.map((raw, i) =>
    fieldValues(text, i, raw, raw)
  ) as [Values, Values, Values, Values, Values, Values];
  const dow = new Uint8Array(7);
  const dowLast = new Uint8Array(7);
  for (const v of dowRaw) {
    if (typeof v === "number") dow[v % 7] = 1;
    else if (/^\dL$/.test(v)) dowLast[Number(v[0]) % 7] = 1;
  }
  const dom = new Uint8Array(32);
  let domLast = false;
  for (const v of domRaw) {
    if (typeof v === "number") dom[v] = 1;
    else if (v === "L") domLast = true;
  }
  const [hourText, domText, dowText] = [fields[2]!, fields[3]!, fields[5]!];
  const star = (raw: string) => raw === "*" || raw === "?";
  return {
    seconds: parts.length === 6,
    realTime: star(hourText) || hourText.includes("/"),
    nextSecond: nextTable(second, 60),
    nextMinute: nextTable(minute, 60),
    nextHour: nextTable(hour, 24),
    nextMonth: nextTable(month, 13),
    dom,
    domLast,
    domStar: star(domText),
    dow,
    dowLast,
    // cron-parser has validated `w#n` (n in 1-5, no list around it).
    dowNth: dowText.includes("#") ? Number(dowText.split("#")[1]) : 0,
    dowStar: star(dowText),
  };
}

type Values = readonly (number | string)[];

const KEYS = [
  "second",
  "minute",
  "hour",
  "dayOfMonth",
  "month",
  "dayOfWeek",
] as const;

/**
 * Expands one field by parsing it alone, so that an error names the field.
 * cron-parser refuses overlapping list items (`0,7`, `1-5,3`) as duplicates;
 * cron accepts them, so those lists are expanded item by item and merged.
 */
function fieldValues(text: string, i: number, raw: string, whole: string) {
  const probe = ["0", "*", "*", "*", "*", "*"];
  probe[i] = raw;
  try {
    const fields = CronExpressionParser.parse(probe.join(" "), { tz: "UTC" })
      .fields;
    return fields[KEYS[i]!].values as Values;
  } catch (error) {
    const message = (error as Error).message;
    if (/duplicate values/.test(message) && /^[^#]*,/.test(raw)) {
      return raw.split(",").flatMap((item): Values =>
        fieldValues(text, i, item, whole)
      );
    }
    const range = message.match(/expected range (\d+-\d+)/);
    const alias = message.match(/cannot resolve alias "(\w+)"/);
    return fail(
      text,
      range
        ? `${FIELD_NAMES[i]} must be ${range[1]}, got ${JSON.stringify(whole)}`
        : alias
        ? `unknown ${FIELD_NAMES[i]} name ${
          JSON.stringify(alias[1]!.toUpperCase())
        }`
        : `invalid ${FIELD_NAMES[i]} field ${JSON.stringify(whole)}`,
      error,
    );
  }
}

function nextTable(values: readonly (number | string)[], size: number) {
  const table = new Int8Array(size + 1).fill(-1);
  for (const v of values) if (typeof v === "number" && v < size) table[v] = v;
  for (let v = size - 1; v >= 0; v--) {
    if (table[v] === -1) table[v] = table[v + 1]!;
  }
  return table;
}

/**
 * Whether a calendar day matches the day-of-month and day-of-week fields
 * (Vixie semantics: when both are restricted, either may match).
 *
 * @param c The compiled expression.
 * @param year Full year.
 * @param month 1-12.
 * @param day 1-31.
 * @returns `true` when the day is selected.
 * @example
 * ```ts
 * import { compileCron, dayMatches } from "./_cron_parser.ts";
 * dayMatches(compileCron("0 0 * * 1#2"), 2026, 3, 9); // true
 * ```
 */
export function dayMatches(
  c: CompiledCron,
  year: number,
  month: number,
  day: number,
): boolean {
  const dim = daysInMonth(year, month);
  if (c.domStar && c.dowStar) return day <= dim;
  const domOk = c.dom[day] === 1 || (c.domLast && day === dim);
  if (c.dowStar) return domOk;
  const w = weekdayOf(year, month, day);
  const dowOk =
    (c.dow[w] === 1 && (c.dowNth === 0 || Math.ceil(day / 7) === c.dowNth)) ||
    (c.dowLast[w] === 1 && day + 7 > dim);
  return c.domStar ? dowOk : domOk || dowOk;
}

/**
 * The first wall time `>= wallMs` (rounded up to a whole second) whose
 * fields match, searching at most {@linkcode HORIZON_YEARS} years ahead.
 *
 * @param c The compiled expression.
 * @param wallMs A wall-clock reading as epoch-like milliseconds.
 * @returns The matching wall time, or `undefined` past the horizon.
 * @example
 * ```ts
 * import { compileCron, nextWall } from "./_cron_parser.ts";
 * nextWall(compileCron("30 2 * * *"), Date.UTC(2026, 0, 1)); // Date.UTC(2026, 0, 1, 2, 30)
 * ```
 */
export function nextWall(c: CompiledCron, wallMs: number): number | undefined {
  const d0 = new Date(Math.ceil(wallMs / 1000) * 1000);
  let y = d0.getUTCFullYear();
  let mo = d0.getUTCMonth() + 1;
  let d = d0.getUTCDate();
  let h = d0.getUTCHours();
  let mi = d0.getUTCMinutes();
  let s = d0.getUTCSeconds();
  const lastYear = Math.min(y + HORIZON_YEARS, 9999);
  // Each pass moves forward by at least one day, hour, minute or month, and
  // whole non-matching days are skipped, so this bound is never reached for
  // a search that stays within the horizon.
  for (let guard = 0; guard < 100_000; guard++) {
    if (s > 59) [s, mi] = [0, mi + 1];
    if (mi > 59) [mi, h] = [0, h + 1];
    if (h > 23) [h, d] = [0, d + 1];
    if (d > daysInMonth(y, mo)) [d, mo] = [1, mo + 1];
    if (mo > 12) [mo, y] = [1, y + 1];
    if (y > lastYear) return undefined;
    const m2 = c.nextMonth[mo]!;
    if (m2 < 0) {
      [y, mo, d, h, mi, s] = [y + 1, 1, 1, 0, 0, 0];
      continue;
    }
    if (m2 !== mo) [mo, d, h, mi, s] = [m2, 1, 0, 0, 0];
    if (!dayMatches(c, y, mo, d)) {
      [d, h, mi, s] = [d + 1, 0, 0, 0];
      continue;
    }
    const h2 = c.nextHour[h]!;
    if (h2 < 0) {
      [d, h, mi, s] = [d + 1, 0, 0, 0];
      continue;
    }
    if (h2 !== h) [h, mi, s] = [h2, 0, 0];
    const mi2 = c.nextMinute[mi]!;
    if (mi2 < 0) {
      [h, mi, s] = [h + 1, 0, 0];
      continue;
    }
    if (mi2 !== mi) [mi, s] = [mi2, 0];
    const s2 = c.nextSecond[s]!;
    if (s2 < 0) {
      [mi, s] = [mi + 1, 0];
      continue;
    }
    return utcMs(y, mo, d, h, mi, s2);
  }
  return undefined;
}

/**
 * Whether a wall time (to the second) matches every field.
 *
 * @param c The compiled expression.
 * @param wallMs A wall-clock reading as epoch-like milliseconds.
 * @returns `true` when it matches (milliseconds are ignored).
 * @example
 * ```ts
 * import { compileCron, wallMatches } from "./_cron_parser.ts";
 * wallMatches(compileCron("30 2 * * *"), Date.UTC(2026, 0, 1, 2, 30)); // true
 * ```
 */
export function wallMatches(c: CompiledCron, wallMs: number): boolean {
  const t = new Date(wallMs);
  const s = t.getUTCSeconds();
  const mi = t.getUTCMinutes();
  const h = t.getUTCHours();
  const mo = t.getUTCMonth() + 1;
  return c.nextSecond[s] === s && c.nextMinute[mi] === mi &&
    c.nextHour[h] === h && c.nextMonth[mo] === mo &&
    dayMatches(c, t.getUTCFullYear(), mo, t.getUTCDate());
}
