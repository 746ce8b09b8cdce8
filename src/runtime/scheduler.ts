/**
 * `createScheduler()`: one tock instance. It wires the scheduler and job
 * actors to a store, a clock and the handlers, and is the layer where real
 * I/O and time meet the machines.
 *
 * @module
 */

import { type Actor, createActor, fromPromise } from "xstate";
import type { InstanceRecord, JobRecord, LedgerEntry } from "../types.ts";
import type {
  Capabilities,
  HistoryQuery,
  InstanceHold,
  JobStore,
} from "../store/store.ts";
import { canRun } from "../store/store.ts";
import { errorInfo, SchedulerClosedError } from "../errors.ts";
import {
  type ClaimOutput,
  schedulerMachine,
} from "../actors/scheduler_machine.ts";
import { type Clock, systemClock } from "../clock.ts";
import { claimDueJobs } from "../turns/claim_due_jobs.ts";
import { confirmRuns } from "../turns/confirm_runs.ts";
import { type ProcessProbe, systemProbe } from "./process_probe.ts";
import { SelfFence } from "./self_fence.ts";
import type { JobInput } from "../jobs/define_job.ts";
import {
  TockEvent,
  type TockEventDetail,
  type TockEventType,
} from "./events.ts";
import { HoldStats, runHeartbeat } from "./heartbeat.ts";
import { Liveness } from "./liveness.ts";
import { JobRuns } from "./job_runs.ts";
import * as manage from "../turns/manage_jobs.ts";
import * as controls from "../turns/job_controls.ts";
import type { JobHandler } from "../executors/run_handler.ts";
import type {
  Scheduler,
  SchedulerJobInput,
  SchedulerOptions,
} from "./scheduler_api.ts";

/**
 * Starts a scheduler instance on a store.
 *
 * @param options The store, clock, handlers and limits.
 * @returns The running scheduler; stop it with `await using` or `stop()`.
 * @throws {RangeError} On a bad option.
 * @example Usage
 * ```ts
 * import { createScheduler } from "../../mod.ts";
 * import { createMemoryStore } from "../testing/mod.ts";
 *
 * await using scheduler = await createScheduler({ store: createMemoryStore() });
 * await scheduler.add({ id: "hello", schedule: "every 1h", handler: () => {} });
 * ```
 */
export async function createScheduler(
  options: SchedulerOptions,
): Promise<Scheduler> {
  const scheduler = new TockScheduler(options);
  await scheduler.start();
  return scheduler;
}

function positive(name: string, value: number | undefined, fallback: number) {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create scheduler as '${name}' must be a positive integer: received ${value}`,
    );
  }
  return value;
}

function hostName(): string | undefined {
  try {
    return Deno.hostname();
  } catch {
    return undefined; // no --allow-sys
  }
}

function defaultInstance(): string {
  return `${hostName() ?? "tock"}-${Deno.pid}-${
    crypto.randomUUID().slice(0, 6)
  }`;
}

/** How many heartbeats pass between checks that the instance id is held. */
const HOLD_CHECK_BEATS = 5;

/** The longest a slot is claimed ahead, however slow claims get. */
const MAX_LOOKAHEAD_MS = 2000;
/** Claims remembered to size the lookahead. */
const CLAIMS_REMEMBERED = 16;

/** How long `stop()` waits, beyond the grace, for aborted attempts to end. */
const ATTEMPT_SETTLE_MS = 10_000;

class TockScheduler extends EventTarget implements Scheduler {
  readonly instance: string;
  readonly incarnation: string = crypto.randomUUID();
  readonly #host = hostName();
  readonly #probe: ProcessProbe = systemProbe();
  readonly #fence: SelfFence;
  #hold: InstanceHold | undefined;
  readonly #store: JobStore;
  readonly #clock: Clock;
  readonly #handlers = new Map<string, JobHandler>();
  readonly #runners: NonNullable<SchedulerOptions["runners"]>;
  readonly #maxParallel: number;
  readonly #heartbeatMs: number;
  readonly #graceMs: number;
  readonly #maxSleepMs: number;
  readonly #lookaheadMs: number;
  readonly #once: boolean;
  readonly #liveness: Liveness;
  readonly #holds = new HoldStats();
  readonly #runs: JobRuns;
  /** Durations of the latest claims, ms (monotonic). */
  readonly #claimMs: number[] = [];
  /** Wall time of the last claim (what it looked ahead from). */
  #claimedAt = -Infinity;
  /** Event types that have had a listener. */
  readonly #listened = new Set<string>();
  /** Whether the next claim reads every job with runs (see `full`). */
  #fullClaim = true;
  readonly #reportedDead = new Set<string>();
  readonly #heartbeat = new AbortController();
  readonly #signal: AbortSignal | undefined;
  #heartbeatDone: Promise<void> = Promise.resolve();
  #startedAt = 0;
  #beat = 0;
  #actor: Actor<typeof schedulerMachine> | undefined;
  #done: Promise<void> | undefined;
  #stopping = false;

  constructor(options: SchedulerOptions) {
    super();
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.instance = options.instance ?? defaultInstance();
    this.#runners = options.runners ?? {};
    this.#maxParallel = positive("maxParallel", options.maxParallel, 8);
    this.#heartbeatMs = positive("heartbeatMs", options.heartbeatMs, 3000);
    this.#graceMs = positive(
      "gracePeriodMs",
      options.gracePeriodMs ?? 10_000,
      1,
    );
    this.#maxSleepMs = positive("maxSleepMs", options.maxSleepMs, 30_000);
    this.#lookaheadMs = options.lookaheadMs === 0
      ? 0
      : positive("lookaheadMs", options.lookaheadMs, 250);
    const leaseMs = positive("leaseMs", options.leaseMs, 10_000);
    this.#liveness = new Liveness(this.instance, leaseMs, {
      probe: this.#probe,
    });
    this.#fence = new SelfFence({ clock: this.#clock, leaseMs });
    this.#signal = options.signal;
    this.#once = options.once ?? false;
    for (const [name, handler] of Object.entries(options.handlers ?? {})) {
      this.handle(name, handler);
    }
    this.#runs = new JobRuns({
      store: this.#store,
      clock: this.#clock,
      instance: this.instance,
      handlers: this.#handlers,
      runners: this.#runners,
      emit: (type, detail) => this.#emit(type, detail),
      onEnded: (count) => this.#actor?.send({ type: "runs.ended", count }),
      fence: this.#fence,
      confirm: () => this.#confirm(),
    });
  }

  async start(): Promise<void> {
    // Exclusive for this scheduler's life: a second live process with the
    // same id would take this one's runs for its own lost runs.
    this.#hold = await this.#store.holdInstance(this.instance, {
      incarnation: this.incarnation,
      pid: Deno.pid,
      ...(this.#host !== undefined ? { host: this.#host } : {}),
    });
    const machine = schedulerMachine.provide({
      actors: {
        register: fromPromise(() => this.#register()),
        waitForWork: fromPromise(({ input, signal }) =>
          this.#waitForWork(input.full, signal)
        ),
        claim: fromPromise(({ input, signal }) =>
          this.#claim(input.capacity, signal)
        ),
        unregister: fromPromise(() => this.#unregister()),
      },
      actions: {
        dispatch: (_, { claimed }) => this.#runs.dispatch(claimed),
        cancelAll: () => this.#runs.cancelAll(),
        claimFailed: (_, { error }) => {
          this.#fullClaim = true;
          this.#emit("scheduler.error", { error: errorInfo(error) });
        },
        notify: (_, { phase }) => this.#emit(`scheduler.${phase}`, {}),
      },
    });
    const actor = createActor(machine, {
      input: {
        maxParallel: this.#maxParallel,
        graceMs: this.#graceMs,
        once: this.#once,
      },
      clock: this.#clock,
    });
    this.#done = new Promise<void>((resolve) => {
      actor.subscribe({
        complete: () => resolve(),
        error: (error) => {
          this.#emit("scheduler.error", { error: errorInfo(error) });
          resolve();
        },
      });
    });
    this.#actor = actor;
    this.#signal?.addEventListener("abort", () => void this.stop(), {
      once: true,
    });
    actor.start();
  }

  #emit(type: TockEventType, detail: Omit<TockEventDetail, "instance">) {
    // Thousands of runs a second make thousands of events: build only those
    // someone listens to.
    if (!this.#listened.has(type)) return;
    this.dispatchEvent(
      new TockEvent(type, { instance: this.instance, ...detail }),
    );
  }

  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    // Never forgotten (a `once` listener leaves without telling): at worst
    // an event nobody hears is built.
    this.#listened.add(type);
    super.addEventListener(type, listener, options);
  }

  #capabilities(): Capabilities {
    return {
      functions: [...this.#handlers.keys()],
      commands: this.#runners.command !== undefined,
      modules: this.#runners.module !== undefined,
    };
  }

  #record(): InstanceRecord {
    this.#beat += 1;
    const probe = this.#probe;
    return {
      id: this.instance,
      incarnation: this.incarnation,
      startedAt: this.#startedAt,
      heartbeatAt: this.#clock.now(),
      beat: this.#beat,
      pid: Deno.pid,
      ...(probe.pidStart !== undefined ? { pidStart: probe.pidStart } : {}),
      ...(this.#host !== undefined ? { host: this.#host } : {}),
      ...(probe.machine !== undefined ? { machine: probe.machine } : {}),
      lockHold: this.#holds.summary(),
    };
  }

  /** Writes a heartbeat, and tells the fence when it was written. */
  async #beatNow(): Promise<void> {
    const issued = this.#fence.now();
    await this.#store.heartbeat(this.#record());
    this.#fence.beaten(issued);
  }

  /** Reads the instances and judges them (this instance's view now). */
  async #observe(): Promise<(instance: string) => boolean> {
    const instances = await this.#store.instances();
    return this.#liveness.observe(
      instances,
      this.#clock.monotonic(),
      this.#clock.now(),
    );
  }

  /** The slow path of self-fencing (see `self_fence.ts`). */
  async #confirm(): Promise<ReadonlySet<string>> {
    await this.#beatNow();
    const { ours, at } = await confirmRuns({
      store: this.#store,
      clock: this.#clock,
      instance: this.instance,
      incarnation: this.incarnation,
      runs: this.#runs.owned(),
    });
    this.#fence.confirmed(at);
    return ours;
  }

  async #register() {
    this.#startedAt = this.#clock.now();
    await this.#beatNow();
    let beats = 0;
    this.#heartbeatDone = runHeartbeat({
      clock: this.#clock,
      beat: async () => {
        await this.#beatNow();
        if (++beats % HOLD_CHECK_BEATS === 0) await this.#checkHold();
      },
      observe: () => this.#observe(),
      intervalMs: this.#heartbeatMs,
      liveness: this.#liveness,
      onDead: () => this.#actor?.send({ type: "scheduler.wake" }),
      onError: (error) =>
        this.#emit("scheduler.error", { error: errorInfo(error) }),
      signal: this.#heartbeat.signal,
    });
  }

  /**
   * Stops the scheduler if another process took this instance's id (a
   * store that lost the hold without this process dying).
   */
  async #checkHold(): Promise<void> {
    if (!this.#hold || (await this.#hold.check())) return;
    this.#emit("scheduler.error", {
      error: {
        name: "StoreError",
        message:
          `Cannot keep instance id '${this.instance}': another process took it; stopping`,
      },
    });
    void this.stop({ graceMs: 0 });
  }

  async #unregister() {
    this.#heartbeat.abort();
    await this.#heartbeatDone;
    try {
      await this.#store.removeInstance(this.instance);
    } finally {
      await this.#hold?.release();
    }
  }

  async #waitForWork(full: boolean, signal: AbortSignal) {
    // When full, a backlog cannot start here; wake for schedules only (a run
    // ending wakes us for the backlog).
    const wakeAt = await this.#store.nextDueAt(this.#capabilities(), {
      backlog: !full,
    });
    // Wake a lookahead before a slot; but a slot the last claim saw and
    // left (something of its job runs) is claimed at its due time.
    let target = wakeAt === undefined ? Infinity : wakeAt - this.#lookahead();
    if (wakeAt !== undefined && target <= this.#claimedAt) target = wakeAt;
    const wait = Math.min(this.#maxSleepMs, target - this.#clock.now());
    if (wait <= 0) return;
    const inner = new AbortController();
    const stop = () => inner.abort(signal.reason);
    signal.addEventListener("abort", stop, { once: true });
    const waits = [this.#clock.sleep(wait, inner.signal)];
    if (this.#store.changed) waits.push(this.#store.changed(inner.signal));
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
    if (this.#lookaheadMs === 0) return 0;
    const slowest = Math.max(0, ...this.#claimMs);
    return Math.min(MAX_LOOKAHEAD_MS, Math.max(this.#lookaheadMs, 2 * slowest));
  }

  async #claim(capacity: number, signal: AbortSignal): Promise<ClaimOutput> {
    const began = this.#clock.monotonic();
    const isDead = await this.#observe();
    const capabilities = this.#capabilities();
    const owned = this.#runs.owned();
    const result = await claimDueJobs({
      store: this.#store,
      clock: this.#clock,
      instance: this.instance,
      incarnation: this.incarnation,
      capacity,
      canRun: (spec) => canRun(capabilities, spec.target),
      isDead,
      recheck: () => this.#observe(),
      ownRuns: owned,
      full: this.#fullClaim,
      lookaheadMs: this.#lookahead(),
      signal,
      onLock: (event, holdMs) => {
        if (event === "released") this.#holds.add(holdMs);
        this.#emit(`lock.${event}`, event === "released" ? { holdMs } : {});
      },
    });
    this.#fence.confirmed(result.lockedAt);
    this.#claimedAt = result.now;
    this.#claimMs.push(this.#clock.monotonic() - began);
    if (this.#claimMs.length > CLAIMS_REMEMBERED) this.#claimMs.shift();
    for (const r of result.recorded) {
      const type = r.outcome === "abandoned"
        ? "slot.abandoned"
        : r.outcome === "missed"
        ? "slot.missed"
        : "slot.skipped";
      this.#emit(type, {
        job: r.job,
        slot: new Date(r.slot),
        outcome: r.outcome,
      });
    }
    await this.#forgetDead(result.isDead);
    this.#fullClaim = false;
    const fenced = [...owned.keys()].filter((id) => !result.active.has(id));
    for (const { run, spec } of result.started) {
      this.#emit("job.claimed", {
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
    };
  }

  /** Removes the records of instances whose runs the claim recovered. */
  async #forgetDead(verdict: (instance: string) => boolean) {
    for (const id of this.#liveness.dead().filter(verdict)) {
      if (this.#reportedDead.has(id)) continue;
      this.#reportedDead.add(id);
      this.#emit("instance.dead", { other: id });
      await this.#store.removeInstance(id).catch(() => {});
    }
  }

  #open() {
    if (this.#stopping) throw new SchedulerClosedError();
    return { now: this.#clock.now() };
  }

  #wake<T>(value: T): T {
    this.#actor?.send({ type: "scheduler.wake" });
    return value;
  }

  handle(name: string, handler: JobHandler): void {
    if (typeof handler !== "function") {
      throw new TypeError(
        `Cannot register handler '${name}': it is not a function`,
      );
    }
    this.#handlers.set(name, handler);
    this.#actor?.send({ type: "scheduler.wake" });
  }

  async add(input: SchedulerJobInput): Promise<JobRecord> {
    const { handler, ...rest } = input;
    const job = {
      ...rest,
      ...(handler ? { run: rest.run ?? input.id } : {}),
    } as JobInput;
    const record = await manage.addJob(this.#store, job, this.#open());
    if (handler) this.handle(job.run!, handler);
    return this.#wake(record);
  }

  async update(id: string, patch: Partial<JobInput>): Promise<JobRecord> {
    return this.#wake(
      await manage.updateJob(this.#store, id, patch, this.#open()),
    );
  }

  async remove(id: string): Promise<void> {
    return this.#wake(await manage.removeJob(this.#store, id, this.#open()));
  }

  async pause(
    id: string,
    options: { readonly note?: string } = {},
  ): Promise<JobRecord> {
    return this.#wake(
      await controls.pauseJob(this.#store, id, { ...this.#open(), ...options }),
    );
  }

  async resume(id: string): Promise<JobRecord> {
    return this.#wake(await controls.resumeJob(this.#store, id, this.#open()));
  }

  async trigger(
    id: string,
    options: { readonly force?: boolean } = {},
  ): Promise<controls.TriggerResult> {
    return this.#wake(
      await controls.triggerJob(this.#store, id, {
        ...this.#open(),
        ...options,
      }),
    );
  }

  job(id: string): Promise<JobRecord | undefined> {
    return this.#store.job(id);
  }

  jobs(): Promise<JobRecord[]> {
    return this.#store.jobs();
  }

  history(query?: HistoryQuery): Promise<LedgerEntry[]> {
    return this.#store.history(query);
  }

  idle(): Promise<void> {
    const actor = this.#actor;
    if (!actor) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        const snapshot = actor.getSnapshot();
        const done = snapshot.status !== "active" ||
          ((snapshot.matches("waiting") || snapshot.matches("holding")) &&
            snapshot.context.running === 0);
        if (done) {
          subscription?.unsubscribe();
          resolve();
        }
        return done;
      };
      let subscription: { unsubscribe(): void } | undefined;
      if (!check()) {
        subscription = actor.subscribe({
          next: check,
          complete: check,
          error: check,
        });
      }
    });
  }

  async stop(options: { readonly graceMs?: number } = {}): Promise<void> {
    this.#stopping = true;
    this.#actor?.send({
      type: "scheduler.stop",
      ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
    });
    await this.#done;
    this.#runs.close();
    this.#heartbeat.abort();
    await this.#heartbeatDone;
    await this.#hold?.release();
    await this.#runs.settle(this.#graceMs + ATTEMPT_SETTLE_MS);
  }

  close(): Promise<void> {
    return this.stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
