/**
 * The several-instances suite: for each store kind and instance count, a
 * fresh store with the jobs due every hour (if any) and the jobs due every
 * second, starting a few seconds after they were built, and the instances
 * run on it.
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
  instancesIdleJobs,
  instancesJobs,
  type InstancesResult,
} from "../scenarios/instances.ts";

/** Time from building the store to the jobs' first slot. */
const LEAD_MS = 2_500;

/**
 * Runs the instances suite on each store kind.
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
  const storedJobs = c.jobs + c.idleJobs;
  const rows: InstancesRow[] = [];
  for (const kind of config.stores) {
    for (const count of c.counts) {
      const runs: InstancesResult[] = [];
      for (let r = 0; r < c.repeats; r++) {
        step(
          `instances (${kind}): ${count} on ${c.jobs} jobs due every second` +
            `${c.idleJobs > 0 ? ` of ${storedJobs}` : ""}, repeat ${r + 1}`,
        );
        const store = await prepareStore(kind);
        try {
          // The jobs due every hour first: their build may take seconds.
          if (c.idleJobs > 0) {
            await buildStore(store.spec, instancesIdleJobs(c.idleJobs));
          }
          const startAt = wholeSecondAfter(LEAD_MS);
          await buildStore(store.spec, instancesJobs(c.jobs, startAt));
          const args: InstancesArgs = {
            store: store.spec,
            count,
            jobs: c.jobs,
            idleJobs: c.idleJobs,
            startAt,
            warmMs: c.warmMs,
            measureMs: c.measureMs,
            settleMs: c.settleMs,
          };
          runs.push(
            await runChild<InstancesResult>("scenarios/instances.ts", args, {
              timeoutMs: startAt - Date.now() + c.warmMs + c.measureMs +
                90_000,
              label: `instances (${count})`,
            }),
          );
        } finally {
          await store.dispose();
        }
      }
      const detail = spreadsOf(runs, [
        "slotsPerSecond",
        "startedPercent",
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
        storedJobs,
        repeats: runs.length,
        slotsPerSecond: detail.slotsPerSecond.median,
        startedPercent: detail.startedPercent.median,
        p50Ms: detail.p50Ms.median,
        p99Ms: detail.p99Ms.median,
        duplicates: Math.max(0, ...runs.map((run) => run.duplicates)),
        perInstance: runs.map((run) => run.perInstance),
        detail,
      });
    }
  }
  return rows;
}
