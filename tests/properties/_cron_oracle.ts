// Cron expressions drawn field by field, each field carrying its own meaning,
// and a brute-force oracle that reads wall clocks straight from Intl and
// applies the DST policy by its definition, so that the schedule property
// tests do not depend on the parser or the search under test.
import fc from "fast-check";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Offset changes larger than this are not DST: followed as real time. */
const MAX_DST_SHIFT = 3 * HOUR;

// ---------------------------------------------------------------------------
// Cron expressions from field generators. Each field carries its own
// meaning, so the oracle does not depend on the parser under test.

interface Field {
  text: string;
  values: Set<number>;
}

function span(from: number, to: number, step = 1): Set<number> {
  const out = new Set<number>();
  for (let v = from; v <= to; v += step) out.add(v);
  return out;
}

function numericField(min: number, max: number): fc.Arbitrary<Field> {
  const value = fc.integer({ min, max });
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constant({ text: "*", values: span(min, max) }),
    },
    {
      weight: 2,
      arbitrary: value.map((v) => ({ text: `${v}`, values: span(v, v) })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(value, value).map(([a, b]) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        return { text: `${lo}-${hi}`, values: span(lo, hi) };
      }),
    },
    {
      weight: 2,
      arbitrary: fc.integer({ min: 1, max: max - min }).map((k) => ({
        text: `*/${k}`,
        values: span(min, max, k),
      })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(value, value, fc.integer({ min: 1, max: 5 })).map(
        ([a, b, k]) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          return { text: `${lo}-${hi}/${k}`, values: span(lo, hi, k) };
        },
      ),
    },
    {
      weight: 2,
      arbitrary: fc.uniqueArray(value, { minLength: 2, maxLength: 4 }).map((
        list,
      ) => ({ text: list.join(","), values: new Set(list) })),
    },
  );
}

/** A day of month: plain days, `L-n` offsets (`L` is 0), `nW`, `LW`. */
interface Dom {
  text: string;
  star: boolean;
  values: Set<number>;
  fromEnd: Set<number>;
  nearest: Set<number>;
  lastWeekday: boolean;
}

const domItemArb: fc.Arbitrary<Omit<Dom, "star">> = fc.oneof(
  fc.constant({ text: "L", fromEnd: new Set([0]) }),
  fc.integer({ min: 1, max: 30 }).map((n) => ({
    text: `L-${n}`,
    fromEnd: new Set([n]),
  })),
  fc.integer({ min: 1, max: 31 }).map((d) => ({
    text: `${d}W`,
    nearest: new Set([d]),
  })),
  fc.constant({ text: "LW", lastWeekday: true }),
  fc.integer({ min: 1, max: 31 }).map((d) => ({
    text: `${d}`,
    values: new Set([d]),
  })),
).map((item) => ({
  values: new Set<number>(),
  fromEnd: new Set<number>(),
  nearest: new Set<number>(),
  lastWeekday: false,
  ...item,
}));

const domArb: fc.Arbitrary<Dom> = fc.oneof(
  numericField(1, 31).map((f) => ({
    ...f,
    star: f.text === "*",
    fromEnd: new Set<number>(),
    nearest: new Set<number>(),
    lastWeekday: false,
  })),
  fc.array(domItemArb, { minLength: 1, maxLength: 3 }).map((items) => ({
    text: items.map((i) => i.text).join(","),
    star: false,
    values: new Set(items.flatMap((i) => [...i.values])),
    fromEnd: new Set(items.flatMap((i) => [...i.fromEnd])),
    nearest: new Set(items.flatMap((i) => [...i.nearest])),
    lastWeekday: items.some((i) => i.lastWeekday),
  })),
);

const MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(" ");
const monthArb: fc.Arbitrary<Field> = fc.oneof(
  numericField(1, 12),
  fc.uniqueArray(fc.integer({ min: 1, max: 12 }), {
    minLength: 1,
    maxLength: 3,
  }).map((list) => ({
    text: list.map((m) => MONTHS[m - 1]).join(","),
    values: new Set(list),
  })),
);

/**
 * A day of week: `occurrences[w]` holds which of its weekdays in a month
 * weekday `w` allows: 1-5 for `w#n`, 6 for the last (`wL`, `w#L`), all of
 * them for a plain weekday.
 */
interface Dow {
  text: string;
  star: boolean;
  occurrences: Map<number, Set<number>>;
}

const ALL = [1, 2, 3, 4, 5, 6];
const LAST = 6;
const DAYS = "SUN MON TUE WED THU FRI SAT".split(" ");
const dowOf = (text: string, days: Iterable<number>, which: number[]): Dow => {
  const occurrences = new Map<number, Set<number>>();
  for (const d of days) occurrences.set(d % 7, new Set(which));
  return { text, star: text === "*", occurrences };
};
const weekdayText = (w: number, name: boolean) => name ? DAYS[w % 7]! : `${w}`;
const dowItemArb: fc.Arbitrary<Dow> = fc.oneof(
  {
    weight: 4,
    arbitrary: numericField(0, 7).map((f) => dowOf(f.text, f.values, ALL)),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 7 }),
    ).map(([a, b]) => {
      // Names; a range may end with SUN (Sunday as 7).
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      return dowOf(`${DAYS[lo]}-${DAYS[hi % 7]}`, span(lo, hi), ALL);
    }),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.integer({ min: 0, max: 7 }),
      fc.integer({ min: 1, max: 5 }),
      fc.boolean(),
    ).map(([w, n, name]) => dowOf(`${weekdayText(w, name)}#${n}`, [w], [n])),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.integer({ min: 0, max: 7 }),
      fc.boolean(),
      fc.boolean(),
    )
      .map(([w, name, hash]) =>
        dowOf(`${weekdayText(w, name)}${hash ? "#L" : "L"}`, [w], [LAST])
      ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 5 }),
      fc.constantFrom("1", "2", "5", "L"),
    ).map(([a, b, n]) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      return dowOf(`${lo}-${hi}#${n}`, span(lo, hi), [
        n === "L" ? LAST : Number(n),
      ]);
    }),
  },
);

/** One item, or a list of items with `#` or `L` (`1#1,5#L`). */
const dowArb: fc.Arbitrary<Dow> = fc.oneof(
  { weight: 3, arbitrary: dowItemArb },
  {
    weight: 1,
    arbitrary: fc.array(dowItemArb.filter((d) => /[#L]/.test(d.text)), {
      minLength: 2,
      maxLength: 3,
    }).map((items) => {
      const occurrences = new Map<number, Set<number>>();
      for (const item of items) {
        for (const [w, which] of item.occurrences) {
          occurrences.set(w, new Set([...occurrences.get(w) ?? [], ...which]));
        }
      }
      return {
        text: items.map((i) => i.text).join(","),
        star: false,
        occurrences,
      };
    }),
  },
);

/** A year field near the focus years, or none. */
interface Year {
  text: string;
  values: Set<number> | undefined;
}

const yearArb: fc.Arbitrary<Year> = fc.oneof(
  fc.constant({ text: "*", values: undefined }),
  fc.integer({ min: 2019, max: 2033 }).map((y) => ({
    text: `${y}`,
    values: new Set([y]),
  })),
  fc.tuple(
    fc.integer({ min: 2019, max: 2033 }),
    fc.integer({ min: 0, max: 4 }),
  ).map(([y, k]) => ({ text: `${y}-${y + k}`, values: span(y, y + k) })),
  fc.integer({ min: 2, max: 3 }).map((k) => ({
    // Steps over `*` count from 1970.
    text: `*/${k}`,
    values: span(1970, 9999, k),
  })),
);

export interface Cron {
  text: string;
  /** Pass `domAndDow: true` as an option (instead of `+` in the text). */
  andOption: boolean;
  seconds: boolean;
  realTime: boolean;
  second: Set<number>;
  minute: Set<number>;
  hour: Set<number>;
  dom: Dom;
  month: Field;
  dow: Dow;
  and: boolean;
  year: Year;
}

const STAR_DOM: Dom = {
  text: "*",
  star: true,
  values: span(1, 31),
  fromEnd: new Set(),
  nearest: new Set(),
  lastWeekday: false,
};
const STAR_MONTH: Field = { text: "*", values: span(1, 12) };
const STAR_DOW: Dow = dowOf("*", span(0, 6), ALL);
const STAR_YEAR: Year = { text: "*", values: undefined };

/**
 * Cron expressions: 5 fields, 6 (leading seconds), or 7 (seconds `0` and a
 * year); `+` before the day of week (or the `domAndDow` option) sometimes.
 */
export function cronArb(seconds: boolean, years = false): fc.Arbitrary<Cron> {
  // Day fields are usually `*`, so that most runs find a slot in the window.
  const often = <T>(star: T, arb: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 3, arbitrary: fc.constant(star) }, {
      weight: 1,
      arbitrary: arb,
    });
  return fc.record({
    second: seconds
      ? numericField(0, 59)
      : fc.constant({ text: "0", values: span(0, 0) }),
    minute: seconds
      ? fc.constant({ text: "*", values: span(0, 59) })
      : numericField(0, 59),
    hour: numericField(0, 23),
    dom: often(STAR_DOM, domArb),
    month: often(STAR_MONTH, monthArb),
    dow: often(STAR_DOW, dowArb),
    and: fc.oneof(
      { weight: 3, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    andOption: fc.boolean(),
    year: years ? yearArb : fc.constant(STAR_YEAR),
  }).map((f) => ({
    text: [
      ...(seconds || years ? [f.second.text] : []),
      f.minute.text,
      f.hour.text,
      f.dom.text,
      f.month.text,
      `${f.and && !f.andOption ? "+" : ""}${f.dow.text}`,
      ...(years ? [f.year.text] : []),
    ].join(" "),
    andOption: f.and && f.andOption,
    seconds: seconds || years,
    realTime: f.hour.text.startsWith("*"),
    second: f.second.values,
    minute: f.minute.values,
    hour: f.hour.values,
    dom: f.dom,
    month: f.month,
    dow: f.dow,
    and: f.and,
    year: f.year,
  }));
}

/** The aliases, by their documented meaning. */
export const aliasArb: fc.Arbitrary<Cron> = fc.constantFrom(
  ["@yearly", "0", "0", "1", "1"],
  ["@annually", "0", "0", "1", "1"],
  ["@monthly", "0", "0", "1", "*"],
  ["@weekly", "0", "0", "*", "*", "0"],
  ["@daily", "0", "0", "*", "*"],
  ["@midnight", "0", "0", "*", "*"],
  ["@hourly", "0", "*", "*", "*"],
).map(([text, _minute, hour, dom, month, dow]) => ({
  text: text!,
  andOption: false,
  seconds: false,
  realTime: hour === "*",
  second: span(0, 0),
  minute: span(0, 0),
  hour: hour === "*" ? span(0, 23) : span(0, 0),
  dom: dom === "*"
    ? STAR_DOM
    : { ...STAR_DOM, text: "1", star: false, values: span(1, 1) },
  month: month === "*" ? STAR_MONTH : { text: "1", values: span(1, 1) },
  dow: dow === undefined ? STAR_DOW : dowOf("0", [0], ALL),
  and: false,
  year: STAR_YEAR,
}));

// ---------------------------------------------------------------------------
// The oracle: enumerate instants, read their wall clock straight from Intl,
// and apply the DST policy by its definition.

const FORMATS = new Map<string, Intl.DateTimeFormat>();

/** Wall clock of an instant as UTC-epoch-like ms, straight from Intl. */
export function wallOf(tz: string, instant: number): number {
  let format = FORMATS.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    FORMATS.set(tz, format);
  }
  const [mo, d, y, h, mi, s] = format.format(instant).match(/\d+/g)!.map(
    Number,
  ) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/** The weekday nearest to day `x` of a month, never leaving the month. */
function nearestWeekday(year: number, month: number, x: number, dim: number) {
  const w = new Date(Date.UTC(year, month, x)).getUTCDay();
  if (w === 6) return x === 1 ? 3 : x - 1;
  if (w === 0) return x === dim ? x - 2 : x + 1;
  return x;
}

function matches(c: Cron, wall: number): boolean {
  const t = new Date(wall);
  const year = t.getUTCFullYear();
  const month = t.getUTCMonth();
  const d = t.getUTCDate();
  const w = t.getUTCDay();
  const dim = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  let lastWeekday = dim;
  while (
    [0, 6].includes(new Date(Date.UTC(year, month, lastWeekday)).getUTCDay())
  ) {
    lastWeekday--;
  }
  const domOk = c.dom.values.has(d) || c.dom.fromEnd.has(dim - d) ||
    (c.dom.lastWeekday && d === lastWeekday) ||
    [...c.dom.nearest].some((x) =>
      x <= dim && nearestWeekday(year, month, x, dim) === d
    );
  const which = c.dow.occurrences.get(w);
  const dowOk = which !== undefined &&
    (which.has(Math.floor((d - 1) / 7) + 1) ||
      (which.has(LAST) && d + 7 > dim));
  const dayOk = c.and
    ? (c.dom.star || domOk) && (c.dow.star || dowOk)
    : c.dom.star && c.dow.star
    ? true
    : c.dom.star
    ? dowOk
    : c.dow.star
    ? domOk
    : domOk || dowOk;
  return dayOk && (c.year.values?.has(year) ?? true) &&
    c.month.values.has(month + 1) &&
    c.hour.has(t.getUTCHours()) && c.minute.has(t.getUTCMinutes()) &&
    c.second.has(t.getUTCSeconds());
}

/** The first slot in (after, after + window], or undefined. */
export function oracle(c: Cron, tz: string, after: number, window: number) {
  const unit = c.seconds ? 1000 : MINUTE;
  const start = Math.floor(after / unit) * unit + unit;
  // The highest wall clock seen so far: a wall time at or below it has
  // already occurred (a fall-back repeat), which fixed hours do not rerun,
  // unless the clock went back by more than DST does (then the repeat is
  // followed as real time). Offsets change on whole minutes here, so within
  // a minute the wall clock rises second by second: scan whole minutes,
  // then the last seconds.
  let maxWall = -Infinity;
  let previous = -Infinity;
  const see = (wall: number, top: number) => {
    if (wall < previous - MAX_DST_SHIFT) maxWall = -Infinity;
    maxWall = Math.max(maxWall, top);
    previous = wall;
  };
  const minute = Math.floor(start / MINUTE) * MINUTE;
  for (let i = minute - 3 * HOUR; i < minute; i += MINUTE) {
    const wall = wallOf(tz, i);
    see(wall, wall + MINUTE - unit);
  }
  for (let i = minute; i < start; i += unit) {
    const wall = wallOf(tz, i);
    see(wall, wall);
  }
  previous = wallOf(tz, start - unit);
  for (let i = start; i <= after + window; i += unit) {
    const wall = wallOf(tz, i);
    let slot = false;
    if (c.realTime) {
      slot = matches(c, wall);
    } else {
      if (wall < previous - MAX_DST_SHIFT) maxWall = -Infinity;
      slot = matches(c, wall) && wall > maxWall;
      // A DST jump forward skipped wall times: if one matches, run now.
      if (wall - previous <= MAX_DST_SHIFT + unit) {
        for (let w = previous + unit; !slot && w < wall; w += unit) {
          slot = matches(c, w);
        }
      }
    }
    if (slot) return i;
    maxWall = Math.max(maxWall, wall);
    previous = wall;
  }
  return undefined;
}
