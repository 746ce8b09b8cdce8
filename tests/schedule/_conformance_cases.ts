// deno-fmt-ignore-file
/**
 * The conformance table of docs/schedules.md, as data: each form, each
 * strictness decision and each DST or calendar case, with tock's answer and
 * the answers of croner 11, cron-parser 5, the Open Cron Pattern
 * Specification (OCPS) and ISC cron (cronie). `conformance_test.ts` checks
 * tock's answers, runs croner and cron-parser to confirm theirs, and checks
 * that the docs table shows exactly these rows.
 *
 * Sources of the facts:
 * - croner: npm croner@11.0.1 (run by the test); its docs
 *   https://github.com/Hexagon/croner/blob/713ee7217e3bbb01857559199e312149d2695edb/docs/src/usage/pattern.md
 * - cron-parser: npm cron-parser@5.10.6 (run by the test).
 * - OCPS: https://github.com/open-source-cron/ocps at
 *   77508c130441e59a3685d4393b56e542546593b4 (specifications/OCPS-1.0.md,
 *   increments/OCPS-increment-1.1.md to 1.4.md); cells cite the section.
 * - ISC cron: cronie at 5f9f16b5663becefdd0dd70df31c0ef5ac36f943: src/cron.c
 *   lines 398-478 (a clock change of more than 3 hours is a jump; between
 *   5 minutes and 3 hours forward, fixed-time jobs of the skipped minutes
 *   run, wildcard jobs only for the new minute; backward, only wildcard
 *   jobs run), lines 582-595 (day of month and day of week AND when either
 *   field starts with `*`; a job is wildcard when its minute or hour field
 *   starts with `*`), src/entry.c lines 642 (a range ending at 0 ends at 7)
 *   and 686 (a step past its range warns). ISC cells are read from that
 *   code, with the job's zone as the system zone.
 *
 * @module
 */

/** One row of the conformance table. */
export interface ConformanceCase {
  /** Row id: F (forms), D (day fields), S (strictness), T (DST, calendar). */
  readonly id: string;
  readonly pattern: string;
  /** Pass `domAndDow: true` (the option, not `+`). */
  readonly domAndDow?: boolean;
  readonly tz: string;
  /** The start instant (exclusive), UTC. */
  readonly after: string;
  /** tock's next instants; `null`: tock refuses the pattern. */
  readonly tock: readonly string[] | null;
  /** croner 11's (with the same option); `null`: it refuses. */
  readonly croner: readonly string[] | null;
  /** cron-parser 5's; `null`: it refuses; `"no option"`: it has none. */
  readonly cronParser: readonly string[] | null | "no option";
  /** What OCPS says, with its section. */
  readonly ocps: string;
  /** What ISC cron does. */
  readonly isc: string;
  /** tock deliberately differs from ISC cron here. */
  readonly iscDiffers?: boolean;
  /** Why tock differs from a peer, where it does. */
  readonly why?: string;
}

const F = "2026-01-01T00:00:00Z";

/** The rows, in the docs' order. */
export const CASES: readonly ConformanceCase[] = [
  { id: "F1", pattern: "0 12 15W * *", tz: "UTC", after: F, tock: ["2026-01-15T12:00:00Z", "2026-02-16T12:00:00Z", "2026-03-16T12:00:00Z", "2026-04-15T12:00:00Z"], croner: ["2026-01-15T12:00:00Z", "2026-02-16T12:00:00Z", "2026-03-16T12:00:00Z", "2026-04-15T12:00:00Z"], cronParser: null, ocps: "same (1.3 §4.3)", isc: "refuses: no `W`" },
  { id: "F2", pattern: "0 12 1W * *", tz: "UTC", after: "2026-07-15T00:00:00Z", tock: ["2026-08-03T12:00:00Z", "2026-09-01T12:00:00Z"], croner: ["2026-08-03T12:00:00Z", "2026-09-01T12:00:00Z"], cronParser: null, ocps: "same: Saturday 1st → Monday 3rd (1.3 §4.3)", isc: "refuses" },
  { id: "F3", pattern: "0 12 31W * *", tz: "UTC", after: "2026-05-01T00:00:00Z", tock: ["2026-05-29T12:00:00Z", "2026-07-31T12:00:00Z", "2026-08-31T12:00:00Z"], croner: ["2026-05-29T12:00:00Z", "2026-07-31T12:00:00Z", "2026-08-31T12:00:00Z"], cronParser: null, ocps: "same: never leaves the month (1.3 §4.3)", isc: "refuses" },
  { id: "F4", pattern: "0 12 LW * *", tz: "UTC", after: F, tock: ["2026-01-30T12:00:00Z", "2026-02-27T12:00:00Z", "2026-03-31T12:00:00Z"], croner: ["2026-01-30T12:00:00Z", "2026-02-27T12:00:00Z", "2026-03-31T12:00:00Z"], cronParser: null, ocps: "not defined (a Quartz form)", isc: "refuses" },
  { id: "F5", pattern: "0 12 L-3 * *", tz: "UTC", after: F, tock: ["2026-01-28T12:00:00Z", "2026-02-25T12:00:00Z", "2026-03-28T12:00:00Z"], croner: null, cronParser: null, ocps: "not defined (Quartz: the last day minus 3)", isc: "refuses", why: "tock has Quartz's `L-n` (the last day minus n, 0-30), which neither JavaScript peer has" },
  { id: "F6", pattern: "0 0 * * 5#L", tz: "UTC", after: F, tock: ["2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-27T00:00:00Z"], croner: ["2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-27T00:00:00Z"], cronParser: null, ocps: "same; `#L` recommended (1.3 §4.1)", isc: "refuses" },
  { id: "F7", pattern: "0 0 * * FRI#L", tz: "UTC", after: F, tock: ["2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-27T00:00:00Z"], croner: ["2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-27T00:00:00Z"], cronParser: null, ocps: "same (1.3 §4.1)", isc: "refuses" },
  { id: "F8", pattern: "0 0 * * 5L", tz: "UTC", after: F, tock: ["2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-27T00:00:00Z"], croner: ["2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-27T00:00:00Z"], cronParser: ["2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-27T00:00:00Z"], ocps: "same (1.3 §4.1)", isc: "refuses" },
  { id: "F9", pattern: "0 0 * * 1#1,5#L", tz: "UTC", after: F, tock: ["2026-01-05T00:00:00Z", "2026-01-30T00:00:00Z", "2026-02-02T00:00:00Z", "2026-02-27T00:00:00Z"], croner: ["2026-01-05T00:00:00Z", "2026-01-30T00:00:00Z", "2026-02-02T00:00:00Z", "2026-02-27T00:00:00Z"], cronParser: null, ocps: "not stated", isc: "refuses" },
  { id: "F10", pattern: "0 0 * * MON-FRI#2", tz: "UTC", after: F, tock: ["2026-01-08T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-12T00:00:00Z"], croner: ["2026-01-08T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-12T00:00:00Z"], cronParser: null, ocps: "not stated", isc: "refuses" },
  { id: "F11", pattern: "0 0 12 1 1 * 2027-2030", tz: "UTC", after: F, tock: ["2027-01-01T12:00:00Z", "2028-01-01T12:00:00Z", "2029-01-01T12:00:00Z", "2030-01-01T12:00:00Z"], croner: ["2027-01-01T12:00:00Z", "2028-01-01T12:00:00Z", "2029-01-01T12:00:00Z", "2030-01-01T12:00:00Z"], cronParser: null, ocps: "same (1.2 §4.2)", isc: "refuses: 5 fields" },
  { id: "F12", pattern: "0 0 0 1 1 * */2", tz: "UTC", after: "2026-06-01T00:00:00Z", tock: ["2028-01-01T00:00:00Z", "2030-01-01T00:00:00Z"], croner: ["2028-01-01T00:00:00Z", "2030-01-01T00:00:00Z"], cronParser: null, ocps: "same: even years, counted from 1970 (1.2 §4.2)", isc: "refuses" },
  { id: "F13", pattern: "@midnight", tz: "UTC", after: F, tock: ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"], croner: ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"], cronParser: null, ocps: "same (1.1 §4.1)", isc: "same" },
  { id: "F14", pattern: "0 12 1-7 * +MON", tz: "UTC", after: F, tock: ["2026-01-05T12:00:00Z", "2026-02-02T12:00:00Z", "2026-03-02T12:00:00Z"], croner: ["2026-01-05T12:00:00Z", "2026-02-02T12:00:00Z", "2026-03-02T12:00:00Z"], cronParser: null, ocps: "same: AND (1.4 §4.1.2)", isc: "refuses" },
  { id: "F15", pattern: "0 12 1-7 * MON", domAndDow: true, tz: "UTC", after: F, tock: ["2026-01-05T12:00:00Z", "2026-02-02T12:00:00Z", "2026-03-02T12:00:00Z"], croner: ["2026-01-05T12:00:00Z", "2026-02-02T12:00:00Z", "2026-03-02T12:00:00Z"], cronParser: "no option", ocps: "an option may change a default (1.0 §6.3)", isc: "no such option" },
  { id: "F16", pattern: "0 12 1-7 * MON", tz: "UTC", after: F, tock: ["2026-01-01T12:00:00Z", "2026-01-02T12:00:00Z", "2026-01-03T12:00:00Z"], croner: ["2026-01-01T12:00:00Z", "2026-01-02T12:00:00Z", "2026-01-03T12:00:00Z"], cronParser: ["2026-01-01T12:00:00Z", "2026-01-02T12:00:00Z", "2026-01-03T12:00:00Z"], ocps: "same: OR (1.0 §6.1)", isc: "same: OR" },
  { id: "F17", pattern: "@reboot", tz: "UTC", after: F, tock: null, croner: null, cronParser: null, ocps: "must parse; may refuse to run it (1.1 §4.2)", isc: "runs at boot" },
  { id: "D1", pattern: "0 0 */2 * 1", tz: "UTC", after: "2026-01-31T12:00:00Z", tock: ["2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z", "2026-02-03T00:00:00Z", "2026-02-05T00:00:00Z"], croner: ["2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z", "2026-02-03T00:00:00Z", "2026-02-05T00:00:00Z"], cronParser: ["2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z", "2026-02-03T00:00:00Z", "2026-02-05T00:00:00Z"], ocps: "same: `*/2` is restricted (1.0 §6.1)", isc: "02-09 00:00, 02-23 00:00: a field starting with `*` is unrestricted, so AND", iscDiffers: true, why: "a field is unrestricted only when it is exactly `*` or `?`, as in OCPS and both peers: `*/2` restricts the day as much as `1-31/2`, which ISC reads with OR" },
  { id: "S1", pattern: "5/15 * * * *", tz: "UTC", after: F, tock: ["2026-01-01T00:05:00Z", "2026-01-01T00:20:00Z", "2026-01-01T00:35:00Z"], croner: null, cronParser: ["2026-01-01T00:05:00Z", "2026-01-01T00:20:00Z", "2026-01-01T00:35:00Z"], ocps: "must refuse (1.0 §6.2)", isc: "refuses", why: "kept: Quartz's meaning (`5-59/15`), which cron-parser shares; refusing it now would break stored jobs" },
  { id: "S2", pattern: "*/61 * * * *", tz: "UTC", after: F, tock: ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"], croner: null, cronParser: ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"], ocps: "minute 0 (1.0 §5.1)", isc: "minute 0, with a warning", why: "kept: a step past the range selects its first value, as OCPS's rule, cron-parser and cronie give; croner refuses it" },
  { id: "S3", pattern: "0 0 * * MON-SUN", tz: "UTC", after: F, tock: ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z"], croner: ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z"], cronParser: null, ocps: "not stated (SUN is 0 or 7)", isc: "every day: a range ending at 0 ends at 7", why: "changed: Sunday ends a range as 7, as in cronie and croner; cron-parser refuses 1-0" },
  { id: "S4", pattern: "", tz: "UTC", after: F, tock: null, croner: null, cronParser: ["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"], ocps: "refuses: 5 fields needed (1.0 §4.1)", isc: "an empty line is no job", why: "kept: an empty schedule is a mistake, not every minute" },
  { id: "T1", pattern: "30 2 * * *", tz: "America/New_York", after: "2026-03-07T12:00:00Z", tock: ["2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"], croner: ["2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"], cronParser: ["2026-03-08T07:30:00Z", "2026-03-09T06:30:00Z"], ocps: "skips 03-08 (1.4 §4.3.1)", isc: "same: fixed-time minutes a jump skips run after it", why: "a fixed-hours wall time a DST gap skips runs once, at the gap's end, as in ISC cron and croner; cron-parser shifts it by the gap (03:30)" },
  { id: "T2", pattern: "30 1 * * *", tz: "America/New_York", after: "2026-10-31T12:00:00Z", tock: ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"], croner: ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"], cronParser: ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"], ocps: "same: once, first (1.4 §4.3.1)", isc: "same: once, first" },
  { id: "T3", pattern: "30 * * * *", tz: "America/New_York", after: "2026-11-01T04:00:00Z", tock: ["2026-11-01T04:30:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-01T07:30:00Z"], croner: ["2026-11-01T04:30:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-01T07:30:00Z"], cronParser: ["2026-11-01T04:30:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-01T07:30:00Z"], ocps: "01:30 once (1.4 §4.3.1)", isc: "same: a wildcard job runs in both passes" },
  { id: "T4", pattern: "30 * * * *", tz: "America/New_York", after: "2026-03-08T05:00:00Z", tock: ["2026-03-08T05:30:00Z", "2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z"], croner: ["2026-03-08T05:30:00Z", "2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z"], cronParser: ["2026-03-08T05:30:00Z", "2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z"], ocps: "same: 02:30 skipped (1.4 §4.3.1)", isc: "same: wildcard jobs are not caught up" },
  { id: "T5", pattern: "*/20 3 * * *", tz: "Europe/Athens", after: "2026-03-28T12:00:00Z", tock: ["2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", "2026-03-30T00:20:00Z"], croner: ["2026-03-30T00:00:00Z", "2026-03-30T00:20:00Z", "2026-03-30T00:40:00Z"], cronParser: ["2026-03-29T01:00:00Z", "2026-03-29T01:20:00Z", "2026-03-29T01:40:00Z"], ocps: "skips 03-29 (1.4 §4.3.1)", isc: "skips 03-29: the minute field starts with `*`, a wildcard job", iscDiffers: true, why: "only the hour field decides: a job held to the hours it names runs once after a gap that skips them all, never silently not at all (ISC and croner skip the day; cron-parser shifts all three)" },
  { id: "T6", pattern: "*/20 3 * * *", tz: "Europe/Athens", after: "2026-10-24T12:00:00Z", tock: ["2026-10-25T00:00:00Z", "2026-10-25T00:20:00Z", "2026-10-25T00:40:00Z", "2026-10-26T01:00:00Z"], croner: ["2026-10-25T00:00:00Z", "2026-10-25T00:20:00Z", "2026-10-25T00:40:00Z", "2026-10-25T01:00:00Z"], cronParser: ["2026-10-25T00:00:00Z", "2026-10-25T00:20:00Z", "2026-10-25T00:40:00Z", "2026-10-26T01:00:00Z"], ocps: "same: once (1.4 §4.3.1)", isc: "both passes: a wildcard job", iscDiffers: true, why: "only the hour field decides: hour 3 is named, so the repeated 03:00-03:59 runs once, as cron-parser and OCPS do; ISC and croner run it twice" },
  { id: "T7", pattern: "0 1-5/2 * * *", tz: "America/New_York", after: "2026-10-31T12:00:00Z", tock: ["2026-11-01T05:00:00Z", "2026-11-01T08:00:00Z", "2026-11-01T10:00:00Z"], croner: ["2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z", "2026-11-01T08:00:00Z"], cronParser: ["2026-11-01T05:00:00Z", "2026-11-01T08:00:00Z", "2026-11-01T10:00:00Z"], ocps: "same: once (1.4 §4.3.1)", isc: "same: the hour field does not start with `*`", why: "a step over named hours names hours (ISC's rule): `1-5/2` is `1,3,5`; croner counts any step or range as an interval job and runs 01:00 twice" },
  { id: "T8", pattern: "0 */2 * * *", tz: "America/New_York", after: "2026-03-08T04:00:00Z", tock: ["2026-03-08T05:00:00Z", "2026-03-08T08:00:00Z", "2026-03-08T10:00:00Z"], croner: ["2026-03-08T05:00:00Z", "2026-03-08T08:00:00Z", "2026-03-08T10:00:00Z"], cronParser: ["2026-03-08T05:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"], ocps: "same: 02:00 skipped (1.4 §4.3.1)", isc: "same: a wildcard job", why: "an hour field starting with `*` follows real time: 02:00 does not exist and is not made up; cron-parser runs it at 03:00" },
  { id: "T9", pattern: "0 12 * * *", tz: "Pacific/Apia", after: "2011-12-28T12:00:00Z", tock: ["2011-12-28T22:00:00Z", "2011-12-29T22:00:00Z", "2011-12-30T22:00:00Z"], croner: ["2011-12-28T22:00:00Z", "2011-12-29T22:00:00Z", "2011-12-30T22:00:00Z"], cronParser: ["2011-12-28T22:00:00Z", "2011-12-29T22:00:00Z", "2011-12-30T22:00:00Z"], ocps: "same: skipped (1.4 §4.3.1)", isc: "same: a jump of over 3 hours is a clock change, not DST" },
  { id: "T10", pattern: "0 12 * * *", tz: "Pacific/Kwajalein", after: "1969-09-29T12:00:00Z", tock: ["1969-09-30T01:00:00Z", "1969-10-01T00:00:00Z", "1969-10-02T00:00:00Z"], croner: ["1969-09-30T01:00:00Z", "1969-10-02T00:00:00Z", "1969-10-03T00:00:00Z"], cronParser: ["1969-09-30T01:00:00Z", "1969-10-02T00:00:00Z", "1969-10-03T00:00:00Z"], ocps: "once (1.4 §4.3.1)", isc: "same: a clock set back over 3 hours runs everything again", why: "a 23-hour set-back is not DST: 30 September happens twice in Kwajalein, and a daily job runs on each, as in ISC cron; both peers run the repeated day once" },
  { id: "T11", pattern: "0 0 * * *", tz: "America/Sao_Paulo", after: "2018-11-03T12:00:00Z", tock: ["2018-11-04T03:00:00Z", "2018-11-05T02:00:00Z"], croner: ["2018-11-04T03:00:00Z", "2018-11-05T02:00:00Z"], cronParser: ["2018-11-04T03:00:00Z", "2018-11-05T02:00:00Z"], ocps: "skips 11-04 (1.4 §4.3.1)", isc: "same: 01:00" },
];
