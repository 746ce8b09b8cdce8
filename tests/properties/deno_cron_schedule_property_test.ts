/**
 * `Deno.cron`'s object form and the string it becomes give the same slots:
 * for random `CronSchedule` objects, the slots tock computes from
 * `formatDenoCronSchedule(object)` are those a brute-force oracle reads from
 * the object itself (Deno's documented meaning of each form, its defaults
 * for unset fields, and Unix cron's day-of-month/day-of-week rule), and the
 * string is the one Deno itself builds. Runs are pinned
 * (`TOCK_PROPERTY_RUNS` overrides the count, `TOCK_PROPERTY_SEED` replays a
 * failure that fast-check reported with its seed and path).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type DenoCronSchedule,
  type DenoCronScheduleExpression,
  formatDenoCronSchedule,
} from "../../src/schedule/deno_cron_schedule.ts";
import { ScheduleSyntaxError } from "../../src/errors.ts";
import { nextSlot } from "../../src/schedule/next_slot.ts";
import { parseSchedule } from "../../src/schedule/parse_schedule.ts";
import { propertyParams } from "./_runs.ts";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** The longest gap a generated schedule can have is 8 years (Feb 29). */
const HORIZON_DAYS = 10 * 366;

type Field = keyof DenoCronSchedule;
const RANGES: Record<Field, [number, number]> = {
  minute: [0, 59],
  hour: [0, 23],
  dayOfMonth: [1, 31],
  month: [1, 12],
  dayOfWeek: [0, 7],
};

function expressionArb(
  [min, max]: [number, number],
): fc.Arbitrary<DenoCronScheduleExpression> {
  const value = fc.integer({ min, max });
  const step = fc.integer({ min: 1, max: max - min + 1 });
  const range = fc.tuple(value, value).map(([a, b]) =>
    a <= b ? [a, b] as const : [b, a] as const
  );
  return fc.oneof(
    value,
    value.map((v) => ({ exact: v })),
    fc.uniqueArray(value, { minLength: 1, maxLength: 4 }).map((exact) => ({
      exact,
    })),
    step.map((every) => ({ every })),
    value.map((start) => ({ start })),
    fc.tuple(value, step).map(([start, every]) => ({ start, every })),
    range.map(([start, end]) => ({ start, end })),
    fc.tuple(range, step).map(([[start, end], every]) => ({
      start,
      end,
      every,
    })),
  );
}

const scheduleArb: fc.Arbitrary<DenoCronSchedule> = fc.record(
  {
    minute: expressionArb(RANGES.minute),
    hour: expressionArb(RANGES.hour),
    dayOfMonth: expressionArb(RANGES.dayOfMonth),
    month: expressionArb(RANGES.month),
    dayOfWeek: expressionArb(RANGES.dayOfWeek),
  },
  { requiredKeys: [] },
);

/** The values one field selects, read from the object (the oracle). */
function values(
  expr: DenoCronScheduleExpression | undefined,
  [min, max]: [number, number],
): Set<number> {
  const span = (from: number, to: number, step = 1) => {
    const out = new Set<number>();
    for (let v = from; v <= to; v += step) out.add(v);
    return out;
  };
  if (expr === undefined) return span(min, max);
  if (typeof expr === "number") return new Set([expr]);
  if ("exact" in expr) return new Set([expr.exact].flat());
  const { start, end, every } = expr as {
    start?: number;
    end?: number;
    every?: number;
  };
  return span(start ?? min, end ?? max, every ?? 1);
}

interface Oracle {
  minute: Set<number>;
  hour: Set<number>;
  dom: Set<number> | undefined; // undefined: unrestricted
  month: Set<number>;
  dow: Set<number> | undefined;
}

/** Deno's defaults: the fields below the first one given are pinned. */
function oracleOf(s: DenoCronSchedule): Oracle {
  let { minute, hour, dayOfMonth } = s;
  if (minute === undefined) {
    if (hour !== undefined) minute = 0;
    else if (dayOfMonth !== undefined || s.dayOfWeek !== undefined) {
      [minute, hour] = [0, 0];
    } else if (s.month !== undefined) [minute, hour, dayOfMonth] = [0, 0, 1];
  }
  return {
    minute: values(minute, RANGES.minute),
    hour: values(hour, RANGES.hour),
    dom: dayOfMonth === undefined
      ? undefined
      : values(dayOfMonth, RANGES.dayOfMonth),
    month: values(s.month, RANGES.month),
    dow: s.dayOfWeek === undefined ? undefined : new Set(
      [...values(s.dayOfWeek, RANGES.dayOfWeek)].map((w) => w % 7),
    ),
  };
}

/** The first matching minute after `after`, day by day (UTC). */
function oracleNext(o: Oracle, after: number): number | undefined {
  const hours = [...o.hour].sort((a, b) => a - b);
  const minutes = [...o.minute].sort((a, b) => a - b);
  const first = Math.floor(after / DAY) * DAY;
  for (let day = first; day < first + HORIZON_DAYS * DAY; day += DAY) {
    const d = new Date(day);
    if (!o.month.has(d.getUTCMonth() + 1)) continue;
    const domOk = o.dom?.has(d.getUTCDate());
    const dowOk = o.dow?.has(d.getUTCDay());
    // Unix cron: when both are restricted, either may match.
    const dayOk = domOk === undefined
      ? dowOk ?? true
      : dowOk === undefined
      ? domOk
      : domOk || dowOk;
    if (!dayOk) continue;
    for (const h of hours) {
      for (const m of minutes) {
        const t = day + h * 60 * MINUTE + m * MINUTE;
        if (t > after) return t;
      }
    }
  }
  return undefined;
}

/** Deno's own conversion, when this Deno exposes it (Deno 2.x does). */
// deno-lint-ignore no-explicit-any
const internal = (Deno as any)[(Deno as any).internal];
const denoConvert: ((s: DenoCronSchedule) => string) | undefined = internal
  ?.parseScheduleToString;

Deno.test("the object form and its string give the same slots (and Deno's string)", () => {
  fc.assert(
    fc.property(
      scheduleArb,
      fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 0, 1) }),
      (object, after) => {
        const text = formatDenoCronSchedule(object);
        if (denoConvert) assert.equal(text, denoConvert(object));
        const oracle = oracleOf(object);
        const show = (t: number | undefined) =>
          t === undefined ? "none" : new Date(t).toISOString();
        let schedule;
        try {
          schedule = parseSchedule(text);
        } catch (error) {
          // `{ dayOfMonth: 31, month: 2 }`: no slot ever, and tock says so.
          assert.ok(
            error instanceof ScheduleSyntaxError &&
              /never matches/.test(error.message),
            String(error),
          );
          assert.equal(show(oracleNext(oracle, after)), "none", text);
          return;
        }
        let tock: number | undefined = after;
        let expected: number | undefined = after;
        for (let i = 0; i < 3 && expected !== undefined; i++) {
          tock = nextSlot(schedule, tock!);
          expected = oracleNext(oracle, expected);
          if (expected === undefined) break; // past the oracle's horizon
          assert.equal(
            show(tock),
            show(expected),
            `${JSON.stringify(object)} as "${text}", slot ${i + 1} after ${
              show(after)
            }`,
          );
        }
      },
    ),
    propertyParams(200),
  );
});
