import assert from "node:assert/strict";
import { describeSchedule } from "../../src/schedule/describe_schedule.ts";

function check(cases: [string, string][], options = {}) {
  for (const [text, words] of cases) {
    assert.equal(describeSchedule(text, options), words, text);
  }
}

Deno.test("describeSchedule() names frequencies under an hour", () => {
  check([
    ["* * * * *", "every minute"],
    ["* * * * * *", "every second"],
    ["*/5 * * * *", "every 5 minutes"],
    ["*/15 * * * * *", "every 15 seconds"],
    ["0,30 * * * *", "every 30 minutes"],
    ["15 * * * * *", "every minute at second 15"],
    ["*/10 30 9 * * *", "every 10 seconds during minute 09:30"],
  ]);
});

Deno.test("describeSchedule() names hourly schedules", () => {
  check([
    ["0 * * * *", "every hour, on the hour"],
    ["@hourly", "every hour, on the hour"],
    ["30 * * * *", "every hour at :30"],
    ["5,35 * * * *", "every hour at :05 and :35"],
    ["5/15 * * * *", "every hour at :05, :20, :35 and :50"],
    ["0 */2 * * *", "every 2 hours, on the hour"],
    ["0 1-23/2 * * *", "every 2 hours from 01:00 to 23:00"],
    ["0 9-17 * * *", "every hour from 09:00 to 17:00"],
  ]);
});

Deno.test("describeSchedule() names times of day", () => {
  check([
    ["30 2 * * *", "at 02:30 every day"],
    ["@daily", "at 00:00 every day"],
    ["0 9 * * MON-FRI", "at 09:00, Monday to Friday"],
    ["0 9,17 * * *", "at 09:00 and 17:00 every day"],
    ["0 30 2 * * *", "at 02:30 every day"],
    ["15 30 2 * * *", "at 02:30:15 every day"],
  ]);
});

Deno.test("describeSchedule() names days of the month", () => {
  check([
    ["0 0 1 * *", "at 00:00 on day 1 of every month"],
    ["0 12 L * *", "at 12:00 on the last day of the month"],
    ["0 12 15W * *", "at 12:00 on the weekday nearest day 15 of the month"],
    ["0 12 LW * *", "at 12:00 on the last weekday of the month"],
    [
      "0 12 L-3 * *",
      "at 12:00 on the 3rd day before the last day of the month",
    ],
    ["0 12 L-1 * *", "at 12:00 on the day before the last day of the month"],
    ["0 0 1,L * *", "at 00:00 on day 1 and the last day of the month"],
    ["0 0 */2 * *", "at 00:00 on odd days of the month"],
    ["0 0 2-30/2 * *", "at 00:00 on even days of the month"],
  ]);
});

Deno.test("describeSchedule() names weekdays and their occurrences", () => {
  check([
    ["0 12 * * 5L", "at 12:00 on the last Friday of the month"],
    ["0 12 * * FRI#L", "at 12:00 on the last Friday of the month"],
    ["0 12 * * MON#1", "at 12:00 on the first Monday of the month"],
    [
      "0 0 * * 1#1,5#L",
      "at 00:00 on the first Monday and the last Friday of the month",
    ],
    ["@weekly", "at 00:00 on Sunday"],
    ["0 0 * * 7", "at 00:00 on Sunday"],
    ["0 0 * * SAT,SUN", "at 00:00 on Saturday and Sunday"],
    ["0 0 * * FRI-SUN", "at 00:00, Friday to Sunday"],
  ]);
});

Deno.test("describeSchedule() names months and years", () => {
  check([
    ["0 0 1 1 *", "at 00:00 on 1 January"],
    ["@yearly", "at 00:00 on 1 January"],
    ["0 0 12 1 1 * 2027-2030", "at 12:00 on 1 January in 2027 to 2030"],
    ["0 0 * JAN-MAR *", "at 00:00 every day in January to March"],
    [
      "0 0 0 * * * */2",
      "at 00:00 every day in every 2nd year from 1970",
    ],
  ]);
});

Deno.test("describeSchedule() says how day of month and day of week combine", () => {
  check([
    ["0 0 */2 * 1", "at 00:00 on odd days of the month or on Monday"],
    ["0 0 */2 * +1", "at 00:00 on odd days of the month, if it is also Monday"],
    [
      "0 12 1-7 * +MON",
      "at 12:00 on days 1-7 of the month, if it is also Monday",
    ],
  ]);
  check([
    ["0 0 */2 * 1", "at 00:00 on odd days of the month, if it is also Monday"],
    ["0 0 1 * *", "at 00:00 on day 1 of every month"],
  ], { domAndDow: true });
});

Deno.test("describeSchedule() bounds runs within hours", () => {
  check([
    [
      "*/20 9-17 * * 1-5",
      "every 20 minutes from 09:00 to 17:40, Monday to Friday",
    ],
    ["1/2 9-17 * * *", "every 2 minutes from 09:01 to 17:59"],
    ["* 9 * * *", "every minute from 09:00 to 09:59"],
  ]);
});

Deno.test("describeSchedule() falls back to fields it cannot say nicely", () => {
  check([
    [
      "5,10 1-3 1-7 3,6 *",
      "at 01:05, 01:10, 02:05, 02:10, 03:05 and 03:10 on days 1-7 of March and June",
    ],
    ["*/7 * * * *", "at every 7th minute from 0 to 56 of every hour"],
    [
      "15,45 */6 * * *",
      "at minutes 15 and 45 of hours 0, 6, 12 and 18 every day",
    ],
    ["0,30 */6 * * *", "every 30 minutes during hours 0, 6, 12 and 18"],
    [
      "0 1,3,5,9,11,13,15,20 * * *",
      "at minute 0 of hours 1, 3, 5, 9, 11, 13, 15 and 20 every day",
    ],
    [
      "5,10,20 1,3,5,7,9,11,13 * * *",
      "at minutes 5, 10 and 20 of every 2nd hour from 1 to 13 every day",
    ],
  ]);
});

Deno.test("describeSchedule() names intervals", () => {
  check([
    ["every 30s", "every 30 seconds"],
    ["every 1h30m", "every 1 hour 30 minutes"],
    ["every 90m", "every 1 hour 30 minutes"],
    ["every 1d", "every day"],
    ["every 250ms", "every 250 milliseconds"],
    [
      "every 1h from 2026-01-01T00:00:00Z",
      "every hour from 2026-01-01 00:00 (UTC)",
    ],
  ]);
});

Deno.test("describeSchedule() names one-shots", () => {
  check([
    ["in 10m", "once, 10 minutes after it was added"],
    ["10m", "once, 10 minutes after it was added"],
    ["2026-12-01T09:00:00Z", "once, at 2026-12-01 09:00 (UTC)"],
    ["at 2026-12-01 09:00", "once, at 2026-12-01 09:00 (UTC)"],
    ["2026-12-01T09:00:30Z", "once, at 2026-12-01 09:00:30 (UTC)"],
  ]);
  check([
    ["at 2026-12-01 09:00", "once, at 2026-12-01 09:00 (Europe/Berlin)"],
    ["2026-12-01T08:00:00Z", "once, at 2026-12-01 09:00 (Europe/Berlin)"],
  ], { tz: "Europe/Berlin" });
});

Deno.test("describeSchedule() returns text it cannot parse unchanged", () => {
  for (
    const text of ["", "garbage", "61 * * * *", "0 0 30 2 *", "@reboot", "in"]
  ) {
    assert.equal(describeSchedule(text), text);
  }
  assert.equal(describeSchedule("* * * * *", { tz: "Nope/Zone" }), "* * * * *");
});
