// Properties of countSlotsBetween() and lastSlotBetween(): they agree with
// listing the slots one by one (slotsBetween, i.e. iterated nextSlot), above
// all across DST changes. Runs are pinned (TOCK_PROPERTY_RUNS raises them);
// a failure prints fast-check's seed and path, and TOCK_PROPERTY_SEED=<seed>
// replays it.
import assert from "node:assert/strict";
import fc from "fast-check";
import { focusInstants, nearFocus } from "./_focus.ts";
import { ScheduleSyntaxError } from "../../src/errors.ts";
import { parseSchedule } from "../../src/schedule/parse_schedule.ts";
import {
  countSlotsBetween,
  lastSlotBetween,
  slotsBetween,
} from "../../src/schedule/slots_between.ts";
import { propertyParams } from "../properties/_runs.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ZONES = [
  "UTC",
  "Europe/Berlin",
  "America/New_York",
  "Australia/Lord_Howe", // 30-minute changes
  "America/Santiago", // changes at midnight
  "Asia/Kathmandu", // +05:45, no DST
] as const;

/** DST changes of the zones above, leap days and year ends. */
const FOCUS = focusInstants(2022, 2030);

/** Offset changes larger than DST: the wall clock skips or repeats hours. */
const DATE_LINE_MOVES: readonly [string, number][] = [
  ["Pacific/Apia", Date.UTC(2011, 11, 30, 10)], // skips 2011-12-30
  ["Pacific/Kwajalein", Date.UTC(1969, 8, 30, 13)], // repeats 23 hours
  ["Antarctica/Vostok", Date.UTC(1994, 0, 31, 17)], // repeats 7 hours
  ["Antarctica/Vostok", Date.UTC(1994, 10, 1, 0)], // skips 7 hours
];

const fromArb: fc.Arbitrary<number> = nearFocus(FOCUS);

const pick = (...values: string[]) => fc.constantFrom(...values);

/**
 * Cron text; day fields mostly `*` so that most ranges hold slots. With
 * `years`, 7 fields: seconds `0` and a year field.
 */
function cronArb(seconds: boolean, years = false): fc.Arbitrary<string> {
  return fc.tuple(
    seconds ? pick("*", "*/7", "0", "15,45", "10-20") : fc.constant("0"),
    seconds ? pick("*", "*/20", "0-5") : pick("*", "*/15", "0", "30", "5,35"),
    pick("*", "*/3", "2", "0-3", "1,2,3", "22-23", "9-17", "0,2", "1-5/2"),
    pick("*", "*", "*", "1", "L", "15-31", "15W", "LW", "L-3", "1W,L"),
    pick("*", "*", "*", "3,10", "4,9", "11"),
    pick("*", "*", "*", "0", "1-5", "6L", "0#1", "5#L", "1#1,FRI#L", "+1-5"),
    years ? pick("*", "2023-2025", "*/2", "2026", "2029,2031") : pick(""),
  ).map(([s, ...rest]) =>
    (seconds || years ? [s, ...rest] : rest.slice(0, 5)).join(" ").trim()
  );
}

function parseOrSkip(text: string, tz: string) {
  try {
    return parseSchedule(text, { tz });
  } catch (error) {
    // The generators can write a day that never matches (`L` on Sundays).
    const never = error instanceof ScheduleSyntaxError &&
      /never matches/.test(error.message);
    if (!never) throw error;
    fc.pre(false);
    throw error;
  }
}

function agrees(text: string, tz: string, from: number, length: number) {
  const schedule = parseOrSkip(text, tz);
  const to = from + length;
  const { slots, more } = slotsBetween(schedule, from, to, 100_000);
  fc.pre(!more);
  const what = `"${text}" in ${tz}, (${new Date(from).toISOString()}, ${
    new Date(to).toISOString()
  }]`;
  assert.equal(
    countSlotsBetween(schedule, from, to, Infinity),
    slots.length,
    what,
  );
  assert.equal(lastSlotBetween(schedule, from, to), slots.at(-1), what);
  const cap = Math.floor(slots.length / 2);
  assert.equal(countSlotsBetween(schedule, from, to, cap), cap, what);
}

Deno.test("countSlotsBetween() and lastSlotBetween() agree with listing the slots (minutes, up to 4 days)", () => {
  fc.assert(
    fc.property(
      cronArb(false),
      fc.constantFrom(...ZONES),
      fromArb,
      fc.integer({ min: 0, max: 4 * DAY }),
      agrees,
    ),
    propertyParams(120),
  );
});

Deno.test("countSlotsBetween() and lastSlotBetween() agree with listing the slots (seconds, up to 3 hours)", () => {
  fc.assert(
    fc.property(
      cronArb(true),
      fc.constantFrom(...ZONES),
      fromArb,
      fc.integer({ min: 0, max: 3 * HOUR }),
      agrees,
    ),
    propertyParams(40),
  );
});

Deno.test("countSlotsBetween() and lastSlotBetween() agree with listing the slots (year field)", () => {
  fc.assert(
    fc.property(
      cronArb(false, true),
      fc.constantFrom(...ZONES),
      fromArb,
      fc.integer({ min: 0, max: 4 * DAY }),
      agrees,
    ),
    propertyParams(60),
  );
});

Deno.test("countSlotsBetween() and lastSlotBetween() agree with listing the slots across date-line moves", () => {
  fc.assert(
    fc.property(
      cronArb(false),
      fc.constantFrom(...DATE_LINE_MOVES),
      fc.integer({ min: -2 * DAY, max: DAY }),
      fc.integer({ min: 0, max: 4 * DAY }),
      (text, [tz, at], delta, length) => agrees(text, tz, at + delta, length),
    ),
    propertyParams(60),
  );
});

Deno.test("countSlotsBetween() adds up over adjacent ranges (long ranges, by days)", () => {
  // Counting (a, c] equals counting (a, b] plus (b, c], for ranges of years:
  // the day-by-day arithmetic must not lose or double a slot at a split.
  fc.assert(
    fc.property(
      fc.oneof(cronArb(false), cronArb(false, true)),
      fc.constantFrom(...ZONES),
      fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }),
      fc.integer({ min: 0, max: 3 * 366 * DAY }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (text, tz, from, length, fraction) => {
        const schedule = parseOrSkip(text, tz);
        const to = from + length;
        const middle = from + Math.floor(length * fraction);
        const whole = countSlotsBetween(schedule, from, to, Infinity);
        const parts = countSlotsBetween(schedule, from, middle, Infinity) +
          countSlotsBetween(schedule, middle, to, Infinity);
        assert.equal(whole, parts, `"${text}" in ${tz}`);
      },
    ),
    propertyParams(100),
  );
});
