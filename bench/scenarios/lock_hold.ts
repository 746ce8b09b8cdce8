/**
 * Lock hold: how long one tock instance holds the store lock per claim step,
 * with N stored jobs of which a few are due every second (the rest every
 * hour, never due during a run), and runs that end at once or last
 * `runMs` (the handler sleeps, honouring its abort signal).
 *
 * Hold times are the scheduler's own `lock.released` events (`holdMs`:
 * from taking the lock to releasing it, in the claim step); only claim
 * steps that end inside the measured window count.
 *
 * Run as a child: `deno run -A --v8-flags=--expose-gc
 * bench/scenarios/lock_hold.ts '<LockHoldArgs JSON>'`.
 *
 * @module
 */

import { createScheduler } from "../../src/runtime/scheduler.ts";
import type { TockEvent } from "../../src/runtime/events.ts";
import { delay } from "../../src/clock.ts";
import type { OverlapPolicy } from "../../src/types.ts";
import { childMain } from "../_child.ts";
import type { JobGroup } from "../_jobs.ts";
import { type LatencySummary, summarize } from "../_stats.ts";
import { openStore, type StoreSpec } from "../_stores.ts";
import { preciseNow, sleepUntil } from "../_time.ts";

/** Arguments of the lock hold child. */
export interface LockHoldArgs {
  /** A store holding {@linkcode lockHoldJobs}`(storedJobs, dueJobs)`. */
  readonly store: StoreSpec;
  readonly storedJobs: number;
  readonly dueJobs: number;
  /** How long each run lasts, in ms (0: it returns at once). */
  readonly runMs: number;
  /** Warm-up before the measured window, in ms. */
  readonly warmMs: number;
  /** The measured window, in ms. */
  readonly measureMs: number;
}

/** What one lock hold run measured. */
export interface LockHoldResult extends LatencySummary {
  readonly store: StoreSpec["kind"];
  readonly storedJobs: number;
  readonly dueJobs: number;
  readonly runMs: number;
  /** Runs started in the window (ideally `dueJobs` per second). */
  readonly runsStarted: number;
  /** Runs in progress at the end of the window. */
  readonly running: number;
  /** Every hold of the window, in ms (for figures over pooled repeats). */
  readonly holdsMs: readonly number[];
}

/** The handler name the lock hold jobs use. */
export const HOLD_HANDLER = "hold";

/**
 * The job set of a lock hold run.
 *
 * @param storedJobs N, all jobs.
 * @param dueJobs Those due every second (the others: every hour).
 * @param overlap Their overlap policy.
 * @returns The groups.
 */
export function lockHoldJobs(
  storedJobs: number,
  dueJobs: number,
  overlap?: OverlapPolicy,
): JobGroup[] {
  const policy = overlap !== undefined ? { overlap } : {};
  return [
    {
      count: dueJobs,
      prefix: "due",
      schedule: "* * * * * *",
      run: HOLD_HANDLER,
      ...policy,
    },
    {
      count: storedJobs - dueJobs,
      prefix: "hourly",
      schedule: "every 1h",
      run: HOLD_HANDLER,
      ...policy,
    },
  ];
}

/**
 * Runs one lock hold measurement.
 *
 * @param args The store, N, the due jobs, the run length and durations.
 * @returns The hold figures of the window's claim steps.
 */
export async function lockHold(args: LockHoldArgs): Promise<LockHoldResult> {
  // Neither the store nor the scheduler is closed: the process exits once
  // the result is printed (stopping 1,000 runs in flight measures nothing).
  const store = await openStore(args.store);
  let from = Infinity;
  let to = -Infinity;
  const inWindow = () => {
    const now = preciseNow();
    return now >= from && now < to;
  };
  const holds: number[] = [];
  let runsStarted = 0;
  let running = 0;
  const scheduler = await createScheduler({
    store,
    instance: "bench-hold",
    maxParallel: Math.max(
      64,
      args.dueJobs * (Math.ceil(args.runMs / 1000) + 2),
    ),
    handlers: {
      [HOLD_HANDLER]: async ({ signal }) => {
        if (inWindow()) runsStarted += 1;
        if (args.runMs <= 0) return;
        running += 1;
        try {
          await delay(args.runMs, signal);
        } finally {
          running -= 1;
        }
      },
    },
  });
  scheduler.addEventListener("lock.released", (event) => {
    if (inWindow()) holds.push((event as TockEvent).detail.holdMs ?? 0);
  });
  from = preciseNow() + args.warmMs;
  to = from + args.measureMs;
  await sleepUntil(to);
  return {
    store: args.store.kind,
    storedJobs: args.storedJobs,
    dueJobs: args.dueJobs,
    runMs: args.runMs,
    runsStarted,
    running,
    holdsMs: holds.map((ms) => Math.round(ms * 1000) / 1000),
    ...summarize(holds),
  };
}

if (import.meta.main) await childMain(lockHold);
