/**
 * What the benchmark runs: job counts, durations and repeats of every
 * scenario, in full (`deno task bench`, about 14 minutes on 2 cores) and
 * quick (`--quick`, a smoke run of about a minute) form, and the PostgreSQL
 * run (`deno task bench:postgres`: start lag, lock hold, several instances,
 * claim throughput and the frozen holder, about 9 minutes).
 *
 * @module
 */

import type { StoreKind } from "./_stores.ts";

/** Every scenario's parameters. */
export interface BenchConfig {
  /** Quick smoke run (figures not comparable with a full run). */
  readonly quick: boolean;
  /** Repeats of each measured configuration. */
  readonly repeats: number;
  /** The store kinds tock's start lag and lock hold rows are measured on. */
  readonly stores: readonly StoreKind[];
  readonly startLag: {
    /** K values. */
    readonly jobs: readonly number[];
    readonly warmMs: number;
    readonly measureMs: number;
    /** The bare timer baseline's warm-up and window (it needs little). */
    readonly timerWarmMs: number;
    readonly timerMeasureMs: number;
    /** How long after the window late tock runs still count. */
    readonly settleMs: number;
    /**
     * K values at which one more tock repeat (file store) runs under a CPU
     * profile, which splits its CPU per run by part of a run's life.
     */
    readonly profileJobs: readonly number[];
    /** The profile's sampling interval, µs. */
    readonly profileIntervalUs: number;
  };
  readonly lockHold: {
    /** N values. */
    readonly storedJobs: readonly number[];
    /** Fraction of N due every second. */
    readonly dueFraction: number;
    /**
     * More configurations, each with its own number of jobs due every
     * second (issue #13: 1,000 of 1,000,000); not in the growth figures.
     */
    readonly extra: readonly {
      readonly storedJobs: number;
      readonly dueJobs: number;
    }[];
    readonly warmMs: number;
    readonly measureMs: number;
  };
  readonly lockHoldVsRunDuration: {
    readonly storedJobs: number;
    readonly dueJobs: number;
    /** The long runs' length. */
    readonly runMs: number;
    /** Warm-up of the instant case. */
    readonly warmMs: number;
    /** Warm-up of the long case: past `runMs`, so that runs overlap fully. */
    readonly longWarmMs: number;
    readonly measureMs: number;
  };
  readonly seedScenario: {
    readonly windowMs: number;
    readonly longSchedule: string;
    readonly longRunMs: number;
  };
  readonly instances: {
    readonly counts: readonly number[];
    /** Jobs due every second. */
    readonly jobs: number;
    /** More jobs in the store, due every hour (none during the run). */
    readonly idleJobs: number;
    readonly repeats: number;
    readonly warmMs: number;
    readonly measureMs: number;
    readonly settleMs: number;
  };
  /**
   * Claims side by side (PostgreSQL stores only): K processes claiming one
   * store's due jobs as fast as they can, until none is left.
   */
  readonly claimThroughput: {
    /** K values (processes). */
    readonly counts: readonly number[];
    /** Jobs in the store, every one due (one slot each). */
    readonly jobs: number;
  };
  /**
   * A claim frozen by SIGSTOP (PostgreSQL stores only), at the store's
   * default `lockIdleTimeoutMs`, while another instance keeps claiming.
   */
  readonly frozenHolder: {
    /** Due jobs the frozen claim holds. */
    readonly heldJobs: number;
    /** Jobs due every second that only the other instance claims. */
    readonly otherJobs: number;
    /** How often the other instance claims, ms. */
    readonly claimEveryMs: number;
    /** Give up when the held jobs are not claimed after this long, ms. */
    readonly giveUpMs: number;
  };
  readonly idle: {
    readonly jobs: number;
    readonly windows: number;
    readonly windowMs: number;
    readonly settleMs: number;
  };
  /**
   * `tock start --jobs FILE` on a fresh file store: how long until its
   * first claim.
   */
  readonly jobsFileStart: {
    /** Jobs in the file (one due every second, the rest hourly). */
    readonly jobs: number;
    /** Repeats (each a fresh daemon on a fresh store). */
    readonly repeats: number;
  };
  /** The `tock start` daemon with command jobs (`true`) due every second. */
  readonly commandSoak: {
    /** Command jobs, each due every second. */
    readonly jobs: number;
    /** Repeats (each a fresh daemon on a fresh store). */
    readonly repeats: number;
    /** After the daemon registered, before the window. */
    readonly warmMs: number;
    readonly windowMs: number;
    /** `sh -c true` spawns measuring the spawn floor. */
    readonly spawns: number;
  };
}

/** The full run. */
export const FULL: BenchConfig = {
  quick: false,
  repeats: 3,
  stores: ["file"],
  // K = 30,000 adds about 2 minutes (tock, both croners, the timer, three
  // repeats each); the two profiled repeats about 20 s.
  startLag: {
    jobs: [10, 1_000, 10_000, 30_000],
    warmMs: 2_000,
    measureMs: 5_000,
    timerWarmMs: 1_000,
    timerMeasureMs: 2_000,
    settleMs: 1_000,
    profileJobs: [1_000, 10_000],
    profileIntervalUs: 500,
  },
  lockHold: {
    storedJobs: [100, 1_000, 10_000, 100_000],
    dueFraction: 0.01,
    extra: [],
    warmMs: 1_000,
    measureMs: 5_000,
  },
  lockHoldVsRunDuration: {
    storedJobs: 1_000,
    dueJobs: 100,
    runMs: 10_000,
    warmMs: 1_000,
    longWarmMs: 11_000,
    measureMs: 5_000,
  },
  seedScenario: {
    windowMs: 120_000,
    longSchedule: "0 * * * * *",
    longRunMs: 60_000,
  },
  instances: {
    counts: [1, 2, 3],
    jobs: 1_000,
    idleJobs: 0,
    repeats: 1,
    warmMs: 2_000,
    measureMs: 8_000,
    settleMs: 1_000,
  },
  // A few seconds a repeat (PostgreSQL runs only).
  claimThroughput: { counts: [1, 2, 4], jobs: 20_000 },
  // About 6 s a repeat: the store's idle bound (4 s) and start-up.
  frozenHolder: {
    heldJobs: 10,
    otherJobs: 100,
    claimEveryMs: 50,
    giveUpMs: 30_000,
  },
  idle: { jobs: 10_000, windows: 3, windowMs: 10_000, settleMs: 2_000 },
  // About 10 s a repeat.
  jobsFileStart: { jobs: 100_000, repeats: 3 },
  // About 75 s a repeat (start-up, warm-up, window, a heartbeat after it):
  // one repeat keeps the full run near 14 minutes.
  commandSoak: {
    jobs: 20,
    repeats: 1,
    warmMs: 5_000,
    windowMs: 60_000,
    spawns: 200,
  },
};

/**
 * The PostgreSQL run: the start lag and lock hold suites of the full run,
 * with K up to 1,000 (10,000 due every second is beyond the file store too)
 * and N up to 1,000,000, plus 1,000 due every second among 1,000,000; two
 * instances on a store of 1,000 jobs due every second and 999,000 due every
 * hour; claim throughput and the frozen holder (issue #13).
 */
export const POSTGRES: BenchConfig = {
  ...FULL,
  stores: ["postgres"],
  startLag: { ...FULL.startLag, jobs: [10, 1_000], profileJobs: [] },
  lockHold: {
    ...FULL.lockHold,
    storedJobs: [100, 1_000, 10_000, 100_000, 1_000_000],
    extra: [{ storedJobs: 1_000_000, dueJobs: 1_000 }],
  },
  // About 25 s a repeat, 8 s of it building the store.
  instances: {
    ...FULL.instances,
    counts: [2],
    idleJobs: 999_000,
    repeats: 3,
  },
};

/** The smoke run: tiny counts, short windows, one repeat. */
export const QUICK: BenchConfig = {
  quick: true,
  repeats: 1,
  stores: ["file"],
  startLag: {
    jobs: [100],
    warmMs: 1_000,
    measureMs: 2_000,
    timerWarmMs: 1_000,
    timerMeasureMs: 1_000,
    settleMs: 500,
    profileJobs: [100],
    profileIntervalUs: 500,
  },
  lockHold: {
    storedJobs: [100, 1_000],
    dueFraction: 0.01,
    extra: [{ storedJobs: 2_000, dueJobs: 5 }],
    warmMs: 500,
    measureMs: 2_000,
  },
  lockHoldVsRunDuration: {
    storedJobs: 100,
    dueJobs: 10,
    runMs: 2_000,
    warmMs: 500,
    longWarmMs: 2_500,
    measureMs: 2_000,
  },
  seedScenario: {
    windowMs: 20_000,
    longSchedule: "*/10 * * * * *",
    longRunMs: 10_000,
  },
  instances: {
    counts: [1, 2],
    jobs: 100,
    idleJobs: 900,
    repeats: 1,
    warmMs: 1_000,
    measureMs: 2_000,
    settleMs: 500,
  },
  claimThroughput: { counts: [1, 2], jobs: 2_000 },
  frozenHolder: {
    heldJobs: 5,
    otherJobs: 20,
    claimEveryMs: 50,
    giveUpMs: 20_000,
  },
  idle: { jobs: 1_000, windows: 3, windowMs: 1_000, settleMs: 500 },
  jobsFileStart: { jobs: 10_000, repeats: 1 },
  commandSoak: {
    jobs: 20,
    repeats: 1,
    warmMs: 2_000,
    windowMs: 5_000,
    spawns: 50,
  },
};
