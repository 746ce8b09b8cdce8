// The instances of a chaos run, one per slot: carries out the plan's actions
// (SIGKILL, SIGSTOP/SIGCONT, also during a retry's backoff, SIGTERM, restarts
// under a new name or the killed one's, twins asking for a live instance's
// id, ticks), remembers what was done to whom, and makes sure every process
// is gone at the end. It is past 600 lines because every action reads and
// changes the same state (each slot's current process and busy flag, the
// pause of the daemons for a tick); the pure checks of a process's output
// live in _process_checks.ts.
import type { ChaosAction } from "./_plan.ts";
import type { ChaosDatabase } from "./_database.ts";
import { ChaosInstance } from "./_instance.ts";
import {
  claimedAgain,
  countFenced,
  fencedWhileAlive,
  lineTime,
  twinRefused,
} from "./_process_checks.ts";
import { delay, within } from "./_wait.ts";

const RUN_STARTED = /: run \S+ (attempt \d+ )?started/;
const INSTANCE_STARTED = / instance \S+ started \(store /;
const RETRYING = /: run \S+ attempt 1 failed.*; retrying$/;
/**
 * A command's one line when a database fault (its session terminated, the
 * server restarting) failed it.
 */
const LOST_DATABASE =
  /^tock: (Tick failed: )?Cannot [^(]+\(PostgreSQL store [^)]+\): (the connection was (closed|reset)|terminating connection|connection refused|the store lock was lost|no answer within|the database system is (shutting down|starting up))/;
/** How long a refused twin may take to exit, ms. */
const TWIN_MS = 10_000;
/** What a daemon prints when another process took its id. */
const ID_TAKEN = /Cannot keep instance id '[^']+': another process took it/;
/**
 * How long a daemon continued after a freeze across a database restart
 * may take to notice that a twin took its id: its connections' statements
 * hang until the store's 10 s timeout, then its hold is checked.
 */
const ID_TAKEN_MS = 15_000;
/** How long a tick may take (a claim, a backoff, a sleeper), ms. */
const TICK_MS = 30_000;
/**
 * How long the daemons are paused (SIGSTOP) for a tick, at most, ms: under
 * half the 10 s lease, so nothing of theirs may be taken.
 */
const HOLD_MS = 3_500;
/**
 * How far into the pause the tick starts, ms: past the daemons' lookahead
 * (250 ms, more after slow claims), so that slots come due unclaimed.
 */
const HOLD_LEAD_MS = 1_000;

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
  /**
   * The run's database, when the store is one: each slot's instances reach
   * it through the slot's proxy, and the database faults act on it.
   */
  readonly database?: ChaosDatabase;
}

interface Slot {
  current?: ChaosInstance;
  generation: number;
  /**
   * Being killed, stopped, restarted, asked for its id by a twin, or paused
   * for a tick: not a target for now.
   */
  busy: boolean;
}

/** How long a stop waits for an instance free of other faults, ms. */
const PICK_WAIT_MS = 6_000;

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
  /** Twins refused as expected (exit 1, one stderr line naming the id). */
  twins: number;
  /** `tock tick` processes started. */
  ticks: number;
  /** Ticks SIGKILLed after they printed `run … started`. */
  tickKills: number;
  /** SIGSTOPs sent right after an attempt failed into a retry. */
  retryStops: number;
  /** Instances cut off from the database (counted with the stops). */
  cuts: number;
  /** Sessions holding the claim lock terminated. */
  terminations: number;
  /** Restarts of the database server. */
  dbRestarts: number;
}

/** The instances of one chaos run. */
export class Fleet {
  /** Every `tock start` instance ever started, in order. */
  readonly all: ChaosInstance[] = [];
  /** Every `tock tick`, in order. */
  readonly ticks: ChaosInstance[] = [];
  /** Every twin (a `tock start` asking for a live instance's id). */
  readonly twins: ChaosInstance[] = [];
  /**
   * SIGKILLed instance ids (ticks too) and the wall-clock times of the
   * kills, oldest first: an id reused after a kill may be killed again.
   */
  readonly killed: Map<string, number[]> = new Map();
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
    twins: 0,
    ticks: 0,
    tickKills: 0,
    retryStops: 0,
    cuts: 0,
    terminations: 0,
    dbRestarts: 0,
  };
  /** What went wrong with the processes themselves. */
  readonly violations: string[] = [];
  readonly #options: FleetOptions;
  readonly #slots: Slot[];
  readonly #offsets: number[];
  readonly #tasks = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  /** Resolves when the daemons paused for a tick are resumed. */
  #hold: Promise<void> | undefined;
  /** When each process was first frozen past the lease, s after origin. */
  readonly #frozenAt = new Map<ChaosInstance, number>();
  /** When the database was restarting (`performance.now()`, ms). */
  readonly #databaseDown: { from: number; to: number }[] = [];
  /** Each SIGSTOP of an instance: from, and to once continued (monotonic). */
  readonly #freezes = new Map<ChaosInstance, { from: number; to: number }[]>();
  /** Daemons a database fault kept from starting (restarted). */
  readonly #failedStarts = new Set<ChaosInstance>();
  #closed = false;

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
    if (action.kind === "tick") {
      return this.#tick(action.kill, action.pause, action.delayMs);
    }
    if (action.kind === "backoff-stop") {
      return this.#backoffStop(action.target, action.waitMs, action.forMs);
    }
    if (action.kind === "terminate") return this.#terminate(action.waitMs);
    if (action.kind === "db-restart") return this.#restartDatabase();
    if (action.kind === "stop") {
      return this.#stopSoon(action.target, action.forMs);
    }
    // Every daemon may be paused for a tick: act on one after that.
    await this.#hold;
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
        this.#kill(instance);
        this.counts.kills += 1;
        this.#log(`SIGKILL ${instance.name} ${how}`);
        this.#background(async () => {
          await instance.exited;
          await this.#restart(
            index,
            action.restartAfterMs,
            action.reuseName ? instance.name : undefined,
          );
        });
        return;
      }
      case "cut":
        return await this.#cut(index, action.forMs);
      case "twin":
        return this.#twin(index);
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
    const everyone = [...this.all, ...this.ticks, ...this.twins];
    for (const instance of everyone) {
      if (instance.exit === undefined) instance.signal("SIGKILL");
    }
    await Promise.all(everyone.map((i) => i.exited));
    if (this.#closed) return;
    this.#closed = true;
    this.#checkFenced();
    // Ticks and twins exit by themselves; a daemon must not (a SIGSTOP or
    // SIGCONT does not end it).
    for (const instance of this.all) {
      if (!ended(instance) && !this.#failedStarts.has(instance)) {
        this.violations.push(
          `instance ${instance.name} exited by itself (${
            JSON.stringify(instance.exit)
          }):\n${instance.tail()}`,
        );
      }
    }
  }

  /** No process lost a run while it could heartbeat. */
  #checkFenced() {
    for (const process of [...this.all, ...this.ticks]) {
      const found = fencedWhileAlive(
        `${process.name} (pid ${process.pid})`,
        process.output,
        this.#frozenAt.get(process),
      );
      if (found) this.violations.push(found);
    }
  }

  /** How many `run.fenced` lines the processes printed. */
  fenced(): number {
    return [...this.all, ...this.ticks].reduce(
      (n, i) => n + countFenced(i.output),
      0,
    );
  }

  /** Every process's output (ticks and twins too), in time order. */
  output(): string {
    const lines = [...this.all, ...this.ticks, ...this.twins].flatMap((i) =>
      i.output
    );
    return lines.sort((a, b) => lineTime(a) - lineTime(b)).join("\n") + "\n";
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

  /** SIGKILLs an instance (or tick) and records when. */
  #kill(instance: ChaosInstance) {
    instance.signal("SIGKILL");
    const kills = this.killed.get(instance.name) ?? [];
    kills.push(Date.now());
    this.killed.set(instance.name, kills);
  }

  /** Freezes the slot's instance past the lease, then resumes it. */
  #stop(index: number, forMs: number, how: string) {
    const slot = this.#slots[index]!;
    const instance = slot.current!;
    slot.busy = true;
    instance.signal("SIGSTOP");
    if (!this.#frozenAt.has(instance)) {
      this.#frozenAt.set(instance, this.#elapsed());
    }
    this.stopped.add(instance.name);
    this.counts.stops += 1;
    const freeze = { from: performance.now(), to: Infinity };
    this.#freezes.set(instance, [
      ...this.#freezes.get(instance) ?? [],
      freeze,
    ]);
    this.#log(`SIGSTOP ${instance.name} for ${forMs} ms${how}`);
    this.#background(async () => {
      await delay(forMs, this.#abort.signal);
      freeze.to = performance.now();
      // Taken before the signal: every line the resumed process writes
      // (a start line's `date`) comes after this instant.
      this.resumed.set(instance.name, Date.now());
      instance.signal("SIGCONT");
      this.#log(`SIGCONT ${instance.name}`);
      slot.busy = false;
    });
  }

  /**
   * Cuts the slot's instance off from the database for `forMs`: to the
   * others it is frozen (its heartbeats stop), so it counts as stopped
   * from the cut until it can reach the database again.
   */
  async #cut(index: number, forMs: number) {
    const database = this.#options.database;
    const slot = this.#slots[index]!;
    const instance = slot.current!;
    if (!database) {
      slot.busy = false;
      return;
    }
    await database.cut(index);
    if (!this.#frozenAt.has(instance)) {
      this.#frozenAt.set(instance, this.#elapsed());
    }
    this.stopped.add(instance.name);
    this.counts.cuts += 1;
    this.#log(`cut ${instance.name} off from the database for ${forMs} ms`);
    this.#background(async () => {
      await delay(forMs, this.#abort.signal);
      this.resumed.set(instance.name, Date.now());
      database.restore(index);
      this.#log(`${instance.name} reaches the database again`);
      slot.busy = false;
    });
  }

  /** Terminates the session holding the claim lock, if one does soon. */
  #terminate(waitMs: number) {
    const database = this.#options.database;
    if (!database) return;
    this.#background(async () => {
      if (await database.terminateLockHolder(waitMs)) {
        this.counts.terminations += 1;
        this.#log("pg_terminate_backend of the claim lock's holder");
      } else {
        this.#log(`terminate: nobody held the claim lock within ${waitMs} ms`);
      }
    });
  }

  /** Restarts the database server (every instance's sessions end). */
  async #restartDatabase() {
    const database = this.#options.database;
    if (!database) return;
    const started = performance.now();
    const down = { from: started, to: Infinity };
    this.#databaseDown.push(down);
    // Every daemon is cut off while the server restarts, maybe past the
    // lease: to the checks, each is frozen until it is back.
    const live = this.#slots.map((slot) => slot.current).filter((i) =>
      i !== undefined && i.exit === undefined
    ) as ChaosInstance[];
    for (const instance of live) {
      if (!this.#frozenAt.has(instance)) {
        this.#frozenAt.set(instance, this.#elapsed());
      }
      this.stopped.add(instance.name);
    }
    await database.restartServer();
    down.to = performance.now();
    const back = Date.now();
    for (const instance of live) this.resumed.set(instance.name, back);
    this.counts.dbRestarts += 1;
    this.#log(
      `PostgreSQL restarted (${Math.round(performance.now() - started)} ms)`,
    );
  }

  /**
   * SIGSTOPs the first instance that prints `…attempt 1 failed…; retrying`
   * within `waitMs`, at that line (its run then sits in its backoff while
   * the lease runs out); if none does, the slot `target`'s instance. Does
   * not hold up the next actions meanwhile.
   */
  #backoffStop(target: number, waitMs: number, forMs: number) {
    const { promise, resolve } = Promise.withResolvers<boolean>();
    let done = false;
    const unwatch: (() => void)[] = [];
    for (const [index, slot] of this.#slots.entries()) {
      const instance = slot.current;
      if (!instance || instance.exit !== undefined) continue;
      unwatch.push(instance.watch((line) => {
        if (done || !RETRYING.test(line)) return;
        if (slot.current !== instance || !this.#available(index)) return;
        done = true;
        this.counts.retryStops += 1;
        this.#stop(index, forMs, " right after an attempt failed into a retry");
        resolve(true);
      }));
    }
    const timer = setTimeout(() => resolve(false), waitMs);
    const onAbort = () => resolve(false);
    this.#abort.signal.addEventListener("abort", onAbort, { once: true });
    this.#background(async () => {
      const saw = await promise;
      done = true;
      clearTimeout(timer);
      this.#abort.signal.removeEventListener("abort", onAbort);
      for (const stop of unwatch) stop();
      if (saw || this.#abort.signal.aborted) return;
      const index = await this.#pickSoon(target);
      if (index === undefined) {
        this.counts.skipped += 1;
        this.#log(`backoff-stop: no instance available, skipped`);
        return;
      }
      this.#stop(
        index,
        forMs,
        ` (no attempt failed into a retry within ${waitMs} ms)`,
      );
    });
  }

  /**
   * Starts a second `tock start` under the slot's live instance's id: it
   * must exit 1 within 10 s, with one stderr line naming the id.
   */
  #twin(index: number) {
    const slot = this.#slots[index]!;
    const instance = slot.current!;
    slot.busy = true;
    const twin = new ChaosInstance({
      name: instance.name,
      label: `twin-of-${instance.name}`,
      store: this.#options.store,
      origin: this.#options.origin,
    });
    this.twins.push(twin);
    this.#log(`twin: tock start --instance ${instance.name} while it runs`);
    const startedAt = performance.now();
    this.#background(async () => {
      const exit = await within(twin.exited, TWIN_MS);
      if (exit === undefined) {
        twin.signal("SIGKILL");
        await twin.exited;
      }
      slot.busy = false;
      if (exit === undefined && this.#restartedSince(startedAt)) {
        // With the server down, it cannot be told the id is taken.
        this.#log(`twin of ${instance.name}: waited out a database restart`);
        return;
      }
      if (exit?.code === 1 && this.#lostDatabase(twin)) {
        this.#log(`twin of ${instance.name}: failed on a database fault`);
        return;
      }
      if (
        exit === undefined && this.#frozenAcrossRestart(instance, startedAt)
      ) {
        // The restart dropped the frozen holder's id lock, and its
        // heartbeat stood still past the silence the store allows: the id
        // is free by the documented rule (docs/postgres.md). The holder,
        // continued, must notice and stop.
        const noticed = instance.output.some((line) => ID_TAKEN.test(line)) ||
          await instance.waitForLine(
            ID_TAKEN,
            ID_TAKEN_MS,
            this.#abort.signal,
          );
        if (noticed || instance.exit !== undefined) {
          this.#log(
            `twin of ${instance.name}: took the id of a holder frozen across a database restart, which then stopped`,
          );
          return;
        }
        this.violations.push(
          `${instance.name}, frozen across a database restart, kept running after a twin took its id:\n${instance.tail()}`,
        );
        return;
      }
      const found = twinRefused(instance.name, exit, twin.stderr);
      if (found) this.violations.push(`${found}:\n${twin.tail()}`);
      else this.counts.twins += 1;
    });
  }

  /**
   * Starts a `tock tick`. The daemons claim ahead of the slots, so a tick
   * started at a random moment nearly always finds nothing due and exits at
   * once; with `pause`, it is started into a pause of every idle daemon,
   * which ends when it has started a run (or at `HOLD_MS`). With `kill`
   * (always paused), it is SIGKILLed `delayMs` after it printed `run …
   * started`. A tick not killed must exit 0 by itself.
   */
  #tick(kill: boolean, pause: boolean, delayMs: number) {
    this.#background(async () => {
      if (pause) await this.#hold;
      const resume = pause ? this.#holdDaemons() : () => {};
      if (pause) await delay(HOLD_LEAD_MS, this.#abort.signal);
      const tick = new ChaosInstance({
        name: `tick-${this.ticks.length}`,
        store: this.#options.store,
        origin: this.#options.origin,
        command: "tick",
      });
      this.ticks.push(tick);
      this.counts.ticks += 1;
      this.#log(
        `tick ${tick.name}${
          kill ? " (to be killed mid-run)" : pause ? " (daemons paused)" : ""
        }`,
      );
      try {
        const saw = pause &&
          await tick.waitForLine(
            RUN_STARTED,
            HOLD_MS - HOLD_LEAD_MS - 500,
            this.#abort.signal,
          );
        if (kill && saw && delayMs > 0) {
          await delay(delayMs, this.#abort.signal);
        }
        if (
          kill && saw && tick.exit === undefined && !this.#abort.signal.aborted
        ) {
          this.#kill(tick);
          this.counts.tickKills += 1;
          this.#log(`SIGKILL ${tick.name} ${delayMs} ms after a run started`);
        }
      } finally {
        resume();
      }
      if (kill && tick.signals.length > 0) {
        await tick.exited;
        return this.#checkOneClaim(tick);
      }
      if (kill) this.#log(`${tick.name}: not killed (no run started in it)`);
      await this.#awaitTick(tick);
    });
  }

  /**
   * SIGSTOPs every daemon that is up and not busy, for at most `HOLD_MS`.
   *
   * @returns A function that resumes them (SIGCONT) at once.
   */
  #holdDaemons(): () => void {
    const held = [...this.#slots.keys()].filter((i) => this.#available(i));
    const names = held.map((i) => this.#slots[i]!.current!.name).join(", ");
    for (const index of held) {
      this.#slots[index]!.busy = true;
      this.#slots[index]!.current!.signal("SIGSTOP");
    }
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#hold = promise;
    this.#log(`SIGSTOP ${names || "no daemon"} for a tick (< ${HOLD_MS} ms)`);
    let resumed = false;
    const resume = () => {
      if (resumed) return;
      resumed = true;
      clearTimeout(timer);
      for (const index of held) {
        this.#slots[index]!.current!.signal("SIGCONT");
        this.#slots[index]!.busy = false;
      }
      this.#log(`SIGCONT ${names || "no daemon"} after the tick`);
      this.#hold = undefined;
      resolve();
    };
    const timer = setTimeout(resume, HOLD_MS);
    return resume;
  }

  /** A tick not killed must exit 0 by itself, soon. */
  async #awaitTick(tick: ChaosInstance) {
    const exit = await within(tick.exited, TICK_MS);
    if (exit === undefined) {
      // Killed like any tick, so that its runs are accounted for.
      this.#kill(tick);
      await tick.exited;
      this.violations.push(
        `${tick.name} still running ${
          TICK_MS / 1000
        } s after it started (killed):\n${tick.tail()}`,
      );
    } else if (exit.code === 1 && this.#lostDatabase(tick)) {
      // A database fault (its session terminated, the server restarting)
      // may fail a tick's one claim: exit 1, saying why, is its answer.
      this.#log(`${tick.name}: failed on a database fault, as it may`);
    } else if (exit.code !== 0 && !ended(tick)) {
      this.violations.push(
        `${tick.name} exited ${exit.code}${
          exit.signal ? ` (${exit.signal})` : ""
        } (a tick must exit 0):\n${tick.tail()}`,
      );
    }
    this.#checkOneClaim(tick);
  }

  /** Whether the database was restarting at some time since `from`. */
  /**
   * Whether the instance was frozen (SIGSTOP) while the database restarted,
   * and `at` came before it could beat again after being continued.
   */
  #frozenAcrossRestart(instance: ChaosInstance, at: number): boolean {
    return (this.#freezes.get(instance) ?? []).some((freeze) =>
      at < freeze.to + TWIN_MS &&
      this.#databaseDown.some((down) =>
        down.from >= freeze.from && down.from <= freeze.to
      )
    );
  }

  #restartedSince(from: number): boolean {
    return this.#databaseDown.some((down) => down.to >= from);
  }

  /** Whether a command failed in one line on a database fault. */
  #lostDatabase(command: ChaosInstance): boolean {
    if (!this.#options.database) return false;
    const failed = command.stderr.filter((line) => line.startsWith("tock: "));
    return failed.length === 1 && LOST_DATABASE.test(failed[0]!);
  }

  /** A tick's runs must all come from its one claim (SPEC: `tick`). */
  #checkOneClaim(tick: ChaosInstance) {
    // A daemon whose clock ran ahead moved the jobs' slots ahead of true
    // time, which the tick keeps: its slots cannot be compared to its time.
    if (this.counts.clockJumps > 0) return;
    const found = claimedAgain(tick.name, tick.output);
    if (found) this.violations.push(found);
  }

  /** Starts the slot's next instance, under `name` or a new one. */
  #spawn(index: number, name?: string): Promise<boolean> {
    const slot = this.#slots[index]!;
    const dir = this.#options.clockDir;
    const instance = new ChaosInstance({
      name: name ?? `i${index}-gen${slot.generation++}`,
      store: this.#options.database?.urlFor(index) ?? this.#options.store,
      origin: this.#options.origin,
      ...(dir !== undefined ? { clockFile: `${dir}/clock-${index}.ms` } : {}),
    });
    slot.current = instance;
    this.all.push(instance);
    return instance.waitForLine(INSTANCE_STARTED, 30_000, this.#abort.signal);
  }

  async #restart(index: number, afterMs: number, name?: string) {
    await delay(afterMs, this.#abort.signal);
    if (this.#abort.signal.aborted) return;
    let ready = this.#spawn(index, name);
    this.counts.restarts += 1;
    this.#log(
      `restart slot ${index} as ${this.#slots[index]!.current!.name}${
        name !== undefined ? " (the killed one's id)" : ""
      }`,
    );
    // A database fault may fail a start (exit 1, one line saying why): the
    // harness starts it again, as a supervisor would.
    for (let tries = 0; !(await ready) && tries < 3; tries++) {
      const failed = this.#slots[index]!.current!;
      await failed.exited;
      if (this.#abort.signal.aborted || !this.#lostDatabase(failed)) break;
      this.#failedStarts.add(failed);
      this.#log(`${failed.name} failed to start on a database fault`);
      await delay(1_000, this.#abort.signal);
      ready = this.#spawn(index, name ?? failed.name);
    }
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
  /**
   * Freezes the slot `target`'s instance (or the next free one) past the
   * lease. Every run must have a stop: when each instance is busy with
   * another fault (a cut, a kill's restart), waits for one to be free,
   * without holding up the next actions.
   */
  #stopSoon(target: number, forMs: number) {
    this.#background(async () => {
      await this.#hold;
      const index = await this.#pickSoon(target);
      if (index === undefined) {
        this.counts.skipped += 1;
        this.#log(`stop: no instance available, skipped`);
        return;
      }
      this.#stop(index, forMs, "");
    });
  }

  /** Like `#pick`, but waits up to `PICK_WAIT_MS` for a free instance. */
  async #pickSoon(target: number): Promise<number | undefined> {
    const until = performance.now() + PICK_WAIT_MS;
    for (;;) {
      const index = this.#pick(target);
      if (index !== undefined || this.#abort.signal.aborted) return index;
      if (performance.now() >= until) return undefined;
      await delay(100, this.#abort.signal);
    }
  }

  #pick(target: number): number | undefined {
    const n = this.#slots.length;
    for (let k = 0; k < n; k++) {
      const index = (target + k) % n;
      if (this.#available(index)) return index;
    }
    return undefined;
  }

  #available(index: number): boolean {
    const slot = this.#slots[index]!;
    return !slot.busy && slot.current !== undefined &&
      slot.current.exit === undefined;
  }

  #background(task: () => Promise<void>) {
    const promise = task().catch((error) => {
      this.violations.push(`harness task failed: ${error}`);
    }).finally(() => this.#tasks.delete(promise));
    this.#tasks.add(promise);
  }

  #log(line: string) {
    this.#options.log(`+${this.#elapsed().toFixed(1)}s ${line}`);
  }

  /** Seconds since the origin, as in every process's output. */
  #elapsed(): number {
    return (performance.now() - this.#options.origin) / 1000;
  }
}

/** Whether the harness sent the process a signal that ends it. */
function ended(instance: ChaosInstance): boolean {
  return instance.signals.some((s) => s === "SIGKILL" || s === "SIGTERM");
}
