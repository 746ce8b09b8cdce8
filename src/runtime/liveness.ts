/**
 * Judges which instances are dead.
 *
 * **Watched.** An instance is dead when its heartbeat counter (and the
 * incarnation behind its id) has not changed for `leaseMs` of this
 * instance's monotonic time. Wall-clock jumps
 * and skew between hosts cannot expire a live instance, and a stale wall
 * time cannot revive a dead one. Judgments are made only at the moment of
 * an observation, never later: an observer that was itself frozen (SIGSTOP,
 * a suspended VM) between reading the instances and judging them would
 * otherwise take its own silence for theirs. An instance with no record at
 * all (it stopped, was removed as dead by someone else, or started after
 * our list was read) is dead only once it has been missing for `leaseMs` of
 * our observations. An instance this observer watched whose record then
 * vanished (another instance judged it dead and removed it) keeps the time
 * its beat last moved, and a process found gone stays dead: a removed
 * record is judged like a stalled one, so its runs are recovered one lease
 * after its last beat, not a lease after the removal.
 *
 * **Not watched long enough.** A short-lived observer (`tock tick`) never
 * watches anyone for a lease, so it also judges by the record itself:
 * - an instance on this machine (same boot and pid namespace) whose process
 *   no longer exists, or whose pid now belongs to a process started at
 *   another time, is dead at once (any observer);
 * - an instance on another machine, or one whose process cannot be looked
 *   up, is dead when its heartbeat is older than `staleMs` (several leases)
 *   on the store's clock, unless this observer has seen it beat.
 *
 * A process found alive on this machine is never judged by the age of its
 * record: one machine's wall clock can step, its processes cannot.
 *
 * @module
 */

import type { InstanceRecord } from "../types.ts";
import { NO_PROBE, type ProcessProbe } from "./process_probe.ts";

/** Options for {@linkcode Liveness}. */
export interface LivenessOptions {
  /** How this machine's processes are looked up. @default {NO_PROBE} */
  readonly probe?: ProcessProbe;
  /**
   * How old (on the store's clock) the heartbeat of an instance this
   * observer has not seen beat must be before it counts as dead.
   * @default {3 × leaseMs}
   */
  readonly staleMs?: number;
}

interface Seen {
  readonly beat: number;
  /** The process behind the id (a restart under the id counts again from 1). */
  readonly incarnation: string | undefined;
  /** When the beat last changed (or was first seen), monotonic. */
  readonly since: number;
  /** Whether this observer saw the beat change. */
  readonly changed: boolean;
  /** Its process is known to be gone. */
  readonly gone: boolean;
  /** Its record is older than `staleMs` and its process is not known here. */
  readonly stale: boolean;
}

/** Tracks other instances' heartbeats. */
export class Liveness {
  readonly #seen = new Map<string, Seen>();
  /**
   * Instances without a record: since when they count as silent, and when
   * this observer first missed them (to forget them after ten leases).
   */
  readonly #missing = new Map<string, { since: number; noted: number }>();
  readonly #self: string;
  readonly #leaseMs: number;
  readonly #staleMs: number;
  readonly #probe: ProcessProbe;
  #observedAt = 0;

  /**
   * @param self This instance's id (never judged dead).
   * @param leaseMs How long a heartbeat may stand still.
   * @param options How processes are looked up, and the age bound.
   */
  constructor(self: string, leaseMs: number, options: LivenessOptions = {}) {
    this.#self = self;
    this.#leaseMs = leaseMs;
    this.#staleMs = options.staleMs ?? 3 * leaseMs;
    this.#probe = options.probe ?? NO_PROBE;
  }

  /**
   * Takes in the current instance records.
   *
   * @param instances Every registered instance.
   * @param monotonic This instance's monotonic time now.
   * @param wall This instance's wall time now (ages records that carry only
   * `storedAt`, written on this machine's clock).
   * @returns A predicate, judged as of this observation: is it dead?
   */
  observe(
    instances: readonly InstanceRecord[],
    monotonic: number,
    wall?: number,
  ): (instance: string) => boolean {
    const present = new Set<string>();
    for (const record of instances) {
      present.add(record.id);
      this.#missing.delete(record.id);
      const seen = this.#seen.get(record.id);
      // A new process under the id counts its beats from 1 again: the same
      // count from another incarnation is a new beat, not a stalled one.
      const moved = seen !== undefined &&
        (seen.beat !== record.beat || seen.incarnation !== record.incarnation);
      this.#seen.set(record.id, {
        beat: record.beat,
        incarnation: record.incarnation,
        since: !seen || moved ? monotonic : seen.since,
        changed: moved || (seen?.changed ?? false),
        ...this.#fromRecord(record, wall),
      });
    }
    for (const [id, seen] of this.#seen) {
      if (present.has(id)) continue;
      this.#seen.delete(id);
      this.#missing.set(id, {
        since: seen.gone ? -Infinity : seen.since,
        noted: monotonic,
      });
    }
    for (const [id, { noted }] of this.#missing) {
      if (monotonic - noted > 10 * this.#leaseMs) this.#missing.delete(id);
    }
    this.#observedAt = Math.max(this.#observedAt, monotonic);
    return (instance) => this.#judge(instance, monotonic);
  }

  #fromRecord(record: InstanceRecord, wall: number | undefined) {
    const probe = this.#probe;
    const local = probe.machine !== undefined &&
      record.machine === probe.machine && record.pid !== undefined;
    const alive = local ? probe.alive(record.pid!, record.pidStart) : undefined;
    const age = record.ageMs ??
      (record.storedAt !== undefined && wall !== undefined
        ? wall - record.storedAt
        : undefined);
    return {
      gone: alive === false,
      stale: alive !== true && age !== undefined && age > this.#staleMs,
    };
  }

  #judge(instance: string, at: number): boolean {
    if (instance === this.#self) return false;
    const seen = this.#seen.get(instance);
    if (seen) {
      if (seen.gone || at - seen.since > this.#leaseMs) return true;
      return seen.stale && !seen.changed;
    }
    const missing = this.#missing.get(instance) ?? { since: at, noted: at };
    this.#missing.set(instance, missing);
    return at - missing.since > this.#leaseMs;
  }

  /** Ids judged dead at the latest observation (records to remove). */
  dead(): string[] {
    return [...this.#seen.keys()].filter((id) =>
      this.#judge(id, this.#observedAt)
    );
  }
}
