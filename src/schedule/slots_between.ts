/**
 * Slots in a range, for catch-up, backfill and `next`: a bounded list, a
 * count, and the latest one; the count and the latest slot never list the
 * slots, so a gap of years costs little.
 *
 * @module
 */

import { countCronSlots } from "./_cron_count.ts";
import { nextSlot } from "./next_slot.ts";
import type { Schedule } from "./schedule.ts";

/** The result of {@linkcode slotsBetween}. */
export interface SlotsBetween {
  /** Slots in `(from, to]`, oldest first. */
  readonly slots: number[];
  /** `true` when the list was cut at `limit` and more slots lie in range. */
  readonly more: boolean;
}

function checkRange(what: string, from: number, to: number, n: number) {
  if (!Number.isFinite(from) || !Number.isFinite(to)) {
    throw new RangeError(
      `Cannot list slots as 'from' and 'to' must be finite numbers: received ${from} and ${to}`,
    );
  }
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(
      `Cannot list slots as '${what}' must be a non-negative integer: received ${n}`,
    );
  }
}

/**
 * The slots in `(from, to]`, oldest first, at most `limit` of them.
 *
 * @param schedule A parsed schedule.
 * @param from Epoch ms (exclusive).
 * @param to Epoch ms (inclusive).
 * @param limit The most slots to return.
 * @returns The slots, and whether more were left out.
 * @throws {RangeError} When `from`/`to` are not finite or `limit` is not a
 * non-negative integer.
 * @example
 * ```ts
 * import { parseSchedule } from "./parse_schedule.ts";
 * import { slotsBetween } from "./slots_between.ts";
 * import assert from "node:assert/strict";
 * const s = parseSchedule("0 * * * *");
 * const { slots, more } = slotsBetween(s, 0, 3 * 3_600_000, 2);
 * assert.deepEqual(slots, [3_600_000, 7_200_000]);
 * assert.equal(more, true);
 * ```
 */
export function slotsBetween(
  schedule: Schedule,
  from: number,
  to: number,
  limit: number,
): SlotsBetween {
  checkRange("limit", from, to, limit);
  const slots: number[] = [];
  let cursor = from;
  while (true) {
    const slot = nextSlot(schedule, cursor);
    if (slot === undefined || slot > to) return { slots, more: false };
    if (slots.length === limit) return { slots, more: true };
    slots.push(slot);
    cursor = slot;
  }
}

/**
 * How many slots lie in `(from, to]`, counting no further than `cap`.
 *
 * Intervals are counted in constant time and cron schedules in time
 * proportional to the days in the range (not to its slots), with the DST
 * policy of {@linkcode nextSlot}, so the count always equals what iterating
 * `nextSlot()` would find.
 *
 * @param schedule A parsed schedule.
 * @param from Epoch ms (exclusive).
 * @param to Epoch ms (inclusive).
 * @param cap The most to count (`Infinity` for all).
 * @returns The count, at most `cap`.
 * @throws {RangeError} When `from`/`to` are not finite or `cap` is not a
 * non-negative integer (or `Infinity`).
 * @example
 * ```ts
 * import { parseSchedule } from "./parse_schedule.ts";
 * import { countSlotsBetween } from "./slots_between.ts";
 * import assert from "node:assert/strict";
 * const s = parseSchedule("every 1s", { anchor: 0 });
 * assert.equal(countSlotsBetween(s, 0, 86_400_000, Infinity), 86_400);
 * const year = parseSchedule("* * * * * *");
 * assert.equal(
 *   countSlotsBetween(year, 0, 365 * 86_400_000, Infinity),
 *   365 * 86_400,
 * );
 * ```
 */
export function countSlotsBetween(
  schedule: Schedule,
  from: number,
  to: number,
  cap: number,
): number {
  checkRange("cap", from, to, cap === Infinity ? 0 : cap);
  if (schedule.kind === "cron") return countCronSlots(schedule, from, to, cap);
  const first = nextSlot(schedule, from);
  if (first === undefined || first > to) return 0;
  if (schedule.kind === "interval") {
    return Math.min(cap, Math.floor((to - first) / schedule.everyMs) + 1);
  }
  return Math.min(cap, 1);
}

/**
 * The latest slot in `(from, to]`, found without listing the slots before
 * it (intervals by arithmetic, others by bisection over `nextSlot()`).
 *
 * @param schedule A parsed schedule.
 * @param from Epoch ms (exclusive).
 * @param to Epoch ms (inclusive).
 * @returns The slot, or `undefined` when the range holds none.
 * @throws {RangeError} When `from`/`to` are not finite.
 * @example
 * ```ts
 * import { parseSchedule } from "./parse_schedule.ts";
 * import { lastSlotBetween } from "./slots_between.ts";
 * import assert from "node:assert/strict";
 * const s = parseSchedule("0 9 * * MON-FRI");
 * assert.equal(
 *   lastSlotBetween(s, Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 4)), // Thu..Sun
 *   Date.UTC(2026, 0, 2, 9), // Friday 09:00
 * );
 * ```
 */
export function lastSlotBetween(
  schedule: Schedule,
  from: number,
  to: number,
): number | undefined {
  checkRange("limit", from, to, 0);
  const first = nextSlot(schedule, from);
  if (first === undefined || first > to) return undefined;
  if (schedule.kind === "interval") {
    const { everyMs } = schedule;
    const anchor = schedule.anchor ?? 0;
    let last = anchor + Math.floor((to - anchor) / everyMs) * everyMs;
    // Float division can land one step off for large operands.
    if (last > to) last -= everyMs;
    else if (last + everyMs <= to) last += everyMs;
    return Math.max(last, first);
  }
  // `nextSlot(t) <= to` holds exactly for `t` below the latest slot: bisect
  // on `t`, keeping `found`, a slot at or before `to` with `lo < found`.
  let found = first;
  let lo = first - 1;
  let hi = to;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const slot = nextSlot(schedule, mid);
    if (slot !== undefined && slot <= to) {
      found = slot;
      lo = Math.max(mid, slot - 1);
    } else {
      hi = mid;
    }
  }
  return found;
}
