/**
 * The instance heartbeat and the lock hold-time statistics it publishes.
 *
 * @module
 */

import type { InstanceRecord } from "../types.ts";
import type { Clock } from "../clock.ts";
import type { Liveness } from "./liveness.ts";

const SAMPLES = 1024;

/** How many of the latest holds a heartbeat carries, with their starts. */
export const RECENT_HOLDS = 64;

/** Lock hold times of one instance (a ring of the latest samples). */
export class HoldStats {
  readonly #samples: number[] = [];
  readonly #recent: (readonly [number, number])[] = [];
  #count = 0;

  /**
   * Adds one hold time.
   *
   * @param ms How long the lock was held.
   * @param endedAt When the hold ended, epoch ms (wall clock).
   */
  add(ms: number, endedAt: number): void {
    this.#samples[this.#count % SAMPLES] = ms;
    this.#count += 1;
    this.#recent.push([Math.round(endedAt - ms), round(ms)]);
    if (this.#recent.length > RECENT_HOLDS) this.#recent.shift();
  }

  /** The latest holds, oldest first, as `[start, ms]`. */
  recent(): (readonly [number, number])[] {
    return [...this.#recent];
  }

  /** Count, p50, p99 and max of the latest samples. */
  summary(): NonNullable<InstanceRecord["lockHold"]> {
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return {
      count: this.#count,
      p50Ms: round(at(0.5)),
      p99Ms: round(at(0.99)),
      maxMs: round(sorted[sorted.length - 1] ?? 0),
    };
  }
}

function round(ms: number) {
  return Math.round(ms * 1000) / 1000;
}

/** Options for {@linkcode runHeartbeat}. */
export interface HeartbeatOptions {
  readonly clock: Clock;
  /** Writes one heartbeat. */
  readonly beat: () => Promise<void>;
  /** Reads the instances and judges them. */
  readonly observe: () => Promise<unknown>;
  readonly intervalMs: number;
  readonly liveness: Liveness;
  /** Called when some instance looks dead (so a claim can recover its runs). */
  readonly onDead: () => void;
  readonly onError: (error: unknown) => void;
  readonly signal: AbortSignal;
}

/**
 * Writes a heartbeat every `intervalMs` until the signal aborts, and watches
 * the other instances' heartbeats.
 *
 * @param options What to write, where, and how often.
 * @returns Resolves when the signal aborts.
 */
export async function runHeartbeat(options: HeartbeatOptions): Promise<void> {
  const { clock, signal } = options;
  while (!signal.aborted) {
    try {
      await options.beat();
      await options.observe();
      if (options.liveness.dead().length > 0) options.onDead();
    } catch (error) {
      if (!signal.aborted) options.onError(error);
    }
    await clock.sleep(options.intervalMs, signal).catch(() => {});
  }
}
