/**
 * Counts the slots of a cron schedule in a range without listing them, by
 * the same rules as `nextSlot()`: whole days by arithmetic on the field
 * tables, constant-offset stretches of a zone one at a time, and DST changes
 * by the policy of `next_slot.ts` (real time: every instant whose wall clock
 * matches; fixed hours: only wall times above the highest wall clock reached
 * so far, plus one slot at a gap's end when a wall time the gap skipped
 * matches). The cost grows with the days in the range, not with its slots,
 * and a range longer than 400 years (the Gregorian cycle, a whole number of
 * weeks) costs no more than 400 years.
 *
 * @module
 */

import { type CompiledCron, compiledOf } from "./_cron_parser.ts";
import { dayMatches, nextYearOf, yearMatches } from "./_cron_match.ts";
import {
  DAY_MS,
  daysInMonth,
  END_INSTANT,
  FIRST_INSTANT,
  isDstShift,
  isUtc,
  MAX_DST_SHIFT_MS,
  nextTransition,
  offsetAt,
  previousTransition,
  utcMs,
} from "./_zone.ts";
import type { CronSchedule } from "./schedule.ts";

/** Days in 400 Gregorian years: the calendar, weekdays included, repeats. */
const CYCLE_DAYS = 146_097;
/** Zone tables are read at most this far ahead per step (one UTC year). */
const STEP_MS = 366 * DAY_MS;

/** Prefix counts of the time-of-day fields. */
interface DayTables {
  /** `hours[h]`: allowed hours below `h` (25 entries). */
  readonly hours: Int32Array;
  /** `minutes[m]`: allowed minutes below `m` (61 entries). */
  readonly minutes: Int32Array;
  /** `seconds[s]`: allowed seconds below `s` (61 entries). */
  readonly seconds: Int32Array;
  /** Matching times in one matching day. */
  readonly perDay: number;
}

const TABLES = new WeakMap<CompiledCron, DayTables>();

function below(next: Int8Array, size: number): Int32Array {
  const out = new Int32Array(size + 1);
  for (let v = 0; v < size; v++) out[v + 1] = out[v]! + (next[v] === v ? 1 : 0);
  return out;
}

function tablesOf(c: CompiledCron): DayTables {
  let tables = TABLES.get(c);
  if (!tables) {
    const hours = below(c.nextHour, 24);
    const minutes = below(c.nextMinute, 60);
    const seconds = below(c.nextSecond, 60);
    const perDay = hours[24]! * minutes[60]! * seconds[60]!;
    tables = { hours, minutes, seconds, perDay };
    TABLES.set(c, tables);
  }
  return tables;
}

/** Matching times of day at or before second `x` of a matching day. */
function upTo(c: CompiledCron, t: DayTables, x: number): number {
  if (x < 0) return 0;
  const h = Math.floor(x / 3600);
  const m = Math.floor(x / 60) % 60;
  const s = x % 60;
  const perHour = t.minutes[60]! * t.seconds[60]!;
  let n = t.hours[h]! * perHour;
  if (c.nextHour[h] !== h) return n;
  n += t.minutes[m]! * t.seconds[60]!;
  if (c.nextMinute[m] !== m) return n;
  return n + t.seconds[s + 1]!;
}

function dayOk(c: CompiledCron, day: number): boolean {
  const date = new Date(day * DAY_MS);
  const month = date.getUTCMonth() + 1;
  const year = date.getUTCFullYear();
  return c.nextMonth[month] === month && yearMatches(c, year) &&
    dayMatches(c, year, month, date.getUTCDate());
}

/** Matching days among day numbers `from..to`, at most `cap`. */
function matchingDays(
  c: CompiledCron,
  from: number,
  to: number,
  cap: number,
): number {
  const cycles = Math.floor((to - from + 1) / CYCLE_DAYS);
  // A year field breaks the 400-year cycle; its excluded years are skipped
  // whole below.
  if (cycles >= 2 && c.nextYear === undefined) {
    const one = matchingDays(c, from, from + CYCLE_DAYS - 1, cap);
    if (one * cycles >= cap) return cap;
    const rest = from + cycles * CYCLE_DAYS;
    return one * cycles + matchingDays(c, rest, to, cap - one * cycles);
  }
  let n = 0;
  for (let d = from; d <= to && n < cap;) {
    const date = new Date(d * DAY_MS);
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth() + 1;
    const day = date.getUTCDate();
    if (!yearMatches(c, year)) {
      const next = nextYearOf(c, year);
      if (next === undefined) break;
      d = utcMs(next, 1, 1) / DAY_MS;
      continue;
    }
    const last = Math.min(to, d + daysInMonth(year, month) - day);
    if (c.nextMonth[month] !== month) {
      // Not a month of the expression: none of its days.
    } else if (c.domStar && c.dowStar) {
      n += last - d + 1;
    } else {
      for (let x = day; x <= day + last - d; x++) {
        if (dayMatches(c, year, month, x)) n += 1;
      }
    }
    d = last + 1;
  }
  return Math.min(n, cap);
}

/**
 * Matching wall times (whole seconds) in `[lo, hi]`, at most `cap`.
 *
 * @param c The compiled expression.
 * @param lo A wall time, whole seconds, as epoch-like ms.
 * @param hi A wall time, whole seconds, as epoch-like ms.
 * @param cap The most to count.
 */
function countWalls(
  c: CompiledCron,
  lo: number,
  hi: number,
  cap: number,
): number {
  if (lo > hi || cap <= 0) return 0;
  const t = tablesOf(c);
  const first = Math.floor(lo / DAY_MS);
  const last = Math.floor(hi / DAY_MS);
  const inDay = (day: number, a: number, b: number) =>
    dayOk(c, day) ? upTo(c, t, b) - upTo(c, t, a - 1) : 0;
  const from = (lo - first * DAY_MS) / 1000;
  const to = (hi - last * DAY_MS) / 1000;
  if (first === last) return Math.min(cap, inDay(first, from, to));
  let n = inDay(first, from, 86_399);
  if (n >= cap) return cap;
  const days = Math.ceil((cap - n) / t.perDay);
  n += matchingDays(c, first + 1, last - 1, days) * t.perDay;
  if (n >= cap) return cap;
  return Math.min(cap, n + inDay(last, 0, to));
}

/** The highest wall clock reading of the zone before instant `lo`. */
function highWater(tz: string, lo: number): number {
  let high = lo - 1000 + offsetAt(tz, lo - 1000);
  let at = lo - 1000;
  // A fall-back within the last two days may have shown a higher wall time;
  // wall times before a change larger than DST do not count.
  for (let i = 0; i < 4; i++) {
    const t = previousTransition(tz, at, lo - 2 * DAY_MS);
    if (!t || !isDstShift(t)) break;
    high = Math.max(high, t.at - 1000 + t.before);
    at = t.at - 1;
  }
  return high;
}

/**
 * Walks the constant-offset stretches of whole-second instants `[lo, hi]`.
 *
 * @param visit Given each stretch's first and last instant and offset;
 * returns true to stop.
 */
function eachStretch(
  tz: string,
  lo: number,
  hi: number,
  visit: (from: number, to: number, offset: number) => boolean,
): void {
  for (let t = lo; t <= hi;) {
    const until = Math.min(hi, t + STEP_MS);
    const change = nextTransition(tz, t, until);
    const end = change ? change.at - 1000 : until;
    if (visit(t, end, offsetAt(tz, t))) return;
    t = end + 1000;
  }
}

/**
 * How many slots of a cron schedule lie in `(from, to]`, at most `cap`,
 * exactly as iterating `nextSlot()` would find them.
 *
 * @param schedule A cron schedule.
 * @param from Epoch ms (exclusive).
 * @param to Epoch ms (inclusive).
 * @param cap The most to count (`Infinity` for all).
 * @returns The count, at most `cap`.
 * @example
 * ```ts
 * import { countCronSlots } from "./_cron_count.ts";
 * import { parseSchedule } from "./parse_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = parseSchedule("* * * * * *");
 * assert.equal(s.kind, "cron");
 * if (s.kind === "cron") {
 *   assert.equal(countCronSlots(s, 0, 86_400_000, Infinity), 86_400);
 * }
 * ```
 */
export function countCronSlots(
  schedule: CronSchedule,
  from: number,
  to: number,
  cap: number,
): number {
  const c = compiledOf(schedule);
  const tz = schedule.tz ?? "UTC";
  // Slots are whole seconds; count the whole seconds in (from, to].
  const lo = Math.max(Math.floor(from / 1000) * 1000 + 1000, FIRST_INSTANT);
  const hi = Math.min(Math.floor(to / 1000) * 1000, END_INSTANT - 1000);
  if (lo > hi || cap <= 0) return 0;
  if (isUtc(tz)) return countWalls(c, lo, hi, cap);
  let n = 0;
  if (c.realTime) {
    eachStretch(tz, lo, hi, (a, b, offset) => {
      n += countWalls(c, a + offset, b + offset, cap - n);
      return n >= cap;
    });
    return Math.min(n, cap);
  }
  let high = highWater(tz, lo);
  let previous = lo - 1000 + offsetAt(tz, lo - 1000);
  eachStretch(tz, lo, hi, (a, b, offset) => {
    const first = a + offset;
    const shift = first - (previous + 1000);
    if (shift > 0 && shift <= MAX_DST_SHIFT_MS) {
      // The wall clock jumped forward at `a`: a matching wall time it
      // skipped runs at `a`, once (with `a`'s own wall time, if it matches).
      const own = first > high && countWalls(c, first, first, 1) === 1;
      if (!own && countWalls(c, previous + 1000, first - 1000, 1) === 1) {
        n += 1;
      }
    } else if (-shift > MAX_DST_SHIFT_MS) {
      // Set back by more than DST: the wall times it repeats run again.
      high = first - 1000;
    }
    // Wall times at or below the high-water mark already ran (a repeat).
    n += countWalls(c, Math.max(first, high + 1000), b + offset, cap - n);
    high = Math.max(high, b + offset);
    previous = b + offset;
    return n >= cap;
  });
  return Math.min(n, cap);
}
