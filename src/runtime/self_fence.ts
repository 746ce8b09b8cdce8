/**
 * Self-fencing: before an attempt starts (the first, a retry, or a start
 * claimed ahead of its slot), an instance must know that its claim still
 * stands. Another instance takes a run away only after it saw this one's
 * heartbeat stand still for a lease, and it judges that inside its own lock
 * turn; so a run this process saw as its own under the lock at instant C
 * is still its own at instant S when its heartbeat never stood still for
 * half a lease between C and S. That is the fast path, with no I/O.
 *
 * Otherwise (the process was frozen by SIGSTOP, a VM pause, a long GC, a
 * suspended laptop; or its heartbeat writes failed) the runtime writes a
 * heartbeat and reads the run under the lock before starting it, and does
 * not start it if it was taken away (`run.fenced`).
 *
 * Time is measured on both clocks and the larger elapsed time counts: the
 * monotonic clock stops while a machine is suspended, the wall clock can
 * step back.
 *
 * @module
 */

import { type Clock, type Instant, instantOf } from "../clock.ts";

/** Options for {@linkcode SelfFence}. */
export interface SelfFenceOptions {
  readonly clock: Clock;
  /** How long other instances let a heartbeat stand still. */
  readonly leaseMs: number;
  /**
   * The part of the lease a heartbeat may stand still and a run still
   * start without a read.
   * @default {0.5}
   */
  readonly fraction?: number;
}

/** Tracks whether this instance's claims still stand; see the module doc. */
export class SelfFence {
  readonly #clock: Clock;
  readonly #limitMs: number;
  /** When the latest heartbeat that was written was issued. */
  #lastBeat: Instant | undefined;
  /** When the current unbroken chain of heartbeats began to be visible. */
  #chainStart: Instant | undefined;
  /** The latest lock turn that saw every run of this process as its own. */
  #confirmed: Instant | undefined;

  /** @param options The clock and the lease. */
  constructor(options: SelfFenceOptions) {
    this.#clock = options.clock;
    this.#limitMs = options.leaseMs * (options.fraction ?? 0.5);
  }

  /** The current instant. */
  now(): Instant {
    return instantOf(this.#clock);
  }

  /**
   * A heartbeat issued at `issued` was written.
   *
   * @param issued When the write began ({@linkcode SelfFence.now}).
   */
  beaten(issued: Instant): void {
    const done = this.now();
    const previous = this.#lastBeat;
    // Observers may have seen the beat stand still from the previous
    // write's start to this write's end. Too long, and any claim confirmed
    // before this write ended may have been taken away.
    if (!previous || elapsed(previous, done) >= this.#limitMs) {
      this.#chainStart = done;
    }
    if (!previous || issued.monotonic > previous.monotonic) {
      this.#lastBeat = issued;
    }
  }

  /**
   * A lock turn that began at `at` saw every run of this process as its
   * own (a claim, or a confirmation).
   *
   * @param at When the lock was taken.
   */
  confirmed(at: Instant): void {
    if (!this.#confirmed || at.monotonic > this.#confirmed.monotonic) {
      this.#confirmed = at;
    }
  }

  /**
   * Whether a run this process holds may start now without reading its
   * claim again.
   *
   * @returns True on the fast path.
   */
  fresh(): boolean {
    const last = this.#lastBeat;
    const chain = this.#chainStart;
    const confirmed = this.#confirmed;
    if (!last || !chain || !confirmed) return false;
    return elapsed(last, this.now()) < this.#limitMs &&
      confirmed.monotonic >= chain.monotonic;
  }
}

function elapsed(from: Instant, to: Instant): number {
  return Math.max(to.monotonic - from.monotonic, to.wall - from.wall);
}
