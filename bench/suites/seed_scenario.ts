/**
 * The seed scenario suite: every repeat of tock and of the naive baseline
 * at once, each in its own process (and tock each on its own store), over
 * the same real-time window, so that the whole suite takes the window once.
 *
 * @module
 */

import type { BenchConfig } from "../_config.ts";
import type { SeedRow, SeedScenario } from "../_results.ts";
import { runChild } from "../_child.ts";
import { type PreparedStore, prepareStore } from "../_stores.ts";
import { spreadsOf } from "../_stats.ts";
import { wholeSecondAfter } from "../_time.ts";
import type { SeedArgs, SeedResult, SeedSystem } from "../scenarios/seed.ts";

/**
 * Runs the seed scenario suite on the first store kind.
 *
 * @param config The benchmark configuration.
 * @param step Reports the step about to run.
 * @returns The per-second job's tallies.
 */
export async function runSeedScenario(
  config: BenchConfig,
  step: (label: string) => void,
): Promise<SeedScenario> {
  const c = config.seedScenario;
  const kind = config.stores[0]!;
  const stores: PreparedStore[] = [];
  try {
    // Time for every process to start and create its scheduler.
    const startAt = wholeSecondAfter(3_000);
    step(
      `seed scenario: ${config.repeats} × tock and ${config.repeats} × naive ` +
        `at once, ${c.windowMs / 1000} s`,
    );
    const runs = [];
    for (let r = 0; r < config.repeats; r++) {
      for (const system of ["tock", "naive"] as const) {
        const store = system === "tock" ? await prepareStore(kind) : undefined;
        if (store) stores.push(store);
        const args: SeedArgs = {
          system,
          ...(store ? { store: store.spec } : {}),
          startAt,
          windowMs: c.windowMs,
          longSchedule: c.longSchedule,
          longRunMs: c.longRunMs,
        };
        runs.push(
          runChild<SeedResult>("scenarios/seed.ts", args, {
            timeoutMs: startAt - Date.now() + c.windowMs + 60_000,
            label: `seed (${system})`,
          }),
        );
      }
    }
    const results = await Promise.all(runs);
    return {
      windowSeconds: c.windowMs / 1000,
      longSchedule: c.longSchedule,
      longRunMs: c.longRunMs,
      repeats: config.repeats,
      tock: seedRow(results, "tock"),
      naive: seedRow(results, "naive"),
    };
  } finally {
    for (const store of stores) await store.dispose();
  }
}

function seedRow(results: readonly SeedResult[], system: SeedSystem): SeedRow {
  const mine = results.filter((r) => r.system === system);
  const detail = spreadsOf(mine, [
    "slots",
    "onTime",
    "late",
    "missed",
    "twice",
    "maxLateMs",
    "maxHoldMs",
    "longRuns",
  ]);
  return {
    slots: detail.slots.median,
    onTime: detail.onTime.median,
    late: detail.late.median,
    missed: detail.missed.median,
    twice: detail.twice.median,
    maxLateMs: detail.maxLateMs.median,
    maxHoldMs: detail.maxHoldMs.median,
    detail,
  };
}
