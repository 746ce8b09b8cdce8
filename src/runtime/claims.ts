/**
 * The claim side of one instance: when the scheduler actor's `waiting`
 * state wakes (`waitForWork`), and what its `locked` state does (`claim`):
 * one claim step through `claimDueJobs`, its events and span, the lookahead it
 * sizes from recent claims, and the records of dead instances it removes.
 *
 * @module
 */

import type { Capabilities, JobStore } from "../store/store.ts";
import { canRun } from "../store/store.ts";
import type { ClaimOutput } from "../actors/scheduler_machine.ts";
import type { Clock } from "../clock.ts";
import { claimDueJobs } from "../turns/claim_due_jobs.ts";
import type { TockEventDetail, TockEventType } from "./events.ts";
import type { Presence } from "./presence.ts";
import type { Tracing } from "./tracing.ts";

/** The longest a slot is claimed ahead, however slow claims get. */
const MAX_LOOKAHEAD_MS = 2000;
/** Claims remembered to size the lookahead. */
const CLAIMS_REMEMBERED = 16;
/**
 * How soon a job the last claim left while it was due (another instance
 * held it) is tried again, unless a change in the store comes first, ms.
 */
const LEFT_RETRY_MS = 100;

/** What {@linkcode Claims} needs from its scheduler. */
export interface ClaimsOptions {
  readonly store: JobStore;
  readonly clock: Clock;
  readonly instance: string;
  readonly incarnation: string;
  readonly presence: Presence;
  /** The longest wait between claims, ms. */
  readonly maxSleepMs: number;
  /** How far ahead slots are claimed at least (0: never ahead), ms. */
  readonly lookaheadMs: number;
  /** The most jobs one claim changes (see `claimDueJobs`). */
  readonly maxJobs: number;
  /** What this instance can run now. */
  readonly capabilities: () => Capabilities;
  /** The runs this process holds: run id → job id. */
  readonly owned: () => ReadonlyMap<string, string>;
  /** Opens and closes the claim's span. */
  readonly tracing?: Tracing;
  readonly emit: (
    type: TockEventType,
    detail: Omit<TockEventDetail, "instance">,
  ) => void;
}

/** One instance's claims; see the module documentation. */
export class Claims {
  readonly #options: ClaimsOptions;
  /** Durations of the latest claims, ms (monotonic). */
  readonly #claimMs: number[] = [];
  /** Wall time of the last claim (what it looked ahead from). */
  #claimedAt = -Infinity;
  /** Whether the next claim reads every job with runs (see `full`). */
  #full = true;
  readonly #reportedDead = new Set<string>();

  /** @param options The store, clock, identity and hooks. */
  constructor(options: ClaimsOptions) {
    this.#options = options;
  }

  /** A claim failed: the next one reads every job with runs. */
  failed(): void {
    this.#full = true;
  }

  /**
   * Waits until a claim is worth making: a slot's due time (less the
   * lookahead), a change in the store, or `maxSleepMs`.
   *
   * @param full No capacity left: wake for schedules, not the backlog.
   * @param signal Aborts the wait.
   */
  async waitForWork(full: boolean, signal: AbortSignal): Promise<void> {
    const o = this.#options;
    // When full, a backlog cannot start here; wake for schedules only (a run
    // ending wakes us for the backlog).
    const wakeAt = await o.store.nextDueAt(o.capabilities(), {
      backlog: !full,
    });
    // Wake a lookahead before a slot; but a slot the last claim saw and
    // left (something of its job runs) is claimed at its due time. A job
    // that was already due when the last claim ran, and is still due, was
    // left by it: another instance holds it (it is claiming it). Claiming
    // again changes nothing until the store does: wait for that, or retry
    // a little later.
    let target = wakeAt === undefined ? Infinity : wakeAt - this.#lookahead();
    if (wakeAt !== undefined && target <= this.#claimedAt) {
      target = wakeAt <= this.#claimedAt
        ? o.clock.now() + LEFT_RETRY_MS
        : wakeAt;
    }
    const wait = Math.min(o.maxSleepMs, target - o.clock.now());
    if (wait <= 0) return;
    const inner = new AbortController();
    const stop = () => inner.abort(signal.reason);
    signal.addEventListener("abort", stop, { once: true });
    const waits = [o.clock.sleep(wait, inner.signal)];
    if (o.store.changed) waits.push(o.store.changed(inner.signal));
    try {
      await Promise.race(waits);
    } finally {
      signal.removeEventListener("abort", stop);
      inner.abort();
      await Promise.allSettled(waits);
    }
  }

  /** The configured lookahead, or twice the slowest recent claim. */
  #lookahead(): number {
    const o = this.#options;
    if (o.lookaheadMs === 0) return 0;
    const slowest = Math.max(0, ...this.#claimMs);
    return Math.min(MAX_LOOKAHEAD_MS, Math.max(o.lookaheadMs, 2 * slowest));
  }

  /**
   * Runs one claim step and reports what it did.
   *
   * @param capacity How many runs this instance may still start.
   * @param signal Aborts the wait for the lock.
   * @returns The claimed runs and those to cancel, for the machine.
   */
  async claim(capacity: number, signal: AbortSignal): Promise<ClaimOutput> {
    const span = this.#options.tracing?.claimStarted();
    const hold = { ms: 0 };
    try {
      const output = await this.#claim(capacity, signal, hold);
      this.#options.tracing?.claimEnded(span, {
        read: output.read,
        claimed: output.started.length,
        holdMs: hold.ms,
      });
      return output;
    } catch (error) {
      this.#options.tracing?.claimEnded(span, { error });
      throw error;
    }
  }

  async #claim(
    capacity: number,
    signal: AbortSignal,
    hold: { ms: number },
  ): Promise<ClaimOutput & { readonly read: number }> {
    const o = this.#options;
    const began = o.clock.monotonic();
    const isDead = await o.presence.observe();
    const capabilities = o.capabilities();
    const owned = o.owned();
    const result = await claimDueJobs({
      store: o.store,
      clock: o.clock,
      instance: o.instance,
      incarnation: o.incarnation,
      capacity,
      canRun: (spec) => canRun(capabilities, spec.target),
      isDead,
      recheck: () => o.presence.observe(),
      ownRuns: owned,
      full: this.#full,
      lookaheadMs: this.#lookahead(),
      maxJobs: o.maxJobs,
      signal,
      onLock: (event, holdMs) => {
        if (event === "released") {
          hold.ms = holdMs;
          o.presence.holds.add(holdMs, o.clock.now());
        }
        o.emit(`lock.${event}`, event === "released" ? { holdMs } : {});
      },
    });
    o.presence.fence.confirmed(result.lockedAt);
    this.#claimedAt = result.now;
    this.#claimMs.push(o.clock.monotonic() - began);
    if (this.#claimMs.length > CLAIMS_REMEMBERED) this.#claimMs.shift();
    for (const r of result.recorded) {
      const type = r.outcome === "abandoned"
        ? "slot.abandoned"
        : r.outcome === "missed"
        ? "slot.missed"
        : "slot.skipped";
      o.emit(type, {
        job: r.job,
        slot: new Date(r.slot),
        outcome: r.outcome,
        ...(r.note !== undefined ? { note: r.note } : {}),
        ...(r.until !== undefined ? { until: new Date(r.until) } : {}),
        ...(r.count !== undefined ? { count: r.count } : {}),
      });
    }
    await this.#forgetDead(result.isDead);
    // A full claim that left jobs for the next one (a burst) has not read
    // them all yet: the next claim is full too.
    this.#full &&= result.more;
    const fenced = [...owned.keys()].filter((id) => !result.active.has(id));
    for (const { run, spec } of result.started) {
      o.emit("job.claimed", {
        job: spec.id,
        slot: new Date(run.slot),
        runId: run.runId,
        trigger: run.trigger,
      });
    }
    return {
      started: result.started,
      cancel: [...result.cancel, ...fenced],
      more: result.more,
      read: result.read,
    };
  }

  /** Removes the records of instances whose runs the claim recovered. */
  async #forgetDead(verdict: (instance: string) => boolean) {
    const o = this.#options;
    for (const id of o.presence.liveness.dead().filter(verdict)) {
      if (this.#reportedDead.has(id)) continue;
      this.#reportedDead.add(id);
      o.emit("instance.dead", { other: id });
      await o.store.removeInstance(id).catch(() => {});
    }
  }
}
