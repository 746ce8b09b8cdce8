/**
 * Merging one run's results into the `results.json` already written, so
 * that `deno task bench` (the file store) and `deno task bench:postgres`
 * each replace their own rows and keep the other's.
 *
 * - Rows of a store kind the run measured come from the run.
 * - The in-memory baselines' rows (store `none`: the croners, the bare timer)
 *   come from the main run (one that measured the file store); a run of
 *   other stores only adds them when there are none yet.
 * - Other rows are kept (several instances, claim throughput and the
 *   frozen holder are rows of a store kind too), and the scenarios only the
 *   main run measures (the seed scenario, lock hold against run duration,
 *   idle cost, the command soak, the jobs file start) come from the main
 *   run.
 * - `meta` describes the main run; `storeRuns` the run each other store
 *   kind's rows come from.
 *
 * @module
 */

import type { BenchMeta, BenchResults } from "./_results.ts";

type Tagged = { readonly store: string };

const SYSTEMS = ["tock", "croner", "croner9", "timer"];
const STORES = ["file", "postgres", "none"];

function rank(list: readonly string[], value: string): number {
  const at = list.indexOf(value);
  return at < 0 ? list.length : at;
}

/**
 * Merges a run into the previous results (see the module doc).
 *
 * @param previous What the output directory held, if anything.
 * @param current This run's results.
 * @returns The results to write.
 */
export function mergeResults(
  previous: BenchResults | undefined,
  current: BenchResults,
): BenchResults {
  const mine = new Set<string>(current.meta.config.stores);
  const main = mine.has("file");
  if (!previous || previous.meta.quick !== current.meta.quick) return current;
  const rows = <T extends Tagged>(
    before: readonly T[] | undefined,
    now: readonly T[] | undefined,
  ): T[] | undefined => {
    if (!before && !now) return undefined;
    const ours = (row: T) =>
      mine.has(row.store) ||
      (row.store === "none" &&
        (main || (before ?? []).every((r) => r.store !== "none")));
    return [
      ...(before ?? []).filter((row) => !ours(row)),
      ...(now ?? []).filter(ours),
    ];
  };
  const byStore = (a: Tagged, b: Tagged) =>
    rank(STORES, a.store) - rank(STORES, b.store);
  const base = main ? current : previous;
  const storeRuns: Record<string, BenchMeta> = {};
  for (const kind of ["file", "postgres"] as const) {
    const from = mine.has(kind) ? current.meta : previous.storeRuns?.[kind] ??
      (previous.meta.config.stores.includes(kind) ? previous.meta : undefined);
    if (from && from !== base.meta) storeRuns[kind] = from;
  }
  const startLag = rows(previous.startLag, current.startLag)?.sort((a, b) =>
    a.jobs - b.jobs || rank(SYSTEMS, a.system) - rank(SYSTEMS, b.system) ||
    byStore(a, b)
  );
  const startLagRatios = rows(previous.startLagRatios, current.startLagRatios)
    ?.sort((a, b) => a.jobs - b.jobs || byStore(a, b));
  const startLagCpuSplit = rows(
    previous.startLagCpuSplit,
    current.startLagCpuSplit,
  )?.sort((a, b) => a.jobs - b.jobs || byStore(a, b));
  const journalBytes = rows(previous.journalBytes, current.journalBytes)
    ?.sort((a, b) => a.jobs - b.jobs || byStore(a, b));
  const lockHold = rows(previous.lockHold, current.lockHold)
    ?.sort((a, b) =>
      byStore(a, b) || a.storedJobs - b.storedJobs || b.dueJobs - a.dueJobs
    );
  const lockHoldGrowth = rows(previous.lockHoldGrowth, current.lockHoldGrowth)
    ?.sort((a, b) => byStore(a, b) || a.toJobs - b.toJobs);
  const instances = rows(previous.instances, current.instances)
    ?.sort((a, b) => byStore(a, b) || a.count - b.count);
  const claimThroughput = rows(
    previous.claimThroughput,
    current.claimThroughput,
  )?.sort((a, b) => byStore(a, b) || a.count - b.count);
  const frozenHolder = rows(previous.frozenHolder, current.frozenHolder)
    ?.sort(byStore);
  const { storeRuns: _old, ...rest } = base;
  return {
    ...rest,
    ...(startLag ? { startLag } : {}),
    ...(startLagRatios ? { startLagRatios } : {}),
    ...(startLagCpuSplit ? { startLagCpuSplit } : {}),
    ...(journalBytes ? { journalBytes } : {}),
    ...(lockHold ? { lockHold } : {}),
    ...(lockHoldGrowth ? { lockHoldGrowth } : {}),
    ...(instances ? { instances } : {}),
    ...(claimThroughput ? { claimThroughput } : {}),
    ...(frozenHolder ? { frozenHolder } : {}),
    ...(Object.keys(storeRuns).length > 0 ? { storeRuns } : {}),
  };
}
