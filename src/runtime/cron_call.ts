/**
 * A `cron()` call, read and checked as `Deno.cron` checks it (name,
 * schedule, options, handler), with tock's one-line errors: the options and
 * handler types of `cron()`, and the registration a valid call makes.
 *
 * @module
 */

import type { JobStore } from "../store/store.ts";
import type { Clock } from "../clock.ts";
import { defineJob, type JobInput } from "../jobs/define_job.ts";
import { parseSchedule } from "../schedule/parse_schedule.ts";
import {
  type DenoCronSchedule,
  formatDenoCronSchedule,
} from "../schedule/deno_cron_schedule.ts";
import type { JobContext } from "../executors/run_handler.ts";
import type { CronRegistration } from "./cron_runtime.ts";
import { locateStore, storeRefOf } from "./open_store.ts";
import { cronJobId, cronNameProblem } from "./_cron_name.ts";

/**
 * A cron's handler. `Deno.cron` calls it with no argument; tock passes the
 * attempt's context (`slot`, `attempt`, a `signal` aborted on timeout or
 * shutdown, …), which a `() => …` handler may ignore.
 */
export type CronHandler = (context: JobContext) => Promise<void> | void;

/** Options of {@linkcode cron}: `Deno.cron`'s two, then tock's own. */
export interface CronOptions extends
  Pick<
    JobInput,
    | "tz"
    | "overlap"
    | "catchup"
    | "catchupWindow"
    | "catchupMax"
    | "timeout"
    | "recover"
    | "jitter"
    | "startAt"
    | "endAt"
    | "maxRuns"
  > {
  /**
   * The delay, in ms, before each retry of a failed run (`[1000, 5000,
   * 10000]`: at most 3 retries, 1 s, 5 s and 10 s after the failures); at
   * most 5 delays of at most 1 hour each, as in Deno. `[]`: no retries.
   *
   * @default {[100, 1000, 5000, 30000, 60000]}
   */
  readonly backoffSchedule?: readonly number[];
  /**
   * Removes the cron when aborted: this process claims no more of its
   * slots; an attempt under way finishes. The job and its history stay in
   * the store.
   */
  readonly signal?: AbortSignal;
  /**
   * The store: a store object, a directory, or a `postgres://` URL.
   *
   * @default {$TOCK_STORE, else "./.tock"}
   */
  readonly store?: JobStore | string;
}

/** Deno's retry policy when a cron gives none (`ext/cron/local.rs`). */
const DENO_BACKOFF: readonly number[] = [100, 1000, 5000, 30_000, 60_000];
const MAX_BACKOFF_COUNT = 5;
const MAX_BACKOFF_MS = 3_600_000;
const TOCK_OPTIONS = [
  "tz",
  "overlap",
  "catchup",
  "catchupWindow",
  "catchupMax",
  "timeout",
  "recover",
  "jitter",
  "startAt",
  "endAt",
  "maxRuns",
] as const;
const OPTIONS: readonly string[] = [
  "backoffSchedule",
  "signal",
  "store",
  ...TOCK_OPTIONS,
];

/** What {@linkcode readCronCall} checks a call against. */
export interface CronCallContext {
  /** The clock a definition is checked with. */
  readonly clock: Clock;
  /** The store of crons that name none; `$TOCK_STORE`, else `./.tock`. */
  readonly store: JobStore | string | undefined;
  /** Whether a cron of this id is registered on this store here. */
  has(store: JobStore | string, id: string): boolean;
}

/**
 * Reads the arguments of a `cron()` call.
 *
 * @param context The clock, the default store, the crons registered here.
 * @param name The cron's name.
 * @param schedule A cron expression or `Deno.cron`'s object form.
 * @param rest `[handler]` or `[options, handler]`.
 * @returns The cron to register.
 * @throws {TypeError} On a bad name, schedule, option or handler, or a name
 * already registered here, with a one-line message naming the problem.
 */
export function readCronCall(
  context: CronCallContext,
  name: string,
  schedule: string | DenoCronSchedule,
  rest: readonly unknown[],
): CronRegistration {
  if (typeof name !== "string") {
    throw new TypeError(
      `Cannot create cron job as 'name' must be a string: received ${
        show(name)
      }`,
    );
  }
  const fail = (detail: string, cause?: unknown): never => {
    throw new TypeError(
      `Cannot create cron job ${JSON.stringify(name)}: ${detail}`,
      cause === undefined ? undefined : { cause },
    );
  };
  const problem = cronNameProblem(name);
  if (problem) fail(problem);
  const [first, second] = rest;
  let options: CronOptions = {};
  let handler: CronHandler;
  if (typeof first === "function") {
    if (second !== undefined) fail("give one handler: received two");
    handler = first as CronHandler;
  } else if (typeof second === "function") {
    if (first !== undefined && (first === null || typeof first !== "object")) {
      fail(`options must be an object: received ${show(first)}`);
    }
    options = (first ?? {}) as CronOptions;
    handler = second as CronHandler;
  } else {
    return fail("a handler function is required");
  }
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) {
      fail(`unknown option '${key}' (expected ${OPTIONS.join(", ")})`);
    }
  }
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    fail(`'signal' must be an AbortSignal: received ${show(signal)}`);
  }
  const store = options.store ?? context.store ?? envStore();
  checkStore(store, fail);
  const id = cronJobId(name);
  const backoff = backoffOf(options.backoffSchedule, fail);
  const input: JobInput & { run: string } = {
    id,
    schedule: expression(schedule, fail),
    run: id,
    // defineJob derives `retries` from it, and drops an empty one.
    backoffSchedule: backoff,
    ...Object.fromEntries(
      TOCK_OPTIONS.filter((key) => options[key] !== undefined).map((key) => [
        key,
        options[key],
      ]),
    ),
  };
  try {
    defineJob(input, context.clock.now());
  } catch (error) {
    fail(detailOf(error), error);
  }
  if (context.has(store, id)) {
    fail("a cron of this name is already registered in this process");
  }
  return {
    input,
    name,
    handler,
    store,
    ...(signal ? { signal } : {}),
  };
}

/** The cron expression of a schedule, checked as tock reads it. */
function expression(
  schedule: string | DenoCronSchedule,
  fail: (detail: string, cause?: unknown) => never,
): string {
  if (
    typeof schedule !== "string" &&
    (schedule === null || typeof schedule !== "object")
  ) {
    fail(
      `the schedule must be a cron expression or an object: received ${
        show(schedule)
      }`,
    );
  }
  let text: string;
  let kind: string;
  try {
    text = typeof schedule === "string"
      ? schedule
      : formatDenoCronSchedule(schedule);
    kind = parseSchedule(text).kind;
  } catch (error) {
    return fail(detailOf(error), error);
  }
  if (kind !== "cron") {
    fail(`schedule ${JSON.stringify(text)} is not a cron expression`);
  }
  return text;
}

function backoffOf(
  value: unknown,
  fail: (detail: string) => never,
): readonly number[] {
  if (value === undefined) return DENO_BACKOFF;
  const valid = Array.isArray(value) && value.length <= MAX_BACKOFF_COUNT &&
    value.every((ms) =>
      Number.isSafeInteger(ms) && ms >= 0 && ms <= MAX_BACKOFF_MS
    );
  if (!valid) {
    fail(
      `'backoffSchedule' must be at most ${MAX_BACKOFF_COUNT} delays of 0 to ${MAX_BACKOFF_MS} ms: received ${
        show(value)
      }`,
    );
  }
  return [...(value as number[])];
}

function checkStore(
  store: unknown,
  fail: (detail: string, cause?: unknown) => never,
): void {
  if (typeof store === "string") {
    try {
      locateStore(store);
    } catch (error) {
      fail(detailOf(error), error);
    }
  } else if (
    store === null || typeof store !== "object" ||
    typeof (store as JobStore).commit !== "function"
  ) {
    fail(
      `'store' must be a store, a directory or a postgres:// URL: received ${
        show(store)
      }`,
    );
  }
}

/** `$TOCK_STORE` when this process may read it, else `./.tock`. */
function envStore(): string {
  let ref: string | undefined;
  try {
    const query = { name: "env", variable: "TOCK_STORE" } as const;
    if (Deno.permissions.querySync(query).state === "granted") {
      ref = Deno.env.get("TOCK_STORE");
    }
  } catch { /* no permissions API: the default */ }
  return storeRefOf(ref);
}

/** An error's message, as the detail after `Cannot create cron job "…": `. */
function detailOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/^Cannot parse schedule /, "schedule ")
    .replace(/^Cannot read cron schedule: /, "in the schedule, ")
    .replace(/^Cannot define job '[^']*': /, "")
    .replace(/^Cannot use time zone /, "time zone ")
    .replace(/^Cannot open store /, "store ");
}

function show(value: unknown): string {
  if (typeof value === "function") return "a function";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
