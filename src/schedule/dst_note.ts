/**
 * Explains how a DST change affected a slot (for the `next` command).
 *
 * @module
 */

import { compiledOf } from "./_cron_parser.ts";
import { nextWall } from "./_cron_match.ts";
import {
  isDstShift,
  isUtc,
  MAX_DST_SHIFT_MS,
  previousTransition,
  wallTime,
  wallToInstants,
} from "./_zone.ts";
import type { Schedule } from "./schedule.ts";

/** How a DST change affected one slot. */
export type DstNote =
  | {
    /** The wall time asked for did not exist; the slot is the gap's end. */
    readonly kind: "gap";
    /** The wall time asked for, `HH:MM` (`HH:MM:SS` with seconds). */
    readonly wall: string;
    /** The local date, `YYYY-MM-DD`. */
    readonly date: string;
    /** One line for people. */
    readonly message: string;
  }
  | {
    /**
     * The slot's wall time occurs twice that day (a fall-back, or a larger
     * change of offset, which every cron follows as real time).
     */
    readonly kind: "repeat";
    readonly wall: string;
    readonly date: string;
    /** Which of the two occurrences this slot is. */
    readonly occurrence: "first" | "second";
    /** `true` for fixed-hours crons in a DST repeat: only the first runs. */
    readonly once: boolean;
    readonly message: string;
  };

/**
 * Tells whether a DST change moved or doubled a cron slot: a fixed-hours
 * wall time that fell in a gap (so the slot is the first instant after it),
 * or a wall time that occurs twice (fixed hours run once, at the first; real
 * time runs both).
 *
 * @param schedule A parsed schedule (only cron in a non-UTC zone has notes).
 * @param slot A slot of that schedule (epoch ms).
 * @returns The note, or `undefined` when DST did not touch the slot.
 * @throws {RangeError} When the schedule's zone is not a zone name.
 * @example
 * ```ts
 * import { parseSchedule } from "./parse_schedule.ts";
 * import { dstNote } from "./dst_note.ts";
 * import assert from "node:assert/strict";
 * const s = parseSchedule("30 2 * * *", { tz: "America/New_York" });
 * assert.equal(dstNote(s, Date.UTC(2026, 2, 8, 7))?.wall, "02:30");
 * ```
 */
export function dstNote(schedule: Schedule, slot: number): DstNote | undefined {
  if (schedule.kind !== "cron") return undefined;
  const tz = schedule.tz ?? "UTC";
  if (isUtc(tz)) return undefined;
  const c = compiledOf(schedule);
  const fmt = (wall: number) => {
    const iso = new Date(wall).toISOString();
    return { date: iso.slice(0, 10), wall: iso.slice(11, c.seconds ? 19 : 16) };
  };
  const here = fmt(wallTime(tz, slot));
  if (!c.realTime) {
    const t = previousTransition(tz, slot, slot);
    if (t && t.at === slot && t.after > t.before && isDstShift(t)) {
      const asked = nextWall(c, slot + t.before);
      if (asked !== undefined && asked < slot + t.after) {
        const { date, wall } = fmt(asked);
        return {
          kind: "gap",
          wall,
          date,
          message:
            `${wall} does not exist on ${date} in ${tz} (DST gap): runs at ${here.wall} instead`,
        };
      }
    }
  }
  const { instants } = wallToInstants(tz, wallTime(tz, slot));
  if (instants.length < 2) return undefined;
  const occurrence = instants[0] === slot ? "first" : "second";
  const shift = instants[1]! - instants[0]!;
  const dst = shift <= MAX_DST_SHIFT_MS;
  const once = !c.realTime && dst;
  const cause = dst
    ? "DST"
    : `the clock went back ${Math.round(shift / 60_000 / 6) / 10} h`;
  return {
    kind: "repeat",
    ...here,
    occurrence,
    once,
    message: `${here.wall} occurs twice on ${here.date} in ${tz} (${cause}): ${
      once
        ? "runs once, at its first occurrence"
        : `this is its ${occurrence} occurrence`
    }`,
  };
}
