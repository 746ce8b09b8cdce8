import assert from "node:assert/strict";
import { nextSlot } from "../../src/schedule/next_slot.ts";
import { parseSchedule } from "../../src/schedule/parse_schedule.ts";
import {
  countSlotsBetween,
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

Deno.test("slotsBetween() rejects bad bounds", () => {
  const s = parseSchedule("* * * * *");
  assert.throws(() => slotsBetween(s, NaN, 1, 1), RangeError);
  assert.throws(() => slotsBetween(s, 0, 1, -1), RangeError);
  assert.throws(() => slotsBetween(s, 0, 1, 1.5), RangeError);
  assert.throws(() => countSlotsBetween(s, 0, Infinity, 1), RangeError);
});
