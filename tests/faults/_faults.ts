// Helpers for the clock-fault tests: a store view that can be frozen (a
// SIGSTOPped process: no heartbeat, no claim, no outcome write), handlers
// that hang until released, ledger expansion, and a shutdown that keeps fake
// time moving so that stop() never waits forever.
import { deepEqual, ok } from "node:assert/strict";
import type { JobStore } from "../../src/store/store.ts";
import type { Lock } from "../../src/lock/lock.ts";
import type { Scheduler } from "../../src/runtime/scheduler_api.ts";
import type { FakeClock } from "../../src/testing/mod.ts";
import type { LedgerEntry } from "../../src/types.ts";
import type { TockEvent, TockEventType } from "../../src/runtime/events.ts";

/** A switch that holds every call of a frozen instance until thawed. */
export class Gate {
  #frozen: PromiseWithResolvers<void> | undefined;

  get frozen(): boolean {
    return this.#frozen !== undefined;
  }

  freeze(): void {
    this.#frozen ??= Promise.withResolvers<void>();
  }

  thaw(): void {
    this.#frozen?.resolve();
    this.#frozen = undefined;
  }

  /** Resolves at once when thawed, else when thawed later. */
  async pass(): Promise<void> {
    while (this.#frozen) await this.#frozen.promise;
  }
}

/**
 * The view of `store` one instance has: while the gate is frozen, every call
 * (the lock's included) waits before it starts and before it returns, as
 * the calls of a stopped process would.
 */
export function gatedStore(store: JobStore, gate: Gate): JobStore {
  const wrap =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await gate.pass();
      const value = await fn(...args);
      await gate.pass();
      return value;
    };
  const lock: Lock = {
    acquire: wrap(store.lock.acquire.bind(store.lock)),
    tryAcquire: wrap(store.lock.tryAcquire.bind(store.lock)),
  };
  return {
    lock,
    due: wrap(store.due.bind(store)),
    read: wrap(store.read.bind(store)),
    commit: wrap(store.commit.bind(store)),
    nextDueAt: wrap(store.nextDueAt.bind(store)),
    jobs: wrap(store.jobs.bind(store)),
    job: wrap(store.job.bind(store)),
    history: wrap(store.history.bind(store)),
    saveLog: wrap(store.saveLog.bind(store)),
    logs: wrap(store.logs.bind(store)),
    heartbeat: wrap(store.heartbeat.bind(store)),
    removeInstance: wrap(store.removeInstance.bind(store)),
    holdInstance: wrap(store.holdInstance.bind(store)),
    instances: wrap(store.instances.bind(store)),
    ...(store.changed ? { changed: wrap(store.changed.bind(store)) } : {}),
    // Closing is the shared store's business, not one instance's.
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}

/** Handlers that hang until released (or their signal aborts). */
export class Hangs {
  readonly #waiting = new Map<number, PromiseWithResolvers<void>>();
  readonly started: number[] = [];

  /** A handler: records its slot, then waits for `release(slot)`. */
  readonly handler = (
    { slot, signal }: { slot: Date; signal: AbortSignal },
  ): Promise<void> => {
    const at = slot.getTime();
    this.started.push(at);
    const waiting = Promise.withResolvers<void>();
    this.#waiting.set(at, waiting);
    signal.addEventListener("abort", () => waiting.reject(signal.reason), {
      once: true,
    });
    return waiting.promise;
  };

  /** Ends the run of a slot: successfully, or with an error. */
  release(slot: number, error?: Error): void {
    const waiting = this.#waiting.get(slot);
    ok(waiting, `no hanging run for slot ${new Date(slot).toISOString()}`);
    this.#waiting.delete(slot);
    if (error) waiting.reject(error);
    else waiting.resolve();
  }

  /** Ends every hanging run (at the end of a test). */
  releaseAll(): void {
    for (const slot of [...this.#waiting.keys()]) this.release(slot);
  }
}

/** Collects events of some types from several schedulers. */
export function record(
  schedulers: readonly Scheduler[],
  ...types: TockEventType[]
): TockEvent[] {
  const seen: TockEvent[] = [];
  for (const scheduler of schedulers) {
    for (const type of types) {
      scheduler.addEventListener(type, (e) => seen.push(e as TockEvent));
    }
  }
  return seen;
}

/**
 * Stops schedulers while fake time moves (stop() waits out a grace on the
 * scheduler's clock), thawing gates and releasing hanging runs first.
 */
export async function shutdown(
  clocks: readonly FakeClock[],
  schedulers: readonly Scheduler[],
  { gates = [], hangs = [] }: {
    gates?: readonly Gate[];
    hangs?: readonly Hangs[];
  } = {},
): Promise<void> {
  for (const gate of gates) gate.thaw();
  for (const hang of hangs) hang.releaseAll();
  const stopped = Promise.all(schedulers.map((s) => s.stop({ graceMs: 1 })));
  let done = false;
  void stopped.finally(() => done = true);
  for (let i = 0; i < 100 && !done; i++) {
    for (const clock of clocks) await clock.tick(1000);
  }
  await stopped;
}

/**
 * Every slot the ledger accounts for, in ledger order, with ranges expanded
 * on a grid of `stepMs` (their count must agree with the grid).
 */
export function ledgerSlots(
  entries: readonly LedgerEntry[],
  stepMs: number,
): number[] {
  const slots: number[] = [];
  for (const entry of entries) {
    if (entry.count === undefined) {
      slots.push(entry.slot);
      continue;
    }
    const until = entry.until ?? entry.slot;
    deepEqual(
      (until - entry.slot) / stepMs + 1,
      entry.count,
      `range ${JSON.stringify(entry)} does not hold its count on the grid`,
    );
    for (let s = entry.slot; s <= until; s += stepMs) slots.push(s);
  }
  return slots;
}

/** Asserts that `slots` are every grid slot in `[first, last]`, each once. */
export function assertEverySlotOnce(
  slots: readonly number[],
  first: number,
  last: number,
  stepMs: number,
): void {
  const sorted = [...slots].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) {
    ok(
      sorted[i] !== sorted[i - 1],
      `slot ${new Date(sorted[i]!).toISOString()} is in the ledger twice`,
    );
  }
  deepEqual(sorted[0], first, "first slot of the ledger");
  deepEqual(sorted[sorted.length - 1], last, "last slot of the ledger");
  deepEqual(sorted.length, (last - first) / stepMs + 1, "slots in the ledger");
}

/** ISO text of an epoch-ms instant (for readable assertion diffs). */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
