/**
 * Judges which instances are dead, on this instance's monotonic clock: an
 * instance is dead when its heartbeat counter has not changed for `leaseMs`
 * of our own monotonic time. Wall-clock jumps and skew between hosts cannot
 * expire a live instance, and a stale wall time cannot revive a dead one.
 *
 * Judgments are made only at the moment of an observation, never later:
 * an observer that was itself frozen (SIGSTOP, a suspended VM) between
 * reading the instances and judging them would otherwise take its own
 * silence for theirs. An instance with no record at all (it stopped, was
 * removed as dead by someone else, or started after our list was read) is
 * dead only once it has been missing for `leaseMs` of our observations.
 *
 * @module
 */

import type { InstanceRecord } from "../types.ts";

/** Tracks other instances' heartbeats. */
export class Liveness {
  readonly #seen = new Map<string, { beat: number; since: number }>();
  readonly #missing = new Map<string, number>();
  readonly #self: string;
  readonly #leaseMs: number;
  #observedAt = 0;

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
   * @returns A predicate, judged as of this observation: is it dead?
   */
  observe(
    instances: readonly InstanceRecord[],
    monotonic: number,
  ): (instance: string) => boolean {
    const present = new Set<string>();
    for (const record of instances) {
      present.add(record.id);
      this.#missing.delete(record.id);
      const seen = this.#seen.get(record.id);
      if (!seen || seen.beat !== record.beat) {
        this.#seen.set(record.id, { beat: record.beat, since: monotonic });
      }
    }
    for (const id of this.#seen.keys()) {
      if (!present.has(id)) this.#seen.delete(id);
    }
    for (const [id, since] of this.#missing) {
      if (monotonic - since > 10 * this.#leaseMs) this.#missing.delete(id);
    }
    this.#observedAt = Math.max(this.#observedAt, monotonic);
    return (instance) => this.#judge(instance, monotonic);
  }

  #judge(instance: string, at: number): boolean {
    if (instance === this.#self) return false;
    const seen = this.#seen.get(instance);
    if (seen) return at - seen.since > this.#leaseMs;
    const since = this.#missing.get(instance) ?? at;
    this.#missing.set(instance, since);
    return at - since > this.#leaseMs;
  }

  /** Ids judged dead at the latest observation (records to remove). */
  dead(): string[] {
    return [...this.#seen.keys()].filter((id) =>
      this.#judge(id, this.#observedAt)
    );
  }
}
