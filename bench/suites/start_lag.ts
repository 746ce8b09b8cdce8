/**
 * The start lag suite: for each K, the repeats of tock (on each store kind),
 * the two croners and the bare timer, each repeat in a fresh process, tock
 * and the croners swapping which go first; then the rows and the per-repeat
 * ratios of tock's p99 to each croner's and the timer's.
 *
 * @module
 */

import type { BenchConfig } from "../_config.ts";
import type { StartLagRatioRow, StartLagRow } from "../_results.ts";
import { runChild } from "../_child.ts";
import { buildStore } from "../_build_store.ts";
import { prepareStore, type StoreKind } from "../_stores.ts";
import { ratio, round, spread, spreadsOf } from "../_stats.ts";
import { CRONERS, cronerVersion, isCroner } from "../_peers.ts";
import {
  type LagSystem,
  type StartLagArgs,
  startLagJobs,
  type StartLagResult,
} from "../scenarios/start_lag.ts";

/** What the suite adds to the results. */
export interface StartLagSuite {
  readonly startLag: StartLagRow[];
  readonly startLagRatios: StartLagRatioRow[];
}

/**
 * Runs the start lag suite.
 *
 * @param config The benchmark configuration.
 * @param step Reports the step about to run.
 * @returns The rows and ratios.
 */
export async function runStartLag(
  config: BenchConfig,
  step: (label: string) => void,
): Promise<StartLagSuite> {
  const rows: StartLagRow[] = [];
  const ratios: StartLagRatioRow[] = [];
  const c = config.startLag;
  for (const jobs of c.jobs) {
    const tock = new Map<StoreKind, StartLagResult[]>(
      config.stores.map((kind) => [kind, []]),
    );
    const peers = new Map<LagSystem, StartLagResult[]>(
      [...CRONERS, "timer" as const].map((system) => [system, []]),
    );
    for (let r = 0; r < config.repeats; r++) {
      const order: LagSystem[] = r % 2 === 0
        ? ["tock", ...CRONERS, "timer"]
        : [...CRONERS.toReversed(), "tock", "timer"];
      for (const system of order) {
        if (system !== "tock") {
          step(`start lag: ${system}, K=${jobs}, repeat ${r + 1}`);
          const timed = system === "timer"
            ? { warmMs: c.timerWarmMs, measureMs: c.timerMeasureMs }
            : { warmMs: c.warmMs, measureMs: c.measureMs };
          const result = await measure({
            system,
            jobs,
            ...timed,
            settleMs: system === "timer" ? 200 : c.settleMs,
          });
          peers.get(system)!.push(result);
          continue;
        }
        for (const kind of config.stores) {
          step(`start lag: tock (${kind}), K=${jobs}, repeat ${r + 1}`);
          // A fresh store per repeat: no history from the one before.
          const store = await prepareStore(kind);
          try {
            await buildStore(store.spec, startLagJobs(jobs));
            tock.get(kind)!.push(
              await measure({
                system,
                jobs,
                warmMs: c.warmMs,
                measureMs: c.measureMs,
                settleMs: c.settleMs,
                store: store.spec,
              }),
            );
          } finally {
            await store.dispose();
          }
        }
      }
    }
    const over = (runs: readonly StartLagResult[], system: LagSystem) => {
      const peer = peers.get(system)!;
      return spread(runs.map((t, i) => ratio(t.p99Ms, peer[i]?.p99Ms ?? null)));
    };
    for (const [kind, runs] of tock) {
      rows.push(row("tock", kind, jobs, runs));
      ratios.push({
        store: kind,
        jobs,
        tockOverCronerP99: over(runs, "croner"),
        tockOverCroner9P99: over(runs, "croner9"),
        tockOverTimerP99: over(runs, "timer"),
      });
    }
    for (const [system, runs] of peers) {
      rows.push(row(system, "none", jobs, runs));
    }
  }
  return { startLag: rows, startLagRatios: ratios };
}

function measure(args: StartLagArgs): Promise<StartLagResult> {
  return runChild<StartLagResult>("scenarios/start_lag.ts", args, {
    timeoutMs: 90_000 + args.warmMs + args.measureMs + args.settleMs,
    label: `start lag (${args.system}, K=${args.jobs})`,
  });
}

function row(
  system: StartLagRow["system"],
  store: string,
  jobs: number,
  runs: readonly StartLagResult[],
): StartLagRow {
  const withPercent = runs.map((run) => ({
    ...run,
    startedPercent: run.expected > 0
      ? round((100 * run.started) / run.expected)
      : null,
    lockHoldP99Ms: run.lockHold?.p99Ms ?? null,
  }));
  const detail = spreadsOf(withPercent, [
    "p50Ms",
    "p99Ms",
    "maxMs",
    "startedPercent",
    "started",
    "expected",
    ...(system === "tock" ? ["lockHoldP99Ms" as const] : []),
  ]);
  return {
    system,
    store,
    ...(isCroner(system) ? { version: cronerVersion(system) } : {}),
    jobs,
    repeats: runs.length,
    p50Ms: detail.p50Ms.median,
    p99Ms: detail.p99Ms.median,
    maxMs: detail.maxMs.median,
    startedPercent: detail.startedPercent.median,
    detail,
  };
}
