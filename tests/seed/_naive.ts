// The naive baseline of the seed scenario: the scheduler design tock exists
// to replace, kept here on purpose. Every ticker loops once a second: it
// takes the lock, runs every due job *while holding the lock* (it awaits the
// handler), moves each job's next run to "the next slot after now", and only
// then releases the lock. A long job therefore starves every other ticker,
// and the slots that came due meanwhile are dropped without a record.
// Do not "fix" it: the seed test measures exactly these failures.
import type { Clock } from "../../src/clock.ts";
import type { Lock } from "../../src/lock/lock.ts";
import { createMemoryLock } from "../../src/testing/mod.ts";
import { nextSlot } from "../../src/schedule/next_slot.ts";
import { parseSchedule } from "../../src/schedule/parse_schedule.ts";
import type { Schedule } from "../../src/schedule/schedule.ts";

/** What a naive handler receives. */
export interface NaiveContext {
  readonly jobId: string;
  readonly slot: Date;
  readonly ticker: string;
  readonly signal: AbortSignal;
}

/** A job of the naive scheduler: a schedule string (tock's syntax) and a handler. */
export interface NaiveJob {
  readonly id: string;
  readonly schedule: string;
  readonly handler: (context: NaiveContext) => unknown;
}

/** One run the naive scheduler started (it records nothing else). */
export interface NaiveRun {
  readonly job: string;
  readonly slot: number;
  /** `clock.now()` when the handler was called. */
  readonly startedAt: number;
  readonly ticker: string;
}

/** Options for {@linkcode startNaiveCron}. */
export interface NaiveCronOptions {
  readonly clock: Clock;
  readonly jobs: readonly NaiveJob[];
  /** How many ticker "instances" share the lock and the job table. */
  readonly tickers?: number;
  /** Period of each ticker's loop, in ms. @default {1000} */
  readonly tickMs?: number;
  /** The shared lock. @default {a memory lock} */
  readonly lock?: Lock;
}

/** A running naive scheduler. */
export interface NaiveCron extends AsyncDisposable {
  /** Every run started, in order. */
  readonly runs: readonly NaiveRun[];
  /** How long each lock hold lasted, in ms of the clock's monotonic time. */
  readonly holds: readonly number[];
  /** Aborts the loops (and any running handler) and waits for them. */
  stop(): Promise<void>;
}

interface Row {
  readonly job: NaiveJob;
  readonly schedule: Schedule;
  next: number | undefined;
}

/**
 * Starts the naive tickers on `clock`; the jobs are created now (an
 * interval is anchored at this instant, as tock anchors it at creation).
 */
export function startNaiveCron(options: NaiveCronOptions): NaiveCron {
  const { clock, tickMs = 1000, tickers = 2 } = options;
  const lock = options.lock ?? createMemoryLock();
  const controller = new AbortController();
  const { signal } = controller;
  const runs: NaiveRun[] = [];
  const holds: number[] = [];
  const created = clock.now();
  // The shared job table (a database table in the real thing).
  const rows: Row[] = options.jobs.map((job) => {
    const schedule = parseSchedule(job.schedule, { now: created });
    return { job, schedule, next: nextSlot(schedule, created) };
  });

  async function tick(ticker: string): Promise<void> {
    // A second ticker waits here for as long as the first one's jobs run.
    await using _lease = await lock.acquire({ signal });
    const since = clock.monotonic();
    try {
      const now = clock.now();
      for (const row of rows) {
        if (row.next === undefined || row.next > now) continue;
        const slot = row.next;
        runs.push({ job: row.job.id, slot, startedAt: clock.now(), ticker });
        try {
          await row.job.handler({
            jobId: row.job.id,
            slot: new Date(slot),
            ticker,
            signal,
          });
        } catch {
          // A failed run is forgotten too; nothing is recorded anywhere.
        }
        // The bug under study: "next slot after now" silently drops every
        // slot that came due while the handler ran (and while this tick
        // held the lock, starving the other tickers).
        row.next = nextSlot(row.schedule, clock.now());
      }
    } finally {
      holds.push(clock.monotonic() - since);
    }
  }

  async function loop(ticker: string): Promise<void> {
    while (!signal.aborted) {
      try {
        await tick(ticker);
      } catch (error) {
        if (!signal.aborted) throw error;
      }
      await clock.sleep(tickMs, signal).catch(() => {});
    }
  }

  const loops = Array.from(
    { length: tickers },
    (_, i) => loop(`naive-${i + 1}`),
  );
  async function stop(): Promise<void> {
    controller.abort(new DOMException("Naive cron stopped", "AbortError"));
    await Promise.all(loops);
  }
  return { runs, holds, stop, [Symbol.asyncDispose]: stop };
}
