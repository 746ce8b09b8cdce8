/**
 * The only module that imports cron-parser. It turns a 5-, 6- or 7-field
 * expression (or an alias) into the lookup tables of
 * {@linkcode CompiledCron}. cron-parser expands the plain items of a field
 * (values, names, ranges, steps); the forms it does not know (`15W`, `LW`,
 * `L-3`, `FRI#L`, `#` in lists, the `+` modifier, the year field) are read
 * here. Matching the tables against a calendar lives in `_cron_match.ts`.
 *
 * @module
 */

import { CronExpressionParser } from "../deps/cron_parser.ts";
import { ScheduleSyntaxError } from "../errors.ts";
import type { CronSchedule } from "./schedule.ts";

/** A cron expression expanded into lookup tables. */
export interface CompiledCron {
  /** The expression has a leading seconds field (6 or 7 fields). */
  readonly seconds: boolean;
  /**
   * The hour field starts with `*` (`*`, `*\/2`): follow real time across
   * DST changes. Any other hour field names hours (fixed hours).
   */
  readonly realTime: boolean;
  /** `next*[v]`: the smallest allowed value `>= v`, or -1. */
  readonly nextSecond: Int8Array;
  /** Like `nextSecond`, for minutes 0-59. */
  readonly nextMinute: Int8Array;
  /** Like `nextSecond`, for hours 0-23. */
  readonly nextHour: Int8Array;
  /** Like `nextSecond`, for months 1-12. */
  readonly nextMonth: Int8Array;
  /** Like `nextSecond`, for years 0-9999; `undefined`: every year. */
  readonly nextYear: Int16Array | undefined;
  /** `dom[d]` is 1 when day `d` (1-31) is listed. */
  readonly dom: Uint8Array;
  /** Bit `n` set for `L-n` (`L` is `L-0`): the last day minus `n`. */
  readonly domFromEnd: number;
  /**
   * `domNearest[d]` is 1 for `dW`: the weekday nearest to day `d`;
   * `undefined` when the field has no `W`.
   */
  readonly domNearest: Uint8Array | undefined;
  /** `LW`: the last weekday (Monday to Friday) of the month. */
  readonly domLastWeekday: boolean;
  /** The day-of-month field is `*` or `?` (unrestricted). */
  readonly domStar: boolean;
  /**
   * `dow[w]` (0 = Sunday): bit `n - 1` allows the `n`-th such weekday of
   * the month (`w#n`), bit 5 the last one (`wL`, `w#L`); a plain weekday
   * allows all ({@linkcode ANY_OCCURRENCE}).
   */
  readonly dow: Uint8Array;
  /** The day-of-week field is `*` or `?` (unrestricted). */
  readonly dowStar: boolean;
  /**
   * Both day fields must match (the `+` modifier, or the `domAndDow`
   * option); otherwise either may, when both are restricted.
   */
  readonly domAndDow: boolean;
}

/** Options for {@linkcode compileCron}. */
export interface CompileCronOptions {
  /** Combine day of month and day of week with AND, as `+` does. */
  readonly domAndDow?: boolean;
}

/** The `dow` bit of the last occurrence of a weekday in its month. */
export const LAST_OCCURRENCE = 0b100000;
/** The `dow` bits of a plain weekday: every occurrence. */
export const ANY_OCCURRENCE = 0b111111;

/** The aliases, as 5-field expressions. */
const ALIASES: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const FIELD_NAMES = [
  "second",
  "minute",
  "hour",
  "day of month",
  "month",
  "day of week",
  "year",
];

/** The years a year field may name (OCPS: an even lower bound). */
export const FIRST_YEAR = 1970;
/** The last year a slot can fall in. */
export const LAST_YEAR = 9999;

const CACHE = new Map<string, CompiledCron>();

/**
 * Parses and expands a cron expression (cached by text and options).
 *
 * @param text A 5-, 6- (leading seconds) or 7-field (seconds and a trailing
 * year) expression, or `@yearly` `@annually` `@monthly` `@weekly` `@daily`
 * `@midnight` `@hourly`.
 * @param options `domAndDow`: both day fields must match.
 * @returns The expanded fields.
 * @throws {ScheduleSyntaxError} When the expression is malformed; the
 * message names the field, and cron-parser's error (if any) is the `cause`.
 * @example
 * ```ts
 * import { compileCron } from "./_cron_parser.ts";
 * compileCron("*\/5 * * * *").realTime; // true
 * ```
 */
export function compileCron(
  text: string,
  options: CompileCronOptions = {},
): CompiledCron {
  const key = `${options.domAndDow ? "&" : ""}\u0000${text}`;
  const cached = CACHE.get(key);
  if (cached) return cached;
  const compiled = compile(text, options.domAndDow === true);
  if (CACHE.size >= 1000) CACHE.clear();
  CACHE.set(key, compiled);
  return compiled;
}

/**
 * The compiled form of a parsed cron schedule (its text and options).
 *
 * @param schedule A cron schedule.
 * @returns The expanded fields.
 * @throws {ScheduleSyntaxError} When the text is malformed.
 * @example
 * ```ts
 * import { compiledOf } from "./_cron_parser.ts";
 * compiledOf({ kind: "cron", text: "0 12 1-7 * MON", tz: "UTC",
 *   seconds: false, realTime: false, domAndDow: true }).domAndDow; // true
 * ```
 */
export function compiledOf(schedule: CronSchedule): CompiledCron {
  return compileCron(schedule.text, { domAndDow: schedule.domAndDow === true });
}

function fail(text: string, detail: string, cause?: unknown): never {
  throw new ScheduleSyntaxError(
    text,
    `Cannot parse schedule ${JSON.stringify(text)}: ${detail}`,
    cause === undefined ? undefined : { cause },
  );
}

function compile(text: string, domAndDowOption: boolean): CompiledCron {
  const trimmed = text.trim();
  let body = trimmed;
  if (trimmed.startsWith("@")) {
    if (trimmed.toLowerCase() === "@reboot") {
      fail(text, "@reboot is not supported: a job has no boot to run at");
    }
    body = ALIASES[trimmed.toLowerCase()] ??
      fail(
        text,
        `unknown alias, expected one of ${Object.keys(ALIASES).join(" ")}`,
      );
  }
  const parts = body.split(/\s+/);
  if (parts.length < 5 || parts.length > 7) {
    fail(text, `expected 5, 6 or 7 fields, got ${parts.length}`);
  }
  const fields = parts.length === 5 ? ["0", ...parts] : parts;
  fields.forEach((field, i) => {
    // Hashed values are random per process unless seeded: refuse them.
    if (/H/i.test(i >= 4 ? field.replace(/[a-z]{3}/gi, "") : field)) {
      fail(
        text,
        `hashed values (H) are not supported: ${JSON.stringify(field)}`,
      );
    }
    if (field.includes("+") && !(i === 5 && /^\+[^+]*$/.test(field))) {
      fail(
        text,
        `invalid ${FIELD_NAMES[i]} field ${
          JSON.stringify(field)
        }: "+" may only start the day of week field (+MON)`,
      );
    }
  });
  const [second, minute, hour, month] = [0, 1, 2, 4].map((i) =>
    plainValues(text, i, fields[i]!)
  ) as [Values, Values, Values, Values];
  const days = dayOfMonth(text, fields[3]!);
  const dowText = fields[5]!.replace(/^\+/, "");
  const weekdays = dayOfWeek(text, dowText);
  const hourText = fields[2]!;
  return {
    seconds: parts.length >= 6,
    realTime: hourText.startsWith("*") || hourText === "?",
    nextSecond: nextTable(second, 60),
    nextMinute: nextTable(minute, 60),
    nextHour: nextTable(hour, 24),
    nextMonth: nextTable(month, 13),
    nextYear: fields[6] === undefined ? undefined : yearTable(text, fields[6]),
    ...days,
    dow: weekdays,
    dowStar: star(dowText),
    domAndDow: domAndDowOption || fields[5]!.startsWith("+"),
  };
}

function star(raw: string): boolean {
  return raw === "*" || raw === "?";
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
 * Expands a field of plain items with cron-parser, parsing it alone so that
 * an error names the field. cron-parser refuses overlapping list items
 * (`0,7`, `1-5,3`) as duplicates; cron accepts them, so such a list is
 * expanded item by item and merged.
 */
function plainValues(
  text: string,
  i: number,
  raw: string,
  whole = raw,
): Values {
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
        plainValues(text, i, item, whole)
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

function nextTable(values: Values, size: number): Int8Array {
  const table = new Int8Array(size + 1).fill(-1);
  for (const v of values) if (typeof v === "number" && v < size) table[v] = v;
  for (let v = size - 1; v >= 0; v--) {
    if (table[v] === -1) table[v] = table[v + 1]!;
  }
  return table;
}

type DayTables = Pick<
  CompiledCron,
  "dom" | "domFromEnd" | "domNearest" | "domLastWeekday" | "domStar"
>;

/** The day-of-month field: plain items, `L`, `L-n`, `LW` and `nW`. */
function dayOfMonth(text: string, raw: string): DayTables {
  const dom = new Uint8Array(32);
  const domNearest = new Uint8Array(32);
  let domFromEnd = 0;
  let domLastWeekday = false;
  const bad = (detail: string): never =>
    fail(text, `invalid day of month field ${JSON.stringify(raw)}: ${detail}`);
  if (!/[LW]/i.test(raw)) {
    for (const v of plainValues(text, 3, raw)) {
      if (typeof v === "number") dom[v] = 1;
    }
  } else {
    for (const item of raw.split(",")) {
      let m;
      if (/^LW$/i.test(item)) domLastWeekday = true;
      else if ((m = /^L(?:-(\d+))?$/i.exec(item))) {
        const n = Number(m[1] ?? 0);
        if (n > 30) bad(`L-${n} is past the first day (L-0 to L-30)`);
        domFromEnd |= 1 << n;
      } else if ((m = /^(\d+)W$/i.exec(item))) {
        const d = Number(m[1]);
        if (d < 1 || d > 31) bad(`${item} names no day (1W to 31W)`);
        domNearest[d] = 1;
      } else if (/[LW]/i.test(item)) {
        bad(
          `${JSON.stringify(item)} is not L, L-n, LW or nW (W takes one day)`,
        );
      } else {
        for (const v of plainValues(text, 3, item, raw)) {
          if (typeof v === "number") dom[v] = 1;
        }
      }
    }
  }
  return {
    dom,
    domFromEnd,
    domNearest: domNearest.includes(1) ? domNearest : undefined,
    domLastWeekday,
    domStar: star(raw),
  };
}

/**
 * The day-of-week field: plain items, and `w#n`, `w#L`, `wL` for a weekday
 * or a range of them (`MON-FRI#2`, `5-6#L`), in any list. A range may end
 * with Sunday (`MON-SUN`, `FRI-0`): Sunday is 7 there.
 */
function dayOfWeek(text: string, raw: string): Uint8Array {
  const dow = new Uint8Array(7);
  if (raw === "") {
    fail(text, `invalid day of week field "+": a day must follow "+"`);
  }
  const items = raw.split(",").map((item) =>
    item.replace(/^((?!0|7|sun)\w+)-(0|sun)(?=$|[/#]|L$)/i, "$1-7")
  );
  const plain = items.filter((item) => !/[#L]/i.test(item));
  if (plain.length > 0) {
    for (const v of plainValues(text, 5, plain.join(","), raw)) {
      if (typeof v === "number") dow[v % 7] = ANY_OCCURRENCE;
    }
  }
  for (const item of items) {
    if (!/[#L]/i.test(item)) continue;
    const m = /^([^#/*]+?)(?:#([1-5]|L)|(L))$/i.exec(item);
    if (!m || /L/i.test(m[1]!)) {
      fail(
        text,
        `invalid day of week field ${JSON.stringify(raw)}: ${
          JSON.stringify(item)
        } is not w#n (n 1-5), w#L or wL`,
      );
    }
    const bit = m[3] !== undefined || /L/i.test(m[2]!)
      ? LAST_OCCURRENCE
      : 1 << (Number(m[2]) - 1);
    for (const v of plainValues(text, 5, m[1]!, raw)) {
      if (typeof v === "number") dow[v % 7] = dow[v % 7]! | bit;
    }
  }
  return dow;
}

/**
 * The year field: `*`, values, ranges and steps over 1970-9999 (`*\/2`
 * counts from 1970, so it gives even years, as OCPS asks).
 */
function yearTable(text: string, raw: string): Int16Array | undefined {
  if (raw === "*" || raw === "?") return undefined;
  const allowed = new Uint8Array(LAST_YEAR + 1);
  for (const item of raw.split(",")) {
    const m = /^(?:(\*)|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!m) fail(text, `invalid year field ${JSON.stringify(raw)}`);
    const from = m[1] ? FIRST_YEAR : Number(m[2]);
    const to = m[1] || (m[3] === undefined && m[4] !== undefined)
      ? LAST_YEAR
      : Number(m[3] ?? m[2]);
    const step = Number(m[4] ?? 1);
    if (from < FIRST_YEAR || to > LAST_YEAR) {
      fail(
        text,
        `year must be ${FIRST_YEAR}-${LAST_YEAR}, got ${JSON.stringify(raw)}`,
      );
    }
    if (from > to || step < 1) {
      fail(text, `invalid year field ${JSON.stringify(raw)}`);
    }
    for (let y = from; y <= to; y += step) allowed[y] = 1;
  }
  const table = new Int16Array(LAST_YEAR + 2).fill(-1);
  for (let y = LAST_YEAR; y >= 0; y--) {
    table[y] = allowed[y] ? y : table[y + 1]!;
  }
  return table;
}
