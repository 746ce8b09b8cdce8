// The instances of a chaos run, one per slot: carries out the plan's actions
// (SIGKILL, SIGSTOP/SIGCONT, SIGTERM, restarts under a new name), remembers
// what was done to whom, and makes sure every process is gone at the end.
import type { ChaosAction } from "./_plan.ts";
import { ChaosInstance } from "./_instance.ts";

const RUN_STARTED = /: run \S+ (attempt \d+ )?started/;
const INSTANCE_STARTED = / instance \S+ started \(store /;

/** Options of the {@linkcode Fleet} constructor. */
export interface FleetOptions {
  readonly store: string;
  readonly instances: number;
  /** Monotonic origin of the log's timestamps. */
  readonly origin: number;
  readonly log: (line: string) => void;
  /**
   * Where each slot's wall-clock offset file goes (`clock-<slot>.ms`), for
   * clock jumps; none without it.
   */
  readonly clockDir?: string;
}

interface Slot {
  current?: ChaosInstance;
  generation: number;
  /** Being killed, stopped, or restarted: not a target for now. */
  busy: boolean;
}

/** What the fleet did, for the report. */
export interface FleetCounts {
  kills: number;
  stops: number;
  terms: number;
  restarts: number;
  /** Wall-clock jumps (resets to true time not counted). */
  clockJumps: number;
  /** Actions dropped because no instance could take them. */
  skipped: number;
}

/** The instances of one chaos run. */
export class Fleet {
  /** Every instance ever started, in order. */
  readonly all: ChaosInstance[] = [];
  /** SIGKILLed instances and the wall-clock time of the kill. */
  readonly killed: Map<string, number> = new Map();
  readonly stopped: Set<string> = new Set();
  readonly termed: Set<string> = new Set();
  /** Frozen instances and the wall-clock time of their last SIGCONT. */
  readonly resumed: Map<string, number> = new Map();
  readonly counts: FleetCounts = {
    kills: 0,
    stops: 0,
    terms: 0,
    restarts: 0,
    clockJumps: 0,
    skipped: 0,
  };
  /** What went wrong with the processes themselves. */
  readonly violations: string[] = [];
  readonly #options: FleetOptions;
  readonly #slots: Slot[];
  readonly #offsets: number[];
  readonly #tasks = new Set<Promise<void>>();
  readonly #abort = new AbortController();

  constructor(options: FleetOptions) {
    this.#options = options;
    this.#slots = Array.from(
      { length: options.instances },
      () => ({ generation: 0, busy: false }),
    );
    this.#offsets = this.#slots.map(() => 0);
  }

  /** Starts one instance per slot and waits until each has said so. */
  async start(): Promise<void> {
    const started = this.#slots.map((_, i) => this.#spawn(i));
    const ok = await Promise.all(started);
    if (!ok.every(Boolean)) {
      throw new Error(
        `Cannot start the chaos instances:\n${
          this.all.map((i) => i.tail()).join("\n")
        }`,
      );
    }
  }

  /** Carries out one action of the plan. */
  async act(action: ChaosAction): Promise<void> {
    if (action.kind === "jump" || action.kind === "reset") {
      return await this.#jump(action.kind, action.target, action.deltaMs);
    }
    const index = this.#pick(action.target);
    if (index === undefined) {
      this.counts.skipped += 1;
      this.#log(`${action.kind}: no instance available, skipped`);
      return;
    }
    const slot = this.#slots[index]!;
    const instance = slot.current!;
    slot.busy = true;
    switch (action.kind) {
      case "kill": {
        let how = "at a random instant";
        if (action.afterStart) {
          const saw = await instance.waitForLine(
            RUN_STARTED,
            4_000,
            this.#abort.signal,
          );
          if (action.delayMs > 0) {
            await delay(action.delayMs, this.#abort.signal);
          }
          how = saw
            ? `${action.delayMs} ms after a run started`
            : "(no run started within 4 s)";
        }
        instance.signal("SIGKILL");
        this.killed.set(instance.name, Date.now());
        this.counts.kills += 1;
        this.#log(`SIGKILL ${instance.name} ${how}`);
        this.#background(async () => {
          await instance.exited;
          await this.#restart(index, action.restartAfterMs);
        });
        return;
      }
      case "stop":
        instance.signal("SIGSTOP");
        this.stopped.add(instance.name);
        this.counts.stops += 1;
        this.#log(`SIGSTOP ${instance.name} for ${action.forMs} ms`);
        this.#background(async () => {
          await delay(action.forMs, this.#abort.signal);
          instance.signal("SIGCONT");
          this.resumed.set(instance.name, Date.now());
          this.#log(`SIGCONT ${instance.name}`);
          slot.busy = false;
        });
        return;
      case "term":
        instance.signal("SIGTERM");
        this.termed.add(instance.name);
        this.counts.terms += 1;
        this.#log(`SIGTERM ${instance.name}`);
        this.#background(async () => {
          await this.#awaitTerm(instance);
          await this.#restart(index, action.restartAfterMs);
        });
        return;
    }
  }

  /**
   * Lets pending restarts and SIGCONTs happen, then sends SIGTERM to every
   * instance and waits for each to exit 0.
   *
   * @returns The wall-clock time of the final SIGTERM.
   */
  async shutdown(): Promise<number> {
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
    const live = this.#slots.map((s) => s.current).filter((i) =>
      i !== undefined && i.exit === undefined
    ) as ChaosInstance[];
    const endedAt = Date.now();
    for (const instance of live) {
      this.termed.add(instance.name);
      instance.signal("SIGCONT");
      instance.signal("SIGTERM");
    }
    this.#log(`SIGTERM all: ${live.map((i) => i.name).join(", ")}`);
    await Promise.all(live.map((i) => this.#awaitTerm(i)));
    return endedAt;
  }

  /**
   * Kills (SIGKILL) and awaits every process still running, and checks how
   * each one ended. Safe to call on every path, more than once.
   */
  async close(): Promise<void> {
    this.#abort.abort();
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
    for (const instance of this.all) {
      if (instance.exit === undefined) instance.signal("SIGKILL");
    }
    await Promise.all(this.all.map((i) => i.exited));
    for (const instance of this.all) {
      if (instance.signals.length === 0) {
        this.violations.push(
          `instance ${instance.name} exited by itself (${
            JSON.stringify(instance.exit)
          }):\n${instance.tail()}`,
        );
      }
    }
  }

  /**
   * Frozen instances never killed afterwards, with the wall-clock time of
   * their last SIGCONT.
   */
  resumedAlive(): Map<string, number> {
    return new Map(
      [...this.resumed].filter(([name]) => !this.killed.has(name)),
    );
  }

  /** Every instance's output, in time order. */
  output(): string {
    const lines = this.all.flatMap((i) => i.output);
    const at = (line: string) => Number(/^\+([\d.]+)s/.exec(line)?.[1] ?? 0);
    return lines.sort((a, b) => at(a) - at(b)).join("\n") + "\n";
  }

  async #jump(kind: "jump" | "reset", index: number, deltaMs: number) {
    const dir = this.#options.clockDir;
    if (dir === undefined) return;
    const targets = kind === "reset" ? this.#offsets.keys() : [index];
    for (const i of targets) {
      this.#offsets[i] = kind === "reset" ? 0 : this.#offsets[i]! + deltaMs;
      // Written whole, then renamed: the reader never sees half a number.
      await Deno.writeTextFile(`${dir}/clock-${i}.tmp`, `${this.#offsets[i]}`);
      await Deno.rename(`${dir}/clock-${i}.tmp`, `${dir}/clock-${i}.ms`);
    }
    if (kind === "jump") this.counts.clockJumps += 1;
    this.#log(
      kind === "reset"
        ? "every wall clock back to true time"
        : `wall clock of slot ${index} ${deltaMs > 0 ? "+" : ""}${
          deltaMs / 1000
        } s (now ${this.#offsets[index]! / 1000} s off)`,
    );
  }

  #spawn(index: number): Promise<boolean> {
    const slot = this.#slots[index]!;
    const dir = this.#options.clockDir;
    const instance = new ChaosInstance({
      name: `i${index}-gen${slot.generation}`,
      store: this.#options.store,
      origin: this.#options.origin,
      ...(dir !== undefined ? { clockFile: `${dir}/clock-${index}.ms` } : {}),
    });
    slot.generation += 1;
    slot.current = instance;
    this.all.push(instance);
    return instance.waitForLine(INSTANCE_STARTED, 30_000, this.#abort.signal);
  }

  async #restart(index: number, afterMs: number) {
    await delay(afterMs, this.#abort.signal);
    if (this.#abort.signal.aborted) return;
    const ready = this.#spawn(index);
    this.counts.restarts += 1;
    this.#log(`restart slot ${index} as ${this.#slots[index]!.current!.name}`);
    await ready;
    this.#slots[index]!.busy = false;
  }

  async #awaitTerm(instance: ChaosInstance) {
    const exit = await within(instance.exited, 30_000);
    if (exit === undefined) {
      this.violations.push(
        `instance ${instance.name} still running 30 s after SIGTERM:\n${instance.tail()}`,
      );
      instance.signal("SIGKILL");
      await instance.exited;
    } else if (exit.code !== 0) {
      this.violations.push(
        `instance ${instance.name} exited ${exit.code}${
          exit.signal ? ` (${exit.signal})` : ""
        } after SIGTERM (expected 0):\n${instance.tail()}`,
      );
    }
  }

  /** The first slot from `target` on whose instance is up and not busy. */
  #pick(target: number): number | undefined {
    const n = this.#slots.length;
    for (let k = 0; k < n; k++) {
      const index = (target + k) % n;
      const slot = this.#slots[index]!;
      if (!slot.busy && slot.current && slot.current.exit === undefined) {
        return index;
      }
    }
    return undefined;
  }

  #background(task: () => Promise<void>) {
    const promise = task().catch((error) => {
      this.violations.push(`harness task failed: ${error}`);
    }).finally(() => this.#tasks.delete(promise));
    this.#tasks.add(promise);
  }

  #log(line: string) {
    const at = ((performance.now() - this.#options.origin) / 1000).toFixed(1);
    this.#options.log(`+${at}s ${line}`);
  }
}

/** An abortable wait; resolves early (never rejects) on abort. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The promise's value, or `undefined` if it takes longer than `ms`. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
