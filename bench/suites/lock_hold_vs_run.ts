/**
 * Lock hold against run duration: the same job set with runs that end at
 * once and runs that last `runMs`, repeats alternating between the two;
 * then both p99s and their ratio, per repeat and of the medians. The jobs
 * keep the default overlap (`skip`): slots that come due during a long run
 * are recorded skipped, so each claim handles the same due jobs with either
 * duration and a difference could only come from the lock spanning runs.
 * (With `allow`, ten runs of one job in flight make its record ten times
 * larger: that measures concurrency, not duration.)
 *
 * @module
 */

import type { BenchConfig } from "../_config.ts";
import type { LockHoldVsRunDuration } from "../_results.ts";
import { ratio, spread, spreadsOf } from "../_stats.ts";
import type { LockHoldResult } from "../scenarios/lock_hold.ts";
import { measureLockHold } from "./lock_hold.ts";

/**
 * Runs the lock hold against run duration suite on the first store kind.
 *
 * @param config The benchmark configuration.
 * @param step Reports the step about to run.
 * @returns Both p99s and their ratio.
 */
export async function runLockHoldVsRun(
  config: BenchConfig,
  step: (label: string) => void,
): Promise<LockHoldVsRunDuration> {
  const c = config.lockHoldVsRunDuration;
  const kind = config.stores[0]!;
  const base = {
    storedJobs: c.storedJobs,
    dueJobs: c.dueJobs,
    measureMs: c.measureMs,
  };
  const instant: LockHoldResult[] = [];
  const long: LockHoldResult[] = [];
  for (let r = 0; r < config.repeats; r++) {
    const pair = [
      async () =>
        instant.push(
          ...await measureLockHold(
            kind,
            { ...base, runMs: 0, warmMs: c.warmMs },
            1,
            undefined,
            step,
          ),
        ),
      async () =>
        long.push(
          ...await measureLockHold(
            kind,
            { ...base, runMs: c.runMs, warmMs: c.longWarmMs },
            1,
            undefined,
            step,
          ),
        ),
    ];
    for (const run of r % 2 === 0 ? pair : pair.reverse()) await run();
  }
  const keys = [
    "p50Ms",
    "p99Ms",
    "maxMs",
    "count",
    "runsStarted",
    "running",
  ] as const;
  const detail = {
    instant: spreadsOf(instant, keys),
    long: spreadsOf(long, keys),
  };
  return {
    store: kind,
    storedJobs: c.storedJobs,
    dueJobs: c.dueJobs,
    runMs: c.runMs,
    instantP99Ms: detail.instant.p99Ms.median,
    tenSecondP99Ms: detail.long.p99Ms.median,
    ratio: ratio(detail.long.p99Ms.median, detail.instant.p99Ms.median),
    perRepeatRatio: spread(
      long.map((run, i) => ratio(run.p99Ms, instant[i]?.p99Ms ?? null)),
    ),
    detail,
  };
}
