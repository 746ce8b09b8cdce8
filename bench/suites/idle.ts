/**
 * The idle cost suite: tock (a scheduler on a store of jobs due in an hour)
 * and each croner (as many `Cron` objects due in an hour), each in one
 * fresh process measured over several CPU windows.
 *
 * @module
 */

import type { BenchConfig } from "../_config.ts";
import type { IdleCost, IdleResults } from "../_results.ts";
import { runChild } from "../_child.ts";
import { buildStore } from "../_build_store.ts";
import { prepareStore } from "../_stores.ts";
import { CRONERS } from "../_peers.ts";
import { round, spread } from "../_stats.ts";
import { type IdleArgs, idleJobs, type IdleResult } from "../scenarios/idle.ts";

/**
 * Runs the idle suite on the first store kind.
 *
 * @param config The benchmark configuration.
 * @param step Reports the step about to run.
 * @returns tock's idle cost with the croners' beside it.
 */
export async function runIdle(
  config: BenchConfig,
  step: (label: string) => void,
): Promise<IdleResults> {
  const c = config.idle;
  const kind = config.stores[0]!;
  const base = {
    jobs: c.jobs,
    windows: c.windows,
    windowMs: c.windowMs,
    settleMs: c.settleMs,
  };
  const timeoutMs = 90_000 + c.windows * c.windowMs + 4 * c.settleMs;
  const loaded = await prepareStore(kind);
  const empty = await prepareStore(kind);
  let tock: IdleResult;
  try {
    step(`idle: tock (${kind}), ${c.jobs} jobs`);
    await buildStore(loaded.spec, idleJobs(c.jobs));
    const args: IdleArgs = {
      ...base,
      system: "tock",
      store: loaded.spec,
      emptyStore: empty.spec,
    };
    tock = await runChild<IdleResult>("scenarios/idle.ts", args, {
      timeoutMs,
      label: "idle (tock)",
    });
  } finally {
    await loaded.dispose();
    await empty.dispose();
  }
  const croners: IdleCost[] = [];
  for (const system of CRONERS) {
    step(`idle: ${system}, ${c.jobs} jobs`);
    const result = await runChild<IdleResult>(
      "scenarios/idle.ts",
      { ...base, system } satisfies IdleArgs,
      { timeoutMs, label: `idle (${system})` },
    );
    croners.push(idleCost(result));
  }
  const [croner, croner9] = croners;
  return {
    storedJobs: c.jobs,
    ...idleCost(tock),
    croner: croner!,
    croner9: croner9!,
  };
}

function idleCost(result: IdleResult): IdleCost {
  const cpu = spread(result.cpuPercent);
  const mean = result.cpuPercent.reduce((a, b) => a + b, 0) /
    Math.max(1, result.cpuPercent.length);
  const heap = spread(result.heapBytesPerJob);
  return {
    ...(result.version ? { version: result.version } : {}),
    cpuPercent: cpu.median,
    cpuPercentMean: round(mean),
    heapBytesPerJob: heap.median,
    detail: {
      cpuPercent: cpu,
      heapBytesPerJob: heap,
      heapBaseline: spread([result.heapBaseline]),
      heapLoaded: spread([result.heapLoaded]),
    },
  };
}
