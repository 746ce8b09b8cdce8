/**
 * Measuring helpers of the benchmark: a sub-millisecond wall clock, sleeping
 * until a wall-clock instant, and the heap after a full GC.
 *
 * @module
 */

import { delay } from "../src/clock.ts";

/**
 * The wall clock with sub-millisecond precision: `performance.timeOrigin +
 * performance.now()` (epoch ms). It does not follow a wall-clock step made
 * after the process started, which is what a lag measurement wants.
 *
 * @returns Epoch milliseconds, fractional.
 */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Sleeps until a wall-clock instant (at once if it has passed).
 *
 * @param at Epoch ms.
 * @returns Resolves at (or just after) `at`.
 */
export function sleepUntil(at: number): Promise<void> {
  return delay(Math.max(0, at - preciseNow()));
}

/**
 * The first whole second at least `leadMs` from now.
 *
 * @param leadMs Minimum distance from now, in ms.
 * @returns Epoch ms of a whole second.
 */
export function wholeSecondAfter(leadMs: number): number {
  return Math.ceil((preciseNow() + leadMs) / 1000) * 1000;
}

/**
 * Heap in use after two full garbage collections (the process must run
 * with `--v8-flags=--expose-gc`).
 *
 * @returns `Deno.memoryUsage().heapUsed` after collecting, in bytes.
 * @throws {Error} When `gc()` is not exposed.
 */
export function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") {
    throw new Error("Cannot measure heap: run with --v8-flags=--expose-gc");
  }
  gc();
  gc();
  return Deno.memoryUsage().heapUsed;
}
