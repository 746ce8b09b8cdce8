import assert from "node:assert/strict";
import { nextSlot } from "../../src/schedule/next_slot.ts";
import { parseSchedule } from "../../src/schedule/parse_schedule.ts";

/** One conformance row: successive slots after `after` (all ISO, UTC). */
interface Row {
  name: string;
  expr: string;
  tz?: string;
  after: string;
  slots: string[];
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/** Runs each row as a step: a table in the style of croner's conformance files. */
async function table(t: Deno.TestContext, rows: Row[]) {
  for (const row of rows) {
    const where = row.tz ? ` in ${row.tz}` : "";
    await t.step(`${row.name}: "${row.expr}"${where}`, () => {
      const schedule = parseSchedule(row.expr, { tz: row.tz ?? "UTC" });
      const got: (string | undefined)[] = [];
      let cursor = Date.parse(row.after);
      for (const _ of row.slots) {
        const slot = nextSlot(schedule, cursor);
        got.push(iso(slot));
        if (slot === undefined) break;
        cursor = slot;
      }
      assert.deepEqual(got, row.slots.map((s) => new Date(s).toISOString()));
    });
  }
}

Deno.test("nextSlot() conformance: fields, ranges, steps, lists, names", async (t) => {
  // deno-fmt-ignore
  await table(t, [
    { name: "step", expr: "*/15 * * * *", after: "2026-01-01T00:07:00Z", slots: ["2026-01-01T00:15Z", "2026-01-01T00:30Z", "2026-01-01T00:45Z", "2026-01-01T01:00Z"] },
    { name: "range with step", expr: "5-20/5 * * * *", after: "2026-01-01T00:00:00Z", slots: ["2026-01-01T00:05Z", "2026-01-01T00:10Z", "2026-01-01T00:15Z", "2026-01-01T00:20Z", "2026-01-01T01:05Z"] },
    { name: "list of hours", expr: "0 8,12,18 * * *", after: "2026-01-01T12:00:00Z", slots: ["2026-01-01T18:00Z", "2026-01-02T08:00Z"] },
    { name: "weekday names", expr: "0 9 * * MON-FRI", after: "2026-01-02T12:00:00Z", slots: ["2026-01-05T09:00Z", "2026-01-06T09:00Z"] },
    { name: "lower-case names", expr: "0 0 * * sun", after: "2026-01-01T00:00:00Z", slots: ["2026-01-04T00:00Z", "2026-01-11T00:00Z"] },
    { name: "month names", expr: "0 0 1 JAN,JUL *", after: "2026-01-01T00:00:00Z", slots: ["2026-07-01T00:00Z", "2027-01-01T00:00Z"] },
    { name: "dow 7 is Sunday", expr: "0 0 * * 7", after: "2026-03-01T00:00:00Z", slots: ["2026-03-08T00:00Z", "2026-03-15T00:00Z"] },
    { name: "dow range 5-7", expr: "0 0 * * 5-7", after: "2026-03-05T00:00:00Z", slots: ["2026-03-06T00:00Z", "2026-03-07T00:00Z", "2026-03-08T00:00Z", "2026-03-13T00:00Z"] },
    { name: "ms precision: slot itself is excluded", expr: "0 * * * *", after: "2026-01-01T01:00:00.000Z", slots: ["2026-01-01T02:00Z"] },
    { name: "ms precision: 1 ms before", expr: "0 * * * *", after: "2026-01-01T00:59:59.999Z", slots: ["2026-01-01T01:00Z"] },
  ]);
});

Deno.test("nextSlot() conformance: day of month versus day of week", async (t) => {
  // deno-fmt-ignore
  await table(t, [
    // Feb 2026: Sundays are 1, 8, 15, 22; Fridays 6, 13, 20, 27.
    { name: "both restricted: either matches", expr: "0 0 13 * 5", after: "2026-02-01T00:00:00Z", slots: ["2026-02-06T00:00Z", "2026-02-13T00:00Z", "2026-02-20T00:00Z", "2026-02-27T00:00Z", "2026-03-06T00:00Z"] },
    { name: "only day of month", expr: "0 0 13 * *", after: "2026-02-01T00:00:00Z", slots: ["2026-02-13T00:00Z", "2026-03-13T00:00Z"] },
    { name: "only day of week", expr: "0 0 * * 5", after: "2026-02-01T00:00:00Z", slots: ["2026-02-06T00:00Z", "2026-02-13T00:00Z"] },
    { name: "first of month or Monday", expr: "0 0 1 * 1", after: "2026-02-24T00:00:00Z", slots: ["2026-03-01T00:00Z", "2026-03-02T00:00Z", "2026-03-09T00:00Z"] },
    { name: "dom step is restricted", expr: "0 0 */10 * *", after: "2026-01-25T00:00:00Z", slots: ["2026-01-31T00:00Z", "2026-02-01T00:00Z", "2026-02-11T00:00Z"] },
    { name: "? is a wildcard", expr: "0 0 ? * 1", after: "2026-03-03T00:00:00Z", slots: ["2026-03-09T00:00Z"] },
  ]);
});

Deno.test("nextSlot() conformance: L, #, Feb 29 and year boundaries", async (t) => {
  // deno-fmt-ignore
  await table(t, [
    { name: "L: last day of month", expr: "0 0 L * *", after: "2028-01-31T00:00:00Z", slots: ["2028-02-29T00:00Z", "2028-03-31T00:00Z", "2028-04-30T00:00Z"] },
    { name: "L in February", expr: "0 0 L 2 *", after: "2026-01-01T00:00:00Z", slots: ["2026-02-28T00:00Z", "2027-02-28T00:00Z", "2028-02-29T00:00Z"] },
    { name: "5L: last Friday", expr: "0 0 * * 5L", after: "2026-01-01T00:00:00Z", slots: ["2026-01-30T00:00Z", "2026-02-27T00:00Z", "2026-03-27T00:00Z"] },
    { name: "1#2: second Monday", expr: "0 0 * * 1#2", after: "2026-01-01T00:00:00Z", slots: ["2026-01-12T00:00Z", "2026-02-09T00:00Z", "2026-03-09T00:00Z"] },
    { name: "MON#1 with name", expr: "0 0 * * MON#1", after: "2026-01-01T00:00:00Z", slots: ["2026-01-05T00:00Z", "2026-02-02T00:00Z"] },
    { name: "5#L when the last Friday is the 25th (Thursday 31st)", expr: "0 0 * 12 5#L", after: "2026-01-01T00:00:00Z", slots: ["2026-12-25T00:00Z", "2027-12-31T00:00Z"] },
    { name: "# beside plain weekdays in a list", expr: "0 0 * * 0,1#1", after: "2026-01-01T00:00:00Z", slots: ["2026-01-04T00:00Z", "2026-01-05T00:00Z", "2026-01-11T00:00Z", "2026-01-18T00:00Z"] },
    { name: "fifth Monday of February (Feb 29 a Monday)", expr: "0 0 * 2 1#5", after: "2026-01-01T00:00:00Z", slots: ["2044-02-29T00:00Z", "2072-02-29T00:00Z", "2112-02-29T00:00Z"] },
    { name: "Feb 29 skips non-leap years", expr: "0 0 29 2 *", after: "2026-01-01T00:00:00Z", slots: ["2028-02-29T00:00Z", "2032-02-29T00:00Z", "2036-02-29T00:00Z"] },
    { name: "Feb 29 across 2100 (not a leap year)", expr: "0 0 29 2 *", after: "2096-03-01T00:00:00Z", slots: ["2104-02-29T00:00Z"] },
    { name: "31st skips short months", expr: "0 0 31 * *", after: "2026-01-31T00:00:00Z", slots: ["2026-03-31T00:00Z", "2026-05-31T00:00Z"] },
    { name: "year end", expr: "59 23 31 12 *", after: "2026-12-31T23:59:00Z", slots: ["2027-12-31T23:59Z"] },
    { name: "new year", expr: "0 0 1 1 *", after: "2026-12-31T23:59:59.999Z", slots: ["2027-01-01T00:00Z", "2028-01-01T00:00Z"] },
  ]);
});

Deno.test("nextSlot() conformance: seconds field and aliases", async (t) => {
  // deno-fmt-ignore
  await table(t, [
    { name: "6 fields, step", expr: "*/20 * * * * *", after: "2026-01-01T12:00:05Z", slots: ["2026-01-01T12:00:20Z", "2026-01-01T12:00:40Z", "2026-01-01T12:01:00Z"] },
    { name: "6 fields, fixed second", expr: "30 0 0 * * *", after: "2026-01-01T00:00:30Z", slots: ["2026-01-02T00:00:30Z"] },
    { name: "6 fields, ms after a second", expr: "* * * * * *", after: "2026-01-01T00:00:00.001Z", slots: ["2026-01-01T00:00:01Z"] },
    { name: "@yearly", expr: "@yearly", after: "2026-06-01T00:00:00Z", slots: ["2027-01-01T00:00Z"] },
    { name: "@annually", expr: "@annually", after: "2026-06-01T00:00:00Z", slots: ["2027-01-01T00:00Z"] },
    { name: "@monthly", expr: "@monthly", after: "2026-06-01T00:00:00Z", slots: ["2026-07-01T00:00Z"] },
    { name: "@weekly (Sunday)", expr: "@weekly", after: "2026-06-01T00:00:00Z", slots: ["2026-06-07T00:00Z"] },
    { name: "@daily", expr: "@daily", after: "2026-06-01T00:00:00Z", slots: ["2026-06-02T00:00Z"] },
    { name: "@hourly", expr: "@hourly", after: "2026-06-01T00:00:00Z", slots: ["2026-06-01T01:00Z"] },
  ]);
});

Deno.test("nextSlot() conformance: DST in America/New_York", async (t) => {
  const tz = "America/New_York";
  // 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00Z.
  // 2026-11-01: 02:00 EDT becomes 01:00 EST at 06:00Z.
  // deno-fmt-ignore
  await table(t, [
    { name: "fixed: gap runs once at its end", tz, expr: "30 2 * * *", after: "2026-03-07T12:00:00Z", slots: ["2026-03-08T07:00Z", "2026-03-09T06:30Z"] },
    { name: "fixed: gap wall times and 03:00 share one slot", tz, expr: "0,30 2,3 * * *", after: "2026-03-07T12:00:00Z", slots: ["2026-03-08T07:00Z", "2026-03-08T07:30Z", "2026-03-09T06:00Z"] },
    { name: "fixed: repeat runs once, first", tz, expr: "30 1 * * *", after: "2026-10-31T12:00:00Z", slots: ["2026-11-01T05:30Z", "2026-11-02T06:30Z"] },
    { name: "fixed: after in the second pass", tz, expr: "15 1 * * *", after: "2026-11-01T06:10:00Z", slots: ["2026-11-02T06:15Z"] },
    { name: "fixed: business hours", tz, expr: "0 9-17 * * *", after: "2026-03-08T20:30:00Z", slots: ["2026-03-08T21:00Z", "2026-03-09T13:00Z"] },
    { name: "real time: gap is skipped", tz, expr: "30 * * * *", after: "2026-03-08T05:00:00Z", slots: ["2026-03-08T05:30Z", "2026-03-08T06:30Z", "2026-03-08T07:30Z"] },
    { name: "real time: repeat runs twice", tz, expr: "30 * * * *", after: "2026-11-01T04:00:00Z", slots: ["2026-11-01T04:30Z", "2026-11-01T05:30Z", "2026-11-01T06:30Z", "2026-11-01T07:30Z"] },
    { name: "real time: */30 across the gap", tz, expr: "*/30 * * * *", after: "2026-03-08T05:45:00Z", slots: ["2026-03-08T06:00Z", "2026-03-08T06:30Z", "2026-03-08T07:00Z", "2026-03-08T07:30Z"] },
    { name: "real time: hour step misses 02:00", tz, expr: "0 */2 * * *", after: "2026-03-08T04:00:00Z", slots: ["2026-03-08T05:00Z", "2026-03-08T08:00Z"] },
  ]);
});

Deno.test("nextSlot() conformance: DST in Europe/Berlin", async (t) => {
  const tz = "Europe/Berlin";
  // 2026-03-29 01:00Z: 02:00 CET -> 03:00 CEST; 2026-10-25 01:00Z: 03:00 CEST -> 02:00 CET.
  // deno-fmt-ignore
  await table(t, [
    { name: "fixed: gap", tz, expr: "30 2 * * *", after: "2026-03-28T12:00:00Z", slots: ["2026-03-29T01:00Z", "2026-03-30T00:30Z"] },
    { name: "fixed: repeat", tz, expr: "30 2 * * *", after: "2026-10-24T12:00:00Z", slots: ["2026-10-25T00:30Z", "2026-10-26T01:30Z"] },
    { name: "real time: repeat", tz, expr: "30 * * * *", after: "2026-10-24T23:00:00Z", slots: ["2026-10-24T23:30Z", "2026-10-25T00:30Z", "2026-10-25T01:30Z", "2026-10-25T02:30Z"] },
    { name: "real time: gap", tz, expr: "0 * * * *", after: "2026-03-28T23:30:00Z", slots: ["2026-03-29T00:00Z", "2026-03-29T01:00Z", "2026-03-29T02:00Z"] },
    { name: "6 fields, fixed: gap", tz, expr: "10 30 2 * * *", after: "2026-03-28T12:00:00Z", slots: ["2026-03-29T01:00Z", "2026-03-30T00:30:10Z"] },
  ]);
});

Deno.test("nextSlot() conformance: Australia/Lord_Howe and Asia/Kathmandu", async (t) => {
  const tz = "Australia/Lord_Howe";
  // +10:30 standard, +11 summer. 2026-04-04T15:00Z: 02:00 -> 01:30;
  // 2026-10-03T15:30Z: 02:00 -> 02:30.
  // deno-fmt-ignore
  await table(t, [
    { name: "fixed: 30-minute gap, one slot", tz, expr: "*/15 2 * * *", after: "2026-10-03T12:00:00Z", slots: ["2026-10-03T15:30Z", "2026-10-03T15:45Z", "2026-10-04T15:00Z"] },
    { name: "fixed: 30-minute repeat", tz, expr: "45 1 * * *", after: "2026-04-04T12:00:00Z", slots: ["2026-04-04T14:45Z", "2026-04-05T15:15Z"] },
    { name: "real time: repeat", tz, expr: "*/15 * * * *", after: "2026-04-04T14:40:00Z", slots: ["2026-04-04T14:45Z", "2026-04-04T15:00Z", "2026-04-04T15:15Z", "2026-04-04T15:30Z"] },
    { name: "real time: gap", tz, expr: "*/15 * * * *", after: "2026-10-03T15:10:00Z", slots: ["2026-10-03T15:15Z", "2026-10-03T15:30Z", "2026-10-03T15:45Z"] },
    { name: "+05:45", tz: "Asia/Kathmandu", expr: "0 9 * * *", after: "2026-01-01T00:00:00Z", slots: ["2026-01-01T03:15Z", "2026-01-02T03:15Z"] },
    { name: "+05:45 new year", tz: "Asia/Kathmandu", expr: "0 0 1 1 *", after: "2026-06-01T00:00:00Z", slots: ["2026-12-31T18:15Z"] },
    { name: "+05:45 real time", tz: "Asia/Kathmandu", expr: "*/30 * * * *", after: "2026-01-01T00:00:00Z", slots: ["2026-01-01T00:15Z", "2026-01-01T00:45Z"] },
  ]);
});

Deno.test("nextSlot() gives interval slots on the anchor's grid", () => {
  const s = parseSchedule("every 1h30m", { anchor: Date.UTC(2026, 0, 1) });
  assert.equal(nextSlot(s, Date.UTC(2026, 0, 1)), Date.UTC(2026, 0, 1, 1, 30));
  assert.equal(
    nextSlot(s, Date.UTC(2026, 0, 1, 1, 29)),
    Date.UTC(2026, 0, 1, 1, 30),
  );
  // Before the anchor: the grid extends backwards (22:30, then 00:00).
  assert.equal(nextSlot(s, Date.UTC(2025, 11, 31, 23)), Date.UTC(2026, 0, 1));
  assert.equal(
    nextSlot(s, Date.UTC(2025, 11, 31, 22)),
    Date.UTC(2025, 11, 31, 22, 30),
  );
  const unanchored = parseSchedule("every 1h");
  assert.equal(nextSlot(unanchored, 1), 3_600_000);
  assert.equal(nextSlot(unanchored, -1), 0);
});

Deno.test("nextSlot() gives a one-shot while it is ahead", () => {
  const s = parseSchedule("2026-12-01T09:00:00Z");
  assert.equal(nextSlot(s, Date.UTC(2026, 0, 1)), Date.UTC(2026, 11, 1, 9));
  assert.equal(nextSlot(s, Date.UTC(2026, 11, 1, 9)), undefined);
});

Deno.test("nextSlot() rejects a non-finite 'after' and unknown kinds", () => {
  const s = parseSchedule("* * * * *");
  assert.throws(() => nextSlot(s, NaN), RangeError);
  assert.throws(() => nextSlot(s, Infinity), RangeError);
  assert.throws(() => nextSlot({ kind: "weekly" } as never, 0), TypeError);
});

Deno.test("nextSlot() stays bounded at the edges of time", () => {
  const s = parseSchedule("0 0 29 2 *");
  assert.equal(nextSlot(s, Date.UTC(9999, 0, 1)), undefined);
  assert.equal(nextSlot(s, 8.64e15), undefined);
  assert.equal(nextSlot(s, -8.64e15), Date.parse("0004-02-29T00:00:00Z"));
});

Deno.test("nextSlot() stays bounded when a zone hides every match", () => {
  // Santiago springs forward at midnight on the first Sunday from 2
  // September (since 2023), so 00:30 on that Sunday never exists, and the
  // hour field `*\/24` (hour 0, starting with `*`) makes this a real-time
  // schedule, which skips gap wall times.
  const s = parseSchedule("30 */24 2-8 9 +0", { tz: "America/Santiago" });
  const started = performance.now();
  assert.equal(nextSlot(s, Date.UTC(2024, 0, 1)), undefined);
  assert.ok(performance.now() - started < 5_000);
});

Deno.test("nextSlot() accepts a schedule object without its compiled cache", () => {
  const copy = JSON.parse(JSON.stringify(parseSchedule("*/5 * * * *")));
  assert.equal(nextSlot(copy, 0), 300_000);
});

Deno.test("nextSlot() is fast for a UTC cron", () => {
  const s = parseSchedule("*/5 * * * *");
  let t = Date.UTC(2026, 0, 1);
  const n = 20_000;
  const started = performance.now();
  for (let i = 0; i < n; i++) t = nextSlot(s, t)!;
  const micros = ((performance.now() - started) * 1000) / n;
  assert.ok(micros < 50, `${micros} µs per call`);
});

// Counterexamples found by tests/properties/schedule_property_test.ts.

Deno.test('nextSlot() counterexample: "*/1 * * 1,2 0,7" (Sunday listed as 0 and 7)', () => {
  // cron-parser refuses overlapping list items as duplicates; cron does not.
  const s = parseSchedule("*/1 * * 1,2 0,7");
  assert.equal(
    nextSlot(s, Date.UTC(2020, 2, 8, 7)), // March: next match is in January
    Date.UTC(2021, 0, 3),
  );
  const overlap = parseSchedule("1-5,3 * * * *");
  assert.equal(nextSlot(overlap, 0), 60_000);
});

Deno.test("nextSlot() handles a skipped day and a midnight gap", async (t) => {
  // deno-fmt-ignore
  await table(t, [
    // Samoa skipped 2011-12-30 entirely (-10:00 -> +14:00): a change of
    // more than 3 hours is not DST, so the day's 12:00 does not run (as in
    // ISC cron, croner and cron-parser); see conformance_test.ts.
    { name: "fixed: a whole day in the gap", tz: "Pacific/Apia", expr: "0 12 * * *", after: "2011-12-28T12:00:00Z", slots: ["2011-12-28T22:00Z", "2011-12-29T22:00Z", "2011-12-30T22:00Z", "2011-12-31T22:00Z"] },
    { name: "real time: a whole day in the gap", tz: "Pacific/Apia", expr: "0 */12 * * *", after: "2011-12-29T09:00:00Z", slots: ["2011-12-29T10:00Z", "2011-12-29T22:00Z", "2011-12-30T10:00Z", "2011-12-30T22:00Z"] },
    // Sao Paulo sprang forward at midnight (2018-11-04 00:00 -> 01:00).
    { name: "fixed: midnight in the gap", tz: "America/Sao_Paulo", expr: "0 0 * * *", after: "2018-11-03T12:00:00Z", slots: ["2018-11-04T03:00Z", "2018-11-05T02:00Z"] },
  ]);
});

// Counterexamples the property tests found when a rule was broken on purpose
// (tests/properties/schedule_property_test.ts): each pins the rule.

Deno.test("nextSlot() counterexamples of the new forms and clock-change rules", async (t) => {
  // deno-fmt-ignore
  await table(t, [
    // A 23-hour set-back is not DST: fixed hours run the repeated wall times again.
    { name: "repeat longer than DST runs again", tz: "Pacific/Kwajalein", expr: "0-0 0,2 * 1-9 *", after: "1969-09-30T13:00:00Z", slots: ["1969-09-30T14:00Z"] },
    // A 7-hour jump forward is not DST: the skipped midnight is not made up.
    { name: "gap longer than DST is skipped", tz: "Antarctica/Vostok", expr: "@daily", after: "1994-10-31T23:59:59.998Z", slots: ["1994-11-01T17:00Z"] },
    { name: "LW on a Friday before a weekend month end", expr: "0,1 0-0 LW * *", after: "2013-06-26T12:00:00Z", slots: ["2013-06-28T00:00Z"] },
    { name: "L is L-0", expr: "* 0,1 L * *", after: "2027-10-31T01:00:00Z", slots: ["2027-10-31T01:01Z"] },
    { name: "year */2 counts from 1970", expr: "0 0 * * 1-3 * */2", after: "2020-03-08T07:00:00Z", slots: ["2020-03-08T08:00Z"] },
  ]);
  await t.step("domAndDow: a Sunday the 26th is not a Monday", () => {
    const s = parseSchedule("0,1 * 0-1 1-26 * 1", { domAndDow: true });
    assert.equal(
      iso(nextSlot(s, Date.parse("2031-10-26T01:00:00Z"))),
      "2031-11-03T00:00:00.000Z",
    );
  });
  await t.step("domAndDow: an even Sunday is not an odd day", () => {
    const s = parseSchedule("0 0 * */2 * 0-0 *", { domAndDow: true });
    assert.equal(
      iso(nextSlot(s, Date.parse("2020-03-08T07:00:00Z"))),
      "2020-03-15T00:00:00.000Z",
    );
  });
});
