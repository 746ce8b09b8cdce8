/**
 * `Deno.cron`'s object form of a schedule (`{ hour: { every: 6 } }`) and the
 * cron expression it stands for. The conversion is Deno's own
 * (`parseScheduleToString` in Deno's `ext/cron/01_cron.ts`): the same object
 * gives the same expression in both, unset fields below the first set one
 * included (`{ hour: … }` runs at minute 0). Only the checks are tock's:
 * a field of the wrong shape or an unknown key is a one-line `TypeError`
 * here, where Deno would either throw or quietly read it as `*`.
 *
 * @module
 */

/**
 * One field of a {@linkcode DenoCronSchedule}, as `Deno.CronScheduleExpression`:
 * a value (`5`), a list (`{ exact: [0, 30] }`), or a range with a step
 * (`{ start: 1, end: 5 }`, `{ every: 15 }`, `{ start: 10, every: 5 }`).
 */
export type DenoCronScheduleExpression =
  | number
  | { readonly exact: number | readonly number[] }
  | {
    readonly start?: number;
    readonly end?: number;
    readonly every?: number;
  };

/**
 * A schedule in `Deno.cron`'s object form (`Deno.CronSchedule`), read in the
 * job's time zone (UTC unless the cron's `tz` says otherwise).
 */
export interface DenoCronSchedule {
  /** Minutes, 0-59. */
  readonly minute?: DenoCronScheduleExpression;
  /** Hours, 0-23. */
  readonly hour?: DenoCronScheduleExpression;
  /** Days of the month, 1-31. */
  readonly dayOfMonth?: DenoCronScheduleExpression;
  /** Months, 1-12. */
  readonly month?: DenoCronScheduleExpression;
  /** Days of the week, 0-7 (0 and 7 are Sunday, as in Unix cron). */
  readonly dayOfWeek?: DenoCronScheduleExpression;
}

const FIELDS = ["minute", "hour", "dayOfMonth", "month", "dayOfWeek"] as const;

/**
 * The cron expression a {@linkcode DenoCronSchedule} stands for, as
 * `Deno.cron` builds it. Unset fields are `*`, except below the first set
 * field: `{ hour }` sets the minute to 0; `{ dayOfMonth }` or
 * `{ dayOfWeek }` (without minute or hour) sets minute and hour to 0;
 * `{ month }` alone also sets the day of the month to 1.
 *
 * @param schedule The object form.
 * @returns A 5-field cron expression (its values are not range-checked
 * here: `parseSchedule` does that).
 * @throws {TypeError} When `schedule` is not an object, has a key other than
 * the five fields, or a field that is not a non-negative integer, a list of
 * them, or a range Deno accepts (`end` needs `start`; an empty `{}` is none).
 * @example Every six hours
 * ```ts
 * import { formatDenoCronSchedule } from "./deno_cron_schedule.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatDenoCronSchedule({ hour: { every: 6 } }), "0 *\/6 * * *");
 * assert.equal(
 *   formatDenoCronSchedule({ dayOfWeek: { start: 1, end: 5 } }),
 *   "0 0 * * 1-5",
 * );
 * ```
 */
export function formatDenoCronSchedule(schedule: DenoCronSchedule): string {
  if (schedule === null || typeof schedule !== "object") {
    throw new TypeError(
      `Cannot read cron schedule: expected a string or an object: received ${
        show(schedule)
      }`,
    );
  }
  for (const key of Object.keys(schedule)) {
    if (!(FIELDS as readonly string[]).includes(key)) {
      throw new TypeError(
        `Cannot read cron schedule: unknown field '${key}' (expected ${
          FIELDS.join(", ")
        })`,
      );
    }
  }
  let { minute, hour, dayOfMonth } = schedule;
  const { month, dayOfWeek } = schedule;
  // Deno's defaults: the fields below the first one given are pinned, so
  // that `{ hour: { every: 2 } }` runs once every two hours, not 60 times.
  if (minute !== undefined) {
    // Nothing to pin.
  } else if (hour !== undefined) {
    minute = 0;
  } else if (dayOfMonth !== undefined || dayOfWeek !== undefined) {
    [minute, hour] = [0, 0];
  } else if (month !== undefined) {
    [minute, hour, dayOfMonth] = [0, 0, 1];
  }
  return [
    field("minute", minute),
    field("hour", hour),
    field("dayOfMonth", dayOfMonth),
    field("month", month),
    field("dayOfWeek", dayOfWeek),
  ].join(" ");
}

function field(
  name: string,
  value: DenoCronScheduleExpression | undefined,
): string {
  if (value === undefined) return "*";
  if (typeof value === "number") return whole(name, value);
  if (value === null || typeof value !== "object") {
    throw new TypeError(
      `Cannot read cron schedule: '${name}' must be a number or an object: received ${
        show(value)
      }`,
    );
  }
  if ("exact" in value && value.exact !== undefined) {
    const { exact } = value;
    if (typeof exact === "number") return whole(name, exact);
    if (!Array.isArray(exact) || exact.length === 0) {
      throw new TypeError(
        `Cannot read cron schedule: '${name}.exact' must be a number or a non-empty list: received ${
          show(exact)
        }`,
      );
    }
    return exact.map((v) => whole(`${name}.exact`, v)).join(",");
  }
  const range = value as { start?: number; end?: number; every?: number };
  const [start, end, every] = (["start", "end", "every"] as const).map((k) =>
    range[k] === undefined ? undefined : whole(`${name}.${k}`, range[k])
  );
  if (start !== undefined && end !== undefined && every !== undefined) {
    return `${start}-${end}/${every}`;
  }
  if (start !== undefined && end !== undefined) return `${start}-${end}`;
  if (start !== undefined) return `${start}/${every ?? 1}`;
  if (end === undefined && every !== undefined) return `*/${every}`;
  throw new TypeError(
    `Cannot read cron schedule: '${name}' needs 'exact', 'start' or 'every': received ${
      show(value)
    }`,
  );
}

function whole(name: string, value: unknown): string {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(
      `Cannot read cron schedule: '${name}' must be a non-negative integer: received ${
        show(value)
      }`,
    );
  }
  return String(value);
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
