/**
 * What runs `cron()`'s jobs in a process: one scheduler per store, started
 * by the first cron registered on that store and stopped when its last cron
 * is removed (its `signal`), on SIGINT or SIGTERM, at unload, or by
 * {@linkcode CronRuntime.close}. Crons are jobs in the store (id: the name),
 * so every process running the same script shares them and each slot runs
 * once across those processes. Registering upserts the job: the same
 * definition changes nothing, a new one keeps its state and history.
 *
 * @module
 */

import type { JobStore } from "../store/store.ts";
import { type Clock, systemClock } from "../clock.ts";
import type { JobInput } from "../jobs/define_job.ts";
import type { JobContext, JobHandler } from "../executors/run_handler.ts";
import { upsertJob } from "../turns/manage_jobs.ts";
import { createScheduler } from "./scheduler.ts";
import type { TockEvent } from "./events.ts";
import type { Scheduler, SchedulerOptions } from "./scheduler_api.ts";
import { locateStore, openStoreAt } from "./open_store.ts";

/** Options for {@linkcode CronRuntime}. */
export interface CronRuntimeOptions {
  /** Time source (tests pass a `FakeClock`). */
  readonly clock?: Clock;
  /** The store of crons that name none: a store or a reference to open. */
  readonly store?: JobStore | string;
  /** Options for the schedulers it starts. */
  readonly scheduler?: Partial<
    Omit<SchedulerOptions, "store" | "clock" | "handlers" | "signal" | "once">
  >;
  /** Stop on SIGINT or SIGTERM (then exit as that signal would) and at unload. */
  readonly processHooks?: boolean;
  /** Told of each failed attempt and each scheduler error. */
  readonly report?: (what: string, error: unknown) => void;
}

/** One cron as {@linkcode CronRuntime.register} takes it (validated). */
export interface CronRegistration {
  /** The job: its id is the cron's job id, `run` names that id too. */
  readonly input: JobInput & { readonly run: string };
  /** The cron's name, for reports. */
  readonly name: string;
  /** Called for each attempt. */
  readonly handler: JobHandler;
  /** Its store: a store, or a reference (already checked). */
  readonly store: JobStore | string;
  /** Removes the cron when aborted. */
  readonly signal?: AbortSignal;
}

interface Host {
  readonly key: JobStore | string;
  readonly crons: Map<string, Cron>;
  readonly ready: Promise<Started>;
  stopped?: Promise<void>;
}

interface Started {
  readonly scheduler: Scheduler;
  readonly store: JobStore;
}

interface Cron {
  readonly registration: CronRegistration;
  readonly done: PromiseWithResolvers<void>;
  /** Attempts of this cron running here now. */
  active: number;
  removed: boolean;
  idle?: () => void;
  unlisten?: () => void;
}

/** Crons of one process, and the schedulers that run them. */
export class CronRuntime {
  readonly #options: CronRuntimeOptions;
  readonly #clock: Clock;
  readonly #hosts = new Map<JobStore | string, Host>();
  /** Stops under way, by store: a new scheduler on it waits for its end. */
  readonly #stopping = new Map<JobStore | string, Promise<void>>();
  #unhook: (() => void) | undefined;

  /** @param options Clock, default store, scheduler options, hooks. */
  constructor(options: CronRuntimeOptions = {}) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** The clock the crons' definitions are read with. */
  get clock(): Clock {
    return this.#clock;
  }

  /** The default store of this runtime's crons, if one was given. */
  get store(): JobStore | string | undefined {
    return this.#options.store;
  }

  /**
   * Whether a cron of this job id is registered on this store here.
   *
   * @param store The store or reference.
   * @param id The job id.
   */
  has(store: JobStore | string, id: string): boolean {
    return this.#hosts.get(store)?.crons.has(id) ?? false;
  }

  /**
   * Registers a cron (the caller has checked that none of its id is).
   *
   * @param registration The validated cron.
   * @returns Settles as `cron()` does: resolves once the cron is removed
   * and its attempts here have ended; rejects when it cannot be registered.
   */
  register(registration: CronRegistration): Promise<void> {
    if (registration.signal?.aborted) return Promise.resolve();
    const cron: Cron = {
      registration,
      done: Promise.withResolvers<void>(),
      active: 0,
      removed: false,
    };
    const host = this.#host(registration.store);
    host.crons.set(registration.input.id, cron);
    const { signal } = registration;
    if (signal) {
      const onAbort = () => void this.#remove(host, cron);
      signal.addEventListener("abort", onAbort, { once: true });
      cron.unlisten = () => signal.removeEventListener("abort", onAbort);
    }
    this.#start(host, cron).catch((error) => this.#remove(host, cron, error));
    return cron.done.promise;
  }

  /**
   * Stops every scheduler and removes every cron. Idempotent.
   *
   * @param options `graceMs`: how long running attempts may finish.
   * @returns Resolves once every scheduler has stopped.
   */
  async close(options: { readonly graceMs?: number } = {}): Promise<void> {
    await Promise.all(
      [...this.#hosts.values()].map((host) => this.#stop(host, options)),
    );
    await Promise.all(this.#stopping.values());
  }

  async #start(host: Host, cron: Cron): Promise<void> {
    const { scheduler, store } = await host.ready;
    if (cron.removed) return;
    const { input } = cron.registration;
    await upsertJob(store, input, { now: this.#clock.now() });
    if (cron.removed) return;
    scheduler.handle(input.run, (context) => this.#attempt(cron, context));
  }

  async #attempt(cron: Cron, context: JobContext) {
    cron.active++;
    try {
      await cron.registration.handler(context);
    } catch (error) {
      this.#report(
        `Exception in cron handler ${cron.registration.name}`,
        error,
      );
      throw error;
    } finally {
      if (--cron.active === 0) cron.idle?.();
    }
  }

  #report(what: string, error: unknown): void {
    try {
      this.#options.report?.(what, error);
    } catch { /* a reporter's failure must not fail the run */ }
  }

  #host(key: JobStore | string): Host {
    const existing = this.#hosts.get(key);
    if (existing) return existing;
    const previous = this.#stopping.get(key) ?? Promise.resolve();
    const host: Host = {
      key,
      crons: new Map(),
      ready: previous.then(() => this.#open(host)),
    };
    host.ready.catch(() => {}); // each cron reports it (see `register`)
    this.#hosts.set(key, host);
    this.#hook();
    return host;
  }

  async #open(host: Host): Promise<Started> {
    const { key } = host;
    const store = typeof key === "string"
      ? await openStoreAt(locateStore(key))
      : key;
    try {
      const scheduler = await createScheduler({
        // Deno.cron runs at most 50 handlers at once in a process.
        maxParallel: 50,
        ...this.#options.scheduler,
        store,
        clock: this.#clock,
      });
      scheduler.addEventListener("scheduler.error", (event) => {
        this.#report("tock scheduler error", (event as TockEvent).detail.error);
      });
      // A scheduler that stops by itself (its instance id was taken) ends
      // its crons.
      scheduler.addEventListener("scheduler.stopped", () => {
        void this.#stop(host);
      });
      return { scheduler, store };
    } catch (error) {
      if (typeof key === "string") await store.close();
      throw error;
    }
  }

  async #remove(host: Host, cron: Cron, error?: unknown): Promise<void> {
    if (cron.removed) return;
    cron.removed = true;
    cron.unlisten?.();
    const { input } = cron.registration;
    if (host.crons.get(input.id) === cron) host.crons.delete(input.id);
    try {
      if (host.stopped || host.crons.size === 0) await this.#stop(host);
      else {
        const { scheduler } = await host.ready;
        scheduler.unhandle(input.run);
        // Like Deno.cron: an attempt under way finishes.
        if (cron.active > 0) {
          await new Promise<void>((resolve) => cron.idle = resolve);
        }
      }
    } catch { /* the scheduler never started: `error` says why */ }
    if (error === undefined) cron.done.resolve();
    else cron.done.reject(error);
  }

  #stop(host: Host, options: { readonly graceMs?: number } = {}) {
    host.stopped ??= (async () => {
      if (this.#hosts.get(host.key) === host) this.#hosts.delete(host.key);
      const stopping = (async () => {
        const ready = await host.ready.catch(() => undefined);
        await ready?.scheduler.stop(options);
        // A store named by its location was opened here: close it here.
        if (ready && typeof host.key === "string") await ready.store.close();
      })();
      this.#stopping.set(host.key, stopping);
      try {
        await stopping;
      } finally {
        if (this.#stopping.get(host.key) === stopping) {
          this.#stopping.delete(host.key);
        }
        for (const cron of host.crons.values()) void this.#remove(host, cron);
        if (this.#hosts.size === 0 && this.#stopping.size === 0) {
          this.#unhook?.();
          this.#unhook = undefined;
        }
      }
    })();
    return host.stopped;
  }

  #hook(): void {
    if (this.#unhook || !(this.#options.processHooks ?? true)) return;
    this.#unhook = hookProcess(this);
  }
}

/**
 * SIGINT and SIGTERM stop every scheduler, then end the process with the
 * status the signal would have given (130, 143); a second one ends it at
 * once. Unload (`Deno.exit()`) begins a stop with no grace.
 */
function hookProcess(runtime: CronRuntime): () => void {
  const listeners: [Deno.Signal, () => void][] = [];
  for (const [name, status] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    let seen = false;
    const listener = () => {
      if (seen) Deno.exit(status);
      seen = true;
      void runtime.close().finally(() => Deno.exit(status));
    };
    try {
      Deno.addSignalListener(name, listener);
      listeners.push([name, listener]);
    } catch { /* not every platform has every signal (Windows: no SIGTERM) */ }
  }
  const onUnload = () => void runtime.close({ graceMs: 0 });
  globalThis.addEventListener("unload", onUnload);
  return () => {
    for (const [name, listener] of listeners) {
      Deno.removeSignalListener(name, listener);
    }
    globalThis.removeEventListener("unload", onUnload);
  };
}
