/**
 * Validates what a user wrote about a job and fills in every default, giving
 * the {@linkcode JobSpec} that is stored.
 *
 * @module
 */

import type {
  CatchupPolicy,
  JobSpec,
  ModulePermissions,
  OverlapPolicy,
  RecoverPolicy,
  Target,
} from "../types.ts";
import { parseDuration } from "../schedule/parse_duration.ts";
import { parseSchedule } from "../schedule/parse_schedule.ts";
import { checkPermissions } from "./permissions.ts";

/** A duration: milliseconds, or text such as `"30s"` or `"1h30m"`. */
export type DurationInput = number | string;

/**
 * An instant: a `Date`, epoch milliseconds, or ISO 8601 text; from
 * 0000-01-01 to 9999-12-31 (UTC).
 */
export type InstantInput = Date | number | string;

/** A job as users write it (the option names of the command line). */
export interface JobInput {
  /** Unique job id: `[A-Za-z0-9][A-Za-z0-9._-]{0,127}`. */
  readonly id: string;
  /** Cron, `every DUR`, `in DUR` or an instant (see `parseSchedule`). */
  readonly schedule: string;
  /**
   * IANA time zone the schedule's wall-clock fields are read in.
   *
   * @default {"UTC"}
   */
  readonly tz?: string;
  /**
   * For a cron schedule: a restricted day of month and day of week must
   * both match (`0 12 1-7 * MON` runs on the first Monday), as croner's
   * `domAndDow` and the `+` modifier (`0 12 1-7 * +MON`) ask; by default
   * either may (Vixie's OR).
   *
   * @default {false}
   */
  readonly domAndDow?: boolean;
  /** Name of a function handler registered in the scheduler. */
  readonly run?: string;
  /** Shell command (`sh -c`). */
  readonly cmd?: string;
  /** Working directory of the command. */
  readonly cwd?: string;
  /** Environment given to the command only. */
  readonly env?: Readonly<Record<string, string>>;
  /** Path or URL of a module whose default export is the handler. */
  readonly module?: string;
  /**
   * Give the command's or module's process the scheduler's whole
   * environment, instead of a clean one (`PATH`, `HOME`, `USER`, `LOGNAME`,
   * `SHELL`, `LANG`, `LC_*`, `TZ`, `TMPDIR`, the job's `env` and the
   * `TOCK_*` run variables; never `TOCK_STORE` or `PG*`). Not for `run`
   * jobs.
   *
   * @default {false}
   */
  readonly inheritEnv?: boolean;
  /**
   * What a `module` job's process may do besides reading its own
   * directory, in Deno's permission-descriptor shape: each of `read`,
   * `write`, `net`, `env`, `run`, `sys`, `ffi` and `import` is `true` (all
   * of it, `--allow-write`) or a list (`["/var/reports"]`,
   * `--allow-write=/var/reports`), and `deny` refuses some of it again
   * (`--deny-*`). Relative paths are read against the scheduler's working
   * directory. The store's files are denied whatever it says. Not for
   * `run` or `cmd` jobs; unset, the module may only read its directory.
   */
  readonly permissions?: ModulePermissions;
  /**
   * What a slot does when it comes due while the job is still running.
   *
   * @default {"skip"}
   */
  readonly overlap?: OverlapPolicy;
  /**
   * How slots that came due while no instance ran are handled.
   *
   * @default {"latest"}
   */
  readonly catchup?: CatchupPolicy;
  /**
   * Missed slots older than this are recorded `missed`, never run.
   *
   * @default {"24h"}
   */
  readonly catchupWindow?: DurationInput;
  /**
   * Most missed slots one catch-up runs under `catchup: "all"` (1 to 10000).
   *
   * @default {100}
   */
  readonly catchupMax?: number;
  /** Abort each attempt after this long; unset means no timeout. */
  readonly timeout?: DurationInput;
  /**
   * Extra attempts after an attempt fails, within the same slot (0 to 100).
   *
   * @default {0}
   */
  readonly retries?: number;
  /**
   * Delay before the first retry; it doubles for each later retry.
   *
   * @default {"1s"}
   */
  readonly backoff?: DurationInput;
  /**
   * Upper bound of the retry delay.
   *
   * @default {"5m"}
   */
  readonly backoffMax?: DurationInput;
  /**
   * The delay before each retry, in order (`[1000, 5000, 10000]`: 1 s, then
   * 5 s, then 10 s), as `Deno.cron`'s `backoffSchedule`; past its end its
   * last delay repeats. It replaces `backoff` and `backoffMax`, and
   * `retries` defaults to its length. Empty means none.
   */
  readonly backoffSchedule?: readonly DurationInput[];
  /**
   * What happens to a run whose instance died: `abandon` records it
   * `abandoned` (at most once); `rerun` runs it again once (at least once).
   *
   * @default {"abandon"}
   */
  readonly recover?: RecoverPolicy;
  /**
   * Upper bound of a deterministic per-slot delay, derived from (id, slot)
   * and never past the next slot.
   *
   * @default {0}
   */
  readonly jitter?: DurationInput;
  /** Most scheduled runs the job makes (manual triggers excluded); unset: no limit. */
  readonly maxRuns?: number;
  /** No slot before this instant; it also anchors interval schedules. */
  readonly startAt?: InstantInput;
  /** No slot after this instant. */
  readonly endAt?: InstantInput;
  /**
   * Create the job paused.
   *
   * @default {false}
   */
  readonly paused?: boolean;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const OVERLAP: readonly OverlapPolicy[] = ["skip", "queue", "allow", "replace"];
const CATCHUP: readonly CatchupPolicy[] = ["latest", "all", "none"];
const RECOVER: readonly RecoverPolicy[] = ["abandon", "rerun"];
const MAX_RETRIES = 100;
/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z, epoch ms. */
const FIRST_INSTANT = -62_167_219_200_000;
const LAST_INSTANT = 253_402_300_799_999;
const MAX_CATCHUP = 10_000;

/**
 * Checks a job id.
 *
 * @param id The id to check.
 * @returns The id.
 * @throws {TypeError} When it does not match `[A-Za-z0-9][A-Za-z0-9._-]{0,127}`.
 * @example Usage
 * ```ts
 * import { validateJobId } from "./define_job.ts";
 * validateJobId("nightly-report");
 * ```
 */
export function validateJobId(id: unknown): string {
  if (typeof id !== "string" || !ID_PATTERN.test(id)) {
    throw new TypeError(
      `Cannot use job id ${JSON.stringify(id)}: ids are 1-128 characters of ` +
        `A-Z a-z 0-9 . _ - and start with a letter or digit`,
    );
  }
  return id;
}

/**
 * Turns a {@linkcode JobInput} into a stored {@linkcode JobSpec}.
 *
 * @param input What the user wrote.
 * @param now The creation instant (anchors `in 10m` and intervals).
 * @returns The normalised job definition.
 * @throws {TypeError | RangeError | SyntaxError} Naming the bad field.
 * @example Usage
 * ```ts
 * import { defineJob } from "./define_job.ts";
 * const spec = defineJob({ id: "a", schedule: "every 5m", run: "a" }, 0);
 * console.log(spec.overlap); // "skip"
 * ```
 */
export function defineJob(input: JobInput, now: number): JobSpec {
  const id = validateJobId(input?.id);
  const fail = (message: string): never => {
    throw new TypeError(`Cannot define job '${id}': ${message}`);
  };
  if (typeof input.schedule !== "string") fail("'schedule' is required");
  const tz = input.tz ?? "UTC";
  const startAt = instant(input.startAt, "startAt", tz, now, fail);
  const endAt = instant(input.endAt, "endAt", tz, now, fail);
  if (startAt !== undefined && endAt !== undefined && endAt < startAt) {
    fail(`'endAt' must not be before 'startAt'`);
  }
  const domAndDow = input.domAndDow;
  if (domAndDow !== undefined && typeof domAndDow !== "boolean") {
    fail(`'domAndDow' must be true or false: received ${typeof domAndDow}`);
  }
  const parsed = parseSchedule(input.schedule, {
    tz,
    now,
    anchor: startAt ?? now,
    domAndDow: domAndDow === true,
  });
  if (domAndDow && parsed.kind !== "cron") {
    fail(`'domAndDow' applies to cron schedules only`);
  }
  if (parsed.kind === "once" && parsed.at <= now - 1000 && !startAt) {
    fail(`one-shot schedule "${input.schedule}" is in the past`);
  }
  const backoffSchedule = delays(input.backoffSchedule, fail);
  const spec: JobSpec = {
    id,
    schedule: input.schedule,
    tz,
    ...(domAndDow ? { domAndDow: true } : {}),
    target: target(input, fail),
    overlap: choice(input.overlap, "overlap", OVERLAP, "skip", fail),
    catchup: choice(input.catchup, "catchup", CATCHUP, "latest", fail),
    catchupWindowMs: duration(input.catchupWindow, "catchupWindow", fail) ??
      86_400_000,
    catchupMax: count(input.catchupMax, "catchupMax", 1, MAX_CATCHUP, fail) ??
      100,
    retries: count(input.retries, "retries", 0, MAX_RETRIES, fail) ??
      backoffSchedule?.length ?? 0,
    backoffMs: duration(input.backoff, "backoff", fail) ?? 1000,
    backoffMaxMs: duration(input.backoffMax, "backoffMax", fail) ?? 300_000,
    recover: choice(input.recover, "recover", RECOVER, "abandon", fail),
    jitterMs: duration(input.jitter, "jitter", fail) ?? 0,
  };
  const timeoutMs = duration(input.timeout, "timeout", fail);
  const maxRuns = count(
    input.maxRuns,
    "maxRuns",
    1,
    Number.MAX_SAFE_INTEGER,
    fail,
  );
  return {
    ...spec,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(maxRuns !== undefined ? { maxRuns } : {}),
    ...(startAt !== undefined ? { startAt } : {}),
    ...(endAt !== undefined ? { endAt } : {}),
    ...(backoffSchedule !== undefined ? { backoffSchedule } : {}),
  };
}

/** A `backoffSchedule` in ms; `undefined` when absent or empty. */
function delays(
  value: readonly DurationInput[] | undefined,
  fail: (m: string) => never,
): number[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > MAX_RETRIES) {
    fail(
      `'backoffSchedule' must be a list of at most ${MAX_RETRIES} durations: received ${
        JSON.stringify(value)
      }`,
    );
  }
  const ms = value.map((delay, i) =>
    duration(delay, `backoffSchedule[${i}]`, fail) ??
      fail(`'backoffSchedule[${i}]' must be a duration: received undefined`)
  );
  return ms.length > 0 ? ms : undefined;
}

function target(input: JobInput, fail: (m: string) => never): Target {
  const given = [input.run, input.cmd, input.module].filter((v) =>
    v !== undefined
  );
  if (given.length !== 1) {
    fail("give exactly one target: 'run' (a handler), 'cmd' or 'module'");
  }
  refuseNul(input, fail);
  const inherit = input.inheritEnv;
  if (inherit !== undefined && typeof inherit !== "boolean") {
    fail(`'inheritEnv' must be true or false: received ${typeof inherit}`);
  }
  if (input.run !== undefined) {
    if (typeof input.run !== "string" || input.run === "") {
      fail("'run' must name a handler");
    }
    if (inherit) fail("'inheritEnv' applies to 'cmd' and 'module' jobs only");
    refusePermissions(input, fail);
    return { kind: "function", name: input.run };
  }
  const inheritEnv = inherit ? { inheritEnv: true } : {};
  if (input.cmd !== undefined) {
    refusePermissions(input, fail);
    if (typeof input.cmd !== "string" || input.cmd.trim() === "") {
      fail("'cmd' must be a non-empty command");
    }
    for (const [key, value] of Object.entries(input.env ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) || typeof value !== "string") {
        fail(`'env' has a bad entry ${JSON.stringify(key)}`);
      }
    }
    return {
      kind: "command",
      cmd: input.cmd,
      ...(input.cwd !== undefined ? { cwd: input.cwd } : {}),
      ...(input.env !== undefined ? { env: { ...input.env } } : {}),
      ...inheritEnv,
    };
  }
  if (typeof input.module !== "string" || input.module === "") {
    fail("'module' must be a path or URL");
  }
  const permissions = checkPermissions(input.permissions, { fail });
  return {
    kind: "module",
    module: input.module as string,
    ...inheritEnv,
    ...(permissions ? { permissions } : {}),
  };
}

function refusePermissions(input: JobInput, fail: (m: string) => never) {
  if (input.permissions !== undefined) {
    fail("'permissions' applies to 'module' jobs only");
  }
}

/**
 * Refuses a NUL byte in what reaches a process (its command line, working
 * directory or environment): no run could ever start with it.
 */
function refuseNul(input: JobInput, fail: (m: string) => never): void {
  const nul = (value: unknown) =>
    typeof value === "string" && value.includes("\0");
  for (const field of ["cmd", "cwd", "module"] as const) {
    if (nul(input[field])) fail(`'${field}' must not contain a NUL byte`);
  }
  const env = input.env;
  if (env === null || typeof env !== "object") return;
  for (const [name, value] of Object.entries(env)) {
    if (nul(name)) {
      fail(
        `'env' name ${JSON.stringify(name)} must not contain a NUL byte`,
      );
    }
    if (nul(value)) {
      fail(
        `'env' value of ${JSON.stringify(name)} must not contain a NUL byte`,
      );
    }
  }
}

function choice<T extends string>(
  value: T | undefined,
  name: string,
  allowed: readonly T[],
  fallback: T,
  fail: (m: string) => never,
): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) {
    fail(
      `'${name}' must be one of ${allowed.join(", ")}: received ${
        JSON.stringify(value)
      }`,
    );
  }
  return value;
}

function duration(
  value: DurationInput | undefined,
  name: string,
  fail: (m: string) => never,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      fail(`'${name}' must be a non-negative number of ms: received ${value}`);
    }
    return value;
  }
  try {
    return parseDuration(value);
  } catch (error) {
    return fail(`'${name}': ${(error as Error).message}`);
  }
}

function count(
  value: number | undefined,
  name: string,
  min: number,
  max: number,
  fail: (m: string) => never,
): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    fail(
      `'${name}' must be an integer from ${min} to ${max}: received ${value}`,
    );
  }
  return value;
}

function instant(
  value: InstantInput | undefined,
  name: string,
  tz: string,
  now: number,
  fail: (m: string) => never,
): number | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) {
    return instant(value.getTime(), name, tz, now, fail);
  }
  let ms = NaN;
  if (typeof value === "number") ms = value;
  else {
    // Read like a one-shot schedule: an instant without offset is in the
    // job's zone, and "in 10m" is relative to now.
    try {
      const parsed = parseSchedule(value, { tz, now });
      if (parsed.kind === "once") ms = parsed.at;
    } catch { /* reported below */ }
  }
  if (!Number.isFinite(ms)) {
    fail(`'${name}' must be an instant: received ${JSON.stringify(value)}`);
  }
  // The years a written date can name (four digits). Past them, slots
  // leave the range of Date, and nothing can print or compare them.
  if (ms < FIRST_INSTANT || ms > LAST_INSTANT) {
    fail(
      `'${name}' must be an instant from 0000-01-01 to 9999-12-31: received ${
        JSON.stringify(value)
      }`,
    );
  }
  return ms;
}
