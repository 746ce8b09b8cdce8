/**
 * The shape of `bench/results.json`. Every figure at the top of a row is the
 * median over the repeats; `detail` gives each figure's median, minimum,
 * maximum and per-repeat values. Rows carry their store kind, so rows of
 * another backend (PostgreSQL, issue 6) sit beside the file store's.
 *
 * @module
 */

import type { LatencySummary, Spread } from "./_stats.ts";
import type { BenchConfig } from "./_config.ts";
import type { CronerSystem } from "./_peers.ts";
import type { CpuPart } from "./_cpu_split.ts";

/** One start lag configuration (system, store, K). */
export interface StartLagRow {
  /**
   * `tock`; `croner` (the current release) or `croner9` (9.1.0); or
   * `timer` (one bare timer calling K callbacks).
   */
  readonly system: "tock" | CronerSystem | "timer";
  /** The store kind for tock, `none` for the in-memory systems. */
  readonly store: string;
  /** The croners only: the npm version measured. */
  readonly version?: string;
  readonly jobs: number;
  readonly repeats: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  /** Share of the window's runs that started, percent. */
  readonly startedPercent: number | null;
  /**
   * The process's CPU time per run started, µs, end to end (over a window
   * as long as the measured one, half a second later); absent from rows of
   * runs before it was measured.
   */
  readonly cpuUsPerRun?: number | null;
  readonly detail: Readonly<Record<string, Spread>>;
}

/**
 * Where tock's CPU goes per run: one more repeat (not in the start lag
 * rows), its CPU window under a V8 CPU profile, split by part of a run's
 * life (`_cpu_split.ts`); the shares applied to the main thread's CPU per run
 * of the unprofiled repeats at the same K.
 */
export interface CpuSplitRow {
  readonly store: string;
  readonly jobs: number;
  /** The profile's sampling interval, µs. */
  readonly intervalUs: number;
  /** Samples in the window. */
  readonly samples: number;
  /** Runs started in the profiled window. */
  readonly runs: number;
  /** The unprofiled repeats' process CPU per run (median), µs. */
  readonly cpuUsPerRun: number | null;
  /** Of it, the main thread's (`schedstat`, median), µs. */
  readonly mainThreadUsPerRun: number | null;
  /** The profiled repeat's figures per run, µs (the profiler's cost in). */
  readonly profiled: {
    readonly cpuUsPerRun: number | null;
    readonly mainThreadUsPerRun: number | null;
    /** Sampled main-thread time, idle excluded (wall time per sample). */
    readonly sampledUsPerRun: number | null;
  };
  /** Each part's share of the main thread's busy samples, %. */
  readonly percent: Readonly<Record<CpuPart, number | null>>;
  /** Each part's share times `mainThreadUsPerRun`, µs. */
  readonly usPerRun: Readonly<Record<CpuPart, number | null>>;
  /** Each part's sampled time per run in the profiled repeat, µs. */
  readonly sampledUsPerRun: Readonly<Record<CpuPart, number | null>>;
  /** Of `percent`: what the lock turn a sample fell in gave, not a frame. */
  readonly byTurnPercent: Readonly<Record<CpuPart, number | null>>;
}

/** Journal bytes of the file store after start lag repeats (`_journal_bytes.ts`). */
export interface JournalBytesRow {
  readonly store: string;
  readonly jobs: number;
  readonly repeats: number;
  /** The store format the lines are in (`tock.json`). */
  readonly format: number | null;
  /** Bytes of claim lines per slot they claimed (median). */
  readonly bytesPerClaimedSlot: number | null;
  /** A claim line's own bytes per slot, the median line (median). */
  readonly claimLineBytesPerSlot?: number | null;
  /** Bytes of outcome lines per run they recorded (median). */
  readonly bytesPerRecordedRun: number | null;
  readonly detail: Readonly<Record<string, Spread>>;
}

/** tock's start lag p99 over each croner's and the bare timer's, per repeat. */
export interface StartLagRatioRow {
  readonly store: string;
  readonly jobs: number;
  /** Over the current croner's (`croner`). */
  readonly tockOverCronerP99: Spread;
  /** Over croner 9's; absent from rows of runs before it was measured. */
  readonly tockOverCroner9P99?: Spread;
  readonly tockOverTimerP99: Spread;
}

/** One lock hold configuration (store, N). */
export interface LockHoldRow {
  readonly store: string;
  readonly storedJobs: number;
  readonly dueJobs: number;
  readonly repeats: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  /** Claim steps measured per repeat (the median). */
  readonly claims: number | null;
  /** The figures over every repeat's claim steps pooled together. */
  readonly pooled: LatencySummary;
  readonly detail: Readonly<Record<string, Spread>>;
}

/** How lock hold p99 grows from the smallest to the largest N. */
export interface LockHoldGrowth {
  readonly store: string;
  readonly fromJobs: number;
  readonly toJobs: number;
  /** p99(to) / p99(from), of the medians. */
  readonly p99Ratio: number | null;
  /** The same ratio per repeat (repeat i of one over repeat i of the other). */
  readonly perRepeat: Spread;
}

/** Lock hold with instant runs against runs of `runMs`. */
export interface LockHoldVsRunDuration {
  readonly store: string;
  readonly storedJobs: number;
  readonly dueJobs: number;
  readonly runMs: number;
  readonly instantP99Ms: number | null;
  readonly tenSecondP99Ms: number | null;
  /** tenSecondP99Ms / instantP99Ms. */
  readonly ratio: number | null;
  readonly perRepeatRatio: Spread;
  readonly detail: {
    readonly instant: Readonly<Record<string, Spread>>;
    readonly long: Readonly<Record<string, Spread>>;
  };
}

/** The per-second job's tally on one system (medians over repeats). */
export interface SeedRow {
  readonly slots: number | null;
  readonly onTime: number | null;
  readonly late: number | null;
  readonly missed: number | null;
  readonly twice: number | null;
  readonly maxLateMs: number | null;
  readonly maxHoldMs: number | null;
  readonly detail: Readonly<Record<string, Spread>>;
}

/** The seed scenario on both systems. */
export interface SeedScenario {
  readonly windowSeconds: number;
  readonly longSchedule: string;
  readonly longRunMs: number;
  readonly repeats: number;
  readonly tock: SeedRow;
  readonly naive: SeedRow;
}

/** One instance count. */
export interface InstancesRow {
  readonly store: string;
  readonly count: number;
  /** Jobs due every second. */
  readonly jobs: number;
  /**
   * Every job in the store: `jobs` and those due every hour (none during
   * the run); absent from rows of runs before it was measured (`jobs`).
   */
  readonly storedJobs?: number;
  readonly repeats: number;
  readonly slotsPerSecond: number | null;
  /**
   * The window's slots started (by any instance) over `jobs` × its
   * seconds, percent; absent from rows of runs before it was measured.
   */
  readonly startedPercent?: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** The most duplicates any repeat saw (must be 0). */
  readonly duplicates: number;
  readonly perInstance: readonly (readonly number[])[];
  readonly detail: Readonly<Record<string, Spread>>;
}

/**
 * Claim throughput at saturation with K instances (processes) claiming one
 * PostgreSQL store side by side (issue #13), medians over the repeats.
 */
export interface ClaimThroughputRow {
  readonly store: string;
  /** K: processes claiming, each with a store object of its own. */
  readonly count: number;
  /** Jobs in the store, each with one due slot. */
  readonly jobs: number;
  /** Most jobs one claim step takes (`MAX_JOBS_PER_CLAIM`). */
  readonly maxJobs: number;
  readonly repeats: number;
  /**
   * Slots claimed per second across the cluster: all of them over the
   * wall time from the first claim step's start to the last one's end.
   */
  readonly slotsPerSecond: number | null;
  /** The K the ratios are over (1), `null` when it was not measured. */
  readonly baseline: number | null;
  /** `slotsPerSecond` over the baseline row's, of the medians. */
  readonly overBaseline: number | null;
  /** The same ratio repeat by repeat. */
  readonly perRepeatOverBaseline: Spread;
  /** The most (job, slot) pairs any repeat saw claimed twice (must be 0). */
  readonly duplicates: number;
  /** Slots each process claimed, per repeat. */
  readonly perInstance: readonly (readonly number[])[];
  readonly detail: Readonly<Record<string, Spread>>;
}

/**
 * A claim frozen by SIGSTOP while another instance keeps claiming (issue
 * #13), over the repeats.
 */
export interface FrozenHolderRow {
  readonly store: string;
  /** Due jobs the frozen claim holds. */
  readonly heldJobs: number;
  /** Jobs due every second the other instance claims meanwhile. */
  readonly otherJobs: number;
  /** How often the other instance claims, ms. */
  readonly claimEveryMs: number;
  readonly repeats: number;
  /**
   * SIGSTOP to the end of the other instance's claim step that took the
   * last held job, ms: the longest of the repeats (`null` when a repeat
   * never saw them claimed).
   */
  readonly stallMs: number | null;
  /**
   * The other instance's longest claim step while the jobs were held,
   * ms: the longest of the repeats.
   */
  readonly otherClaimMaxMs: number | null;
  /** Repeats in which the held jobs were not claimed before giving up. */
  readonly unclaimed: number;
  readonly detail: Readonly<Record<string, Spread>>;
}

/** Idle cost of one system. */
export interface IdleCost {
  /** The croners only: the npm version measured. */
  readonly version?: string;
  /** Median of the CPU windows, percent of one core. */
  readonly cpuPercent: number | null;
  /** CPU over all windows together (total CPU time / total wall time). */
  readonly cpuPercentMean: number | null;
  readonly heapBytesPerJob: number | null;
  readonly detail: Readonly<Record<string, Spread>>;
}

/** Idle cost of tock, with the croners' beside it. */
export interface IdleResults extends IdleCost {
  readonly storedJobs: number;
  /** The current croner. */
  readonly croner: IdleCost;
  /** croner 9; absent from runs before it was measured. */
  readonly croner9?: IdleCost;
}

/** The instance's lock hold summary (`tock status`), medians over repeats. */
export interface SoakLockHoldRow {
  /** Claim-step lock holds since the daemon started. */
  readonly count: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

/**
 * The command-job soak: the `tock start` daemon with `jobs` command jobs
 * (`true`) due every second, on the file store. Absent from runs before it
 * was measured.
 */
export interface CommandSoakResults {
  readonly store: string;
  readonly jobs: number;
  /** The jobs' command. */
  readonly cmd: string;
  /** The warm-up and the window configured, ms. */
  readonly warmMs: number;
  readonly windowMs: number;
  readonly repeats: number;
  /** The window's slots recorded succeeded. */
  readonly runs: number | null;
  /** The window's slots (jobs × whole seconds). */
  readonly expectedRuns: number | null;
  /** The daemon's CPU time over the window per run, ms. */
  readonly cpuMsPerRun: number | null;
  /** CPU per `sh -c true` spawn (piped stdio) of the spawning process, ms. */
  readonly spawnFloorMsPerRun: number | null;
  /** The daemon's CPU over the window's wall time, percent of one core. */
  readonly cpuPercent: number | null;
  readonly lockHold: SoakLockHoldRow;
  readonly detail: Readonly<Record<string, Spread>>;
}

/**
 * `tock start --jobs FILE` on a fresh file store, until its first claim
 * (medians over the repeats; every time from the daemon's spawn, read from
 * the daemon's own records). Absent from runs before it was measured.
 */
export interface JobsFileStartResults {
  readonly store: string;
  /** Jobs in the file. */
  readonly jobs: number;
  readonly repeats: number;
  /** The jobs file's size, bytes. */
  readonly fileBytes: number | null;
  /** Spawn → the sync began (the file read and checked), ms. */
  readonly syncStartMs: number | null;
  /** The sync began → the instance registered (the sync's commit), ms. */
  readonly syncMs: number | null;
  /** Spawn → the first claim (the claim's time on the daemon's clock), ms. */
  readonly firstClaimMs: number | null;
  readonly detail: Readonly<Record<string, Spread>>;
}

/** Where and how the figures were measured. */
export interface BenchMeta {
  readonly date: string;
  readonly deno: string;
  readonly v8: string;
  readonly os: string;
  readonly cores: number;
  readonly cpu: string;
  readonly quick: boolean;
  readonly only: readonly string[];
  readonly wallSeconds: number;
  /** Scenarios that ran at the same time as another (and which). */
  readonly concurrent: readonly string[];
  /** Suites that failed (their figures are missing). */
  readonly errors: readonly {
    readonly scenario: string;
    readonly message: string;
  }[];
  readonly config: BenchConfig;
}

/** `bench/results.json`. */
export interface BenchResults {
  /** The main run (the one that measured the file store, if any). */
  readonly meta: BenchMeta;
  /**
   * The runs other store kinds' rows come from, when not the main run
   * (`deno task bench:postgres` merges its rows in; see `_merge.ts`).
   */
  readonly storeRuns?: Readonly<Record<string, BenchMeta>>;
  readonly startLag?: readonly StartLagRow[];
  readonly startLagRatios?: readonly StartLagRatioRow[];
  /** Absent from runs before it was measured. */
  readonly startLagCpuSplit?: readonly CpuSplitRow[];
  /** Absent from runs before it was measured. */
  readonly journalBytes?: readonly JournalBytesRow[];
  readonly lockHold?: readonly LockHoldRow[];
  readonly lockHoldGrowth?: readonly LockHoldGrowth[];
  readonly lockHoldVsRunDuration?: LockHoldVsRunDuration;
  readonly seedScenario?: SeedScenario;
  readonly instances?: readonly InstancesRow[];
  /** Absent from runs before it was measured. */
  readonly claimThroughput?: readonly ClaimThroughputRow[];
  /** Absent from runs before it was measured. */
  readonly frozenHolder?: readonly FrozenHolderRow[];
  readonly idle?: IdleResults;
  readonly commandSoak?: CommandSoakResults;
  readonly jobsFileStart?: JobsFileStartResults;
}

/** The scenario names `--only` accepts (the keys of the results). */
export const SCENARIOS = [
  "startLag",
  "lockHold",
  "lockHoldVsRunDuration",
  "instances",
  "claimThroughput",
  "frozenHolder",
  "seedScenario",
  "idle",
  "commandSoak",
  "jobsFileStart",
] as const;

/** One scenario name. */
export type ScenarioName = typeof SCENARIOS[number];
