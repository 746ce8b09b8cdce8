/**
 * One instance of the several-instances scenario (`instances.ts`): a child
 * process that runs a tock scheduler on the shared store until `until`,
 * records every run it starts, and prints them as `[job, slot, lagMs]`
 * triples (the job by its index in the `prefix-<index>` ids).
 *
 * @module
 */

import { createScheduler } from "../../src/runtime/scheduler.ts";
import { delay } from "../../src/clock.ts";
import { childMain } from "../_child.ts";
import { openStore, type StoreSpec } from "../_stores.ts";
import { preciseNow, sleepUntil } from "../_time.ts";

/** Arguments of an instance child. */
export interface InstanceArgs {
  readonly store: StoreSpec;
  /** This instance's id. */
  readonly instance: string;
  /** The handler name the jobs use. */
  readonly handler: string;
  /** Most runs at once. */
  readonly maxParallel: number;
  /** When to stop, epoch ms. */
  readonly until: number;
}

/** What an instance child reports. */
export interface InstanceResult {
  readonly instance: string;
  /** One `[job index, slot, start − slot in ms]` per run started. */
  readonly runs: readonly (readonly [number, number, number])[];
}

async function instance(args: InstanceArgs): Promise<InstanceResult> {
  await using store = await openStore(args.store);
  const runs: [number, number, number][] = [];
  const scheduler = await createScheduler({
    store,
    instance: args.instance,
    maxParallel: args.maxParallel,
    handlers: {
      [args.handler]: ({ jobId, slot }) => {
        const lag = preciseNow() - slot.getTime();
        const index = Number(jobId.slice(jobId.lastIndexOf("-") + 1));
        runs.push([index, slot.getTime(), Math.round(lag * 1000) / 1000]);
      },
    },
  });
  await sleepUntil(args.until);
  await Promise.race([scheduler.stop({ graceMs: 1 }), delay(1_000)]);
  return { instance: args.instance, runs };
}

if (import.meta.main) await childMain(instance);
