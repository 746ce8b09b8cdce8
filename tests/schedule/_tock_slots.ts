// tock's next slots for a pattern, as the conformance table and the peer
// vectors compare them with croner's and cron-parser's.
import { nextSlot } from "../../src/schedule/next_slot.ts";
import {
  parseSchedule,
  type ParseScheduleOptions,
} from "../../src/schedule/parse_schedule.ts";

/** An instant as ISO text without zero milliseconds (`…T00:00:00Z`). */
export function short(t: number): string {
  return new Date(t).toISOString().replace(".000Z", "Z");
}

/**
 * Up to `count` slots after `from` (ISO text), fewer when the schedule
 * ends, or `null` when tock refuses the pattern.
 */
export function tockSlots(
  pattern: string,
  options: ParseScheduleOptions,
  from: string,
  count: number,
): string[] | null {
  let schedule;
  try {
    schedule = parseSchedule(pattern, options);
  } catch {
    return null;
  }
  const out: string[] = [];
  let after = Date.parse(from);
  for (let i = 0; i < count; i++) {
    const slot = nextSlot(schedule, after);
    if (slot === undefined) break;
    out.push(short(slot));
    after = slot;
  }
  return out;
}
