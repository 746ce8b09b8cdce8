/**
 * One process of the claim throughput scenario (`claim_throughput.ts`): it
 * opens a store object of its own, waits for the common start (`goAt`),
 * then runs the claim step (`claimDueJobs`: unlimited capacity, every job
 * runnable, no instance dead, `maxJobs` at its default) back to back until
 * one claims nothing. It starts none of the runs it claims. Its clock's
 * wall time stands still at `now`, so that each job has exactly one due
 * slot and a claimed job is not due again; monotonic time is real. Before
 * the start, one claim step a second before `now` (nothing is due then)
 * opens its lock's connection and compiles the claim path.
 *
 * Prints each claim step's start and end (epoch ms) and the slots it
 * claimed, as `[job index, slot]` pairs (the job by its index in the
 * `prefix-<index>` ids).
 *
 * @module
 */

import { claimDueJobs } from "../../src/turns/claim_due_jobs.ts";
import { systemClock } from "../../src/clock.ts";
import { childMain } from "../_child.ts";
import { openStore, type StoreSpec } from "../_stores.ts";
import { preciseNow, sleepUntil } from "../_time.ts";

/** Arguments of a claimer child. */
export interface ClaimerArgs {
  readonly store: StoreSpec;
  /** This instance's id. */
  readonly instance: string;
  /** The wall time its clock stands at, epoch ms. */
  readonly now: number;
  /** When to start claiming, epoch ms (every claimer gets the same). */
  readonly goAt: number;
}

/** What a claimer child reports. */
export interface ClaimerResult {
  readonly instance: string;
  /** When it was ready (warmed up) and began to wait for `goAt`, epoch ms. */
  readonly readyAt: number;
  /** One `[start, end, slots claimed]` per claim step, epoch ms. */
  readonly claims: readonly (readonly [number, number, number])[];
  /** One `[job index, slot]` per slot claimed. */
  readonly slots: readonly (readonly [number, number])[];
}

async function claimer(args: ClaimerArgs): Promise<ClaimerResult> {
  await using store = await openStore(args.store);
  const claim = (now: number) =>
    claimDueJobs({
      store,
      clock: { ...systemClock, now: () => now },
      instance: args.instance,
      capacity: Number.MAX_SAFE_INTEGER,
      canRun: () => true,
      isDead: () => false,
    });
  const warm = await claim(args.now - 1000);
  if (warm.started.length > 0) {
    throw new Error("Cannot measure claims: jobs were due before their slot");
  }
  const readyAt = preciseNow();
  const claims: [number, number, number][] = [];
  const slots: [number, number][] = [];
  await sleepUntil(args.goAt);
  for (;;) {
    const start = preciseNow();
    const { started, more } = await claim(args.now);
    claims.push([start, preciseNow(), started.length]);
    for (const { run, spec } of started) {
      const index = Number(spec.id.slice(spec.id.lastIndexOf("-") + 1));
      slots.push([index, run.slot]);
    }
    if (started.length === 0 && !more) break;
  }
  return { instance: args.instance, readyAt, claims, slots };
}

if (import.meta.main) await childMain(claimer);
