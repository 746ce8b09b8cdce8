/**
 * Claim throughput at saturation (issue #13): K processes (`_claimer.ts`),
 * each with a store object of its own, claim one PostgreSQL store's due
 * jobs side by side, as fast as they can, until none is left. Every job
 * has one due slot (its first, `at`; the claimers' clocks stand still
 * there), so the claims are of distinct jobs and nothing falls due again.
 *
 * Reports the slots claimed per second across the cluster (every slot
 * claimed over the wall time from the first claim step's start to the
 * last one's end), the claim steps' durations, and duplicates: (job, slot)
 * pairs claimed more than once, by any claimer. Throws unless every job's
 * slot was claimed.
 *
 * Run as a child: `deno run -A --v8-flags=--expose-gc
 * bench/scenarios/claim_throughput.ts '<ClaimThroughputArgs JSON>'`.
 *
 * @module
 */

import { childMain, runChild } from "../_child.ts";
import type { JobGroup } from "../_jobs.ts";
import { type LatencySummary, round, summarize } from "../_stats.ts";
import type { StoreSpec } from "../_stores.ts";
import { preciseNow } from "../_time.ts";
import type { ClaimerArgs, ClaimerResult } from "./_claimer.ts";

/** Arguments of the claim throughput child. */
export interface ClaimThroughputArgs {
  /** A store holding {@linkcode claimThroughputJobs}`(jobs, at)`. */
  readonly store: StoreSpec;
  /** K: how many claimers (processes). */
  readonly count: number;
  readonly jobs: number;
  /** The jobs' one due slot, epoch ms: the claimers' wall time. */
  readonly at: number;
}

/** What one claim throughput run measured. */
export interface ClaimThroughputResult {
  readonly store: StoreSpec["kind"];
  readonly count: number;
  readonly jobs: number;
  /** Distinct (job, slot) pairs claimed. */
  readonly claimed: number;
  /** Pairs claimed more than once (must be 0). */
  readonly duplicates: number;
  /** The first claim step's start to the last one's end, ms. */
  readonly wallMs: number;
  /** `claimed` per second of `wallMs`. */
  readonly slotsPerSecond: number;
  /** Slots each claimer claimed. */
  readonly perInstance: readonly number[];
  /** How late the last claimer was ready for the common start, ms (0: none). */
  readonly lateMs: number;
  /** The durations of the claim steps that claimed something, ms. */
  readonly claim: LatencySummary;
}

/** The handler name the jobs name (no run starts). */
export const CLAIM_HANDLER = "claim";

/** Time for K processes to start and open their stores, ms. */
const LEAD_MS = 1_500;
const LEAD_PER_CLAIMER_MS = 500;

/**
 * The job set of a claim throughput run.
 *
 * @param jobs How many.
 * @param at Their first slot, epoch ms (a whole second after the build).
 * @returns One group of jobs due every second from `at`.
 */
export function claimThroughputJobs(jobs: number, at: number): JobGroup[] {
  return [{
    count: jobs,
    prefix: "due",
    schedule: "* * * * * *",
    run: CLAIM_HANDLER,
    startAt: at,
  }];
}

/**
 * Runs the claimers and merges what they claimed.
 *
 * @param args The store, K and the jobs' slot.
 * @returns Throughput, claim durations and duplicates.
 * @throws {Error} When a job's slot was left unclaimed.
 */
export async function claimThroughput(
  args: ClaimThroughputArgs,
): Promise<ClaimThroughputResult> {
  const goAt = preciseNow() + LEAD_MS + LEAD_PER_CLAIMER_MS * args.count;
  const results = await Promise.all(
    Array.from({ length: args.count }, (_, i) => {
      const child: ClaimerArgs = {
        store: args.store,
        instance: `bench-claimer-${i + 1}`,
        now: args.at,
        goAt,
      };
      return runChild<ClaimerResult>("scenarios/_claimer.ts", child, {
        timeoutMs: 120_000 + args.jobs,
        label: child.instance,
      });
    }),
  );
  const times = new Map<string, number>();
  const durations: number[] = [];
  let from = Infinity;
  let to = -Infinity;
  for (const result of results) {
    for (const [index, slot] of result.slots) {
      const key = `${index}@${slot}`;
      times.set(key, (times.get(key) ?? 0) + 1);
    }
    for (const [start, end, claimed] of result.claims) {
      from = Math.min(from, start);
      to = Math.max(to, end);
      if (claimed > 0) durations.push(end - start);
    }
  }
  const duplicates = [...times.values()].filter((n) => n > 1).length;
  if (times.size !== args.jobs) {
    throw new Error(
      `Cannot measure claim throughput: ${times.size} of ${args.jobs} slots were claimed`,
    );
  }
  const wallMs = to - from;
  return {
    store: args.store.kind,
    count: args.count,
    jobs: args.jobs,
    claimed: times.size,
    duplicates,
    wallMs: round(wallMs)!,
    slotsPerSecond: Math.round(times.size / (wallMs / 1000)),
    perInstance: results.map((r) => r.slots.length),
    lateMs: round(
      Math.max(0, ...results.map((r) => r.readyAt - goAt)),
    )!,
    claim: summarize(durations),
  };
}

if (import.meta.main) await childMain(claimThroughput);
