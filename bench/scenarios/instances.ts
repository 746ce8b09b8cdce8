/**
 * Several instances: 1, 2 or 3 processes (`_instance.ts`) run schedulers
 * with the same handler on one store holding jobs due every second, and
 * maybe many more due every hour (none during the run: issue #13 asks for
 * 1,000 due every second among 1,000,000 on PostgreSQL). Reports the slots
 * started per second over the measured window (ideally the number of jobs)
 * and their share of the window's slots, the start lag of those slots, and
 * duplicates: (job, slot) pairs started more than once, by any instance,
 * at any time.
 *
 * The jobs start at a whole second a few seconds ahead, once every instance
 * has had time to open the store; the window follows a warm-up.
 *
 * Run as a child: `deno run -A --v8-flags=--expose-gc
 * bench/scenarios/instances.ts '<InstancesArgs JSON>'`.
 *
 * @module
 */

import { childMain, runChild } from "../_child.ts";
import type { JobGroup } from "../_jobs.ts";
import { type LatencySummary, round, summarize } from "../_stats.ts";
import type { StoreSpec } from "../_stores.ts";
import type { InstanceArgs, InstanceResult } from "./_instance.ts";

/** Arguments of the instances child. */
export interface InstancesArgs {
  /** A store holding {@linkcode instancesJobs}`(jobs, startAt)`. */
  readonly store: StoreSpec;
  /** How many instances (processes). */
  readonly count: number;
  /** How many jobs, each due every second. */
  readonly jobs: number;
  /** How many jobs of {@linkcode instancesIdleJobs} the store holds too. */
  readonly idleJobs: number;
  /** When the jobs start, epoch ms (a whole second). */
  readonly startAt: number;
  /** Warm-up after `startAt`, in ms (whole seconds). */
  readonly warmMs: number;
  /** The measured window, in ms (whole seconds). */
  readonly measureMs: number;
  /** How long after the window the instances keep running, in ms. */
  readonly settleMs: number;
}

/** What one instances run measured. */
export interface InstancesResult extends Omit<LatencySummary, "count"> {
  readonly store: StoreSpec["kind"];
  /** How many instances. */
  readonly count: number;
  readonly jobs: number;
  /** Every job in the store (`jobs` + `idleJobs`). */
  readonly storedJobs: number;
  /** Distinct window slots started, per second of the window. */
  readonly slotsPerSecond: number;
  /** Distinct window slots started over `jobs` × the window's seconds, %. */
  readonly startedPercent: number;
  /** (job, slot) pairs started more than once (must be 0). */
  readonly duplicates: number;
  /** Runs each instance started in the window. */
  readonly perInstance: readonly number[];
  /** Runs of the window's slots started (duplicates included). */
  readonly samples: number;
}

/** The handler name the jobs use. */
export const INSTANCE_HANDLER = "work";

/**
 * The job set of an instances run.
 *
 * @param jobs How many.
 * @param startAt When they start, epoch ms.
 * @returns One group of jobs due every second.
 */
export function instancesJobs(jobs: number, startAt: number): JobGroup[] {
  return [{
    count: jobs,
    prefix: "work",
    schedule: "* * * * * *",
    run: INSTANCE_HANDLER,
    startAt,
  }];
}

/**
 * The jobs an instances run's store holds beside {@linkcode instancesJobs}:
 * due every hour from their creation, so never during a run.
 *
 * @param count How many (none: no group).
 * @returns One group, or none.
 */
export function instancesIdleJobs(count: number): JobGroup[] {
  return count > 0
    ? [{ count, prefix: "idle", schedule: "every 1h", run: INSTANCE_HANDLER }]
    : [];
}

/**
 * Runs the instances and merges what they started.
 *
 * @param args The store, the instance count and the durations.
 * @returns Throughput, lag and duplicates.
 */
export async function instances(
  args: InstancesArgs,
): Promise<InstancesResult> {
  const from = args.startAt + args.warmMs;
  const to = from + args.measureMs;
  const until = to + args.settleMs;
  const results = await Promise.all(
    Array.from({ length: args.count }, (_, i) => {
      const child: InstanceArgs = {
        store: args.store,
        instance: `bench-instance-${i + 1}`,
        handler: INSTANCE_HANDLER,
        maxParallel: args.jobs * 2,
        until,
      };
      return runChild<InstanceResult>("scenarios/_instance.ts", child, {
        timeoutMs: until - Date.now() + 60_000,
        label: child.instance,
      });
    }),
  );
  const starts = new Map<string, number>();
  const lags: number[] = [];
  const perInstance: number[] = [];
  for (const result of results) {
    let mine = 0;
    for (const [job, slot, lag] of result.runs) {
      const key = `${job}@${slot}`;
      starts.set(key, (starts.get(key) ?? 0) + 1);
      if (slot >= from && slot < to) {
        lags.push(lag);
        mine += 1;
      }
    }
    perInstance.push(mine);
  }
  let duplicates = 0;
  const windowSlots = new Set<string>();
  for (const [key, n] of starts) {
    if (n > 1) duplicates += 1;
    const slot = Number(key.slice(key.indexOf("@") + 1));
    if (slot >= from && slot < to) windowSlots.add(key);
  }
  const { count: samples, ...lag } = summarize(lags);
  const seconds = args.measureMs / 1000;
  return {
    store: args.store.kind,
    count: args.count,
    jobs: args.jobs,
    storedJobs: args.jobs + args.idleJobs,
    slotsPerSecond: Math.round(windowSlots.size / seconds),
    startedPercent: round((100 * windowSlots.size) / (args.jobs * seconds))!,
    duplicates,
    perInstance,
    samples,
    ...lag,
  };
}

if (import.meta.main) await childMain(instances);
