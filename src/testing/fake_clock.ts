/**
 * A clock for tests: wall time and monotonic time move only when told, and
 * timers fire in order as time advances.
 *
 * @module
 */

import type { Clock } from "../clock.ts";

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/** Options for {@linkcode FakeClock}. */
export interface FakeClockOptions {
  /**
   * Awaited after each timer fires, so that the work it started (promises,
   * I/O) settles before time moves on. The default drains the microtask
   * queue and takes one macrotask turn: enough for in-memory stores; pass
   * something that waits for real I/O when a file store is involved.
   *
   * @default {microtask drain + one macrotask turn}
   */
  readonly settle?: () => Promise<void>;
}

async function drain(): Promise<void> {
  for (let i = 0; i < 200; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  for (let i = 0; i < 200; i++) await Promise.resolve();
}

/**
 * A controllable {@linkcode Clock}.
 *
 * @example Usage
 * ```ts
 * import { FakeClock } from "./fake_clock.ts";
 * const clock = new FakeClock(Date.UTC(2026, 0, 1));
 * let fired = false;
 * clock.setTimeout(() => fired = true, 1000);
 * await clock.tick(1000);
 * console.log(fired); // true
 * ```
 */
export class FakeClock implements Clock {
  #wall: number;
  #mono = 0;
  #nextId = 1;
  #timers: Timer[] = [];
  readonly #settle: () => Promise<void>;

  /**
   * Creates a clock stopped at `start`; monotonic time starts at 0.
   *
   * @param start The initial wall time (epoch ms or Date).
   * @param options How to let work settle between timers.
   */
  constructor(start: number | Date = 0, options: FakeClockOptions = {}) {
    this.#wall = typeof start === "number" ? start : start.getTime();
    this.#settle = options.settle ?? drain;
  }

  /**
   * Wall-clock time in epoch ms.
   *
   * @returns The current fake wall time.
   */
  now(): number {
    return this.#wall;
  }

  /**
   * Monotonic time in ms since the clock was created.
   *
   * @returns The current fake monotonic time.
   */
  monotonic(): number {
    return this.#mono;
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.#timers.length;
  }

  /**
   * Schedules `fn` after `ms` of monotonic time; it fires during a later
   * {@linkcode FakeClock.tick}.
   *
   * @param fn What to call.
   * @param ms Delay in ms (negative counts as 0).
   * @returns The timer id, for {@linkcode FakeClock.clearTimeout}.
   */
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.push({ id, at: this.#mono + Math.max(0, ms), fn });
    this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
    return id;
  }

  /**
   * Cancels a timer; unknown ids are ignored.
   *
   * @param id A timer id from {@linkcode FakeClock.setTimeout}.
   */
  clearTimeout(id: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== id);
  }

  /**
   * Waits `ms` of fake time.
   *
   * @param ms Delay in ms.
   * @param signal Rejects the promise with its reason when aborted.
   * @returns A promise that resolves when a tick passes the delay.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.clearTimeout(id);
        reject(signal?.reason);
      };
      const id = this.setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Moves both clocks forward by `ms`, firing due timers in order and
   * letting their work settle after each.
   *
   * @param ms How far to move, in ms.
   * @returns Resolves once the due timers have fired and their work settled.
   */
  async tick(ms: number): Promise<void> {
    const end = this.#mono + ms;
    await this.#settle();
    while (true) {
      const next = this.#timers[0];
      if (!next || next.at > end) break;
      this.#timers.shift();
      // Overdue after a stall: fires now, time does not move back.
      const at = Math.max(next.at, this.#mono);
      this.#wall += at - this.#mono;
      this.#mono = at;
      next.fn();
      await this.#settle();
    }
    this.#wall += end - this.#mono;
    this.#mono = end;
    await this.#settle();
  }

  /**
   * Moves both clocks forward by `ms` without firing any timer, as a stopped
   * process (SIGSTOP, a paused VM, a long GC) sees time: on the next
   * {@linkcode FakeClock.tick} every overdue timer fires at once.
   *
   * @param ms How long the process was stopped, in ms.
   */
  stall(ms: number): void {
    this.#wall += Math.max(0, ms);
    this.#mono += Math.max(0, ms);
  }

  /**
   * Moves only the wall clock (a clock jump or an NTP step); monotonic time
   * and timers are unaffected.
   *
   * @param ms How far to move the wall clock, in ms; negative jumps back.
   */
  jump(ms: number): void {
    this.#wall += ms;
  }
}
