// Arbitraries of hostile and broken text: random strings, near-valid cron
// expressions with out-of-range fields, junk durations, dates and zones,
// bad ids. Each comes with a valid form too, so that accepting paths get
// exercised as well as refusing ones.
import fc from "fast-check";

/** Text that breaks things: control characters, unicode, numbers, paths. */
export const SPECIAL: readonly string[] = [
  "",
  " ",
  "\t",
  "\n",
  "\r",
  "\r\n",
  "\u0000",
  "\u2028",
  "\u202e",
  "\uFEFF",
  "-",
  "--",
  "=",
  "../",
  "/",
  "\\",
  "é",
  "日本語",
  "🙂",
  "٣",
  "NaN",
  "Infinity",
  "-1",
  "0",
  "-0",
  "1e309",
  "9".repeat(30),
  "0x10",
  "1_000",
  "null",
  "{}",
  "__proto__",
  "constructor",
  "$(touch /tmp/tock-pwned)",
];

/** Random or special text. */
export const junk: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 8 }),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.constantFrom(...SPECIAL),
);

/** Numbers past the usual bounds, and numbers written oddly. */
export const bigNumbers: readonly string[] = [
  "60",
  "61",
  "99",
  "1000",
  "2147483648",
  "4294967296",
  "9007199254740993",
  "9".repeat(25),
  "-1",
  "00",
  "007",
  "1.5",
  "1e3",
];

const number: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 0, max: 62 }).map(String),
  fc.constantFrom(...bigNumbers),
);

const cronAtom: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: number },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "*",
      "?",
      "L",
      "W",
      "LW",
      "H",
      "MON",
      "sun",
      "Fri",
      "JAN",
      "dec",
      "FOO",
      "MONDAY",
    ),
  },
);

const cronField: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: cronAtom },
  {
    weight: 2,
    arbitrary: fc.tuple(cronAtom, cronAtom).map(([a, b]) => `${a}-${b}`),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.oneof(cronAtom, fc.tuple(cronAtom, cronAtom).map((p) => p.join("-"))),
      number,
    ).map(([a, n]) => `${a}/${n}`),
  },
  {
    weight: 2,
    arbitrary: fc.array(cronAtom, { minLength: 2, maxLength: 4 }).map((a) =>
      a.join(",")
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(number, number).map(([a, b]) => `${a}#${b}`),
  },
  { weight: 1, arbitrary: number.map((n) => `${n}L`) },
  { weight: 1, arbitrary: number.map((n) => `${n}W`) },
  { weight: 1, arbitrary: junk.filter((s) => !/\s/.test(s)) },
);

/** A valid cron field for values `min`..`max`. */
function validField(min: number, max: number): fc.Arbitrary<string> {
  const value = fc.integer({ min, max });
  const range = fc.tuple(value, value).map(([a, b]) =>
    `${Math.min(a, b)}-${Math.max(a, b)}`
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant("*") },
    { weight: 3, arbitrary: value.map(String) },
    { weight: 1, arbitrary: range },
    {
      weight: 2,
      arbitrary: fc.tuple(
        fc.oneof(fc.constant("*"), range),
        fc.integer({ min: 1, max: max - min + 1 }),
      ).map(([r, n]) => `${r}/${n}`),
    },
    {
      weight: 1,
      arbitrary: fc.uniqueArray(value, { minLength: 2, maxLength: 4 }).map((
        a,
      ) => a.join(",")),
    },
  );
}

/** Valid cron expressions (5 or 6 fields), which may still never match. */
export const validCron: fc.Arbitrary<string> = fc.tuple(
  fc.option(validField(0, 59)),
  validField(0, 59),
  validField(0, 23),
  fc.oneof(validField(1, 31), fc.constantFrom("L", "?", "15W")),
  fc.oneof(validField(1, 12), fc.constantFrom("JAN", "FEB-MAR", "*/2")),
  fc.oneof(validField(0, 7), fc.constantFrom("MON-FRI", "SUN", "5L", "1#2")),
).map(([s, ...rest]) => (s === null ? rest : [s, ...rest]).join(" "));

/** Cron-looking expressions: 3 to 8 fields, often out of range. */
export const nearCron: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: validCron },
  {
    weight: 6,
    arbitrary: fc.array(cronField, { minLength: 5, maxLength: 6 }).map((f) =>
      f.join(" ")
    ),
  },
  {
    weight: 1,
    arbitrary: fc.array(cronField, { minLength: 3, maxLength: 8 }).map((f) =>
      f.join(" ")
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "@yearly",
      "@annually",
      "@monthly",
      "@weekly",
      "@daily",
      "@hourly",
      "@midnight",
      "@reboot",
      "@every 5m",
      "@",
      "@DAILY",
      "0 0 30 2 *",
      "0 0 31 4,6,9,11 *",
      "0 0 29 2 1#5",
      "0 0 L 2 *",
      "0 0 ? * 5L",
      "59 23 31 12 6#5",
      "*/0 * * * *",
      "* * * * * * *",
    ),
  },
);

const unit = fc.constantFrom(
  "ms",
  "s",
  "m",
  "h",
  "d",
  "w",
  "MS",
  "S",
  "H",
  "W",
  "min",
  "sec",
  "y",
  "mo",
  "us",
  "µs",
  "x",
  "",
);

const durationPart: fc.Arbitrary<string> = fc.tuple(
  fc.oneof(
    fc.nat({ max: 120 }).map(String),
    fc.constantFrom("0", "00", "1.5", ",5", "-1", "+1", "1e3", "٣", "١٠"),
    fc.constantFrom(...bigNumbers),
  ),
  fc.constantFrom("", " ", "  "),
  unit,
).map(([n, space, u]) => `${n}${space}${u}`);

/** Valid durations: `30s`, `1h 30m`, `2 H`. */
export const validDuration: fc.Arbitrary<string> = fc.tuple(
  fc.array(
    fc.tuple(
      fc.integer({ min: 1, max: 500 }),
      fc.constantFrom("", " "),
      fc.constantFrom("ms", "s", "m", "h", "d", "w", "S", "M", "H"),
    ).map((p) => p.join("")),
    { minLength: 1, maxLength: 3 },
  ),
  fc.constantFrom("", " "),
).map(([parts, sep]) => parts.join(sep));

/** Duration-looking text: units, combinations, signs, fractions, junk. */
export const nearDuration: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: validDuration },
  {
    weight: 5,
    arbitrary: fc.tuple(
      fc.array(durationPart, { minLength: 1, maxLength: 4 }),
      fc.constantFrom("", " ", "\t"),
    ).map(([parts, sep]) => parts.join(sep)),
  },
  { weight: 1, arbitrary: junk },
);

const pad = (n: number, width = 2) =>
  n < 0
    ? `-${String(-n).padStart(width, "0")}`
    : String(n).padStart(width, "0");

/** Valid dates, most of them after the tests' "now" (2026-01-15). */
export const validDate: fc.Arbitrary<string> = fc.tuple(
  fc.integer({ min: 2025, max: 2030 }),
  fc.integer({ min: 1, max: 12 }),
  fc.integer({ min: 1, max: 28 }),
  fc.integer({ min: 0, max: 23 }),
  fc.integer({ min: 0, max: 59 }),
  fc.constantFrom("Z", "", "+05:30", "-08:00"),
  fc.constantFrom("T", " "),
).map(([y, mo, d, h, mi, zone, sep]) =>
  `${y}-${pad(mo)}-${pad(d)}${sep}${pad(h)}:${pad(mi)}${zone}`
);

/** Date-looking text: out-of-range fields, offsets, odd separators. */
export const nearDate: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: validDate },
  { weight: 3, arbitrary: brokenDate() },
);

function brokenDate(): fc.Arbitrary<string> {
  return fc.tuple(
    fc.oneof(
      fc.integer({ min: 1990, max: 2100 }),
      fc.constantFrom(0, 1, 1969, 9999, 10000, 275760, -1),
    ),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.option(
      fc.tuple(
        fc.constantFrom("T", " ", "t", "  "),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 61 }),
        fc.option(fc.integer({ min: 0, max: 61 })),
        fc.option(fc.constantFrom(".5", ".123", ".1234", ".")),
      ),
    ),
    fc.constantFrom("", "Z", "z", "+05:30", "-24:00", "+2400", "+01", " UTC"),
  ).map(([y, mo, d, time, zone]) => {
    const date = `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
    if (!time) return `${date}${zone}`;
    const [sep, h, mi, s, frac] = time;
    return `${date}${sep}${pad(h)}:${pad(mi)}${s === null ? "" : `:${pad(s)}`}${
      frac ?? ""
    }${zone}`;
  });
}

/** Schedule-looking text of every form, often broken. */
export const nearSchedule: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: nearCron },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constantFrom("every ", "every", "EVERY ", "every  "),
      nearDuration,
      fc.option(
        fc.tuple(fc.constantFrom(" from ", " from", " FROM "), nearDate),
      ),
    ).map(([every, d, from]) => `${every}${d}${from ? from.join("") : ""}`),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom("in ", "", "IN "), nearDuration).map((
      p,
    ) => p.join("")),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom("", "at ", "AT "), nearDate).map((p) =>
      p.join("")
    ),
  },
  { weight: 2, arbitrary: junk },
);

/** IANA names, near misses, offsets and junk. */
export const zone: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "UTC",
    "Etc/UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "utc",
    "europe/berlin",
    "Mars/Olympus_Mons",
    "Europe/../Berlin",
    "../etc/passwd",
    "+05:00",
    "UTC+5",
    "Etc/GMT+14",
    "Etc/GMT+15",
    "EST5EDT",
    "Z",
    "",
    " UTC",
  ),
  junk,
);

/** Job ids: valid ones, and every way to be invalid. */
export const jobId: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,12}$/),
  fc.constantFrom(
    "alpha",
    "beta",
    "../x",
    "..",
    ".",
    "/",
    "a/b",
    "/etc/passwd",
    "",
    "a".repeat(128),
    "a".repeat(129),
    "é",
    "日本",
    "-x",
    ".x",
    "_x",
    "a b",
    "a\nb",
    "a\u0000b",
  ),
  junk,
);

/** An instant as the flags take it. */
export const instant: fc.Arbitrary<string> = fc.oneof(
  nearDate,
  nearDuration.map((d) => `in ${d}`),
  junk,
);

/** Values of flags: any of the above, or integers in and out of range. */
export const flagValue: fc.Arbitrary<string> = fc.oneof(
  nearSchedule,
  nearDuration,
  zone,
  jobId,
  instant,
  fc.integer({ min: -5, max: 2000 }).map(String),
  fc.constantFrom(...bigNumbers, "1000", "1001", "0", "5 ", " 5", "+5"),
  fc.constantFrom(
    "skip",
    "queue",
    "allow",
    "replace",
    "latest",
    "all",
    "none",
    "abandon",
    "rerun",
  ),
  fc.constantFrom("K=V", "=V", "K=", "1K=V", "K V", "PATH=/x"),
  junk,
);

/** Schedules that are mostly valid. */
export const plausibleSchedule: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: validCron },
  { weight: 1, arbitrary: validDuration.map((d) => `every ${d}`) },
  { weight: 1, arbitrary: validDuration.map((d) => `in ${d}`) },
  { weight: 2, arbitrary: nearSchedule },
);
