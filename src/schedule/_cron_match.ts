/**
 * Matching a compiled cron expression against the calendar: whether a day
 * or a wall time matches, and the next matching wall time. Zones and DST
 * are not its business: callers map wall times to instants (see
 * `next_slot.ts`).
 *
 * @module
 */

import {
  type CompiledCron,
  LAST_OCCURRENCE,
  LAST_YEAR,
} from "./_cron_parser.ts";
import { daysInMonth, utcMs, weekdayOf } from "./_zone.ts";

/**
 * Years the wall search looks ahead of the first year the expression
 * allows: Feb 29 on a given weekday recurs within 40.
 */
export const HORIZON_YEARS = 50;

/**
 * Whether the year field allows a year.
 *
 * @param c The compiled expression.
 * @param year Full year.
 * @returns `true` when it does (always, without a year field).
 * @example
 * ```ts
 * import { compileCron } from "./_cron_parser.ts";
 * import { yearMatches } from "./_cron_match.ts";
 * yearMatches(compileCron("0 0 0 1 1 * 2027-2030"), 2026); // false
 * ```
 */
export function yearMatches(c: CompiledCron, year: number): boolean {
  return c.nextYear === undefined ||
    (year >= 0 && year <= LAST_YEAR && c.nextYear[year] === year);
}

/**
 * The first year at or after `year` that the year field allows.
 *
 * @param c The compiled expression.
 * @param year Full year.
 * @returns The year, or `undefined` when none is left.
 * @example
 * ```ts
 * import { compileCron } from "./_cron_parser.ts";
 * import { nextYearOf } from "./_cron_match.ts";
 * nextYearOf(compileCron("0 0 0 1 1 * 2027-2030"), 2026); // 2027
 * ```
 */
export function nextYearOf(c: CompiledCron, year: number): number | undefined {
  if (year > LAST_YEAR) return undefined;
  if (c.nextYear === undefined) return year;
  const next = c.nextYear[Math.max(year, 0)]!;
  return next < 0 ? undefined : next;
}

/**
 * Whether day `d` (weekday `w`) is the weekday nearest to a day listed as
 * `nW`: Saturday moves to Friday and Sunday to Monday, never across the
 * month's ends (a Saturday 1st moves to Monday the 3rd, a Sunday last day
 * to Friday).
 */
function nearestMatches(
  n: Uint8Array,
  d: number,
  w: number,
  dim: number,
): boolean {
  if (w === 0 || w === 6) return false;
  if (n[d] === 1) return true;
  if (w === 5) {
    return (d + 1 <= dim && n[d + 1] === 1) ||
      (d + 2 === dim && n[d + 2] === 1);
  }
  if (w === 1) return (d >= 2 && n[d - 1] === 1) || (d === 3 && n[1] === 1);
  return false;
}

/**
 * Whether a calendar day matches the day-of-month and day-of-week fields:
 * when both are restricted, either may match (Vixie's OR), unless the `+`
 * modifier or the `domAndDow` option asks for both. A field is
 * unrestricted only when it is exactly `*` or `?`. The year field is not
 * checked here.
 *
 * @param c The compiled expression.
 * @param year Full year.
 * @param month 1-12.
 * @param day 1-31.
 * @returns `true` when the day is selected.
 * @example
 * ```ts
 * import { compileCron } from "./_cron_parser.ts";
 * import { dayMatches } from "./_cron_match.ts";
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
  if (day > dim) return false;
  if (c.domStar && c.dowStar) return true;
  const w = weekdayOf(year, month, day);
  // `LW`: a weekday with only weekend days after it in its month.
  const domOk = c.domStar ||
    c.dom[day] === 1 ||
    (c.domFromEnd !== 0 && (c.domFromEnd & (1 << (dim - day))) !== 0) ||
    (c.domLastWeekday && w >= 1 && w <= 5 &&
      (day === dim || (w === 5 && day + 2 >= dim))) ||
    (c.domNearest !== undefined && nearestMatches(c.domNearest, day, w, dim));
  if (c.dowStar) return domOk;
  const mask = c.dow[w]!;
  const dowOk = mask !== 0 &&
    ((mask & (1 << Math.floor((day - 1) / 7))) !== 0 ||
      ((mask & LAST_OCCURRENCE) !== 0 && day + 7 > dim));
  if (c.domAndDow) return domOk && dowOk;
  return c.domStar ? dowOk : domOk || dowOk;
}

/**
 * The first wall time `>= wallMs` (rounded up to a whole second) whose
 * fields match, searching at most {@linkcode HORIZON_YEARS} years past the
 * first year the expression allows.
 *
 * @param c The compiled expression.
 * @param wallMs A wall-clock reading as epoch-like milliseconds.
 * @returns The matching wall time, or `undefined` past the horizon.
 * @example
 * ```ts
 * import { compileCron } from "./_cron_parser.ts";
 * import { nextWall } from "./_cron_match.ts";
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
  const firstYear = nextYearOf(c, y);
  if (firstYear === undefined) return undefined;
  if (firstYear !== y) [y, mo, d, h, mi, s] = [firstYear, 1, 1, 0, 0, 0];
  const lastYear = Math.min(firstYear + HORIZON_YEARS, LAST_YEAR);
  // Each pass moves forward by at least one day, hour, minute or month, and
  // whole non-matching days and years are skipped, so this bound is never
  // reached for a search that stays within the horizon.
  for (let guard = 0; guard < 100_000; guard++) {
    if (s > 59) [s, mi] = [0, mi + 1];
    if (mi > 59) [mi, h] = [0, h + 1];
    if (h > 23) [h, d] = [0, d + 1];
    if (d > daysInMonth(y, mo)) [d, mo] = [1, mo + 1];
    if (mo > 12) [mo, y] = [1, y + 1];
    if (y > lastYear) return undefined;
    if (c.nextYear !== undefined && c.nextYear[y] !== y) {
      const y2 = nextYearOf(c, y);
      if (y2 === undefined || y2 > lastYear) return undefined;
      [y, mo, d, h, mi, s] = [y2, 1, 1, 0, 0, 0];
    }
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
