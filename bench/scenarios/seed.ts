/**
 * The seed scenario in real time: a per-second job beside a job whose run
 * lasts as long as its period (60 s every minute), on one tock instance
 * (a file store) or on the naive scheduler that holds its lock while jobs
 * run (`tests/seed/_naive.ts`, two tickers, as in the seed test). The
 * per-second job's slots are tallied with `tests/seed/_tally.ts`: on time
 * (started < 1 s after its slot), late, or missed (never started).
 *
 * Both systems see the same window: the slots in `(startAt, startAt +
 * windowMs]`. tock's jobs start at `startAt`; the naive jobs are created at
 * `startAt + 2 ms`, so that its tickers, which tick once a second from
 * creation, tick just after each whole second: its best phase.
 *
 * Run as a child: `deno run -A --v8-flags=--expose-gc
 * bench/scenarios/seed.ts '<SeedArgs JSON>'`.
 *
 * @module
 */

import { createScheduler } from "../../src/runtime/scheduler.ts";
import type { TockEvent } from "../../src/runtime/events.ts";
import { delay, systemClock } from "../../src/clock.ts";
import { startNaiveCron } from "../../tests/seed/_naive.ts";
import {
  addStart,
  type Starts,
  type Tally,
  tally,
} from "../../tests/seed/_tally.ts";
import { childMain } from "../_child.ts";
import { openStore, type StoreSpec } from "../_stores.ts";
import { preciseNow, sleepUntil } from "../_time.ts";

/** The systems the seed scenario compares. */
export type SeedSystem = "tock" | "naive";

/** Arguments of the seed child. */
export interface SeedArgs {
  readonly system: SeedSystem;
  /** tock only: an empty store. */
  readonly store?: StoreSpec;
  /** A whole second, epoch ms, a few seconds ahead. */
  readonly startAt: number;
  /** The window, in ms (whole seconds). */
  readonly windowMs: number;
  /** The long job's schedule (`0 * * * * *`). */
  readonly longSchedule: string;
  /** How long each long run lasts, in ms. */
  readonly longRunMs: number;
}

/** How one system treated the per-second job's slots. */
export interface SeedResult extends Tally {
  readonly system: SeedSystem;
  /** Runs of the long job that started. */
  readonly longRuns: number;
}

const FAST_SCHEDULE = "* * * * * *";
/** Runs that start this long after the window still count (as late). */
const SETTLE_MS = 2_000;

async function runTock(args: SeedArgs, fast: Starts, long: Starts) {
  if (!args.store) throw new TypeError("Cannot run tock: no 'store' given");
  await using store = await openStore(args.store);
  let maxHoldMs = 0;
  const scheduler = await createScheduler({ store, instance: "bench-seed" });
  scheduler.addEventListener("lock.released", (event) => {
    maxHoldMs = Math.max(maxHoldMs, (event as TockEvent).detail.holdMs ?? 0);
  });
  await scheduler.add({
    id: "fast",
    schedule: FAST_SCHEDULE,
    startAt: args.startAt,
    handler: ({ slot }) => addStart(fast, slot.getTime(), preciseNow()),
  });
  await scheduler.add({
    id: "long",
    schedule: args.longSchedule,
    startAt: args.startAt,
    handler: async ({ slot, signal }) => {
      addStart(long, slot.getTime(), preciseNow());
      await delay(args.longRunMs, signal);
    },
  });
  await sleepUntil(args.startAt + args.windowMs + SETTLE_MS);
  await Promise.race([scheduler.stop({ graceMs: 1 }), delay(3_000)]);
  return maxHoldMs;
}

async function runNaive(args: SeedArgs, fast: Starts, long: Starts) {
  await sleepUntil(args.startAt + 2);
  const cron = startNaiveCron({
    clock: systemClock,
    tickers: 2,
    jobs: [
      {
        id: "fast",
        schedule: FAST_SCHEDULE,
        handler: ({ slot }) => addStart(fast, slot.getTime(), preciseNow()),
      },
      {
        id: "long",
        schedule: args.longSchedule,
        handler: async ({ slot, signal }) => {
          addStart(long, slot.getTime(), preciseNow());
          await delay(args.longRunMs, signal);
        },
      },
    ],
  });
  await sleepUntil(args.startAt + args.windowMs + SETTLE_MS);
  await cron.stop();
  return Math.max(0, ...cron.holds);
}

/**
 * Runs the seed scenario on one system.
 *
 * @param args The system, the window and the long job.
 * @returns The per-second job's tally.
 */
export async function seed(args: SeedArgs): Promise<SeedResult> {
  const fast: Starts = new Map();
  const long: Starts = new Map();
  const maxHoldMs = args.system === "tock"
    ? await runTock(args, fast, long)
    : await runNaive(args, fast, long);
  const expected = Array.from(
    { length: Math.round(args.windowMs / 1000) },
    (_, k) => args.startAt + (k + 1) * 1000,
  );
  const t = tally(args.system, expected, fast, maxHoldMs);
  return {
    system: args.system,
    slots: t.slots,
    onTime: t.onTime,
    late: t.late,
    missed: t.missed,
    twice: t.twice,
    maxLateMs: Math.round(t.maxLateMs * 1000) / 1000,
    maxHoldMs: Math.round(t.maxHoldMs * 1000) / 1000,
    longRuns: [...long.values()].flat().length,
  };
}

if (import.meta.main) await childMain(seed);
