import assert from "node:assert/strict";
import { dstNote } from "../../src/schedule/dst_note.ts";
import { nextSlot } from "../../src/schedule/next_slot.ts";
import { parseSchedule } from "../../src/schedule/parse_schedule.ts";

const NY = "America/New_York";

Deno.test("dstNote() marks a fixed-hours slot moved by a gap", () => {
  const s = parseSchedule("30 2 * * *", { tz: NY });
  const slot = nextSlot(s, Date.UTC(2026, 2, 7, 12))!;
  assert.deepEqual(dstNote(s, slot), {
    kind: "gap",
    wall: "02:30",
    date: "2026-03-08",
    message:
      "02:30 does not exist on 2026-03-08 in America/New_York (DST gap): runs at 03:00 instead",
  });
  assert.equal(dstNote(s, nextSlot(s, slot)!), undefined);
});

Deno.test("dstNote() names the first gap wall time that maps to the slot", () => {
  const s = parseSchedule("0,30 2,3 * * *", { tz: NY });
  assert.equal(dstNote(s, Date.UTC(2026, 2, 8, 7))?.wall, "02:00");
  const seconds = parseSchedule("15 30 2 * * *", { tz: "Europe/Berlin" });
  assert.equal(dstNote(seconds, Date.UTC(2026, 2, 29, 1))?.wall, "02:30:15");
});

Deno.test("dstNote() marks a fixed-hours slot in a repeated hour", () => {
  const s = parseSchedule("30 1 * * *", { tz: NY });
  const slot = nextSlot(s, Date.UTC(2026, 9, 31, 12))!;
  assert.deepEqual(dstNote(s, slot), {
    kind: "repeat",
    wall: "01:30",
    date: "2026-11-01",
    occurrence: "first",
    once: true,
    message:
      "01:30 occurs twice on 2026-11-01 in America/New_York (DST): runs once, at its first occurrence",
  });
});

Deno.test("dstNote() tells real-time occurrences apart", () => {
  const s = parseSchedule("30 * * * *", { tz: NY });
  const first = dstNote(s, Date.UTC(2026, 10, 1, 5, 30));
  const second = dstNote(s, Date.UTC(2026, 10, 1, 6, 30));
  assert.equal(first?.kind === "repeat" && first.occurrence, "first");
  assert.equal(second?.kind === "repeat" && second.occurrence, "second");
  assert.equal(second?.kind === "repeat" && second.once, false);
  assert.match(second!.message, /this is its second occurrence$/);
  // A real-time schedule is never moved by a gap.
  assert.equal(dstNote(s, Date.UTC(2026, 2, 8, 7, 30)), undefined);
});

Deno.test("dstNote() is silent for ordinary slots, UTC, intervals, one-shots", () => {
  const ordinary = parseSchedule("0 9 * * *", { tz: NY });
  assert.equal(dstNote(ordinary, Date.UTC(2026, 0, 5, 14)), undefined);
  const utc = parseSchedule("30 2 * * *");
  assert.equal(dstNote(utc, Date.UTC(2026, 2, 8, 2, 30)), undefined);
  const every = parseSchedule("every 1h", { tz: NY });
  assert.equal(dstNote(every, Date.UTC(2026, 2, 8, 7)), undefined);
  const once = parseSchedule("2026-03-08 02:30", { tz: NY });
  assert.equal(dstNote(once, Date.UTC(2026, 2, 8, 7)), undefined);
});

Deno.test("dstNote() handles Lord Howe's 30-minute shift", () => {
  const s = parseSchedule("15 2 * * *", { tz: "Australia/Lord_Howe" });
  assert.equal(dstNote(s, Date.UTC(2026, 9, 3, 15, 30))?.wall, "02:15");
  const r = parseSchedule("45 1 * * *", { tz: "Australia/Lord_Howe" });
  assert.equal(dstNote(r, Date.UTC(2026, 3, 4, 14, 45))?.kind, "repeat");
});

Deno.test("dstNote() marks the gap slot of each new form (Jerusalem, 29 March 2024)", () => {
  // 02:00 IST became 03:00 IDT at 00:00 UTC on Friday 29 March 2024.
  const gapEnd = Date.UTC(2024, 2, 29);
  for (
    const text of [
      "30 2 LW 3 *",
      "30 2 29W 3 *",
      "30 2 L-2 3 *",
      "30 2 * 3 FRI#L",
      "30 2 * 3 1#1,5#L",
      "30 2 29 3 +FRI",
    ]
  ) {
    const s = parseSchedule(text, { tz: "Asia/Jerusalem" });
    assert.equal(nextSlot(s, Date.UTC(2024, 2, 20)), gapEnd, text);
    assert.equal(dstNote(s, gapEnd)?.wall, "02:30", text);
  }
  const option = parseSchedule("30 2 29 3 FRI", {
    tz: "Asia/Jerusalem",
    domAndDow: true,
  });
  assert.equal(nextSlot(option, Date.UTC(2024, 2, 20)), gapEnd);
  assert.equal(dstNote(option, gapEnd)?.kind, "gap");
  const years = parseSchedule("0 30 2 29 3 * 2024", { tz: "Asia/Jerusalem" });
  assert.equal(dstNote(years, gapEnd)?.wall, "02:30:00");
});

Deno.test("dstNote() tells a repeat longer than DST apart: both occurrences run, fixed hours too", () => {
  // Kwajalein: 1969-10-01 00:00 +11 became 1969-09-30 01:00 -12.
  const s = parseSchedule("0 12 * * *", { tz: "Pacific/Kwajalein" });
  const first = Date.UTC(1969, 8, 30, 1);
  const second = Date.UTC(1969, 9, 1);
  assert.equal(nextSlot(s, first), second);
  assert.deepEqual(dstNote(s, second), {
    kind: "repeat",
    wall: "12:00",
    date: "1969-09-30",
    occurrence: "second",
    once: false,
    message:
      "12:00 occurs twice on 1969-09-30 in Pacific/Kwajalein (the clock went back 23 h): this is its second occurrence",
  });
});

Deno.test("dstNote() gives no gap note for a day a zone skipped (not DST)", () => {
  // Apia skipped 2011-12-30: its 12:00 does not run, and the 31st's 12:00
  // (22:00 UTC on the 30th) is an ordinary slot.
  const s = parseSchedule("0 12 * * *", { tz: "Pacific/Apia" });
  const slot = nextSlot(s, Date.UTC(2011, 11, 29, 22))!;
  assert.equal(slot, Date.UTC(2011, 11, 30, 22));
  assert.equal(dstNote(s, slot), undefined);
  const midnight = parseSchedule("0 0 * * *", { tz: "Pacific/Apia" });
  assert.equal(dstNote(midnight, Date.UTC(2011, 11, 30, 10)), undefined);
});
