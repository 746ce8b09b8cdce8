/**
 * The one place that reads the wall clock and the monotonic clock, and the
 * one abortable sleep. Everything else takes a {@linkcode Clock}.
 *
 * @module
 */

/** Time source. Tests inject `FakeClock` from `./testing`. */
export interface Clock {
  /** Wall-clock time, epoch milliseconds (may jump). */
  now(): number;
  /** Monotonic milliseconds from an arbitrary origin (never jumps back). */
  monotonic(): number;
  /**
   * Resolves after `ms` of this clock's time; rejects with the signal's
   * reason when aborted. Long delays are fine (no 2^31-1 ms limit).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Timer functions for xstate's `createActor(logic, { clock })`. Long
   * delays are fine here too: a timer fires after the whole delay, even
   * past 2^31-1 ms (about 24.8 days).
   */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer made by {@linkcode Clock.setTimeout}. */
  clearTimeout(id: unknown): void;
}

/** One instant on both of a clock's scales. */
export interface Instant {
  /** Monotonic time, ms. */
  readonly monotonic: number;
  /** Wall time, epoch ms. */
  readonly wall: number;
}

/**
 * Reads both of a clock's scales at once.
 *
 * @param clock The clock.
 * @returns The current instant.
 * @example Usage
 * ```ts
 * import { instantOf, systemClock } from "./clock.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(instantOf(systemClock).wall > 0);
 * ```
 */
export function instantOf(clock: Clock): Instant {
  return { monotonic: clock.monotonic(), wall: clock.now() };
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Sleeps `ms` milliseconds of real time, abortably; delays longer than the
 * platform's timer limit are split into several timers.
 *
 * @param ms How long to wait, in ms (negative counts as 0).
 * @param signal Rejects the promise with its reason when aborted.
 * @returns A promise that resolves after the delay.
 * @throws {unknown} The promise rejects with the signal's reason on abort.
 * @example Wait, or give up when aborted
 * ```ts
 * import { delay } from "./clock.ts";
 *
 * await delay(10);
 * const controller = new AbortController();
 * controller.abort(new Error("stop"));
 * await delay(60_000, controller.signal).catch((e) => console.log(e.message)); // "stop"
 * ```
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const end = performance.now() + Math.max(0, ms);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const arm = () => {
      const left = end - performance.now();
      if (left <= 0) {
        signal?.removeEventListener("abort", onAbort);
        return resolve();
      }
      timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    arm();
  });
}

/** The timer functions a long timer is built from. */
export interface TimerFunctions {
  /** Calls `fn` after `ms` (at most the `maxMs` of the long timer). */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer made by `setTimeout`. */
  clearTimeout(id: unknown): void;
}

/** Options for {@linkcode setLongTimeout}. */
export interface LongTimeoutOptions {
  /**
   * The timers to chain.
   *
   * @default {the platform's `setTimeout` and `clearTimeout`}
   */
  readonly timers?: TimerFunctions;
  /**
   * The longest single timer.
   *
   * @default {2147483647}
   */
  readonly maxMs?: number;
}

/** A timer made by {@linkcode setLongTimeout}. */
export interface LongTimeout {
  /** The timer now pending (one link of the chain). */
  readonly current: unknown;
}

const PLATFORM_TIMERS: TimerFunctions = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as number),
};

/**
 * Calls `fn` once after `ms`, as a chain of timers of at most `maxMs`
 * each: the platform's timers fire at once (or after 2^31-1 ms, when
 * clamped) for longer delays, which would cut a 30-day timeout short.
 *
 * @param fn What to call.
 * @param ms The delay, in ms (negative counts as 0; `Infinity` never fires).
 * @param options The timers to chain and the longest single timer.
 * @returns The timer, for {@linkcode clearLongTimeout}.
 * @example A 30-day timer made of 2^31-1 ms links
 * ```ts
 * import { clearLongTimeout, setLongTimeout } from "./clock.ts";
 *
 * const timer = setLongTimeout(() => {}, 30 * 86_400_000);
 * clearLongTimeout(timer);
 * ```
 */
export function setLongTimeout(
  fn: () => void,
  ms: number,
  options: LongTimeoutOptions = {},
): LongTimeout {
  const timers = options.timers ?? PLATFORM_TIMERS;
  const maxMs = options.maxMs ?? MAX_TIMER_MS;
  let left = Math.max(0, ms);
  const timer = { current: undefined as unknown, timers };
  const arm = () => {
    const link = Math.min(left, maxMs);
    left -= link;
    timer.current = timers.setTimeout(left > 0 ? arm : fn, link);
  };
  arm();
  return timer;
}

/**
 * Cancels a timer made by {@linkcode setLongTimeout}; anything else is
 * ignored.
 *
 * @param timer The timer.
 */
export function clearLongTimeout(timer: unknown): void {
  const long = timer as { current?: unknown; timers?: TimerFunctions } | null;
  if (typeof long !== "object" || long === null || !long.timers) return;
  long.timers.clearTimeout(long.current);
}

/** The real clock: `Date.now()` and `performance.now()`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: delay,
  setTimeout: (fn, ms) => setLongTimeout(fn, ms),
  clearTimeout: clearLongTimeout,
};

/**
 * A clock whose wall time is `base.now() + offsetMs()`; monotonic time,
 * sleeps and timers are the base clock's. Test-only: the command line uses
 * it when `TOCK_TEST_CLOCK_FILE` is set, so that a test can make the wall
 * clock of a running `tock start` jump (as an NTP step or a suspended laptop
 * would) while monotonic time stays real.
 *
 * @param base The clock to shift.
 * @param offsetMs Read at every `now()`: how far to shift the wall clock, in
 * ms (negative moves it back).
 * @returns The shifted clock.
 * @example Shift the wall clock, not the monotonic one
 * ```ts
 * import { offsetClock, systemClock } from "./clock.ts";
 * import assert from "node:assert/strict";
 *
 * const clock = offsetClock(systemClock, () => 3_600_000);
 * assert.ok(clock.now() - systemClock.now() >= 3_599_000);
 * assert.ok(Math.abs(clock.monotonic() - systemClock.monotonic()) < 1000);
 * ```
 */
export function offsetClock(base: Clock, offsetMs: () => number): Clock {
  return {
    now: () => base.now() + offsetMs(),
    monotonic: () => base.monotonic(),
    sleep: (ms, signal) => base.sleep(ms, signal),
    setTimeout: (fn, ms) => base.setTimeout(fn, ms),
    clearTimeout: (id) => base.clearTimeout(id),
  };
}
