/**
 * The claim throughput suite (issue #13), on each PostgreSQL store kind
 * of the run: one store built with every job due, copied for each repeat
 * of each K (the K taking turns within a repeat); then one row per K, with
 * its throughput over one claimer's, per repeat and of the medians.
 *
 * @module
 */

import type { BenchConfig } from "../_config.ts";
import type { ClaimThroughputRow } from "../_results.ts";
import { runChild } from "../_child.ts";
import { buildStore } from "../_build_store.ts";
import { prepareStore } from "../_stores.ts";
import { ratio, spread, spreadsOf } from "../_stats.ts";
import { wholeSecondAfter } from "../_time.ts";
import { MAX_JOBS_PER_CLAIM } from "../../src/turns/claim_due_jobs.ts";
import {
  type ClaimThroughputArgs,
  claimThroughputJobs,
  type ClaimThroughputResult,
} from "../scenarios/claim_throughput.ts";

/** The jobs' slot: past the build, whatever its length. */
const SLOT_LEAD_MS = 600_000;

/**
 * Runs the claim throughput suite (nothing without a PostgreSQL store).
 *
 * @param config The benchmark configuration.
 * @param step Reports the step about to run.
 * @returns One row per store kind and K.
 */
export async function runClaimThroughput(
  config: BenchConfig,
  step: (label: string) => void,
): Promise<ClaimThroughputRow[]> {
  const c = config.claimThroughput;
  const rows: ClaimThroughputRow[] = [];
  for (const kind of config.stores.filter((k) => k === "postgres")) {
    step(`claim throughput (${kind}): building ${c.jobs} due jobs`);
    const at = wholeSecondAfter(SLOT_LEAD_MS);
    const template = await prepareStore(kind);
    const byCount = new Map<number, ClaimThroughputResult[]>(
      c.counts.map((count) => [count, []]),
    );
    try {
      await buildStore(template.spec, claimThroughputJobs(c.jobs, at));
      for (let r = 0; r < config.repeats; r++) {
        for (const count of c.counts) {
          step(
            `claim throughput (${kind}): ${count} claimer${
              count > 1 ? "s" : ""
            }, repeat ${r + 1}`,
          );
          const store = await prepareStore(kind, { copyOf: template.spec });
          try {
            const args: ClaimThroughputArgs = {
              store: store.spec,
              count,
              jobs: c.jobs,
              at,
            };
            byCount.get(count)!.push(
              await runChild<ClaimThroughputResult>(
                "scenarios/claim_throughput.ts",
                args,
                {
                  timeoutMs: 180_000 + c.jobs,
                  label: `claim throughput (${count})`,
                },
              ),
            );
          } finally {
            await store.dispose();
          }
        }
      }
    } finally {
      await template.dispose();
    }
    const one = byCount.get(Math.min(...c.counts)) ?? [];
    for (const [count, runs] of byCount) {
      rows.push(throughputRow(kind, count, c.jobs, runs, one));
    }
  }
  return rows;
}

/**
 * Aggregates one K's repeats into a row.
 *
 * @param store The store kind.
 * @param count K.
 * @param jobs The jobs claimed.
 * @param runs The repeats.
 * @param one The repeats of the fewest claimers (one), for the ratios.
 * @returns The row.
 */
export function throughputRow(
  store: string,
  count: number,
  jobs: number,
  runs: readonly ClaimThroughputResult[],
  one: readonly ClaimThroughputResult[],
): ClaimThroughputRow {
  const detail = spreadsOf(
    runs.map((run) => ({
      ...run,
      claims: run.claim.count,
      claimP50Ms: run.claim.p50Ms,
      claimP99Ms: run.claim.p99Ms,
      claimMaxMs: run.claim.maxMs,
    })),
    [
      "slotsPerSecond",
      "wallMs",
      "claimed",
      "duplicates",
      "lateMs",
      "claims",
      "claimP50Ms",
      "claimP99Ms",
      "claimMaxMs",
    ],
  );
  const baseline = one[0]?.count ?? null;
  return {
    store,
    count,
    jobs,
    maxJobs: MAX_JOBS_PER_CLAIM,
    repeats: runs.length,
    slotsPerSecond: detail.slotsPerSecond.median,
    baseline,
    overBaseline: ratio(
      detail.slotsPerSecond.median,
      spread(one.map((r) => r.slotsPerSecond)).median,
    ),
    perRepeatOverBaseline: spread(
      runs.map((r, i) =>
        ratio(r.slotsPerSecond, one[i]?.slotsPerSecond ?? null)
      ),
    ),
    duplicates: Math.max(0, ...runs.map((run) => run.duplicates)),
    perInstance: runs.map((run) => run.perInstance),
    detail,
  };
}
