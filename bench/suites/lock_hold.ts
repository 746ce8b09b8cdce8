/**
 * The lock hold suite: for each store kind and N, a store built once and
 * copied for each repeat (building 100,000 jobs takes seconds), 1% of the
 * jobs due every second; then the rows and the growth of p99 from N=1,000
 * to N=100,000 (and to the largest N beyond), per repeat and of the medians.
 * The configurations of `extra` (N and the jobs due every second, such as
 * issue #13's 1,000 of 1,000,000) add rows, not growth figures.
 *
 * @module
 */

import type { BenchConfig } from "../_config.ts";
import type { LockHoldGrowth, LockHoldRow } from "../_results.ts";
import { runChild } from "../_child.ts";
import { buildStore } from "../_build_store.ts";
import { prepareStore, type StoreKind } from "../_stores.ts";
import { ratio, spread, spreadsOf, summarize } from "../_stats.ts";
import {
  type LockHoldArgs,
  lockHoldJobs,
  type LockHoldResult,
} from "../scenarios/lock_hold.ts";

/** What the suite adds to the results. */
export interface LockHoldSuite {
  readonly lockHold: LockHoldRow[];
  readonly lockHoldGrowth: LockHoldGrowth[];
}

/**
 * Runs one lock hold configuration `repeats` times, each on a copy of one
 * store built for it.
 *
 * @param kind The store kind.
 * @param args The scenario's arguments but the store.
 * @param repeats How many runs.
 * @param overlap The jobs' overlap policy.
 * @param step Reports the step about to run.
 * @returns One result per repeat.
 */
export async function measureLockHold(
  kind: StoreKind,
  args: Omit<LockHoldArgs, "store">,
  repeats: number,
  overlap: "allow" | undefined,
  step: (label: string) => void,
): Promise<LockHoldResult[]> {
  const label = `lock hold (${kind}): N=${args.storedJobs}, ` +
    `${args.dueJobs} due/s, runs ${args.runMs / 1000} s`;
  step(`${label}: building the store`);
  const template = await prepareStore(kind);
  const runs: LockHoldResult[] = [];
  try {
    await buildStore(
      template.spec,
      lockHoldJobs(args.storedJobs, args.dueJobs, overlap),
    );
    for (let r = 0; r < repeats; r++) {
      step(`${label}, repeat ${r + 1}`);
      const store = await prepareStore(kind, { copyOf: template.spec });
      try {
        runs.push(
          await runChild<LockHoldResult>(
            "scenarios/lock_hold.ts",
            { ...args, store: store.spec },
            {
              timeoutMs: 90_000 + args.warmMs + args.measureMs,
              label,
            },
          ),
        );
      } finally {
        await store.dispose();
      }
    }
  } finally {
    await template.dispose();
  }
  return runs;
}

/**
 * Runs the lock hold suite.
 *
 * @param config The benchmark configuration.
 * @param step Reports the step about to run.
 * @returns The rows and growth figures.
 */
export async function runLockHold(
  config: BenchConfig,
  step: (label: string) => void,
): Promise<LockHoldSuite> {
  const c = config.lockHold;
  const rows: LockHoldRow[] = [];
  const growth: LockHoldGrowth[] = [];
  for (const kind of config.stores) {
    const byN = new Map<number, LockHoldResult[]>();
    const grid = c.storedJobs.map((storedJobs) => ({
      storedJobs,
      dueJobs: Math.max(1, Math.round(storedJobs * c.dueFraction)),
    }));
    // The grid's rows first; only they make growth figures.
    for (
      const [i, { storedJobs, dueJobs }] of [...grid, ...c.extra].entries()
    ) {
      const runs = await measureLockHold(
        kind,
        {
          storedJobs,
          dueJobs,
          runMs: 0,
          warmMs: c.warmMs,
          measureMs: c.measureMs,
        },
        config.repeats,
        undefined,
        step,
      );
      if (i < grid.length) byN.set(storedJobs, runs);
      rows.push(lockHoldRow(kind, storedJobs, dueJobs, runs));
    }
    // Issue #5 compares N=1,000 with N=100,000; a quick run has less, and
    // a larger N (1,000,000) gets a growth figure of its own.
    const largest = Math.max(...c.storedJobs);
    const targets = c.storedJobs.includes(100_000) && largest > 100_000
      ? [100_000, largest]
      : [largest];
    for (const growthTo of targets) {
      const growthFrom = c.storedJobs.includes(1_000) && growthTo > 1_000
        ? 1_000
        : Math.min(...c.storedJobs);
      growth.push(
        lockHoldGrowth(kind, growthFrom, growthTo, byN),
      );
    }
  }
  return { lockHold: rows, lockHoldGrowth: growth };
}

function lockHoldGrowth(
  store: StoreKind,
  fromJobs: number,
  toJobs: number,
  byN: ReadonlyMap<number, readonly LockHoldResult[]>,
): LockHoldGrowth {
  const from = byN.get(fromJobs) ?? [];
  const to = byN.get(toJobs) ?? [];
  return {
    store,
    fromJobs,
    toJobs,
    p99Ratio: ratio(
      spread(to.map((r) => r.p99Ms)).median,
      spread(from.map((r) => r.p99Ms)).median,
    ),
    perRepeat: spread(
      to.map((r, i) => ratio(r.p99Ms, from[i]?.p99Ms ?? null)),
    ),
  };
}

/**
 * Aggregates one configuration's repeats into a row.
 *
 * @param store The store kind.
 * @param storedJobs N.
 * @param dueJobs Jobs due every second.
 * @param runs The repeats.
 * @returns The row.
 */
export function lockHoldRow(
  store: string,
  storedJobs: number,
  dueJobs: number,
  runs: readonly LockHoldResult[],
): LockHoldRow {
  const detail = spreadsOf(
    runs.map((run) => ({ ...run, claims: run.count })),
    ["p50Ms", "p99Ms", "maxMs", "claims", "runsStarted", "running"],
  );
  return {
    store,
    storedJobs,
    dueJobs,
    repeats: runs.length,
    p50Ms: detail.p50Ms.median,
    p99Ms: detail.p99Ms.median,
    maxMs: detail.maxMs.median,
    claims: detail.claims.median,
    pooled: summarize(runs.flatMap((run) => run.holdsMs)),
    detail,
  };
}
