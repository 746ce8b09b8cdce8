/**
 * A schedule in plain English, for the "schedule in words" column of a
 * status page.
 *
 * @module
 */

import { describeCron } from "./_describe_cron.ts";
import { wallTime } from "./_zone.ts";
import { parseSchedule } from "./parse_schedule.ts";

/** Options for {@linkcode describeSchedule}. */
export interface DescribeScheduleOptions {
  /**
   * IANA time zone the schedule is read in (cron times are wall times
   * there; a date without offset is read there).
   *
   * @default {"UTC"}
   */
  tz?: string;
  /**
   * For cron: a restricted day of month and day of week must both match,
   * as `+` before the day of week does.
   *
   * @default {false}
   */
  domAndDow?: boolean;
}

const UNITS: readonly [number, string][] = [
  [604_800_000, "week"],
  [86_400_000, "day"],
  [3_600_000, "hour"],
  [60_000, "minute"],
  [1_000, "second"],
  [1, "millisecond"],
];

/**
 * Describes a schedule string in short plain English. Cron times are wall
 * times in the job's zone, so the zone is not named; one-shot instants and
 * an interval's `from` are shown as wall times with the zone in brackets.
 * Day of month and day of week combine with OR (tock's rule) unless the day
 * of week starts with `+` or `domAndDow` is set, and the text says which.
 *
 * @param text A schedule string, as `parseSchedule()` accepts: cron (5, 6
 * or 7 fields, or an alias), `every DURATION [from DATE]`, `in DURATION`,
 * `DURATION`, or a date.
 * @param options `tz` and `domAndDow`, as for `parseSchedule()`.
 * @returns The description, or `text` unchanged when it is not a schedule
 * (this function never throws).
 * @example Cron, interval and invalid text
 * ```ts
 * import { describeSchedule } from "./describe_schedule.ts";
 * import assert from "node:assert/strict";
 * assert.equal(describeSchedule("0 9 * * MON-FRI"), "at 09:00, Monday to Friday");
 * assert.equal(describeSchedule("*\/15 * * * * *"), "every 15 seconds");
 * assert.equal(describeSchedule("every 1h30m"), "every 1 hour 30 minutes");
 * assert.equal(describeSchedule("61 * * * *"), "61 * * * *");
 * ```
 */
export function describeSchedule(
  text: string,
  options: DescribeScheduleOptions = {},
): string {
  try {
    const schedule = parseSchedule(text, {
      now: 0,
      ...(options.tz === undefined ? {} : { tz: options.tz }),
      ...(options.domAndDow ? { domAndDow: true } : {}),
    });
    switch (schedule.kind) {
      case "cron":
        return describeCron(schedule);
      case "interval": {
        const from = /\sfrom\s/i.test(schedule.text) &&
            schedule.anchor !== undefined
          ? ` from ${instant(schedule.anchor, schedule.tz)}`
          : "";
        return `every ${duration(schedule.everyMs, true)}${from}`;
      }
      case "once":
        return /^\d{4}-|^at\s/i.test(schedule.text)
          ? `once, at ${instant(schedule.at, schedule.tz)}`
          : `once, ${duration(schedule.at, false)} after it was added`;
    }
  } catch {
    return text;
  }
}

/** `1 hour 30 minutes`; a lone `1 hour` is `hour` after "every". */
function duration(ms: number, every: boolean): string {
  const parts: string[] = [];
  let rest = ms;
  for (const [size, name] of UNITS) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? "" : "s"}`);
  }
  return every && parts.length === 1 && parts[0]!.startsWith("1 ")
    ? parts[0]!.slice(2)
    : parts.join(" ");
}

/** `2026-12-01 09:00 (UTC)`, seconds and milliseconds only when set. */
function instant(ms: number, tz: string): string {
  const iso = new Date(wallTime(tz, ms)).toISOString();
  const time = iso.endsWith(":00.000Z")
    ? iso.slice(11, 16)
    : iso.endsWith(".000Z")
    ? iso.slice(11, 19)
    : iso.slice(11, 23);
  return `${iso.slice(0, 10)} ${time} (${tz})`;
}
