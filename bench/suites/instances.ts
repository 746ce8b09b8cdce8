/**
 * The several-instances suite: for each instance count, a fresh store with
 * the jobs starting a few seconds ahead, and the instances run on it.
 *
 * @module
 */

import type { BenchConfig } from "../_config.ts";
import type { InstancesRow } from "../_results.ts";
import { runChild } from "../_child.ts";
import { buildStore } from "../_build_store.ts";
import { prepareStore } from "../_stores.ts";
import { spreadsOf } from "../_stats.ts";
import { wholeSecondAfter } from "../_time.ts";
import {
  type InstancesArgs,
  instancesJobs,
  type InstancesResult,
} from "../scenarios/instances.ts";

/** Time from building the store to the jobs' first slot. */
const LEAD_MS = 2_500;

/**
 * Runs the instances suite on the first store kind.
 *
 * @param config The benchmark configuration.
 * @param step Reports the step about to run.
 * @returns One row per instance count.
 */
export async function runInstances(
  config: BenchConfig,
  step: (label: string) => void,
): Promise<InstancesRow[]> {
  const c = config.instances;
  const kind = config.stores[0]!;
  const rows: InstancesRow[] = [];
  for (const count of c.counts) {
    const runs: InstancesResult[] = [];
    for (let r = 0; r < c.repeats; r++) {
      step(`instances: ${count} on ${c.jobs} jobs, repeat ${r + 1}`);
      const store = await prepareStore(kind);
      try {
        const startAt = wholeSecondAfter(LEAD_MS);
        await buildStore(store.spec, instancesJobs(c.jobs, startAt));
        const args: InstancesArgs = {
          store: store.spec,
          count,
          jobs: c.jobs,
          startAt,
          warmMs: c.warmMs,
          measureMs: c.measureMs,
          settleMs: c.settleMs,
        };
        runs.push(
          await runChild<InstancesResult>("scenarios/instances.ts", args, {
            timeoutMs: startAt - Date.now() + c.warmMs + c.measureMs + 90_000,
            label: `instances (${count})`,
          }),
        );
      } finally {
        await store.dispose();
      }
    }
    const detail = spreadsOf(runs, [
      "slotsPerSecond",
      "p50Ms",
      "p99Ms",
      "maxMs",
      "duplicates",
      "samples",
    ]);
    rows.push({
      store: kind,
      count,
      jobs: c.jobs,
      repeats: runs.length,
      slotsPerSecond: detail.slotsPerSecond.median,
      p50Ms: detail.p50Ms.median,
      p99Ms: detail.p99Ms.median,
      duplicates: Math.max(0, ...runs.map((run) => run.duplicates)),
      perInstance: runs.map((run) => run.perInstance),
      detail,
    });
  }
  return rows;
}
