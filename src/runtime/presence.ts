/**
 * This instance as the store and the other instances see it: the exclusive
 * hold on its id, its record and heartbeats, its view of the others'
 * liveness, and the self-fence that says whether its claims still stand
 * without a read.
 *
 * @module
 */

import type { InstanceRecord } from "../types.ts";
import type { InstanceHold, JobStore } from "../store/store.ts";
import type { Clock } from "../clock.ts";
import { confirmRuns } from "../turns/confirm_runs.ts";
import { type ProcessProbe, systemProbe } from "./process_probe.ts";
import { SelfFence } from "./self_fence.ts";
import { HoldStats, runHeartbeat } from "./heartbeat.ts";
import { Liveness } from "./liveness.ts";

/** How many heartbeats pass between checks that the instance id is held. */
const HOLD_CHECK_BEATS = 5;

/** What {@linkcode Presence} needs from its scheduler. */
export interface PresenceOptions {
  readonly store: JobStore;
  readonly clock: Clock;
  readonly instance: string;
  readonly incarnation: string;
  /** How long other instances let a heartbeat stand still. */
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  /** The runs this process holds: run id → job id. */
  readonly owned: () => ReadonlyMap<string, string>;
  /** Some instance looks dead: claim, to recover its runs. */
  readonly onDead: () => void;
  /** Another process took this instance's id: stop. */
  readonly onLost: () => void;
  /** A heartbeat failed (it is tried again at the next beat). */
  readonly onError: (error: unknown) => void;
}

/** The name of the machine, or `undefined` without `--allow-sys`. */
function hostName(): string | undefined {
  try {
    return Deno.hostname();
  } catch {
    return undefined; // no --allow-sys
  }
}

/** A fresh instance id: host, pid and a random suffix. */
export function defaultInstance(): string {
  return `${hostName() ?? "tock"}-${Deno.pid}-${
    crypto.randomUUID().slice(0, 6)
  }`;
}

/** One instance's presence; see the module documentation. */
export class Presence {
  /** The other instances, as this one judges them. */
  readonly liveness: Liveness;
  /** Whether this process's claims still stand without a read. */
  readonly fence: SelfFence;
  /** Lock hold times, published in the heartbeat. */
  readonly holds: HoldStats = new HoldStats();
  readonly #options: PresenceOptions;
  readonly #host = hostName();
  readonly #probe: ProcessProbe = systemProbe();
  readonly #heartbeat = new AbortController();
  #heartbeatDone: Promise<void> = Promise.resolve();
  #hold: InstanceHold | undefined;
  #startedAt = 0;
  #beat = 0;

  /** @param options The store, clock, identity and hooks. */
  constructor(options: PresenceOptions) {
    this.#options = options;
    this.liveness = new Liveness(options.instance, options.leaseMs, {
      probe: this.#probe,
    });
    this.fence = new SelfFence({
      clock: options.clock,
      leaseMs: options.leaseMs,
    });
  }

  /**
   * Takes the instance id for this process's life: a second live process
   * with the same id would take this one's runs for its own lost runs.
   */
  async hold(): Promise<void> {
    const { store, instance, incarnation } = this.#options;
    this.#hold = await store.holdInstance(instance, {
      incarnation,
      pid: Deno.pid,
      ...(this.#host !== undefined ? { host: this.#host } : {}),
    });
  }

  /** Writes the first heartbeat, then beats every `heartbeatMs`. */
  async register(): Promise<void> {
    const { clock, heartbeatMs, onDead, onError } = this.#options;
    this.#startedAt = clock.now();
    await this.#beatNow();
    let beats = 0;
    let failed = false;
    this.#heartbeatDone = runHeartbeat({
      clock,
      beat: async () => {
        try {
          await this.#beatNow();
        } catch (error) {
          // A failed beat may be a lost connection, and with it the id's
          // hold: check it at once (on its own connection), so that the id
          // is taken back before a twin takes it, or this process stops if
          // one did, and again after the first beat that works.
          failed = true;
          await this.#checkHold().catch(() => {});
          throw error;
        }
        if (failed || ++beats % HOLD_CHECK_BEATS === 0) {
          failed = false;
          await this.#checkHold();
        }
      },
      observe: () => this.observe(),
      intervalMs: heartbeatMs,
      liveness: this.liveness,
      onDead,
      onError,
      signal: this.#heartbeat.signal,
    });
  }

  /**
   * Reads the instances and judges them (this instance's view now).
   *
   * @returns Whether an instance is dead.
   */
  async observe(): Promise<(instance: string) => boolean> {
    const { store, clock } = this.#options;
    const instances = await store.instances();
    return this.liveness.observe(instances, clock.monotonic(), clock.now());
  }

  /**
   * The slow path of self-fencing (see `self_fence.ts`): beat, then read
   * this process's runs under the lock.
   *
   * @returns The runs still this process's own.
   */
  async confirm(): Promise<ReadonlySet<string>> {
    await this.#beatNow();
    const { store, clock, instance, incarnation, owned } = this.#options;
    const { ours, at } = await confirmRuns({
      store,
      clock,
      instance,
      incarnation,
      runs: owned(),
    });
    this.fence.confirmed(at);
    return ours;
  }

  /** Stops the heartbeat and removes the instance's record and hold. */
  async unregister(): Promise<void> {
    await this.#stopBeating();
    try {
      await this.#options.store.removeInstance(this.#options.instance);
    } finally {
      await this.#hold?.release();
    }
  }

  /** Stops the heartbeat and releases the hold (idempotent). */
  async close(): Promise<void> {
    await this.#stopBeating();
    await this.#hold?.release();
  }

  async #stopBeating(): Promise<void> {
    this.#heartbeat.abort();
    await this.#heartbeatDone;
  }

  #record(): InstanceRecord {
    this.#beat += 1;
    const probe = this.#probe;
    const { instance, incarnation, clock } = this.#options;
    return {
      id: instance,
      incarnation,
      startedAt: this.#startedAt,
      heartbeatAt: clock.now(),
      beat: this.#beat,
      pid: Deno.pid,
      ...(probe.pidStart !== undefined ? { pidStart: probe.pidStart } : {}),
      ...(this.#host !== undefined ? { host: this.#host } : {}),
      ...(probe.machine !== undefined ? { machine: probe.machine } : {}),
      lockHold: this.holds.summary(),
      recentHolds: this.holds.recent(),
    };
  }

  /** Writes a heartbeat, and tells the fence when it was written. */
  async #beatNow(): Promise<void> {
    const issued = this.fence.now();
    await this.#options.store.heartbeat(this.#record());
    this.fence.beaten(issued);
  }

  /**
   * Stops the scheduler if another process took this instance's id (a
   * store that lost the hold without this process dying).
   */
  async #checkHold(): Promise<void> {
    if (!this.#hold || (await this.#hold.check())) return;
    this.#options.onLost();
  }
}
