import assert from "node:assert/strict";
import { nextSlot } from "../../src/schedule/next_slot.ts";
import { parseSchedule } from "../../src/schedule/parse_schedule.ts";
import {
  countSlotsBetween,
  lastSlotBetween,
  slotsBetween,
} from "../../src/schedule/slots_between.ts";

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

Deno.test("slotsBetween() lists (from, to], oldest first", () => {
  const s = parseSchedule("0 * * * *");
  assert.deepEqual(slotsBetween(s, T0, T0 + 3 * HOUR, 10), {
    slots: [T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR],
    more: false,
  });
  assert.deepEqual(slotsBetween(s, T0 - 1, T0 + HOUR - 1, 10), {
    slots: [T0],
    more: false,
  });
});

Deno.test("slotsBetween() cuts at limit and says so", () => {
  const s = parseSchedule("0 * * * *");
  assert.deepEqual(slotsBetween(s, T0, T0 + 3 * HOUR, 2), {
    slots: [T0 + HOUR, T0 + 2 * HOUR],
    more: true,
  });
  assert.deepEqual(slotsBetween(s, T0, T0 + 3 * HOUR, 3).more, false);
  assert.deepEqual(slotsBetween(s, T0, T0 + 3 * HOUR, 0), {
    slots: [],
    more: true,
  });
  assert.deepEqual(slotsBetween(s, T0, T0 + HOUR - 1, 0), {
    slots: [],
    more: false,
  });
});

Deno.test("slotsBetween() handles one-shots and intervals", () => {
  const once = parseSchedule("2026-01-01T05:00:00Z");
  assert.deepEqual(slotsBetween(once, T0, T0 + 10 * HOUR, 5).slots, [
    T0 + 5 * HOUR,
  ]);
  assert.deepEqual(slotsBetween(once, T0 + 5 * HOUR, T0 + 10 * HOUR, 5), {
    slots: [],
    more: false,
  });
  const every = parseSchedule("every 2h", { anchor: T0 + HOUR });
  assert.deepEqual(slotsBetween(every, T0, T0 + 6 * HOUR, 5).slots, [
    T0 + HOUR,
    T0 + 3 * HOUR,
    T0 + 5 * HOUR,
  ]);
});

Deno.test("slotsBetween() follows the DST policy (New York fall-back)", () => {
  const from = Date.UTC(2026, 10, 1, 4);
  const to = Date.UTC(2026, 10, 1, 8);
  const real = parseSchedule("30 * * * *", { tz: "America/New_York" });
  assert.equal(slotsBetween(real, from, to, 10).slots.length, 4);
  const fixed = parseSchedule("30 0-3 * * *", { tz: "America/New_York" });
  assert.deepEqual(slotsBetween(fixed, from, to, 10).slots, [
    Date.UTC(2026, 10, 1, 4, 30), // 00:30 EDT
    Date.UTC(2026, 10, 1, 5, 30), // 01:30 EDT (not again at 01:30 EST)
    Date.UTC(2026, 10, 1, 7, 30), // 02:30 EST
  ]);
});

Deno.test("slotsBetween() equals iterated nextSlot()", () => {
  const s = parseSchedule("*/7 9-17 * * 1-5", { tz: "Europe/Berlin" });
  const from = Date.UTC(2026, 2, 27);
  const to = Date.UTC(2026, 3, 3);
  const expected = [];
  for (let t = nextSlot(s, from)!; t <= to; t = nextSlot(s, t)!) {
    expected.push(t);
  }
  assert.deepEqual(slotsBetween(s, from, to, 10_000).slots, expected);
  assert.equal(countSlotsBetween(s, from, to, Infinity), expected.length);
});

Deno.test("countSlotsBetween() counts up to cap", () => {
  const s = parseSchedule("* * * * *");
  assert.equal(countSlotsBetween(s, T0, T0 + HOUR, 1000), 60);
  assert.equal(countSlotsBetween(s, T0, T0 + HOUR, 10), 10);
  assert.equal(countSlotsBetween(s, T0, T0, 10), 0);
  const every = parseSchedule("every 1s", { anchor: 0 });
  assert.equal(
    countSlotsBetween(every, T0, T0 + 365 * 24 * HOUR, 1e9),
    31_536_000,
  );
  assert.equal(countSlotsBetween(every, T0, T0 + HOUR, 5), 5);
  assert.equal(countSlotsBetween(every, T0, T0 - 1, 5), 0);
});

const DAY = 24 * HOUR;

/** Lists the slots in (from, to] one by one, as the oracle for counts. */
function listed(text: string, tz: string, from: number, to: number) {
  const s = parseSchedule(text, { tz });
  const { slots, more } = slotsBetween(s, from, to, 1_000_000);
  assert.equal(more, false);
  return { s, slots };
}

Deno.test("countSlotsBetween() counts cron slots across DST changes as listing them does", async (t) => {
  const changes = [
    ["Europe/Berlin", Date.UTC(2026, 2, 29, 1), "spring"],
    ["Europe/Berlin", Date.UTC(2026, 9, 25, 1), "fall"],
    ["America/New_York", Date.UTC(2026, 2, 8, 7), "spring"],
    ["America/New_York", Date.UTC(2026, 10, 1, 6), "fall"],
  ] as const;
  const texts = [
    "0 * * * *", // real time: a repeated hour runs twice, a skipped one never
    "0 0-23 * * *", // fixed hours: a repeated hour runs once
    "30 2 * * *", // a skipped 02:30 runs at the gap's end
    "0,30 2,3 * * *", // ... once, even when the gap's end is a slot too
    "*/20 1-3 * * 0", // Sundays only
    "*/10 * * * * *",
    "*/7 * 1-3 * * *",
  ];
  for (const [tz, at, change] of changes) {
    await t.step(`${tz} ${change}`, () => {
      for (const text of texts) {
        for (const [from, to] of [[at - DAY, at + DAY], [at - 1, at + HOUR]]) {
          const { s, slots } = listed(text, tz, from!, to!);
          const what = `"${text}" in ${tz} (${change}) ${from}..${to}`;
          assert.equal(
            countSlotsBetween(s, from!, to!, Infinity),
            slots.length,
            what,
          );
          assert.equal(lastSlotBetween(s, from!, to!), slots.at(-1), what);
        }
      }
    });
  }
  await t.step("hourly over the change days: 23 and 24 or 25", () => {
    const count = (text: string, [start, end]: readonly number[]) =>
      countSlotsBetween(
        parseSchedule(text, { tz: "Europe/Berlin" }),
        start! - 1,
        end! - 1,
        Infinity,
      );
    // Berlin's 29 March 2026 lasts 23 hours, its 25 October 25 hours.
    const spring = [Date.UTC(2026, 2, 28, 23), Date.UTC(2026, 2, 29, 22)];
    const fall = [Date.UTC(2026, 9, 24, 22), Date.UTC(2026, 9, 25, 23)];
    assert.deepEqual(
      [count("0 * * * *", spring), count("0 0-23 * * *", spring)],
      [23, 23],
    );
    assert.deepEqual(
      [count("0 * * * *", fall), count("0 0-23 * * *", fall)],
      [25, 24],
    );
  });
});

Deno.test("countSlotsBetween() counts a year of per-second cron slots at once", () => {
  const from = Date.UTC(2026, 0, 1) - 1;
  const to = Date.UTC(2027, 0, 1) - 1;
  const count = (text: string, tz: string) =>
    countSlotsBetween(parseSchedule(text, { tz }), from, to, Infinity);
  assert.equal(count("* * * * * *", "UTC"), 365 * 86_400);
  // Real time: every instant of the year whose wall clock matches: all.
  assert.equal(count("* * * * * *", "Europe/Berlin"), 365 * 86_400);
  // Fixed hours: the second pass of 25 October's 02:00-03:00 is not a slot.
  assert.equal(count("* * 0-23 * * *", "Europe/Berlin"), 365 * 86_400 - 3600);
  const s = parseSchedule("* * * * * *");
  assert.equal(countSlotsBetween(s, from, to, 1000), 1000);
  assert.equal(lastSlotBetween(s, from, to), to - 999);
});

Deno.test("countSlotsBetween() counts over centuries as listing does (400-year cycles)", () => {
  const from = Date.UTC(2000, 0, 1) - 1;
  for (
    const [text, years] of [["0 0 29 2 *", 1200], [
      "0 12 * * 5#2",
      900,
    ]] as const
  ) {
    const to = Date.UTC(2000 + years, 0, 1) - 1;
    const { s, slots } = listed(text, "UTC", from, to);
    assert.equal(countSlotsBetween(s, from, to, Infinity), slots.length, text);
    assert.equal(lastSlotBetween(s, from, to), slots.at(-1), text);
  }
  // Leap days of years 2000-3199: 300 leap years, less the centuries that
  // are not multiples of 400 (2100, 2200, 2300, 2500, ...: 9).
  assert.equal(
    countSlotsBetween(
      parseSchedule("0 0 29 2 *"),
      from,
      Date.UTC(3200, 0, 1) - 1,
      Infinity,
    ),
    291,
  );
});

Deno.test("lastSlotBetween() gives the latest slot in (from, to], or undefined", () => {
  const fixed = parseSchedule("30 2 * * *", { tz: "Europe/Berlin" });
  // 25 October 2026: 02:30 CEST runs (00:30 UTC), 02:30 CET does not.
  assert.equal(
    lastSlotBetween(fixed, Date.UTC(2026, 9, 24), Date.UTC(2026, 9, 25, 2)),
    Date.UTC(2026, 9, 25, 0, 30),
  );
  const every = parseSchedule("every 2h", { anchor: T0 + HOUR });
  assert.equal(lastSlotBetween(every, T0, T0 + 6 * HOUR), T0 + 5 * HOUR);
  assert.equal(lastSlotBetween(every, T0 + HOUR, T0 + 3 * HOUR - 1), undefined);
  const once = parseSchedule("2026-01-01T05:00:00Z");
  assert.equal(lastSlotBetween(once, T0, T0 + DAY), T0 + 5 * HOUR);
  assert.throws(() => lastSlotBetween(once, 0, NaN), RangeError);
});

Deno.test("slotsBetween() rejects bad bounds", () => {
  const s = parseSchedule("* * * * *");
  assert.throws(() => slotsBetween(s, NaN, 1, 1), RangeError);
  assert.throws(() => slotsBetween(s, 0, 1, -1), RangeError);
  assert.throws(() => slotsBetween(s, 0, 1, 1.5), RangeError);
  assert.throws(() => countSlotsBetween(s, 0, Infinity, 1), RangeError);
});

Deno.test("countSlotsBetween() counterexamples across date-line moves", () => {
  // Found by slots_between_property_test.ts with a rule broken on purpose.
  const count = (text: string, tz: string, from: string, to: string) =>
    countSlotsBetween(
      parseSchedule(text, { tz }),
      Date.parse(from),
      Date.parse(to),
      Infinity,
    );
  // Vostok set its clock back 7 hours: Jan 31 17:00 local comes again.
  assert.equal(
    count(
      "* 9-17 * * *",
      "Antarctica/Vostok",
      "1994-01-31T16:59:59.999Z",
      "1994-01-31T17:00:00Z",
    ),
    1,
  );
  // Apia skipped 30 December 2011: its 02:00-02:59 is not made up.
  assert.equal(
    count(
      "* 2 * * *",
      "Pacific/Apia",
      "2011-12-30T09:59:59.999Z",
      "2011-12-30T10:00:00Z",
    ),
    0,
  );
  // Kwajalein set its clock back 23 hours: 02:00 on 30 September again.
  assert.equal(
    count(
      "* 2 * * *",
      "Pacific/Kwajalein",
      "1969-09-30T13:00:00Z",
      "1969-09-30T14:00:00Z",
    ),
    1,
  );
});
