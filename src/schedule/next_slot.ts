/**
 * The next slot of a schedule, with the ISC cron DST policy.
 *
 * @module
 */

import { type CompiledCron, compiledOf } from "./_cron_parser.ts";
import { HORIZON_YEARS, nextWall, nextYearOf } from "./_cron_match.ts";
import {
  DAY_MS,
  END_INSTANT,
  FIRST_INSTANT,
  isDstShift,
  isUtc,
  MAX_DST_SHIFT_MS,
  nextTransition,
  offsetAt,
  previousTransition,
  utcMs,
  wallToInstants,
  type ZoneTransition,
} from "./_zone.ts";
import type { CronSchedule, Schedule } from "./schedule.ts";

/**
 * The first slot strictly after `after`.
 *
 * Cron fields are matched against the wall clock of the schedule's zone.
 * A cron whose hour field names hours (`30 2 * * *`, `0 1-5/2 * * *`) runs
 * a wall time that a DST gap skips once, at the first instant after the
 * gap, and a wall time that a fall-back repeats once, at its first
 * occurrence. A cron whose hour field starts with `*` (`*\/5 * * * *`,
 * `0 *\/2 * * *`) follows real time: every existing instant whose wall
 * clock matches is a slot. An offset change of more than 3 hours (a zone
 * crossing the date line) is not DST: every cron follows it as real time.
 * Intervals give `anchor + k * everyMs` (anchor 0 when unset); a one-shot
 * gives its instant while it is still ahead. The search is bounded (50
 * years of wall time past the first year a year field allows).
 *
 * @param schedule A parsed schedule.
 * @param after Epoch milliseconds.
 * @returns The next slot (epoch ms), or `undefined` when there is none.
 * @throws {RangeError} When `after` is not a finite number, or an interval's
 * `everyMs` is not positive.
 * @throws {TypeError} When the schedule's `kind` is unknown.
 * @example Every weekday at 09:00 in Berlin
 * ```ts
 * import { parseSchedule } from "./parse_schedule.ts";
 * import { nextSlot } from "./next_slot.ts";
 * import assert from "node:assert/strict";
 * const s = parseSchedule("0 9 * * MON-FRI", { tz: "Europe/Berlin" });
 * assert.equal(
 *   nextSlot(s, Date.UTC(2026, 0, 2, 12)), // a Friday, 13:00 in Berlin
 *   Date.UTC(2026, 0, 5, 8), // Monday 09:00 CET
 * );
 * ```
 */
export function nextSlot(
  schedule: Schedule,
  after: number,
): number | undefined {
  if (typeof after !== "number" || !Number.isFinite(after)) {
    throw new RangeError(
      `Cannot compute next slot as 'after' must be a finite number: received ${after}`,
    );
  }
  switch (schedule.kind) {
    case "once":
      return schedule.at > after ? schedule.at : undefined;
    case "interval":
      return nextOnGrid(schedule.everyMs, schedule.anchor ?? 0, after);
    case "cron":
      return nextCron(schedule, after);
    default:
      throw new TypeError(
        `Cannot compute next slot: unknown schedule kind "${
          (schedule as { kind?: unknown }).kind
        }"`,
      );
  }
}

function nextOnGrid(every: number, anchor: number, after: number): number {
  if (!(every > 0) || !Number.isFinite(every)) {
    throw new RangeError(
      `Cannot compute next slot as 'everyMs' must be positive: received ${every}`,
    );
  }
  let slot = anchor + (Math.floor((after - anchor) / every) + 1) * every;
  // Float division can land one step off for large operands.
  if (slot <= after) slot += every;
  else if (slot - every > after) slot -= every;
  return slot;
}

function nextCron(schedule: CronSchedule, after: number): number | undefined {
  const c = compiledOf(schedule);
  const tz = schedule.tz ?? "UTC";
  let a = Math.max(Math.floor(after) + 1, FIRST_INSTANT);
  if (a >= END_INSTANT) return undefined;
  if (isUtc(tz)) return nextWall(c, a);
  if (c.nextYear !== undefined) {
    // Offsets stay within a day, so every instant before two days ahead of
    // the first allowed year shows a wall time in an excluded year.
    const early = new Date(a - 2 * DAY_MS).getUTCFullYear();
    const year = nextYearOf(c, early);
    if (year === undefined) return undefined;
    if (year > early) a = Math.max(a, utcMs(year, 1, 1) - 2 * DAY_MS);
  }
  return c.realTime ? nextRealTime(c, tz, a) : nextFixedHours(c, tz, a);
}

/**
 * Walks constant-offset segments: within one, the first matching wall time
 * maps to one instant; if a transition comes first, restart at it.
 */
function nextRealTime(
  c: CompiledCron,
  tz: string,
  from: number,
): number | undefined {
  let a = from;
  const horizon = from + HORIZON_YEARS * 366 * DAY_MS;
  // Each pass crosses one transition; zones have a few per year at most.
  for (let i = 0; i < 1000 && a <= horizon; i++) {
    const offset = offsetAt(tz, a);
    const wall = nextWall(c, a + offset);
    if (wall === undefined) return undefined;
    const slot = wall - offset;
    const transition = nextTransition(tz, a, slot);
    if (!transition) return slot;
    a = transition.at;
  }
  return undefined;
}

/**
 * Fixed hours: DST compensation within each stretch of time between two
 * offset changes larger than DST (date-line moves); such a change that sets
 * the clock back starts the search afresh, so the wall times it repeats run
 * again.
 */
function nextFixedHours(
  c: CompiledCron,
  tz: string,
  from: number,
): number | undefined {
  let a = from;
  for (let i = 0; i < 100; i++) {
    const slot = nextCompensated(c, tz, a);
    if (slot === undefined) return undefined;
    const repeat = largeRepeat(tz, a, slot);
    if (!repeat) return slot;
    a = repeat.at;
  }
  return undefined;
}

/** The first offset change in `(after, until]` that sets the clock back by more than DST does. */
function largeRepeat(
  tz: string,
  after: number,
  until: number,
): ZoneTransition | undefined {
  for (let t = nextTransition(tz, after, until); t;) {
    if (t.before - t.after > MAX_DST_SHIFT_MS) return t;
    t = nextTransition(tz, t.at, until);
  }
  return undefined;
}

/**
 * Maps each matching wall time to its first occurrence (or, in a DST gap,
 * to the gap's end). That map never goes backwards, so the first matching
 * wall time at or after the right starting wall gives the answer. Wall
 * times in a larger gap do not exist and do not run; those a larger
 * fall-back repeats run at each occurrence (`nextFixedHours` restarts there).
 */
function nextCompensated(
  c: CompiledCron,
  tz: string,
  a: number,
): number | undefined {
  let start = a + offsetAt(tz, a);
  const previous = previousTransition(tz, a, a - 2 * DAY_MS);
  const last = previous && isDstShift(previous) ? previous : undefined;
  if (last && last.after < last.before) {
    // `a` in the second pass of a repeat: its wall times already ran.
    if (a < last.at + last.before - last.after) start = last.at + last.before;
  } else if (last?.at === a) {
    // `a` is a gap's end: the skipped wall times map to it.
    start = a + last.before;
  }
  for (let i = 0; i < 1000; i++) {
    const wall = nextWall(c, start);
    if (wall === undefined) return undefined;
    const { instants, gapEnd } = wallToInstants(tz, wall);
    const [first, second] = instants;
    if (first === undefined) {
      const shift = offsetAt(tz, gapEnd!) - offsetAt(tz, gapEnd! - 1);
      if (shift <= MAX_DST_SHIFT_MS) {
        if (gapEnd! >= a) return gapEnd;
      } else {
        // Not DST: the wall times of this gap never exist.
        start = gapEnd! + offsetAt(tz, gapEnd!);
        continue;
      }
    } else {
      if (first >= a) return first;
      // A repeat longer than DST runs again (see `nextFixedHours`).
      const large = second !== undefined && second - first > MAX_DST_SHIFT_MS;
      if (large && second >= a) return second;
    }
    start = wall + 1000;
  }
  return undefined;
}
