/**
 * `cron()`: `Deno.cron`'s signatures and meaning on tock. A cron is a job in
 * the store (`$TOCK_STORE`, else `./.tock`), so it keeps its history and
 * catch-up state across restarts, and every process running the same script
 * shares it: each slot runs once across them. See `docs/deno_cron.md`.
 *
 * @module
 */

import type { DenoCronSchedule } from "../schedule/deno_cron_schedule.ts";
import { CronRuntime, type CronRuntimeOptions } from "./cron_runtime.ts";
import {
  type CronHandler,
  type CronOptions,
  readCronCall,
} from "./cron_call.ts";

/**
 * Creates a cron job that runs `handler` on `schedule`, as `Deno.cron` does,
 * in the store: the job id is the name (each space written as a dot), and
 * any number of processes registering it share it, so each slot runs once
 * across them. Registering it again (after a restart) keeps its history and
 * catch-up state. Each store gets one scheduler in this process, started by
 * its first cron and stopped when its last cron's `signal` aborts, on
 * SIGINT or SIGTERM (the process then exits with 130 or 143), or at unload.
 *
 * @param name Letters, digits, whitespace, `-` and `_`, at most 64 characters.
 * @param schedule A cron expression (5 fields; tock also takes 6, with
 * seconds, and `@daily`…) or `Deno.cron`'s object form, read in `tz` (UTC).
 * @param handler Called for each attempt (see {@linkcode CronHandler}).
 * @returns A promise that, as `Deno.cron`'s, resolves once the cron is
 * removed by its `signal` (or its scheduler stops) and its attempts here
 * have ended, and otherwise stays pending; it rejects when the store cannot
 * be opened or written.
 * @throws {TypeError} On a bad name, schedule, option or handler, or a name
 * already registered on that store in this process; nothing is registered.
 * @example Once a second, for about a second
 * ```ts
 * import { cron } from "../../mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await cron("hello", "* * * * * *", {
 *   store: `${dir}/.tock`,
 *   signal: AbortSignal.timeout(1100),
 * }, ({ slot }) => console.log("hello at", slot));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function cron(
  name: string,
  schedule: string | DenoCronSchedule,
  handler: CronHandler,
): Promise<void>;
/**
 * Creates a cron job with options: `Deno.cron`'s `backoffSchedule` and
 * `signal`, and tock's own (`tz`, `overlap`, `catchup`, `timeout`,
 * `store`, …). See the overload without options.
 *
 * @param name Letters, digits, whitespace, `-` and `_`, at most 64 characters.
 * @param schedule A cron expression or `Deno.cron`'s object form.
 * @param options See {@linkcode CronOptions}.
 * @param handler Called for each attempt.
 * @returns Resolves once the cron is removed (see the first overload).
 * @throws {TypeError} On bad input; nothing is registered.
 * @example Retries, a time zone and a signal
 * ```ts
 * import { cron } from "../../mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const controller = new AbortController();
 * const nightly = cron("nightly", "30 2 * * *", {
 *   tz: "Europe/Berlin",
 *   backoffSchedule: [1000, 5000, 10000],
 *   store: `${dir}/.tock`,
 *   signal: controller.signal,
 * }, async ({ signal }) => {
 *   await fetch("https://example.com/report", { method: "POST", signal });
 * });
 * controller.abort();
 * await nightly;
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function cron(
  name: string,
  schedule: string | DenoCronSchedule,
  options: CronOptions,
  handler: CronHandler,
): Promise<void>;
export function cron(
  name: string,
  schedule: string | DenoCronSchedule,
  optionsOrHandler: CronOptions | CronHandler,
  handler?: CronHandler,
): Promise<void> {
  const runtime = defaultRuntime();
  return runtime.register(
    readCronCall(runtime, name, schedule, [optionsOrHandler, handler]),
  );
}

let current: CronRuntime | undefined;

function defaultRuntime(): CronRuntime {
  return current ??= new CronRuntime({ report: printError });
}

/**
 * Stops the process-wide runtime `cron()` uses, and replaces it by one with
 * `options` (a fake clock, a memory store), or by a fresh default one on
 * first use. For tests; not exported from `mod.ts`.
 *
 * @param options The next runtime's options; none: the default.
 * @returns Resolves once every scheduler of the old runtime has stopped.
 */
export async function resetDefaultCron(
  options?: CronRuntimeOptions,
): Promise<void> {
  const old = current;
  current = options
    ? new CronRuntime({ report: printError, ...options })
    : undefined;
  await old?.close();
}

/** Deno.cron prints a failed handler's exception; so does `cron()`. */
function printError(what: string, error: unknown): void {
  // deno-lint-ignore no-console
  console.error(what, error);
}
