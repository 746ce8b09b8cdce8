/**
 * Judges which instances are dead, on this instance's monotonic clock: an
 * instance is dead when its heartbeat counter has not changed for `leaseMs`
 * of our own monotonic time. Wall-clock jumps and skew between hosts cannot
 * expire a live instance, and a stale wall time cannot revive a dead one.
 *
 * @module
 */

import type { InstanceRecord } from "../types.ts";

/** Tracks other instances' heartbeats. */
export class Liveness {
  readonly #seen = new Map<string, { beat: number; since: number }>();
  readonly #self: string;
  readonly #leaseMs: number;

  /**
   * @param self This instance's id (never judged dead).
   * @param leaseMs How long a heartbeat may stand still.
   */
  constructor(self: string, leaseMs: number) {
    this.#self = self;
    this.#leaseMs = leaseMs;
  }

  /**
   * Takes in the current instance records.
   *
   * @param instances Every registered instance.
   * @param monotonic This instance's monotonic time now.
   * @returns A predicate: is this instance dead?
   */
  observe(
    instances: readonly InstanceRecord[],
    monotonic: number,
  ): (instance: string) => boolean {
    const present = new Set<string>();
    for (const record of instances) {
      present.add(record.id);
      const seen = this.#seen.get(record.id);
      if (!seen || seen.beat !== record.beat) {
        this.#seen.set(record.id, { beat: record.beat, since: monotonic });
      }
    }
    for (const id of this.#seen.keys()) {
      if (!present.has(id)) this.#seen.delete(id);
    }
    return (instance) => {
      if (instance === this.#self) return false;
      const seen = this.#seen.get(instance);
      // An instance with no record stopped (cleanly, settling its runs) or
      // was already found dead by someone else.
      if (!seen) return true;
      return monotonic - seen.since > this.#leaseMs;
    };
  }

  /** Ids currently judged dead (so that their records can be removed). */
  dead(monotonic: number): string[] {
    return [...this.#seen].filter(([id, s]) =>
      id !== this.#self && monotonic - s.since > this.#leaseMs
    ).map(([id]) => id);
  }
}
