/**
 * The start lag suite: for each K, the repeats of tock (on each store kind),
 * the two croners and the bare timer, each repeat in a fresh process, tock
 * and the croners swapping which go first; then the rows and the per-repeat
 * ratios of tock's p99 to each croner's and the timer's. Every repeat also
 * measures the process's CPU per run; after each tock repeat on a file
 * store, its journals are read for their bytes per claimed slot; at the K
 * of `profileJobs`, one more tock repeat runs under a CPU profile, whose
 * split is reported apart (its lags are not in the rows).
 *
 * @module
 */

import type { BenchConfig } from "../_config.ts";
import type {
  CpuSplitRow,
  JournalBytesRow,
  StartLagRatioRow,
  StartLagRow,
} from "../_results.ts";
import { runChild } from "../_child.ts";
import { buildStore } from "../_build_store.ts";
import { type JournalBytes, journalBytes } from "../_journal_bytes.ts";
import { CPU_PARTS, type CpuPart } from "../_cpu_split.ts";
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
  readonly startLagCpuSplit: CpuSplitRow[];
  readonly journalBytes: JournalBytesRow[];
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
  const splits: CpuSplitRow[] = [];
  const journals: JournalBytesRow[] = [];
  const c = config.startLag;
  for (const jobs of c.jobs) {
    const tock = new Map<StoreKind, StartLagResult[]>(
      config.stores.map((kind) => [kind, []]),
    );
    const written: JournalBytes[] = [];
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
          const result = await measureTock(kind, jobs, config, async (dir) => {
            written.push(await journalBytes(dir));
          });
          tock.get(kind)!.push(result);
        }
      }
    }
    if (written.length > 0) journals.push(journalRow(jobs, written));
    for (const kind of c.profileJobs.includes(jobs) ? config.stores : []) {
      step(`start lag: tock (${kind}), K=${jobs}, profiled repeat`);
      const profiled = await measureTock(kind, jobs, config, undefined, {
        intervalUs: c.profileIntervalUs,
      });
      splits.push(splitRow(kind, jobs, profiled, tock.get(kind)!));
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
  return {
    startLag: rows,
    startLagRatios: ratios,
    startLagCpuSplit: splits,
    journalBytes: journals,
  };
}

/**
 * One tock repeat on a fresh store (no history from the repeat before);
 * `afterFile` reads a file store's directory once the child has exited.
 */
async function measureTock(
  kind: StoreKind,
  jobs: number,
  config: BenchConfig,
  afterFile?: (dir: string) => Promise<void>,
  profile?: StartLagArgs["profile"],
): Promise<StartLagResult> {
  const c = config.startLag;
  const store = await prepareStore(kind);
  try {
    await buildStore(store.spec, startLagJobs(jobs));
    const result = await measure({
      system: "tock",
      jobs,
      warmMs: c.warmMs,
      measureMs: c.measureMs,
      settleMs: c.settleMs,
      store: store.spec,
      ...(profile ? { profile } : {}),
    });
    if (store.spec.kind === "file") await afterFile?.(store.spec.dir);
    return result;
  } finally {
    await store.dispose();
  }
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
    cpuUsPerRun: run.cpu.usPerRun,
    mainThreadUsPerRun: run.cpu.mainThreadUsPerRun ?? null,
    cpuRuns: run.cpu.runs,
    cpuMs: run.cpu.cpuMs,
  }));
  const detail = spreadsOf(withPercent, [
    "p50Ms",
    "p99Ms",
    "maxMs",
    "startedPercent",
    "started",
    "expected",
    "cpuUsPerRun",
    "mainThreadUsPerRun",
    "cpuRuns",
    "cpuMs",
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
    cpuUsPerRun: detail.cpuUsPerRun.median,
    detail,
  };
}

/** The journal row of one K's file store repeats. */
function journalRow(
  jobs: number,
  runs: readonly JournalBytes[],
): JournalBytesRow {
  const detail = spreadsOf(runs, [
    "bytesPerClaimedSlot",
    "claimLineBytesPerSlot",
    "bytesPerRecordedRun",
    "claimLines",
    "claimedSlots",
    "claimBytes",
    "outcomeLines",
    "recordedRuns",
    "outcomeBytes",
    "journals",
    "format",
  ]);
  return {
    store: "file",
    jobs,
    repeats: runs.length,
    format: detail.format.max,
    bytesPerClaimedSlot: detail.bytesPerClaimedSlot.median,
    bytesPerRecordedRun: detail.bytesPerRecordedRun.median,
    detail,
  };
}

/**
 * The CPU split row of a profiled repeat.
 *
 * @param store The store kind.
 * @param jobs K.
 * @param result The profiled repeat's result.
 * @param unprofiled The repeats at the same K and store (their medians).
 * @returns Each part's share, and its share of the unprofiled main thread's
 * CPU per run.
 * @throws {Error} When the repeat has no profile.
 */
export function splitRow(
  store: string,
  jobs: number,
  result: StartLagResult,
  unprofiled: readonly StartLagResult[],
): CpuSplitRow {
  const profile = result.profile;
  if (!profile) throw new Error(`Cannot split K=${jobs}: no profile`);
  const { ms, byTurnMs, samples } = profile.split;
  const runs = result.cpu.runs;
  const busy = CPU_PARTS.reduce((t, p) => t + (p === "idle" ? 0 : ms[p]), 0);
  const perRun = (value: number) =>
    runs > 0 ? round((value * 1000) / runs) : null;
  const share = (value: number) =>
    busy > 0 ? round((100 * value) / busy) : null;
  const each = (f: (part: CpuPart) => number | null) =>
    Object.fromEntries(CPU_PARTS.map((part) => [part, f(part)])) as Record<
      CpuPart,
      number | null
    >;
  const cpuUsPerRun = spread(unprofiled.map((r) => r.cpu.usPerRun)).median;
  const mainThreadUsPerRun = spread(
    unprofiled.map((r) => r.cpu.mainThreadUsPerRun ?? null),
  ).median;
  const percent = each((part) => part === "idle" ? null : share(ms[part]));
  return {
    store,
    jobs,
    intervalUs: profile.intervalUs,
    samples,
    runs,
    cpuUsPerRun,
    mainThreadUsPerRun,
    profiled: {
      cpuUsPerRun: result.cpu.usPerRun,
      mainThreadUsPerRun: result.cpu.mainThreadUsPerRun ?? null,
      sampledUsPerRun: perRun(busy),
    },
    percent,
    usPerRun: each((part) => {
      const p = percent[part];
      return p === null || mainThreadUsPerRun === null
        ? null
        : round((p * mainThreadUsPerRun) / 100);
    }),
    sampledUsPerRun: each((part) => perRun(ms[part])),
    byTurnPercent: each((part) =>
      part === "idle" ? null : share(byTurnMs[part])
    ),
  };
}
