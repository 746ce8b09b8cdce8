/**
 * IANA time zone helpers built on `Intl.DateTimeFormat`, plus the small
 * calendar arithmetic the cron search shares with them.
 *
 * Offsets are read from Intl once per zone and UTC year and kept as a table
 * of transitions, so every later question (offset of an instant, instants of
 * a wall time, next transition) is a lookup that always agrees with the
 * others. This file is longer than most because the table, its lookups and
 * the wall-to-instant inversion only make sense together.
 *
 * A "wall" value is the wall clock of a zone written as epoch milliseconds,
 * as if that wall clock were UTC: `wall = instant + offset`.
 *
 * Over 400 lines on purpose: every wall-clock ↔ instant conversion (with
 * its DST gap and repeat rules) lives here and nowhere else, so that the
 * one place to audit time-zone behaviour is one file.
 *
 * @module
 */

/** Milliseconds in one day. */
export const DAY_MS = 86_400_000;

/** An offset change: at instant `at` the offset goes from `before` to `after`. */
export interface ZoneTransition {
  /** First instant (epoch ms) with the new offset. */
  readonly at: number;
  /** Offset (ms, wall minus UTC) just before `at`. */
  readonly before: number;
  /** Offset (ms, wall minus UTC) from `at` on. */
  readonly after: number;
}

/**
 * The largest offset change treated as DST (ISC cron's bound: it
 * compensates clock changes of up to 3 hours). A larger change is a zone
 * moving across the date line (Samoa skipped 30 December 2011): every
 * schedule follows the wall clock through it.
 */
export const MAX_DST_SHIFT_MS = 3 * 3_600_000;

/**
 * Whether an offset change is small enough to be DST (see
 * {@linkcode MAX_DST_SHIFT_MS}).
 *
 * @param t The transition.
 * @returns `true` for a change of at most 3 hours either way.
 * @example
 * ```ts
 * import { isDstShift } from "./_zone.ts";
 * isDstShift({ at: 0, before: -36_000_000, after: 50_400_000 }); // false
 * ```
 */
export function isDstShift(t: ZoneTransition): boolean {
  return Math.abs(t.after - t.before) <= MAX_DST_SHIFT_MS;
}

/** The calendar fields of a wall clock reading. */
export interface WallFields {
  /** Full year. */
  readonly year: number;
  /** 1-12. */
  readonly month: number;
  /** 1-31. */
  readonly day: number;
  /** 0-23. */
  readonly hour: number;
  /** 0-59. */
  readonly minute: number;
  /** 0-59. */
  readonly second: number;
  /** 0-999. */
  readonly millisecond: number;
  /** 0 = Sunday ... 6 = Saturday. */
  readonly weekday: number;
}

/** The instants at which a wall time occurs in a zone. */
export interface WallInstants {
  /** 0 (gap), 1, or 2 (repeated by a fall-back) instants, ascending. */
  readonly instants: readonly number[];
  /** For a wall time in a gap: the first instant after the gap. */
  readonly gapEnd?: number;
}

interface ZoneYear {
  readonly startOffset: number;
  readonly transitions: readonly ZoneTransition[];
}

interface ZoneData {
  readonly format: Intl.DateTimeFormat;
  readonly years: Map<number, ZoneYear>;
}

/** `null` marks a zone that is UTC (the fast path never touches Intl). */
const ZONES = new Map<string, ZoneData | null>();

/**
 * Epoch ms of a UTC calendar reading; unlike `Date.UTC`, years 0-99 are not
 * shifted to 1900-1999.
 *
 * @param year Full year.
 * @param month 1-12.
 * @param day 1-31.
 * @param hour 0-23.
 * @param minute 0-59.
 * @param second 0-59.
 * @param millisecond 0-999.
 * @returns Epoch milliseconds.
 * @example
 * ```ts
 * import { utcMs } from "./_zone.ts";
 * utcMs(2026, 3, 8, 2, 30); // Date.UTC(2026, 2, 8, 2, 30)
 * ```
 */
export function utcMs(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  millisecond = 0,
): number {
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  if (year >= 100 || year < 0) return ms;
  const date = new Date(ms);
  date.setUTCFullYear(year);
  return date.getTime();
}

/** Slots are searched from year 1 on; earlier instants start there. */
export const FIRST_INSTANT: number = utcMs(1, 1, 1);
/** No slot lies in year 10000 or later. */
export const END_INSTANT: number = utcMs(10_000, 1, 1);

/**
 * Whether `year` is a Gregorian leap year.
 *
 * @param year Full year.
 * @returns `true` for 2024, 2000; `false` for 2100.
 * @example
 * ```ts
 * import { isLeapYear } from "./_zone.ts";
 * isLeapYear(2100); // false
 * ```
 */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Days in a month.
 *
 * @param year Full year.
 * @param month 1-12.
 * @returns 28-31.
 * @example
 * ```ts
 * import { daysInMonth } from "./_zone.ts";
 * daysInMonth(2028, 2); // 29
 * ```
 */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month - 1]!;
}

/**
 * The weekday of a calendar date.
 *
 * @param year Full year.
 * @param month 1-12.
 * @param day 1-31.
 * @returns 0 (Sunday) to 6 (Saturday).
 * @example
 * ```ts
 * import { weekdayOf } from "./_zone.ts";
 * weekdayOf(2026, 3, 8); // 0
 * ```
 */
export function weekdayOf(year: number, month: number, day: number): number {
  const days = Math.floor(utcMs(year, month, day) / DAY_MS);
  return (((days + 4) % 7) + 7) % 7;
}

function yearOf(instant: number): number {
  return new Date(instant).getUTCFullYear();
}

/**
 * Checks that `tz` names an IANA time zone known to this runtime.
 *
 * @param tz The zone name, e.g. `"Europe/Berlin"`.
 * @returns The same name.
 * @throws {RangeError} When Intl does not know the zone, or it is an offset
 * such as `+02:00` rather than a zone name.
 * @example Validate a zone
 * ```ts
 * import { assertTimeZone } from "./_zone.ts";
 * assertTimeZone("Europe/Berlin");
 * ```
 */
export function assertTimeZone(tz: string): string {
  zoneData(tz);
  return tz;
}

/**
 * Whether `tz` is UTC (the fast path that never touches Intl).
 *
 * @param tz A valid zone name.
 * @returns `true` for `UTC`, `Etc/UTC`, `GMT` and the like.
 * @throws {RangeError} When `tz` is not a zone name.
 * @example
 * ```ts
 * import { isUtc } from "./_zone.ts";
 * isUtc("Etc/UTC"); // true
 * ```
 */
export function isUtc(tz: string): boolean {
  return zoneData(tz) === null;
}

function zoneData(tz: string): ZoneData | null {
  const cached = ZONES.get(tz);
  if (cached !== undefined) return cached;
  if (tz === "UTC") {
    ZONES.set(tz, null);
    return null;
  }
  let format: Intl.DateTimeFormat;
  try {
    if (typeof tz !== "string" || !/^[A-Za-z]/.test(tz)) throw new RangeError();
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch (error) {
    throw new RangeError(
      `Cannot use time zone ${JSON.stringify(tz)}: not an IANA time zone`,
      { cause: error },
    );
  }
  const resolved = format.resolvedOptions().timeZone;
  const data = resolved === "UTC" || resolved === "Etc/UTC"
    ? null
    : { format, years: new Map<number, ZoneYear>() };
  if (ZONES.size > 1000) ZONES.clear();
  ZONES.set(tz, data);
  return data;
}

/** Reads the offset at a whole second straight from Intl. */
function intlOffset(data: ZoneData, instant: number): number {
  const at = Math.floor(instant / 1000) * 1000;
  const text = data.format.format(at);
  const n = text.match(/\d+/g)!.map(Number);
  const year = text.includes("BC") ? 1 - n[2]! : n[2]!;
  return utcMs(year, n[0]!, n[1]!, n[3]!, n[4]!, n[5]!) - at;
}

/** Transitions of one UTC year, found by daily samples and bisection. */
function zoneYear(data: ZoneData, year: number): ZoneYear {
  const cached = data.years.get(year);
  if (cached) return cached;
  const start = utcMs(year, 1, 1);
  const end = utcMs(year + 1, 1, 1);
  const startOffset = intlOffset(data, start);
  const transitions: ZoneTransition[] = [];
  // A change exactly at the year boundary belongs to this year's table.
  const previous = intlOffset(data, start - 1000);
  if (previous !== startOffset) {
    transitions.push({ at: start, before: previous, after: startOffset });
  }
  let lo = start;
  let loOffset = startOffset;
  while (lo < end) {
    const sample = Math.min(lo + DAY_MS, end);
    const sampleOffset = intlOffset(data, sample);
    if (sampleOffset === loOffset) {
      lo = sample;
      continue;
    }
    // Bisect on whole seconds: Intl cannot see below one second.
    let hi = sample;
    let a = lo;
    while (hi - a > 1000) {
      const mid = Math.floor((a + hi) / 2000) * 1000;
      if (intlOffset(data, mid) === loOffset) a = mid;
      else hi = mid;
    }
    const after = intlOffset(data, hi);
    if (hi < end) transitions.push({ at: hi, before: loOffset, after });
    lo = hi;
    loOffset = after;
  }
  const table = { startOffset, transitions };
  data.years.set(year, table);
  return table;
}

/**
 * The UTC offset of a zone at an instant.
 *
 * @param tz A valid zone name.
 * @param instantMs Epoch milliseconds.
 * @returns Wall clock minus UTC, in milliseconds (e.g. `-18000000` for EST).
 * @throws {RangeError} When `tz` is not a zone name.
 * @example
 * ```ts
 * import { offsetAt } from "./_zone.ts";
 * offsetAt("Asia/Kathmandu", Date.UTC(2026, 0, 1)); // 20700000 (+05:45)
 * ```
 */
export function offsetAt(tz: string, instantMs: number): number {
  const data = zoneData(tz);
  if (data === null) return 0;
  const table = zoneYear(data, yearOf(instantMs));
  let offset = table.startOffset;
  for (const t of table.transitions) {
    if (t.at > instantMs) break;
    offset = t.after;
  }
  return offset;
}

/**
 * The wall clock of a zone at an instant, as epoch-like milliseconds.
 *
 * @param tz A valid zone name.
 * @param instantMs Epoch milliseconds.
 * @returns `instantMs + offsetAt(tz, instantMs)`.
 * @throws {RangeError} When `tz` is not a zone name.
 * @example
 * ```ts
 * import { wallTime } from "./_zone.ts";
 * wallTime("UTC", 0); // 0
 * ```
 */
export function wallTime(tz: string, instantMs: number): number {
  return instantMs + offsetAt(tz, instantMs);
}

/**
 * The wall clock fields of a zone at an instant.
 *
 * @param tz A valid zone name.
 * @param instantMs Epoch milliseconds.
 * @returns Year, month (1-12), day, hour, minute, second, ms and weekday.
 * @throws {RangeError} When `tz` is not a zone name.
 * @example
 * ```ts
 * import { wallFields } from "./_zone.ts";
 * wallFields("Europe/Berlin", Date.UTC(2026, 0, 1)).hour; // 1
 * ```
 */
export function wallFields(tz: string, instantMs: number): WallFields {
  const d = new Date(wallTime(tz, instantMs));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
    weekday: d.getUTCDay(),
  };
}

/**
 * The first offset change strictly after `after` and at or before `until`.
 *
 * @param tz A valid zone name.
 * @param after Epoch ms (exclusive).
 * @param until Epoch ms (inclusive); bounds the search.
 * @returns The transition, or `undefined` when there is none in the range.
 * @throws {RangeError} When `tz` is not a zone name.
 * @example
 * ```ts
 * import { nextTransition } from "./_zone.ts";
 * nextTransition("America/New_York", Date.UTC(2026, 2, 1), Date.UTC(2026, 3, 1))
 *   ?.at; // Date.UTC(2026, 2, 8, 7)
 * ```
 */
export function nextTransition(
  tz: string,
  after: number,
  until: number,
): ZoneTransition | undefined {
  const data = zoneData(tz);
  if (data === null || !(until > after)) return undefined;
  const last = Math.min(yearOf(until), 10_000);
  for (let year = yearOf(after); year <= last; year++) {
    for (const t of zoneYear(data, year).transitions) {
      if (t.at > until) return undefined;
      if (t.at > after) return t;
    }
  }
  return undefined;
}

/**
 * The last offset change at or before `atOrBefore` and at or after `since`.
 *
 * @param tz A valid zone name.
 * @param atOrBefore Epoch ms (inclusive).
 * @param since Epoch ms (inclusive); bounds the search.
 * @returns The transition, or `undefined` when there is none in the range.
 * @throws {RangeError} When `tz` is not a zone name.
 * @example
 * ```ts
 * import { previousTransition } from "./_zone.ts";
 * previousTransition("UTC", Date.now(), 0); // undefined
 * ```
 */
export function previousTransition(
  tz: string,
  atOrBefore: number,
  since: number,
): ZoneTransition | undefined {
  const data = zoneData(tz);
  if (data === null || since > atOrBefore) return undefined;
  const first = Math.max(yearOf(since), -10_000);
  for (let year = yearOf(atOrBefore); year >= first; year--) {
    const list = zoneYear(data, year).transitions;
    for (let i = list.length - 1; i >= 0; i--) {
      const t = list[i]!;
      if (t.at < since) return undefined;
      if (t.at <= atOrBefore) return t;
    }
  }
  return undefined;
}

/**
 * The instants at which a wall time occurs in a zone.
 *
 * @param tz A valid zone name.
 * @param wallMs The wall time, as epoch-like milliseconds.
 * @returns One instant normally, two in a fall-back repeat (ascending), none
 * in a spring-forward gap (then `gapEnd` is the first instant after the gap).
 * @throws {RangeError} When `tz` is not a zone name.
 * @example A wall time in the New York spring-forward gap
 * ```ts
 * import { wallToInstants } from "./_zone.ts";
 * wallToInstants("America/New_York", Date.UTC(2026, 2, 8, 2, 30)).gapEnd;
 * // Date.UTC(2026, 2, 8, 7) (03:00 EDT)
 * ```
 */
export function wallToInstants(tz: string, wallMs: number): WallInstants {
  if (zoneData(tz) === null) return { instants: [wallMs] };
  // Offsets stay within -24h..+24h, so every instant of this wall time and
  // every transition that could hide it lie within two days of it.
  const from = wallMs - 2 * DAY_MS;
  const until = wallMs + 2 * DAY_MS;
  const offsets = new Set([offsetAt(tz, from)]);
  const transitions: ZoneTransition[] = [];
  let cursor = from;
  for (let i = 0; i < 16; i++) {
    const t = nextTransition(tz, cursor, until);
    if (!t) break;
    transitions.push(t);
    offsets.add(t.after);
    cursor = t.at;
  }
  const instants = [...offsets]
    .map((offset) => wallMs - offset)
    .filter((instant) => offsetAt(tz, instant) === wallMs - instant)
    .sort((a, b) => a - b);
  if (instants.length > 0) return { instants };
  const gap = transitions.find((t) =>
    t.at + t.before <= wallMs && wallMs < t.at + t.after
  );
  return { instants, gapEnd: gap ? gap.at : wallMs - offsetAt(tz, wallMs) };
}

/**
 * One instant for a wall time: its first occurrence, or for a wall time in a
 * gap, the first instant after the gap.
 *
 * @param tz A valid zone name.
 * @param wallMs The wall time, as epoch-like milliseconds.
 * @returns Epoch milliseconds.
 * @throws {RangeError} When `tz` is not a zone name.
 * @example
 * ```ts
 * import { resolveWall } from "./_zone.ts";
 * resolveWall("Europe/Berlin", Date.UTC(2026, 0, 1, 9)); // Date.UTC(2026, 0, 1, 8)
 * ```
 */
export function resolveWall(tz: string, wallMs: number): number {
  const { instants, gapEnd } = wallToInstants(tz, wallMs);
  return instants[0] ?? gapEnd!;
}
