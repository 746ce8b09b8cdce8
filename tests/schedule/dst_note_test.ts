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
