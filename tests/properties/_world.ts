// A simulated world of tock processes sharing one store, driven step by step
// by property tests. It uses the real claim step (and its re-judgement under
// the lock), outcome recording, heartbeats, liveness with a process probe,
// instance holds, self-fencing and the confirmation read of src/runtime;
// only the process around them (the scheduler actor, its timers, the
// handlers) is replaced by explicit steps, so that fast-check chooses every
// interleaving, clock movement, stall and crash. Besides the processes that
// live long, it has what a model easily leaves out: a second process asking
// for a live process's id, processes restarted under their id, processes
// stopped between two attempts or before a start claimed ahead, and `tock
// tick` processes that claim once and exit (or are killed mid-run).
import type { InstanceHold, JobStore } from "../../src/store/store.ts";
import type { JobInput } from "../../src/jobs/define_job.ts";
import { claimDueJobs } from "../../src/turns/claim_due_jobs.ts";
import { confirmRuns } from "../../src/turns/confirm_runs.ts";
import { addJob } from "../../src/turns/manage_jobs.ts";
import { OutcomeBatch } from "../../src/turns/outcome_batch.ts";
import { Liveness } from "../../src/runtime/liveness.ts";
import {
  NO_PROBE,
  type ProcessProbe,
} from "../../src/runtime/process_probe.ts";
import { SelfFence } from "../../src/runtime/self_fence.ts";
import type { RunOutcome } from "../../src/types.ts";
import { StoreError } from "../../src/errors.ts";
import { FakeClock } from "../../src/testing/mod.ts";
import type { StoreChange } from "../../src/store/store.ts";
import type { Trigger } from "../../src/types.ts";
import { checkLedger, Violation } from "./_world_ledger.ts";

export { Violation };

export const LEASE_MS = 10_000;
export const T0 = Date.UTC(2026, 2, 8, 5, 0, 0);
/** The first retry's delay; it doubles, up to 8 s. */
const BACKOFF_MS = 2000;
const MACHINE = "world";

interface LocalRun {
  readonly job: string;
  readonly slot: number;
  readonly runId: string;
  readonly trigger: Trigger;
  /** The attempt running, or to start next. */
  attempt: number;
  /** `waiting`: claimed ahead of its slot, or between two attempts. */
  phase: "waiting" | "running";
  /** When a waiting run may start its next attempt. */
  at: number;
}

/** One simulated process. */
export interface Instance {
  readonly id: string;
  readonly incarnation: string;
  /** Its process id in the world (what the probe looks up). */
  readonly pid: number;
  store: JobStore;
  readonly hold: InstanceHold;
  readonly liveness: Liveness;
  readonly fence: SelfFence;
  readonly runs: LocalRun[];
  beat: number;
  frozen: boolean;
  /**
   * The next claim reads every job with runs, as a scheduler's first claim
   * and its claim after a failure do (a crash before start is both).
   */
  full: boolean;
  /** The instance's claim in progress (claims are sequential). */
  claiming: Promise<void>;
  /** A `tock tick`: claims once, runs what it claimed, exits. */
  readonly tick: boolean;
  claimed: boolean;
}

/** How a world is set up. */
export interface WorldOptions {
  /**
   * Instances look up each other's processes by pid, as on one machine
   * (otherwise they judge by heartbeats alone).
   */
  readonly probe?: boolean;
  /**
   * The store's lock turns run side by side (PostgreSQL): a read that
   * holds jobs, or a first claim, may wait for another instance's turn.
   */
  readonly sideBySide?: boolean;
}

/** A world of processes over one store backend. */
export class World {
  // No timers run in this world, so nothing needs settling between ticks.
  readonly clock = new FakeClock(T0, { settle: () => Promise.resolve() });
  readonly instances: Instance[] = [];
  readonly executions: { job: string; slot: number; instance: string }[] = [];
  /** The last attempt each reported run made, by run id. */
  readonly attempts = new Map<string, number>();
  readonly #specs = new Map<string, JobInput>();
  /** Runs another instance recovered: their owner must not start them. */
  readonly #taken = new Set<string>();
  /** The scheduled (not recovery) runs of each job and slot. */
  readonly #runsOf = new Map<string, string[]>();
  readonly #open: () => Promise<JobStore>;
  readonly #probe: ProcessProbe;
  /** See {@linkcode WorldOptions.sideBySide}. */
  readonly sideBySide: boolean;
  #admin: JobStore | undefined;
  #generation = 0;

  constructor(open: () => Promise<JobStore>, options: WorldOptions = {}) {
    this.#open = open;
    this.sideBySide = options.sideBySide ?? false;
    this.#probe = options.probe
      ? {
        machine: MACHINE,
        pidStart: undefined,
        alive: (pid, start) =>
          this.instances.some((i) =>
            i.pid === pid && (start === undefined || start === pid)
          ),
      }
      : NO_PROBE;
  }

  /** Adds the jobs and starts `count` long-lived processes. */
  async start(count: number, jobs: JobInput[]) {
    this.#admin = await this.#open();
    for (const job of jobs) {
      this.#specs.set(job.id, job);
      await addJob(this.#admin, job, { now: this.clock.now() });
    }
    for (let i = 0; i < count; i++) await this.#spawn({});
  }

  instance(i: number): Instance | undefined {
    return this.instances[i % Math.max(1, this.instances.length)];
  }

  /**
   * Starts a process: it takes its id (and may be refused), then beats.
   * `at` puts it in that place of the list (a restart).
   */
  async #spawn(
    options: { id?: string; tick?: boolean; at?: number },
  ): Promise<Instance | undefined> {
    const n = this.#generation++;
    const id = options.id ?? `${options.tick ? "t" : "i"}-g${n}`;
    const incarnation = `inc-${n}`;
    const pid = n + 1;
    const store = this.#observed(await this.#open());
    let hold: InstanceHold;
    try {
      hold = await store.holdInstance(id, { incarnation, pid });
    } catch (error) {
      await store.close();
      if (error instanceof StoreError) return undefined;
      throw error;
    }
    const inst: Instance = {
      id,
      incarnation,
      pid,
      store,
      hold,
      liveness: new Liveness(id, LEASE_MS, { probe: this.#probe }),
      fence: new SelfFence({ clock: this.clock, leaseMs: LEASE_MS }),
      runs: [],
      beat: 0,
      frozen: false,
      full: true,
      claiming: Promise.resolve(),
      tick: options.tick ?? false,
      claimed: false,
    };
    if (options.at === undefined) this.instances.push(inst);
    else this.instances.splice(options.at, 0, inst);
    await this.heartbeat(inst);
    return inst;
  }

  /**
   * The store as one process sees it; every commit it makes is also
   * checked for runs it takes from others (recovery), so that a start of
   * such a run by its old owner is seen as the violation it is.
   */
  #observed(store: JobStore): JobStore {
    const commit: JobStore["commit"] = async (lease, changes) => {
      await store.commit(lease, changes);
      this.#noteTaken(changes);
    };
    return new Proxy(store, {
      get(target, key) {
        if (key === "commit") return commit;
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  #noteTaken(changes: readonly StoreChange[]) {
    for (const change of changes) {
      if (change.type === "ledger.append") {
        const { entry } = change;
        if (entry.outcome === "abandoned" && entry.runId) {
          this.#taken.add(entry.runId);
        }
      } else if (change.type === "job.state") {
        for (const item of [...change.state.runs, ...change.state.backlog]) {
          if (item.trigger !== "recovery") continue;
          for (
            const runId of this.#runsOf.get(`${change.id} ${item.slot}`) ?? []
          ) {
            this.#taken.add(runId);
          }
        }
      }
    }
  }

  async #observe(inst: Instance) {
    return inst.liveness.observe(
      await inst.store.instances(),
      this.clock.monotonic(),
      this.clock.now(),
    );
  }

  async heartbeat(inst: Instance) {
    if (inst.frozen) return;
    inst.beat += 1;
    const issued = inst.fence.now();
    await inst.store.heartbeat({
      id: inst.id,
      incarnation: inst.incarnation,
      startedAt: T0,
      heartbeatAt: this.clock.now(),
      beat: inst.beat,
      pid: inst.pid,
      pidStart: inst.pid,
      machine: MACHINE,
    });
    inst.fence.beaten(issued);
    // As the runtime's heartbeat loop does: watch the others at every beat.
    await this.#observe(inst);
  }

  /** Moves time; live processes beat and start what is due every second. */
  async advance(ms: number) {
    let left = ms;
    while (left > 0) {
      const step = Math.min(1000, left);
      await this.clock.tick(step);
      left -= step;
      for (const inst of [...this.instances]) await this.heartbeat(inst);
      for (const inst of [...this.instances]) await this.startDue(inst);
    }
  }

  /**
   * One claim step of a process; what it claims starts at once, or at its
   * slot when claimed ahead. A process's claims run one after another, as
   * in a scheduler; a tick claims once.
   */
  claim(
    inst: Instance | undefined,
    options: { capacity?: number; lookaheadMs?: number; crash?: boolean } = {},
  ) {
    if (!inst) return Promise.resolve();
    const next = inst.claiming.then(() => this.#claim(inst, options));
    inst.claiming = next.catch(() => {});
    return next;
  }

  async #claim(
    inst: Instance,
    options: { capacity?: number; lookaheadMs?: number; crash?: boolean },
  ) {
    if (inst.frozen || (inst.tick && inst.claimed)) return;
    inst.claimed = true;
    const result = await claimDueJobs({
      store: inst.store,
      clock: this.clock,
      instance: inst.id,
      incarnation: inst.incarnation,
      capacity: (options.capacity ?? 4) - inst.runs.length,
      canRun: () => true,
      isDead: await this.#observe(inst),
      recheck: () => this.#observe(inst),
      ownRuns: new Map(inst.runs.map((r) => [r.runId, r.job])),
      full: inst.full,
      lookaheadMs: options.lookaheadMs ?? 0,
      // Few jobs per claim, so that claims split what is due (a burst)
      // in every world.
      maxJobs: 2,
    });
    inst.fence.confirmed(result.lockedAt);
    // A full claim that left jobs for later keeps the next one full.
    inst.full = (options.crash ?? false) || (inst.full && result.more);
    if (options.crash) return;
    // Runs someone else recovered (this one was judged dead) are stopped.
    for (let k = inst.runs.length - 1; k >= 0; k--) {
      if (!result.active.has(inst.runs[k]!.runId)) inst.runs.splice(k, 1);
    }
    for (const { run, spec } of result.started) {
      if (run.trigger !== "recovery") {
        const key = `${spec.id} ${run.slot}`;
        this.#runsOf.set(key, [...this.#runsOf.get(key) ?? [], run.runId]);
      }
      inst.runs.push({
        job: spec.id,
        slot: run.slot,
        runId: run.runId,
        trigger: run.trigger,
        attempt: 1,
        phase: "waiting",
        at: run.startAt ?? this.clock.now(),
      });
    }
    await this.startDue(inst);
  }

  /** Starts the process's waiting runs whose time has come. */
  async startDue(inst: Instance | undefined) {
    if (!inst) return;
    const due = inst.runs.filter((r) =>
      r.phase === "waiting" && r.at <= this.clock.now()
    );
    for (const run of due) await this.#begin(inst, run);
  }

  /**
   * Starts the next attempt of a run, as the runtime does: without I/O while
   * the process's claims stand (self-fencing), else after a heartbeat and a
   * read of its runs under the lock; runs taken away end unstarted.
   */
  async #begin(inst: Instance, run: LocalRun) {
    const waiting = () =>
      !inst.frozen && inst.runs.includes(run) && run.phase === "waiting";
    if (!waiting()) return;
    if (!inst.fence.fresh()) {
      await this.heartbeat(inst);
      // Only the runs asked about can be found taken away: a claim that
      // commits meanwhile adds runs the answer knows nothing of (as the
      // runtime fences only the runs it confirmed).
      const asked = new Map(inst.runs.map((r) => [r.runId, r.job]));
      const { ours, at } = await confirmRuns({
        store: inst.store,
        clock: this.clock,
        instance: inst.id,
        incarnation: inst.incarnation,
        runs: asked,
      });
      inst.fence.confirmed(at);
      for (let k = inst.runs.length - 1; k >= 0; k--) {
        const id = inst.runs[k]!.runId;
        if (asked.has(id) && !ours.has(id)) inst.runs.splice(k, 1);
      }
      if (!waiting() || !inst.fence.fresh()) return;
    }
    const what = `${run.job} slot ${new Date(run.slot).toISOString()}`;
    if (this.#taken.has(run.runId)) {
      throw new Violation(
        `G1: ${inst.id} started attempt ${run.attempt} of ${what} after another instance took the run`,
      );
    }
    if (run.attempt === 1) this.#execute(inst, run, what);
    run.phase = "running";
  }

  #execute(inst: Instance, run: LocalRun, what: string) {
    const previous = this.executions.filter((e) =>
      e.job === run.job && e.slot === run.slot
    );
    const rerun = this.#specs.get(run.job)?.recover === "rerun";
    const allowed = rerun && run.trigger === "recovery" ? 1 : 0;
    if (previous.length > allowed) {
      throw new Violation(
        `G1: ${what} executed again by ${inst.id} (${run.trigger}); before by ${
          previous.map((p) => p.instance)
        }`,
      );
    }
    if (this.#specs.get(run.job)?.overlap === "skip") {
      // A run is in progress from its first attempt to its outcome,
      // retries included; a run taken from a stopped process does not count.
      const busy = this.instances.flatMap((i) => i.runs).find((r) =>
        r !== run && r.job === run.job && !this.#taken.has(r.runId) &&
        (r.phase === "running" || r.attempt > 1)
      );
      if (busy) {
        throw new Violation(
          `overlap skip: ${what} started while the run of ${
            new Date(busy.slot).toISOString()
          } was in progress`,
        );
      }
    }
    this.executions.push({ job: run.job, slot: run.slot, instance: inst.id });
  }

  /** Ends an attempt of a running run: its outcome, or a retry after failing. */
  async finish(
    inst: Instance | undefined,
    k: number,
    outcome: RunOutcome | "retry" = "succeeded",
  ) {
    if (!inst || inst.frozen) return;
    const running = inst.runs.filter((r) => r.phase === "running");
    const run = running[k % Math.max(1, running.length)];
    if (!run) return;
    const retries = this.#specs.get(run.job)?.retries ?? 0;
    if (outcome === "retry" && run.attempt <= retries) {
      run.phase = "waiting";
      run.at = this.clock.now() + BACKOFF_MS * 2 ** (run.attempt - 1);
      run.attempt += 1;
      return;
    }
    inst.runs.splice(inst.runs.indexOf(run), 1);
    this.attempts.set(run.runId, run.attempt);
    // The production outcome path, on the instance's current store (a
    // `together` step swaps in an interleaving one).
    await new OutcomeBatch(inst.store).record(run.job, {
      runId: run.runId,
      outcome: outcome === "retry" ? "failed" : outcome,
      attempt: run.attempt,
      finishedAt: this.clock.now(),
    });
    if (inst.tick && inst.runs.length === 0) await this.#exit(inst);
  }

  /** A tick process with nothing left to run exits cleanly. */
  async #exit(inst: Instance) {
    const index = this.instances.indexOf(inst);
    if (index < 0) return;
    this.instances.splice(index, 1);
    await inst.store.removeInstance(inst.id);
    await inst.hold.release();
    await inst.store.close();
  }

  /**
   * The process dies (SIGKILL): its runs die with it and the kernel drops
   * its id; a long-lived one is restarted, under its id or a new one.
   */
  async crash(i: number, reuse = false) {
    const old = this.instance(i);
    if (!old) return;
    const index = this.instances.indexOf(old);
    this.instances.splice(index, 1);
    await old.hold.release();
    await old.store.close();
    if (old.tick) return;
    await this.#spawn({ ...(reuse ? { id: old.id } : {}), at: index });
  }

  /**
   * A second process asks for a live process's id (a service manager
   * restarting a unit while the old process drains): it must be refused.
   */
  async twin(i: number) {
    const old = this.instance(i);
    if (!old) return;
    const twin = await this.#spawn({ id: old.id });
    if (twin) {
      throw new Violation(
        `identity: instance id ${old.id} held by two live processes`,
      );
    }
  }

  /** A `tock tick` process: it claims once and runs what it claimed. */
  async tick(lookaheadMs = 0) {
    const inst = await this.#spawn({ tick: true });
    if (!inst) return;
    await this.claim(inst, { lookaheadMs });
    if (inst.runs.length === 0) await this.#exit(inst);
  }

  /** SIGSTOP / SIGCONT: a frozen process neither beats nor acts. */
  freeze(i: number, frozen: boolean) {
    const inst = this.instance(i);
    if (inst) inst.frozen = frozen;
  }

  /**
   * SIGSTOP for `ms`, with the others claiming meanwhile, then SIGCONT: the
   * stopped process wakes with whatever it was waiting for (a retry's
   * backoff, a start claimed ahead) overdue.
   */
  async stall(i: number, ms: number) {
    const inst = this.instance(i);
    if (!inst) return;
    inst.frozen = true;
    for (let left = ms; left > 0; left -= 5000) {
      await this.advance(Math.min(5000, left));
      for (const other of [...this.instances]) {
        if (other !== inst) await this.claim(other);
      }
    }
    inst.frozen = false;
    await this.startDue(inst);
  }

  /** Lets everything settle, then claims until nothing is due. */
  async quiesce() {
    for (const inst of this.instances) inst.frozen = false;
    // Long enough for every dead process to be judged dead.
    await this.advance(LEASE_MS + 2000);
    const longLived = () => this.instances.filter((i) => !i.tick);
    // A queued backlog drains one slot a round (overlap `queue`): a round
    // that records an outcome is progress; 60 rounds without one (or 2000
    // in all) is a world that does not settle.
    let recorded = await this.#recorded();
    let stuck = 0;
    for (let round = 0; round < 2000 && stuck < 60; round++) {
      for (const inst of [...this.instances]) {
        await this.startDue(inst);
        while (inst.runs.some((r) => r.phase === "running")) {
          await this.finish(inst, 0);
        }
      }
      for (const inst of [...this.instances]) await this.heartbeat(inst);
      if (longLived().length === 0) await this.tick();
      for (const inst of longLived()) {
        await this.claim(inst, { capacity: 1000 });
      }
      if (
        this.instances.every((i) => i.runs.length === 0) && !await this.#busy()
      ) {
        return;
      }
      // Retries and starts claimed ahead wait for their time.
      const later = this.instances.flatMap((i) => i.runs).map((r) => r.at);
      const wait = Math.max(0, ...later) - this.clock.now();
      if (wait > 0) await this.advance(wait);
      const now = await this.#recorded();
      stuck = now > recorded ? 0 : stuck + 1;
      recorded = now;
    }
    throw new Violation("the world did not settle: some job stays due");
  }

  /** Outcomes recorded so far, over every job (slots of ranges counted). */
  async #recorded(): Promise<number> {
    const jobs = await this.#admin!.jobs();
    return jobs.reduce(
      (n, j) => n + Object.values(j.state.counters).reduce((a, b) => a + b, 0),
      0,
    );
  }

  async #busy(): Promise<boolean> {
    const jobs = await this.#admin!.jobs();
    return jobs.some((j) =>
      j.state.runs.length > 0 || j.state.backlog.length > 0 ||
      (j.state.nextDueAt !== undefined && j.state.nextDueAt <= this.clock.now())
    );
  }

  /** G3, over the settled world (see `_world_ledger.ts`). */
  checkLedger(): Promise<void> {
    return checkLedger(this.#admin!, this.attempts);
  }

  async close() {
    for (const inst of this.instances) {
      await inst.hold.release();
      await inst.store.close();
    }
    await this.#admin?.close();
  }
}
