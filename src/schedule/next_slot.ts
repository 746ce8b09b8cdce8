/**
 * The next slot of a schedule, with the ISC cron DST policy.
 *
 * @module
 */

import {
  compileCron,
  type CompiledCron,
  HORIZON_YEARS,
  nextWall,
} from "./_cron_parser.ts";
import {
  DAY_MS,
  END_INSTANT,
  FIRST_INSTANT,
  isUtc,
  nextTransition,
  offsetAt,
  previousTransition,
  resolveWall,
} from "./_zone.ts";
import type { CronSchedule, Schedule } from "./schedule.ts";

/**
 * The first slot strictly after `after`.
 *
 * Cron fields are matched against the wall clock of the schedule's zone.
 * A cron whose hour field names hours (`30 2 * * *`) runs a wall time that a
 * DST gap skips once, at the first instant after the gap, and a wall time
 * that a fall-back repeats once, at its first occurrence. A cron whose hour
 * field is `*` or a step (`*\/5 * * * *`) follows real time: every existing
 * instant whose wall clock matches is a slot. Intervals give
 * `anchor + k * everyMs` (anchor 0 when unset); a one-shot gives its instant
 * while it is still ahead. The search is bounded (50 years of wall time).
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
  const c = compileCron(schedule.text);
  const tz = schedule.tz ?? "UTC";
  const a = Math.max(Math.floor(after) + 1, FIRST_INSTANT);
  if (a >= END_INSTANT) return undefined;
  if (isUtc(tz)) return nextWall(c, a);
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
 * Maps each matching wall time to its first occurrence (or, in a gap, to the
 * gap's end). That map never goes backwards, so the first matching wall time
 * at or after the right starting wall gives the answer.
 */
function nextFixedHours(
  c: CompiledCron,
  tz: string,
  a: number,
): number | undefined {
  let start = a + offsetAt(tz, a);
  const last = previousTransition(tz, a, a - 2 * DAY_MS);
  if (last && last.after < last.before) {
    // `a` in the second pass of a repeat: its wall times already ran.
    if (a < last.at + last.before - last.after) start = last.at + last.before;
  } else if (last && last.at === a) {
    // `a` is a gap's end: the skipped wall times map to it.
    start = a + last.before;
  }
  for (let i = 0; i < 1000; i++) {
    const wall = nextWall(c, start);
    if (wall === undefined) return undefined;
    const slot = resolveWall(tz, wall);
    if (slot >= a) return slot;
    start = wall + 1000;
  }
  return undefined;
}
