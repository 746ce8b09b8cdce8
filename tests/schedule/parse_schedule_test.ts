import assert from "node:assert/strict";
import { ScheduleSyntaxError } from "../../src/errors.ts";
import { parseSchedule } from "../../src/schedule/parse_schedule.ts";

const NOW = Date.UTC(2026, 5, 1, 12);

Deno.test("parseSchedule() reads cron expressions", async (t) => {
  await t.step("5 fields", () => {
    assert.deepEqual(parseSchedule("*/5 * * * *"), {
      kind: "cron",
      text: "*/5 * * * *",
      tz: "UTC",
      seconds: false,
      realTime: true,
    });
  });
  await t.step("6 fields have seconds", () => {
    const s = parseSchedule("*/10 * * * * *");
    assert.equal(s.kind === "cron" && s.seconds, true);
  });
  await t.step("aliases, any case", () => {
    for (const alias of ["@yearly", "@annually", "@monthly", "@weekly"]) {
      assert.equal(parseSchedule(alias).kind, "cron");
    }
    const daily = parseSchedule("@DAILY");
    assert.equal(daily.kind === "cron" && daily.realTime, false);
    const hourly = parseSchedule("@hourly");
    assert.equal(hourly.kind === "cron" && hourly.realTime, true);
  });
  await t.step("text is trimmed, tz kept", () => {
    const s = parseSchedule("  0 9 * * MON-FRI ", { tz: "Europe/Berlin" });
    assert.equal(s.text, "0 9 * * MON-FRI");
    assert.equal(s.tz, "Europe/Berlin");
  });
  await t.step("fixed hours versus real time", () => {
    const realTime = (text: string) => {
      const s = parseSchedule(text);
      return s.kind === "cron" && s.realTime;
    };
    assert.equal(realTime("30 2 * * *"), false);
    assert.equal(realTime("0 9-17 * * *"), false);
    assert.equal(realTime("0 8,20 * * *"), false);
    assert.equal(realTime("0 * * * *"), true);
    assert.equal(realTime("0 */2 * * *"), true);
    // Only an hour field starting with `*` follows real time (ISC's rule):
    // a step over named hours still names hours.
    assert.equal(realTime("0 1-23/2 * * *"), false);
    assert.equal(realTime("0 1-5/2 * * *"), false);
    assert.equal(realTime("0 0/2 * * *"), false);
    assert.equal(realTime("0 */6,1 * * *"), true);
    // The minute field does not count (ISC also looks at it; see the docs).
    assert.equal(realTime("*/20 3 * * *"), false);
  });
  await t.step("the schedule is frozen", () => {
    assert.ok(Object.isFrozen(parseSchedule("* * * * *")));
  });
});

Deno.test("parseSchedule() reads the forms of docs/schedules.md", async (t) => {
  const forms = [
    "0 12 15W * *",
    "0 12 1W,L * *",
    "0 12 LW * *",
    "0 12 L-3 * *",
    "0 12 L-0,L-30 * *",
    "0 0 * * 5#L",
    "0 0 * * FRI#L",
    "0 0 * * fri#l",
    "0 0 * * 5L",
    "0 0 * * 1#1,5#L",
    "0 0 * * MON-FRI#2",
    "0 0 * * 5-6#L",
    "0 0 * * MON-SUN",
    "0 0 * * FRI-0",
    "0 0 12 1 1 * 2027-2030",
    "0 0 12 1 1 * */2",
    "0 0 12 1 1 * 2027/3,2090",
    "@midnight",
    "0 12 1-7 * +MON",
    "0 12 1 * +*",
  ];
  for (const text of forms) {
    await t.step(text, () => {
      const s = parseSchedule(text, { now: NOW });
      assert.equal(s.kind, "cron");
    });
  }
  await t.step("7 fields have seconds and a year", () => {
    const s = parseSchedule("0 0 12 1 1 * 2027-2030");
    assert.equal(s.kind === "cron" && s.seconds, true);
  });
  await t.step("domAndDow is kept only when set, for cron", () => {
    const and = parseSchedule("0 12 1-7 * MON", { domAndDow: true });
    assert.deepEqual(and, {
      kind: "cron",
      text: "0 12 1-7 * MON",
      tz: "UTC",
      seconds: false,
      realTime: false,
      domAndDow: true,
    });
    const or = parseSchedule("0 12 1-7 * MON", { domAndDow: false });
    assert.equal("domAndDow" in or, false);
    const every = parseSchedule("every 5m", { domAndDow: true, now: 0 });
    assert.equal("domAndDow" in every, false);
  });
  await t.step("a year field is checked from now, when given", () => {
    // 2026 is over by NOW's year + 1: never again.
    assert.throws(
      () => parseSchedule("0 0 0 1 1 * 2026", { now: Date.UTC(2026, 5, 1) }),
      /it never matches after 2026-06-01T00:00:00.000Z/,
    );
    assert.equal(parseSchedule("0 0 0 1 1 * 2026").kind, "cron");
  });
  await t.step(
    "the same text with and without domAndDow are cached apart",
    () => {
      const or = parseSchedule("0 12 29 2 MON");
      assert.equal(or.kind, "cron");
      // 29 February on a Monday: rare, but it exists (2044).
      const and = parseSchedule("0 12 29 2 MON", { domAndDow: true });
      assert.equal(and.kind === "cron" && and.domAndDow, true);
      assert.throws(
        () => parseSchedule("0 12 30 2 MON", { domAndDow: true }),
        /it never matches/,
      );
      assert.equal(parseSchedule("0 12 30 2 MON").kind, "cron");
    },
  );
});

Deno.test("parseSchedule() reads intervals", async (t) => {
  await t.step("anchored to options.anchor, else now", () => {
    assert.deepEqual(parseSchedule("every 30s", { anchor: 5, now: 9 }), {
      kind: "interval",
      text: "every 30s",
      tz: "UTC",
      everyMs: 30_000,
      anchor: 5,
    });
    const s = parseSchedule("every 1h30m", { now: NOW });
    assert.equal(s.kind === "interval" && s.anchor, NOW);
    assert.equal(s.kind === "interval" && s.everyMs, 5_400_000);
  });
  await t.step("no anchor at all", () => {
    const s = parseSchedule("EVERY 2 h");
    assert.equal(s.kind, "interval");
    assert.equal(s.kind === "interval" && s.anchor, undefined);
  });
  await t.step("explicit anchor with from", () => {
    const s = parseSchedule("every 15m from 2026-01-01T00:05:00Z", {
      now: NOW,
    });
    assert.equal(s.kind === "interval" && s.anchor, Date.UTC(2026, 0, 1, 0, 5));
  });
  await t.step("from without offset is read in tz", () => {
    const s = parseSchedule("every 1d from 2026-01-01 09:00", {
      tz: "Europe/Berlin",
    });
    assert.equal(s.kind === "interval" && s.anchor, Date.UTC(2026, 0, 1, 8));
  });
});

Deno.test("parseSchedule() reads one-shots", async (t) => {
  await t.step("relative, with in or bare", () => {
    assert.deepEqual(parseSchedule("in 10m", { now: NOW }), {
      kind: "once",
      text: "in 10m",
      tz: "UTC",
      at: NOW + 600_000,
    });
    const bare = parseSchedule("1H 30M", { now: NOW });
    assert.equal(bare.kind === "once" && bare.at, NOW + 5_400_000);
  });
  await t.step("absolute forms", () => {
    const at = (text: string, tz = "UTC") => {
      const s = parseSchedule(text, { tz });
      assert.equal(s.kind, "once");
      return s.kind === "once" ? s.at : NaN;
    };
    const nine = Date.UTC(2026, 11, 1, 9);
    assert.equal(at("2026-12-01T09:00:00Z"), nine);
    assert.equal(at("2026-12-01T09:00:00.250Z"), nine + 250);
    assert.equal(at("2026-12-01T11:00:00+02:00"), nine);
    assert.equal(at("2026-12-01T04:00:00-0500"), nine);
    assert.equal(at("2026-12-01 09:00"), nine);
    assert.equal(at("at 2026-12-01 09:00"), nine);
    assert.equal(at("2026-12-01T09:00"), nine);
    assert.equal(at("2026-12-01"), Date.UTC(2026, 11, 1));
    assert.equal(at("2026-12-01T10:00", "Europe/Berlin"), nine);
    assert.equal(at("2026-12-01T09:00Z", "Europe/Berlin"), nine);
  });
  await t.step("a wall time in a gap becomes the end of the gap", () => {
    const s = parseSchedule("at 2026-03-08 02:30", { tz: "America/New_York" });
    assert.equal(s.kind === "once" && s.at, Date.UTC(2026, 2, 8, 7));
  });
  await t.step("a repeated wall time is its first occurrence", () => {
    const s = parseSchedule("2026-11-01 01:30", { tz: "America/New_York" });
    assert.equal(s.kind === "once" && s.at, Date.UTC(2026, 10, 1, 5, 30));
  });
});

Deno.test("parseSchedule() names the bad text in every error", async (t) => {
  const cases: [string, string][] = [
    ["", "it is empty"],
    ["61 * * * *", 'minute must be 0-59, got "61"'],
    ["* 24 * * *", 'hour must be 0-23, got "24"'],
    ["* * 0 * *", 'day of month must be 1-31, got "0"'],
    ["* * * 13 *", 'month must be 1-12, got "13"'],
    ["* * * * 8", 'day of week must be 0-7, got "8"'],
    ["60 * * * * *", 'second must be 0-59, got "60"'],
    ["* * * FOO *", 'unknown month name "FOO"'],
    ["5-2 * * * *", 'invalid minute field "5-2"'],
    [
      "* * * * 1#6",
      'invalid day of week field "1#6": "1#6" is not w#n (n 1-5), w#L or wL',
    ],
    ["H * * * *", 'hashed values (H) are not supported: "H"'],
    ["* * *", "expected 5, 6 or 7 fields, got 3"],
    ["* * * * * * * *", "expected 5, 6 or 7 fields, got 8"],
    [
      "@sometimes",
      "unknown alias, expected one of @yearly @annually @monthly @weekly @daily @midnight @hourly",
    ],
    [
      "tomorrow",
      'expected a cron expression, "every DURATION", "in DURATION" or a date',
    ],
    ["0 0 30 2 *", "it never matches"],
    ["0 0 30W 2 *", "it never matches"],
    ["0 0 L-29 2 +MON", "it never matches"],
    [
      "0 0 1-15W * *",
      'invalid day of month field "1-15W": "1-15W" is not L, L-n, LW or nW (W takes one day)',
    ],
    [
      "0 0 15W-20 * *",
      'invalid day of month field "15W-20": "15W-20" is not L, L-n, LW or nW (W takes one day)',
    ],
    [
      "0 0 L-31 * *",
      'invalid day of month field "L-31": L-31 is past the first day (L-0 to L-30)',
    ],
    [
      "0 0 0W * *",
      'invalid day of month field "0W": 0W names no day (1W to 31W)',
    ],
    ["0 0 32 * *", 'day of month must be 1-31, got "32"'],
    ["0 0 1,L,32 * *", 'day of month must be 1-31, got "1,L,32"'],
    [
      "0 0 * * L",
      'invalid day of week field "L": "L" is not w#n (n 1-5), w#L or wL',
    ],
    [
      "0 0 * * 1#1,*#2",
      'invalid day of week field "1#1,*#2": "*#2" is not w#n (n 1-5), w#L or wL',
    ],
    ["0 0 * * 1#1,9#L", 'day of week must be 0-7, got "1#1,9#L"'],
    ["0 0 * * 1#1,FOO#L", 'unknown day of week name "FOO"'],
    ["0 0 * * FRI-MON", 'invalid day of week field "FRI-MON"'],
    ["0 0 * * +", 'invalid day of week field "+": a day must follow "+"'],
    [
      "0 0 * * ++1",
      'invalid day of week field "++1": "+" may only start the day of week field (+MON)',
    ],
    [
      "0 +1 * * *",
      'invalid hour field "+1": "+" may only start the day of week field (+MON)',
    ],
    [
      "0 0 +1 * *",
      'invalid day of month field "+1": "+" may only start the day of week field (+MON)',
    ],
    ["0 0 0 1 1 * 1969", 'year must be 1970-9999, got "1969"'],
    ["0 0 0 1 1 * 2027-10000", 'year must be 1970-9999, got "2027-10000"'],
    ["0 0 0 1 1 * 2030-2027", 'invalid year field "2030-2027"'],
    ["0 0 0 1 1 * */0", 'invalid year field "*/0"'],
    ["0 0 0 1 1 * MMXXVII", 'invalid year field "MMXXVII"'],
    ["0 0 0 1 1 * 1999", "it never matches after 2026-06-01T12:00:00.000Z"],
    ["@reboot", "@reboot is not supported: a job has no boot to run at"],
    ["0 0 31 4 *", "it never matches"],
    ["0 0 31 2,4,6,9,11 *", "it never matches"],
    ["every 5x", 'unknown unit "x"'],
    ["every", 'missing duration after "every"'],
    ["every 0s", "must be positive"],
    [
      "every 5m from tomorrow",
      'cannot read "tomorrow" as a date (e.g. 2026-12-01T09:00:00Z)',
    ],
    ["every 5m from 2026-01-01 from 2026-01-02", 'more than one "from"'],
    ["in 1.5h", "use whole numbers (e.g. 1h30m)"],
    ["2026-02-30 09:00", 'no such day in "2026-02-30 09:00"'],
    ["2026-13-01 09:00", 'month must be 01-12 in "2026-13-01 09:00"'],
    ["2026-12-01 24:00", 'no such time in "2026-12-01 24:00"'],
    ["2026-12-01T09:00+25:00", 'no such offset in "2026-12-01T09:00+25:00"'],
    ["2026-12-01Z", 'an offset needs a time in "2026-12-01Z"'],
    ["at noon", 'cannot read "noon" as a date (e.g. 2026-12-01T09:00:00Z)'],
  ];
  for (const [text, detail] of cases) {
    await t.step(JSON.stringify(text), () => {
      assert.throws(
        () => parseSchedule(text, { now: NOW }),
        (error: unknown) => {
          assert.ok(error instanceof ScheduleSyntaxError, String(error));
          assert.equal(
            error.message,
            `Cannot parse schedule "${text.trim()}": ${detail}`,
          );
          assert.equal(error.expression, text.trim());
          assert.ok(!error.message.includes("\n"));
          return true;
        },
      );
    });
  }
  await t.step("cron-parser's error is the cause", () => {
    try {
      parseSchedule("61 * * * *");
      assert.fail("no error");
    } catch (error) {
      assert.ok((error as Error).cause instanceof Error);
    }
  });
});

Deno.test("parseSchedule() rejects bad options", async (t) => {
  await t.step("a relative time needs now", () => {
    assert.throws(() => parseSchedule("in 10m"), {
      name: "TypeError",
      message: `Cannot parse schedule "in 10m": a relative time needs 'now'`,
    });
  });
  await t.step("an unknown zone", () => {
    assert.throws(() => parseSchedule("* * * * *", { tz: "Mars/Base" }), {
      name: "RangeError",
      message: 'Cannot use time zone "Mars/Base": not an IANA time zone',
    });
    assert.throws(
      () => parseSchedule("* * * * *", { tz: "+02:00" }),
      RangeError,
    );
  });
  await t.step("a non-finite now", () => {
    assert.throws(() => parseSchedule("in 1m", { now: NaN }), TypeError);
  });
});
