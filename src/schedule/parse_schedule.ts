/**
 * Schedule strings: cron (5, 6 or 7 fields, aliases), intervals (`every 30s`,
 * `every 1h from 2026-01-01T00:00Z`), and one-shots (`in 10m`, `10m`,
 * `2026-12-01T09:00:00Z`, `at 2026-12-01 09:00`).
 *
 * @module
 */

import { ScheduleSyntaxError } from "../errors.ts";
import { compileCron } from "./_cron_parser.ts";
import { assertTimeZone, daysInMonth, resolveWall, utcMs } from "./_zone.ts";
import { nextSlot } from "./next_slot.ts";
import { parseDuration } from "./parse_duration.ts";
import type { Schedule } from "./schedule.ts";

/** Options for {@linkcode parseSchedule}. */
export interface ParseScheduleOptions {
  /**
   * IANA time zone for cron fields and for dates written without an offset.
   * @default {"UTC"}
   */
  tz?: string;
  /** Epoch ms that relative one-shots (`in 10m`) count from. */
  now?: number;
  /** Epoch ms an interval without `from` is anchored to; defaults to `now`. */
  anchor?: number;
  /**
   * For cron: a restricted day of month and day of week must both match
   * (croner's `domAndDow`; the same as writing `+` before the day of week).
   * Ignored by other kinds.
   *
   * @default {false}
   */
  domAndDow?: boolean;
}

/** Where the never-matches check starts; any fixed instant would do. */
const REFERENCE = Date.UTC(2000, 0, 1);

const DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:(?:T|\s+)(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Parses a schedule string.
 *
 * @param text Cron (`*\/5 * * * *`, `0 30 9 * * MON-FRI`, `@daily`,
 * `0 12 15W * *`, `0 0 12 1 1 * 2027-2030`; see docs/schedules.md), an
 * interval (`every 30s`, `every 1h from 2026-01-01T00:00:00Z`), a relative
 * one-shot (`in 10m`, `10m`) or an absolute one (`2026-12-01T09:00:00Z`,
 * `at 2026-12-01 09:00`; a time without offset is read in `tz`, a time in a
 * DST gap becomes the first instant after the gap, a repeated one its first
 * occurrence).
 * @param options `tz`, `now` (for relative one-shots, and the start of the
 * never-matches check of a cron with a year field), `anchor` and
 * `domAndDow`.
 * @returns The schedule (frozen).
 * @throws {ScheduleSyntaxError} When the text is not a schedule, or is a cron
 * expression that never matches, with a one-line message naming the text.
 * @throws {RangeError} When `tz` is not an IANA time zone.
 * @throws {TypeError} When a relative one-shot is given without `now`, or
 * `now`/`anchor` is not a finite number.
 * @example Cron in a zone
 * ```ts
 * import { parseSchedule } from "./parse_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = parseSchedule("30 2 * * *", { tz: "America/New_York" });
 * assert.equal(s.kind, "cron");
 * ```
 * @example Relative one-shot
 * ```ts
 * import { parseSchedule } from "./parse_schedule.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseSchedule("in 10m", { now: 0 }), {
 *   kind: "once", text: "in 10m", tz: "UTC", at: 600_000,
 * });
 * ```
 */
export function parseSchedule(
  text: string,
  options: ParseScheduleOptions = {},
): Schedule {
  if (typeof text !== "string") {
    throw new TypeError("Cannot parse schedule: expected a string");
  }
  const { now, anchor } = options;
  for (const [name, value] of [["now", now], ["anchor", anchor]] as const) {
    if (value !== undefined && !Number.isFinite(value)) {
      throw new TypeError(
        `Cannot parse schedule ${
          JSON.stringify(text)
        }: '${name}' must be a finite number: received ${value}`,
      );
    }
  }
  const tz = assertTimeZone(options.tz ?? "UTC");
  const trimmed = text.trim();
  if (trimmed === "") fail(text, "it is empty");
  let match;
  if ((match = /^every(?:\s+(.*))?$/is.exec(trimmed))) {
    const [dur, from, extra] = (match[1] ?? "").split(/\s+from\s+/i);
    if (extra !== undefined) fail(trimmed, 'more than one "from"');
    if (!dur) fail(trimmed, 'missing duration after "every"');
    return Object.freeze({
      kind: "interval",
      text: trimmed,
      tz,
      everyMs: duration(trimmed, dur!),
      anchor: from === undefined
        ? anchor ?? now
        : instant(trimmed, from.trim(), tz),
    });
  }
  const relative = /^in\s+(.*)$/is.exec(trimmed)?.[1] ??
    (/^(\d+\s*[a-z]+\s*)+$/i.test(trimmed) ? trimmed : undefined);
  if (relative !== undefined) {
    const ms = duration(trimmed, relative);
    if (now === undefined) {
      throw new TypeError(
        `Cannot parse schedule ${
          JSON.stringify(trimmed)
        }: a relative time needs 'now'`,
      );
    }
    return Object.freeze({ kind: "once", text: trimmed, tz, at: now + ms });
  }
  const absolute = /^at\s+(.*)$/is.exec(trimmed)?.[1] ??
    (/^\d{4}-/.test(trimmed) ? trimmed : undefined);
  if (absolute !== undefined) {
    const at = instant(trimmed, absolute.trim(), tz);
    return Object.freeze({ kind: "once", text: trimmed, tz, at });
  }
  if (trimmed.split(/\s+/).length <= 2 && !trimmed.startsWith("@")) {
    fail(
      trimmed,
      'expected a cron expression, "every DURATION", "in DURATION" or a date',
    );
  }
  const domAndDow = options.domAndDow === true;
  const cron = compileCron(trimmed, { domAndDow });
  const schedule: Schedule = Object.freeze({
    kind: "cron",
    text: trimmed,
    tz,
    seconds: cron.seconds,
    realTime: cron.realTime,
    ...(domAndDow ? { domAndDow } : {}),
  });
  // A year field can end a schedule: then it must still run after `now`.
  const from = cron.nextYear !== undefined && now !== undefined
    ? now
    : REFERENCE;
  if (nextSlot(schedule, from) === undefined) {
    const inUtc = nextSlot({ ...schedule, tz: "UTC" }, from);
    const after = from === REFERENCE
      ? ""
      : ` after ${new Date(now!).toISOString()}`;
    fail(
      trimmed,
      `it never matches${inUtc === undefined ? "" : ` in ${tz}`}${after}`,
    );
  }
  return schedule;
}

function fail(text: string, detail: string, cause?: unknown): never {
  throw new ScheduleSyntaxError(
    text,
    `Cannot parse schedule ${JSON.stringify(text)}: ${detail}`,
    cause === undefined ? undefined : { cause },
  );
}

function duration(text: string, part: string): number {
  try {
    return parseDuration(part);
  } catch (error) {
    const prefix = `Cannot parse duration ${JSON.stringify(part)}: `;
    const message = (error as Error).message;
    return fail(
      text,
      message.startsWith(prefix) ? message.slice(prefix.length) : message,
      error,
    );
  }
}

/** Reads an ISO-like date; without an offset it is a wall time in `tz`. */
function instant(text: string, part: string, tz: string): number {
  const m = DATE.exec(part) ??
    fail(
      text,
      `cannot read ${
        JSON.stringify(part)
      } as a date (e.g. 2026-12-01T09:00:00Z)`,
    );
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((v) =>
    v === undefined ? 0 : Number(v)
  ) as number[];
  const ms = Number((m[7] ?? "").padEnd(3, "0"));
  if (mo! < 1 || mo! > 12) {
    fail(text, `month must be 01-12 in ${JSON.stringify(part)}`);
  }
  if (d! < 1 || d! > daysInMonth(y!, mo!)) {
    fail(text, `no such day in ${JSON.stringify(part)}`);
  }
  if (h! > 23 || mi! > 59 || s! > 59) {
    fail(text, `no such time in ${JSON.stringify(part)}`);
  }
  const wall = utcMs(y!, mo!, d!, h!, mi!, s!, ms);
  const zone = m[8];
  if (zone === undefined) return resolveWall(tz, wall);
  if (m[4] === undefined) {
    fail(text, `an offset needs a time in ${JSON.stringify(part)}`);
  }
  if (/^z$/i.test(zone)) return wall;
  const digits = zone.replace(":", "");
  const oh = Number(digits.slice(1, 3));
  const om = Number(digits.slice(3, 5) || "0");
  if (oh > 23 || om > 59) {
    fail(text, `no such offset in ${JSON.stringify(part)}`);
  }
  return wall - (zone[0] === "-" ? -1 : 1) * (oh * 3_600_000 + om * 60_000);
}
