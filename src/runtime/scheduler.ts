/**
 * `createScheduler()`: one tock instance. It wires the scheduler actor to
 * the claim side (`claims.ts`), the job actors (`job_runs.ts`) and this
 * instance's presence in the store (`presence.ts`: its id, heartbeats and
 * self-fence), and is the layer where real I/O and time meet the machines.
 *
 * @module
 */

import { type Actor, createActor, fromPromise } from "../deps/xstate.ts";
import type { JobRecord, LedgerEntry } from "../types.ts";
import type { Capabilities, HistoryQuery, JobStore } from "../store/store.ts";
import { errorInfo, SchedulerClosedError } from "../errors.ts";
import { schedulerMachine } from "../actors/scheduler_machine.ts";
import { type Clock, systemClock } from "../clock.ts";
import type { JobInput } from "../jobs/define_job.ts";
import {
  TockEvent,
  type TockEventDetail,
  type TockEventType,
} from "./events.ts";
import { defaultInstance, Presence } from "./presence.ts";
import { Claims } from "./claims.ts";
import { Tracing } from "./tracing.ts";
import { MAX_JOBS_PER_CLAIM } from "../turns/claim_due_jobs.ts";
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

/** How long `stop()` waits, beyond the grace, for aborted attempts to end. */
const ATTEMPT_SETTLE_MS = 10_000;

class TockScheduler extends EventTarget implements Scheduler {
  readonly instance: string;
  readonly incarnation: string = crypto.randomUUID();
  readonly #store: JobStore;
  /** Stops the store's problem reports (see `store.error`). */
  #unwatchStore: (() => void) | undefined;
  readonly #clock: Clock;
  readonly #handlers = new Map<string, JobHandler>();
  readonly #runners: NonNullable<SchedulerOptions["runners"]>;
  readonly #maxParallel: number;
  readonly #graceMs: number;
  readonly #once: boolean;
  readonly #presence: Presence;
  readonly #claims: Claims;
  readonly #tracing: Tracing;
  readonly #runs: JobRuns;
  /** Event types that have had a listener. */
  readonly #listened = new Set<string>();
  readonly #signal: AbortSignal | undefined;
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
    this.#graceMs = positive(
      "gracePeriodMs",
      options.gracePeriodMs ?? 10_000,
      1,
    );
    const maxSleepMs = positive("maxSleepMs", options.maxSleepMs, 30_000);
    const lookaheadMs = options.lookaheadMs === 0
      ? 0
      : positive("lookaheadMs", options.lookaheadMs, 250);
    const maxJobs = positive(
      "maxJobsPerClaim",
      options.maxJobsPerClaim,
      MAX_JOBS_PER_CLAIM,
    );
    this.#presence = new Presence({
      store: this.#store,
      clock: this.#clock,
      instance: this.instance,
      incarnation: this.incarnation,
      leaseMs: positive("leaseMs", options.leaseMs, 10_000),
      heartbeatMs: positive("heartbeatMs", options.heartbeatMs, 3000),
      owned: () => this.#runs.owned(),
      onDead: () => this.#actor?.send({ type: "scheduler.wake" }),
      onLost: () => this.#lost(),
      onError: (error) =>
        this.#emit("scheduler.error", { error: errorInfo(error) }),
    });
    this.#tracing = new Tracing(this.instance, this.#clock);
    this.#claims = new Claims({
      store: this.#store,
      clock: this.#clock,
      instance: this.instance,
      incarnation: this.incarnation,
      presence: this.#presence,
      maxSleepMs,
      lookaheadMs,
      maxJobs,
      capabilities: () => this.#capabilities(),
      owned: () => this.#runs.owned(),
      tracing: this.#tracing,
      emit: (type, detail) => this.#emit(type, detail),
    });
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
      fence: this.#presence.fence,
      confirm: () => this.#presence.confirm(),
    });
  }

  async start(): Promise<void> {
    await this.#presence.hold();
    this.#unwatchStore = this.#store.onProblem?.((error) =>
      this.#emit("store.error", { error: errorInfo(error) })
    );
    const machine = schedulerMachine.provide({
      actors: {
        register: fromPromise(() => this.#presence.register()),
        waitForWork: fromPromise(({ input, signal }) =>
          this.#claims.waitForWork(input.full, signal)
        ),
        claim: fromPromise(({ input, signal }) =>
          this.#claims.claim(input.capacity, signal)
        ),
        unregister: fromPromise(() => this.#presence.unregister()),
      },
      actions: {
        dispatch: (_, { claimed, hold }) =>
          this.#runs.dispatch(claimed, { hold }),
        cancelWaiting: () => this.#runs.cancelWaiting(),
        cancelAll: () => this.#runs.cancelAll(),
        claimFailed: (_, { error }) => {
          this.#claims.failed();
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
    // Traced whether or not anyone listens: the span needs no listener.
    this.#tracing.event(type, detail);
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

  /** Another process took this instance's id: stop at once. */
  #lost(): void {
    this.#emit("scheduler.error", {
      error: {
        name: "StoreError",
        message:
          `Cannot keep instance id '${this.instance}': another process took it; stopping`,
      },
    });
    void this.stop({ graceMs: 0 });
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

  unhandle(name: string): boolean {
    return this.#handlers.delete(name);
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
    this.#unwatchStore?.();
    await this.#presence.close();
    await this.#runs.settle(this.#graceMs + ATTEMPT_SETTLE_MS);
  }

  close(): Promise<void> {
    return this.stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
