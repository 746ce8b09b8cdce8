/**
 * Idle cost: what holding many jobs, none due for an hour, costs one
 * process: CPU (percent of one core, from `process.cpuUsage()`, over
 * several windows) and heap per job, on tock (a running scheduler on a
 * file store) and on croner, the current release or 9.1.0 (`Cron` objects
 * whose next run is an hour away, in the process's local time as in the
 * start lag scenario).
 *
 * Heap per job = (heap after GC with the jobs loaded − heap after GC
 * without them) / jobs. For tock the baseline is a running scheduler on an
 * empty store, in the same process, before the loaded one is opened; for
 * a croner it is the process with that croner loaded and one `Cron` made
 * and stopped.
 *
 * Run as a child: `deno run -A --v8-flags=--expose-gc
 * bench/scenarios/idle.ts '<IdleArgs JSON>'`.
 *
 * @module
 */

import process from "node:process";
import { CRON_CLASSES, type CronJob } from "./_croner.ts";
import { createScheduler } from "../../src/runtime/scheduler.ts";
import { delay } from "../../src/clock.ts";
import { childMain } from "../_child.ts";
import type { JobGroup } from "../_jobs.ts";
import { type CronerSystem, cronerVersion } from "../_peers.ts";
import { openStore, type StoreSpec } from "../_stores.ts";
import { heapAfterGc } from "../_time.ts";

/** The systems idle cost is measured on. */
export type IdleSystem = "tock" | CronerSystem;

/** Arguments of the idle child. */
export interface IdleArgs {
  readonly system: IdleSystem;
  /** How many jobs. */
  readonly jobs: number;
  /** How many CPU windows. */
  readonly windows: number;
  /** Each window's length, in ms. */
  readonly windowMs: number;
  /** Wait after loading before measuring, in ms. */
  readonly settleMs: number;
  /** tock only: a store holding {@linkcode idleJobs}`(jobs)`. */
  readonly store?: StoreSpec;
  /** tock only: an empty store, for the heap baseline. */
  readonly emptyStore?: StoreSpec;
}

/** What one idle run measured. */
export interface IdleResult {
  readonly system: IdleSystem;
  /** The croners only: the npm version measured. */
  readonly version?: string;
  readonly jobs: number;
  /** CPU time over wall time of each window, percent of one core. */
  readonly cpuPercent: readonly number[];
  /**
   * (heap after each window − baseline heap) / jobs, in bytes; every heap
   * is taken after a full GC, outside the CPU windows.
   */
  readonly heapBytesPerJob: readonly number[];
  /** The baseline heap, in bytes. */
  readonly heapBaseline: number;
  /** The heap once loaded, before the windows, in bytes. */
  readonly heapLoaded: number;
}

/** The handler name the idle jobs use. */
export const IDLE_HANDLER = "idle";

/**
 * The tock job set of an idle run.
 *
 * @param jobs How many.
 * @returns Jobs due every hour from their creation.
 */
export function idleJobs(jobs: number): JobGroup[] {
  return [{
    count: jobs,
    prefix: "idle",
    schedule: "every 1h",
    run: IDLE_HANDLER,
  }];
}

/** CPU percent of one core over each window, and the heap after each. */
async function windows(args: IdleArgs) {
  const cpuPercent: number[] = [];
  const heaps: number[] = [];
  for (let i = 0; i < args.windows; i++) {
    const before = process.cpuUsage();
    const start = performance.now();
    await delay(args.windowMs);
    const used = process.cpuUsage(before);
    const wallUs = (performance.now() - start) * 1000;
    const percent = ((used.user + used.system) / wallUs) * 100;
    cpuPercent.push(Math.round(percent * 1000) / 1000);
    heaps.push(heapAfterGc());
  }
  return { cpuPercent, heaps };
}

async function runTock(args: IdleArgs) {
  if (!args.store || !args.emptyStore) {
    throw new TypeError("Cannot run tock: 'store' and 'emptyStore' needed");
  }
  const handlers = { [IDLE_HANDLER]: () => {} };
  let heapBaseline;
  {
    await using store = await openStore(args.emptyStore);
    await using _scheduler = await createScheduler({ store, handlers });
    await delay(args.settleMs);
    heapBaseline = heapAfterGc();
  }
  await using store = await openStore(args.store);
  await using _scheduler = await createScheduler({ store, handlers });
  await delay(args.settleMs);
  const heapLoaded = heapAfterGc();
  return { heapBaseline, heapLoaded, ...await windows(args) };
}

async function runCroner(system: CronerSystem, args: IdleArgs) {
  const Cron = CRON_CLASSES[system];
  new Cron("* * * * * *", {}, () => {}).stop();
  await delay(args.settleMs);
  const heapBaseline = heapAfterGc();
  // Local time, no `timezone` option (see the start lag scenario): the
  // pattern names the local second, minute and hour an hour from now.
  const at = new Date(Date.now() + 3_600_000);
  const pattern =
    `${at.getSeconds()} ${at.getMinutes()} ${at.getHours()} * * *`;
  const jobs: CronJob[] = [];
  for (let i = 0; i < args.jobs; i++) {
    jobs.push(new Cron(pattern, {}, () => {}));
  }
  await delay(args.settleMs);
  const heapLoaded = heapAfterGc();
  const measured = await windows(args);
  for (const job of jobs) job.stop();
  return { heapBaseline, heapLoaded, ...measured };
}

/**
 * Runs one idle measurement.
 *
 * @param args The system, the job count and the windows.
 * @returns CPU per window and heap per job.
 */
export async function idle(args: IdleArgs): Promise<IdleResult> {
  const run = args.system === "tock"
    ? await runTock(args)
    : await runCroner(args.system, args);
  return {
    system: args.system,
    ...(args.system === "tock" ? {} : { version: cronerVersion(args.system) }),
    jobs: args.jobs,
    cpuPercent: run.cpuPercent,
    heapBytesPerJob: run.heaps.map((heap) =>
      Math.round((heap - run.heapBaseline) / args.jobs)
    ),
    heapBaseline: run.heapBaseline,
    heapLoaded: run.heapLoaded,
  };
}

if (import.meta.main) await childMain(idle);
