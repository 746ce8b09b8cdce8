/**
 * Start lag: how long after its slot a handler starts, with K jobs all due
 * every second, on one tock instance (real clock, a file store), on croner
 * (K `Cron` objects; the current release, `croner`, or 9.1.0, `croner9`),
 * or on one bare timer aligned to each second that calls K callbacks (the
 * floor any in-process scheduler can reach).
 *
 * Lag is the handler's first line (`performance.timeOrigin +
 * performance.now()`) minus the slot it runs for, each system's own notion
 * of the slot: tock passes it to the handler (`slot`); croner's is the run
 * it planned and armed its timer for (the `target` its timer hands to
 * `_checkTrigger`, which calls the job when the clock has reached it); the
 * timer's is the second it armed itself for. Only slots inside the measured
 * window count; the window starts after a warm-up (which absorbs the
 * catch-up of slots that passed while the store was built) and the window's
 * slots that have not started `settleMs` after it (a system that falls
 * behind skips or delays them) are reported as not started.
 *
 * CPU per run: the process's CPU time (`process.cpuUsage()`, user +
 * system, every thread) over a window as long as the measured one and half
 * a second later (so that each of its seconds holds one slot's claim, a
 * lookahead before the slot, its starts and its outcomes), divided by the
 * runs (handler calls) that started in it, whatever their slot; and the
 * main thread's part of it (`/proc/self/task/<pid>/schedstat`). With
 * `profile`, a CPU profile of that window splits tock's main thread by part
 * of a run's life (`_cpu_split.ts`); that repeat's lags are not comparable.
 *
 * Run as a child: `deno run -A --v8-flags=--expose-gc
 * bench/scenarios/start_lag.ts '<StartLagArgs JSON>'`.
 *
 * @module
 */

import process from "node:process";
import { CRON_CLASSES, type CronJob } from "./_croner.ts";
import { createScheduler } from "../../src/runtime/scheduler.ts";
import type { TockEvent } from "../../src/runtime/events.ts";
import { childMain } from "../_child.ts";
import type { JobGroup } from "../_jobs.ts";
import { type CronerSystem, cronerVersion, isCroner } from "../_peers.ts";
import { type LatencySummary, round, summarize } from "../_stats.ts";
import { openStore, type StoreSpec } from "../_stores.ts";
import { type CpuSplit, type LockTurn, splitProfile } from "../_cpu_split.ts";
import { recordLockTurns, startProfile } from "../_profile.ts";
import { preciseNow, sleepUntil, wholeSecondAfter } from "../_time.ts";

/** The systems start lag is measured on. */
export type LagSystem = "tock" | CronerSystem | "timer";

/** Arguments of the start lag child. */
export interface StartLagArgs {
  readonly system: LagSystem;
  /** K: how many jobs are due every second. */
  readonly jobs: number;
  /** Warm-up before the measured window, in ms (rounded up to seconds). */
  readonly warmMs: number;
  /** The measured window, in ms (whole seconds). */
  readonly measureMs: number;
  /** How long after the window late runs may still start, in ms. */
  readonly settleMs: number;
  /** tock only: a store holding {@linkcode startLagJobs}`(jobs)`. */
  readonly store?: StoreSpec;
  /**
   * tock only: profile the CPU window, sampling every `intervalUs`; with
   * `save`, also write the profile there (a `.cpuprofile` for DevTools).
   */
  readonly profile?: { readonly intervalUs: number; readonly save?: string };
}

/** The process's CPU over the CPU window (see the module doc). */
export interface CpuWindow {
  /** Runs (handler calls) that started in it. */
  readonly runs: number;
  /** User + system time of the process, ms. */
  readonly cpuMs: number;
  readonly wallMs: number;
  /** `cpuMs` per run, in µs (`null` without runs). */
  readonly usPerRun: number | null;
  /** Of `cpuMs`, the main thread's (`null` without `schedstat`). */
  readonly mainThreadMs: number | null;
  /** `mainThreadMs` per run, in µs. */
  readonly mainThreadUsPerRun: number | null;
}

/** A profiled CPU window: its main thread by part (see `_cpu_split.ts`). */
export interface ProfiledWindow {
  readonly intervalUs: number;
  readonly split: CpuSplit;
}

/** What one start lag run measured. */
export interface StartLagResult extends LatencySummary {
  readonly system: LagSystem;
  /** The store kind, or `none` for the in-memory systems. */
  readonly store: StoreSpec["kind"] | "none";
  /** croner only: the npm version measured. */
  readonly version?: string;
  readonly jobs: number;
  /** Runs the window's slots call for (K per second). */
  readonly expected: number;
  /** Those that started within `settleMs` after the window. */
  readonly started: number;
  /** tock only: the claim steps' lock holds during the window. */
  readonly lockHold?: LatencySummary;
  readonly cpu: CpuWindow;
  /** With `profile`: the CPU window's profile, by part. */
  readonly profile?: ProfiledWindow;
}

/** The handler name the start lag jobs use. */
export const LAG_HANDLER = "lag";

/**
 * The tock job set of a start lag run.
 *
 * @param jobs K.
 * @returns K jobs due every second.
 */
export function startLagJobs(jobs: number): JobGroup[] {
  return [{
    count: jobs,
    prefix: "lag",
    schedule: "* * * * * *",
    run: LAG_HANDLER,
  }];
}

/** The measured window, slots in `[from, to)`; empty until it is opened. */
class Window {
  from = Infinity;
  to = -Infinity;

  /** Places the window at the whole second closest to the warm-up's end. */
  open(args: StartLagArgs): void {
    this.from = wholeSecondAfter(Math.max(0, args.warmMs - 500));
    this.to = this.from + Math.ceil(args.measureMs / 1000) * 1000;
  }

  /** Whether an instant is inside. */
  has(at: number): boolean {
    return at >= this.from && at < this.to;
  }
}

/** What is counted while a system runs. */
interface Tally {
  /** The lags of the window's slots, in the order their runs started. */
  readonly lags: number[];
  /** Every run started so far (handler calls). */
  calls: number;
  /** tock, when profiled: its lock turns. */
  readonly turns?: LockTurn[];
}

/** What a system's run gives besides the lags. */
interface Run {
  readonly window: Window;
  /** The window's slots started within `settleMs` after it. */
  readonly started: number;
  readonly cpu: CpuWindow;
  readonly profile?: ProfiledWindow;
  readonly lockHold?: LatencySummary;
}

/**
 * The main thread's CPU time so far, ms: the first field of its
 * `schedstat` (ns on a CPU); `null` where the kernel has none.
 */
function mainThreadCpuMs(): number | null {
  try {
    const text = Deno.readTextFileSync(`/proc/self/task/${Deno.pid}/schedstat`);
    const ns = Number(text.split(" ")[0]);
    return Number.isFinite(ns) ? ns / 1e6 : null;
  } catch {
    return null;
  }
}

/** Half a second: the CPU window's offset from the measured window. */
const CPU_OFFSET_MS = 500;

/**
 * Opens the window, then measures the CPU window (profiled if asked) and
 * counts the runs started by `settleMs` after the window.
 */
async function observe(
  window: Window,
  args: StartLagArgs,
  tally: Tally,
): Promise<Omit<Run, "lockHold">> {
  window.open(args);
  const settled = sleepUntil(window.to + args.settleMs)
    .then(() => tally.lags.length);
  await sleepUntil(window.from + CPU_OFFSET_MS);
  const profiling = args.profile
    ? await startProfile(args.profile.intervalUs)
    : undefined;
  const before = process.cpuUsage();
  const mainBefore = mainThreadCpuMs();
  const from = performance.now();
  const calls = tally.calls;
  await sleepUntil(window.to + CPU_OFFSET_MS);
  const used = process.cpuUsage(before);
  const mainAfter = mainThreadCpuMs();
  const to = performance.now();
  const runs = tally.calls - calls;
  const cpuMs = (used.user + used.system) / 1000;
  const mainMs = mainBefore === null || mainAfter === null
    ? null
    : mainAfter - mainBefore;
  const perRun = (ms: number | null) =>
    ms === null || runs === 0 ? null : round((ms * 1000) / runs);
  const cpu: CpuWindow = {
    runs,
    cpuMs: round(cpuMs)!,
    wallMs: round(to - from)!,
    usPerRun: perRun(cpuMs),
    mainThreadMs: round(mainMs),
    mainThreadUsPerRun: perRun(mainMs),
  };
  const profiled = await profiling?.stop();
  if (profiled && args.profile?.save) {
    await Deno.writeTextFile(
      args.profile.save,
      JSON.stringify(profiled.profile),
    );
  }
  const profile = profiled && {
    intervalUs: args.profile!.intervalUs,
    split: splitProfile(profiled.profile, {
      from,
      to,
      turns: tally.turns ?? [],
      toPerfMs: profiled.toPerfMs,
    }),
  };
  return {
    window,
    started: await settled,
    cpu,
    ...(profile ? { profile } : {}),
  };
}

async function runTock(args: StartLagArgs, tally: Tally): Promise<Run> {
  if (!args.store) throw new TypeError("Cannot run tock: no 'store' given");
  // Neither the store nor the scheduler is closed: the process exits once
  // the result is printed, and stopping a scheduler that is far behind can
  // take seconds that measure nothing.
  const opened = await openStore(args.store);
  const store = tally.turns ? recordLockTurns(opened, tally.turns) : opened;
  const window = new Window();
  const holds: number[] = [];
  // Named: a profile counts it as the runs' start (`_cpu_split.ts`).
  const lagHandler = ({ slot }: { readonly slot: Date }) => {
    const at = preciseNow();
    tally.calls++;
    if (window.has(slot.getTime())) tally.lags.push(at - slot.getTime());
  };
  const scheduler = await createScheduler({
    store,
    instance: "bench-lag",
    maxParallel: args.jobs + 64,
    handlers: { [LAG_HANDLER]: lagHandler },
  });
  scheduler.addEventListener("lock.released", (event) => {
    if (window.has(preciseNow())) {
      holds.push((event as TockEvent).detail.holdMs ?? 0);
    }
  });
  return { ...await observe(window, args, tally), lockHold: summarize(holds) };
}

/**
 * Calls `onTarget` with each run croner planned, just before croner decides
 * whether to call the job for it. Both releases arm one timer per job,
 * `setTimeout(() => this._checkTrigger(target), wait)`, `target` being the
 * run planned when the timer was armed (the first whole second after the
 * previous call started, or after now); `_checkTrigger` calls the job, at
 * once, when the clock has reached `target`, else re-arms for the same one.
 * The timer looks the method up when it fires, so replacing it on the
 * instance also catches the timer the constructor armed.
 *
 * @throws {TypeError} When the release has no `_checkTrigger`.
 */
function onPlannedRun(job: CronJob, onTarget: (at: number) => void): void {
  const inner = job as unknown as {
    _checkTrigger?: (this: unknown, target: Date) => void;
  };
  const check = inner._checkTrigger;
  if (typeof check !== "function") {
    throw new TypeError(
      "Cannot read croner's planned runs: its 'Cron' has no '_checkTrigger'",
    );
  }
  inner._checkTrigger = function (target: Date) {
    onTarget(target.getTime());
    check.call(this, target);
  };
}

async function runCroner(
  system: CronerSystem,
  args: StartLagArgs,
  tally: Tally,
): Promise<Run> {
  const Cron = CRON_CLASSES[system];
  const window = new Window();
  const jobs: CronJob[] = [];
  let unplanned = 0;
  for (let i = 0; i < args.jobs; i++) {
    // The slot of a call is the run croner planned for it, read as croner
    // checks it (see onPlannedRun); a second croner skips because it is
    // late (after a call it plans the first whole second after the call
    // started) has no call and counts as not started. No `timezone` option: croner then works in
    // the process's local time with `Date`'s own fields (the bench runs in
    // UTC, and every second is due in any zone), where `timezone: "UTC"`
    // goes through `Intl` on every date it computes and multiplies its lag.
    let planned = NaN;
    const job = new Cron("* * * * * *", {}, () => {
      const at = preciseNow();
      const slot = planned;
      planned = NaN;
      tally.calls++;
      if (Number.isNaN(slot)) unplanned++;
      else if (window.has(slot)) tally.lags.push(at - slot);
    });
    onPlannedRun(job, (at) => planned = at);
    jobs.push(job);
  }
  const run = await observe(window, args, tally);
  for (const job of jobs) job.stop();
  if (unplanned > 0) {
    throw new Error(
      `Cannot measure ${system}: ${unplanned} calls without a planned run`,
    );
  }
  return run;
}

async function runTimer(args: StartLagArgs, tally: Tally): Promise<Run> {
  const window = new Window();
  const callbacks = Array.from(
    { length: args.jobs },
    () => (slot: number) => {
      const at = preciseNow();
      tally.calls++;
      if (window.has(slot)) tally.lags.push(at - slot);
    },
  );
  let next = wholeSecondAfter(1);
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Timers take whole milliseconds: round up, or they fire early.
  const arm = () => setTimeout(fire, Math.ceil(next - preciseNow()));
  const fire = () => {
    const slot = next;
    for (const callback of callbacks) callback(slot);
    next = Math.max(slot + 1000, wholeSecondAfter(1));
    timer = arm();
  };
  timer = arm();
  const run = await observe(window, args, tally);
  clearTimeout(timer);
  return run;
}

/**
 * Runs one start lag measurement.
 *
 * @param args The system, K and the durations.
 * @returns The lag figures of the window.
 */
export async function startLag(args: StartLagArgs): Promise<StartLagResult> {
  if (args.profile && args.system !== "tock") {
    throw new TypeError(`Cannot profile ${args.system}: only tock`);
  }
  const tally: Tally = {
    lags: [],
    calls: 0,
    ...(args.profile ? { turns: [] } : {}),
  };
  const run = args.system === "tock"
    ? await runTock(args, tally)
    : isCroner(args.system)
    ? await runCroner(args.system, args, tally)
    : await runTimer(args, tally);
  const seconds = (run.window.to - run.window.from) / 1000;
  return {
    system: args.system,
    store: args.system === "tock" ? args.store!.kind : "none",
    ...(isCroner(args.system) ? { version: cronerVersion(args.system) } : {}),
    jobs: args.jobs,
    expected: args.jobs * seconds,
    started: run.started,
    ...summarize(tally.lags.slice(0, run.started)),
    ...(run.lockHold ? { lockHold: run.lockHold } : {}),
    cpu: run.cpu,
    ...(run.profile ? { profile: run.profile } : {}),
  };
}

if (import.meta.main) await childMain(startLag);
