/**
 * Bounded lists of slots in a range, for catch-up, backfill and `next`.
 *
 * @module
 */

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
 * @param schedule A parsed schedule.
 * @param from Epoch ms (exclusive).
 * @param to Epoch ms (inclusive).
 * @param cap The most to count (intervals are counted in constant time).
 * @returns The count, at most `cap`.
 * @throws {RangeError} When `from`/`to` are not finite or `cap` is not a
 * non-negative integer.
 * @example
 * ```ts
 * import { parseSchedule } from "./parse_schedule.ts";
 * import { countSlotsBetween } from "./slots_between.ts";
 * import assert from "node:assert/strict";
 * const s = parseSchedule("every 1s", { anchor: 0 });
 * assert.equal(countSlotsBetween(s, 0, 86_400_000, Infinity), 86_400);
 * ```
 */
export function countSlotsBetween(
  schedule: Schedule,
  from: number,
  to: number,
  cap: number,
): number {
  checkRange("cap", from, to, cap === Infinity ? 0 : cap);
  const first = nextSlot(schedule, from);
  if (first === undefined || first > to) return 0;
  if (schedule.kind === "interval") {
    return Math.min(cap, Math.floor((to - first) / schedule.everyMs) + 1);
  }
  let count = 1;
  for (let slot = first; count < cap; count++) {
    const next = nextSlot(schedule, slot);
    if (next === undefined || next > to) break;
    slot = next;
  }
  return count;
}
