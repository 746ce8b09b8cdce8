/**
 * Plain English for a cron expression, built from the compiled tables of
 * `_cron_parser.ts` (not from the text) so that every value named is one the
 * schedule really allows. Used by `describe_schedule.ts`.
 *
 * @module
 */

import {
  ANY_OCCURRENCE,
  compiledOf,
  FIRST_YEAR,
  LAST_OCCURRENCE,
  LAST_YEAR,
} from "./_cron_parser.ts";
import type { CronSchedule } from "./schedule.ts";

const MONTHS = [
  "",
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const WEEKDAYS = [
  "Sunday",
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
];
const ORDINALS = ["first", "second", "third", "fourth", "fifth"];

/**
 * Describes a parsed cron schedule (an alias as what it stands for).
 *
 * @param schedule The schedule; its `domAndDow` is honoured.
 * @returns Short plain English, e.g. `at 09:00, Monday to Friday`.
 */
export function describeCron(schedule: CronSchedule): string {
  const c = compiledOf(schedule);
  const time = describeTime(
    members(c.nextSecond, 0, 59),
    members(c.nextMinute, 0, 59),
    members(c.nextHour, 0, 23),
  );
  const months = members(c.nextMonth, 1, 12);
  const monthText = months.length === 12 ? undefined : namedList(
    months,
    (m) => m,
    (m) => MONTHS[m]!,
  );
  const domDays = members(c.dom, 1, 31, (t, v) => t[v] === 1);
  const dom: string[] = [];
  if (domDays.length > 0) dom.push(dayList(domDays));
  for (let n = 0; n <= 30; n++) {
    if ((c.domFromEnd & (1 << n)) === 0) continue;
    dom.push(
      n === 0
        ? "the last day"
        : `the ${n === 1 ? "" : `${ordinal(n)} `}day before the last day`,
    );
  }
  if (c.domNearest) {
    for (const d of members(c.domNearest, 1, 31, (t, v) => t[v] === 1)) {
      dom.push(`the weekday nearest day ${d}`);
    }
  }
  if (c.domLastWeekday) dom.push("the last weekday");
  const plain = members(c.dow, 0, 6, (t, v) => t[v] === ANY_OCCURRENCE);
  const dow: string[] = [];
  if (plain.length > 0) {
    dow.push(namedList(plain, (w) => w || 7, (w) => WEEKDAYS[w]!));
  }
  for (const w of [1, 2, 3, 4, 5, 6, 0]) {
    const bits = c.dow[w]!;
    if (bits === 0 || bits === ANY_OCCURRENCE) continue;
    const nth = ORDINALS.filter((_, i) => (bits & (1 << i)) !== 0);
    if (bits & LAST_OCCURRENCE) nth.push("last");
    dow.push(`the ${join(nth)} ${WEEKDAYS[w]}`);
  }
  const nthDow = plain.length < dow.length;
  let days: string;
  if (c.domStar && c.dowStar) {
    days = time.at ? " every day" : "";
    if (monthText) days += ` in ${monthText}`;
  } else if (c.dowStar) {
    const single = domDays.length === 1 && dom.length === 1;
    days = single && months.length === 1
      ? ` on ${domDays[0]} ${MONTHS[months[0]!]}`
      : ` on ${join(dom)} of ${
        monthText ??
          (dom.length === 1 && domDays.length === 1
            ? "every month"
            : "the month")
      }`;
  } else if (c.domStar) {
    days = nthDow
      ? ` on ${join(dow)} of ${monthText ?? "the month"}`
      : `${/^\w+ to \w+$/.test(dow[0]!) ? "," : " on"} ${dow[0]}${
        monthText ? ` in ${monthText}` : ""
      }`;
  } else {
    const dowText = `${join(dow)}${nthDow ? " of the month" : ""}`;
    days = c.domAndDow
      ? ` on ${join(dom)} of the month, if it is also ${dowText}`
      : ` on ${join(dom)} of the month or on ${dowText}`;
    if (monthText) days += `, in ${monthText}`;
  }
  return `${time.text}${days}${yearText(c.nextYear)}`;
}

interface Time {
  text: string;
  /** Names times of day (so a schedule without day fields says "every day"). */
  at: boolean;
}

function describeTime(s: number[], m: number[], h: number[]): Time {
  if (s.length > 1) {
    const k = fullStep(s, 60);
    const every = s.length === 60
      ? "every second"
      : k !== undefined && s[0] === 0
      ? `every ${k} seconds`
      : `at ${setText(s, "second", "seconds")}`;
    const hours = setText(h, "hour", "hours");
    const during = m.length === 60
      ? h.length === 24
        ? every.startsWith("at") ? " of every minute" : ""
        : ` during ${hours}`
      : m.length === 1 && h.length === 1
      ? ` during minute ${clock(h[0]!, m[0]!, 0)}`
      : ` during ${setText(m, "minute", "minutes")} of ${
        h.length === 24 ? "every hour" : hours
      }`;
    return { text: every + during, at: false };
  }
  const sec = s[0]!;
  const first = m[0]!;
  const last = m.at(-1)!;
  const k = m.length === 60 ? 1 : fullStep(m, 60);
  // "every 15 minutes during hours 1, 3 …" would hide an offset (:05).
  const spans = first === 0 || runs(h).length <= 3;
  if (
    k !== undefined && spans && !(h.length === 24 && first && m.length <= 4)
  ) {
    const every = k === 1 ? "every minute" : `every ${k} minutes`;
    const span = h.length === 24 && first === 0
      ? ""
      : hourSpan(h, first, last, sec);
    return {
      text: `${every}${sec ? ` at second ${sec}` : ""}${span}`,
      at: false,
    };
  }
  const times = h.flatMap((hh) => m.map((mm) => clock(hh, mm, sec)));
  const hk = fullStep(h, 24);
  if (m.length === 1) {
    const past = first === 0 && sec === 0
      ? ", on the hour"
      : ` at ${clock(undefined, first, sec)}`;
    if (h.length === 24) return { text: `every hour${past}`, at: false };
    if (hk !== undefined && h[0] === 0 && h.length >= 4) {
      return { text: `every ${hk} hours${past}`, at: false };
    }
  }
  if (times.length <= 6) return { text: `at ${join(times)}`, at: true };
  if (m.length === 1 && hk !== undefined) {
    const span = ` from ${clock(h[0]!, first, sec)} to ${
      clock(h.at(-1)!, first, sec)
    }`;
    return { text: `every ${hk} hours${span}`, at: false };
  }
  if (m.length === 1 && runs(h).length <= 3) {
    return { text: `every hour${hourSpan(h, first, first, sec)}`, at: false };
  }
  if (h.length === 24 && m.length <= 6) {
    const mins = join(m.map((mm) => clock(undefined, mm, sec)));
    return { text: `every hour at ${mins}`, at: false };
  }
  const mins = `${setText(m, "minute", "minutes")}${
    sec ? ` (at second ${sec})` : ""
  }`;
  return {
    text: `at ${mins} of ${
      h.length === 24 ? "every hour" : setText(h, "hour", "hours")
    }`,
    at: h.length !== 24,
  };
}

/** ` from 09:00 to 17:40` for runs of hours, else ` during hours 1, 3 …`. */
function hourSpan(h: number[], first: number, last: number, s: number) {
  const rs = runs(h);
  if (rs.length > 3) return ` during ${setText(h, "hour", "hours")}`;
  return rs.map((r) =>
    ` from ${clock(r[0]!, first, s)} to ${clock(r.at(-1)!, last, s)}`
  ).join(" and");
}

function clock(h: number | undefined, m: number, s: number): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${h === undefined ? "" : pad(h)}:${pad(m)}${s ? `:${pad(s)}` : ""}`;
}

function dayList(days: number[]): string {
  if (progression(days) === 2 && days.length >= 15) {
    if (days[0] === 1 && days.length === 16) return "odd days";
    if (days[0] === 2) return "even days";
  }
  return days.length === 31 ? "every day" : setText(days, "day", "days");
}

function yearText(table: Int16Array | undefined): string {
  if (table === undefined) return "";
  const years = members(table, FIRST_YEAR, LAST_YEAR);
  const k = progression(years);
  if (runs(years).length > 6 && k !== undefined) {
    const last = years.at(-1)!;
    return ` in every ${ordinal(k)} year from ${years[0]}${
      last + k > LAST_YEAR ? "" : ` to ${last}`
    }`;
  }
  return ` in ${namedList(years, (y) => y, String)}`;
}

/** The values `v` in `[from, to]` that the table allows. */
function members<T extends ArrayLike<number>>(
  table: T,
  from: number,
  to: number,
  has: (t: T, v: number) => boolean = (t, v) => t[v] === v,
): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v++) if (has(table, v)) out.push(v);
  return out;
}

function runs(values: number[]): number[][] {
  const out: number[][] = [];
  for (const v of values) {
    const run = out.at(-1);
    if (run && run.at(-1)! + 1 === v) run.push(v);
    else out.push([v]);
  }
  return out;
}

/** The common difference of 3 or more values, if any. */
function progression(values: number[]): number | undefined {
  if (values.length < 3) return undefined;
  const k = values[1]! - values[0]!;
  return values.every((v, i) => i === 0 || v - values[i - 1]! === k)
    ? k
    : undefined;
}

/** `k` when the values repeat every `k` across the wrap (`k` divides size). */
function fullStep(values: number[], size: number): number | undefined {
  const k = progression(values) ??
    (values.length === 2 ? values[1]! - values[0]! : undefined);
  return k !== undefined && k > 1 && size % k === 0 &&
      values.length === size / k
    ? k
    : undefined;
}

/** `hour 9`, `hours 9-17 and 20`, `every 3rd day from 1 to 31`. */
function setText(values: number[], one: string, many: string): string {
  if (values.length === 1) return `${one} ${values[0]}`;
  const parts = runs(values).flatMap((r) =>
    r.length >= 3 ? [`${r[0]}-${r.at(-1)}`] : r.map(String)
  );
  const k = progression(values);
  if (parts.length > 6 && k !== undefined) {
    return `every ${ordinal(k)} ${one} from ${values[0]} to ${values.at(-1)}`;
  }
  return `${many} ${join(parts)}`;
}

/** Names with runs of 3 or more as `A to B`, in the order `rank` gives. */
function namedList(
  values: number[],
  rank: (v: number) => number,
  name: (v: number) => string,
): string {
  const sorted = [...values].sort((a, b) => rank(a) - rank(b));
  const parts: string[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length >= 3) parts.push(`${name(run[0]!)} to ${name(run.at(-1)!)}`);
    else parts.push(...run.map(name));
    run = [];
  };
  for (const v of sorted) {
    if (run.length > 0 && rank(run.at(-1)!) + 1 !== rank(v)) flush();
    run.push(v);
  }
  flush();
  return join(parts);
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13
    ? "th"
    : ["th", "st", "nd", "rd"][n % 10] ?? "th";
  return `${n}${suffix}`;
}

function join(parts: string[]): string {
  return parts.length <= 1
    ? parts.join("")
    : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}
