// A simulated world of several tock instances sharing one store, driven step
// by step by property tests. It uses the real claim step, outcome recording,
// heartbeats and liveness of src/runtime; only the process around them (the
// scheduler actor and its timers) is replaced by explicit commands, so that
// fast-check can choose every interleaving, clock movement and crash.
import fc from "fast-check";
import type { JobStore } from "../../src/store/store.ts";
import type { JobInput } from "../../src/runtime/define_job.ts";
import { claimDueJobs } from "../../src/runtime/claim_due_jobs.ts";
import { addJob, recordOutcome } from "../../src/runtime/manage_jobs.ts";
import { Liveness } from "../../src/runtime/liveness.ts";
import { FakeClock } from "../../src/testing/mod.ts";
import type { RunOutcome } from "../../src/runtime/finish_run.ts";
import { scheduleOf } from "../../src/runtime/job_state.ts";
import { slotsBetween } from "../../src/schedule/slots_between.ts";
import type { LedgerEntry, Trigger } from "../../src/types.ts";

export const LEASE_MS = 10_000;
export const T0 = Date.UTC(2026, 2, 8, 5, 0, 0);

interface LocalRun {
  readonly job: string;
  readonly slot: number;
  readonly runId: string;
  readonly trigger: Trigger;
}

/** One simulated instance (a process). */
export interface Instance {
  id: string;
  store: JobStore;
  readonly liveness: Liveness;
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
}

/** What a property finds wrong. */
export class Violation extends Error {
  override name = "Violation";
}

/** A world of instances over one store backend. */
export class World {
  // No timers run in this world, so nothing needs settling between ticks.
  readonly clock = new FakeClock(T0, { settle: () => Promise.resolve() });
  readonly instances: Instance[] = [];
  readonly executions: (LocalRun & { instance: string })[] = [];
  readonly rerunJobs = new Set<string>();
  readonly jobs: JobInput[] = [];
  readonly #open: () => Promise<JobStore>;
  #generation = 0;

  constructor(open: () => Promise<JobStore>) {
    this.#open = open;
  }

  async start(count: number, jobs: JobInput[]) {
    for (let i = 0; i < count; i++) this.instances.push(await this.#spawn(i));
    for (const job of jobs) {
      this.jobs.push(job);
      if (job.recover === "rerun") this.rerunJobs.add(job.id);
      await addJob(this.instances[0]!.store, job, { now: this.clock.now() });
    }
    await this.heartbeats();
  }

  async #spawn(slot: number): Promise<Instance> {
    const id = `i${slot}-g${this.#generation++}`;
    return {
      id,
      store: await this.#open(),
      liveness: new Liveness(id, LEASE_MS),
      runs: [],
      beat: 0,
      frozen: false,
      full: true,
      claiming: Promise.resolve(),
    };
  }

  instance(i: number): Instance {
    return this.instances[i % this.instances.length]!;
  }

  async heartbeat(inst: Instance) {
    if (inst.frozen) return;
    inst.beat += 1;
    await inst.store.heartbeat({
      id: inst.id,
      startedAt: T0,
      heartbeatAt: this.clock.now(),
      beat: inst.beat,
    });
    // As the runtime's heartbeat loop does: watch the others at every beat.
    inst.liveness.observe(await inst.store.instances(), this.clock.monotonic());
  }

  async heartbeats() {
    for (const inst of this.instances) await this.heartbeat(inst);
  }

  /** Moves time; live instances heartbeat every second of it. */
  async advance(ms: number) {
    let left = ms;
    while (left > 0) {
      const step = Math.min(1000, left);
      await this.clock.tick(step);
      left -= step;
      await this.heartbeats();
    }
  }

  /**
   * One claim step of an instance; its claimed runs start at once. An
   * instance's claims run one after another, as in a scheduler.
   */
  claim(inst: Instance, capacity = 4, crashBeforeStart = false) {
    const next = inst.claiming.then(() =>
      this.#claim(inst, capacity, crashBeforeStart)
    );
    inst.claiming = next.catch(() => {});
    return next;
  }

  async #claim(inst: Instance, capacity: number, crashBeforeStart: boolean) {
    if (inst.frozen) return;
    const isDead = inst.liveness.observe(
      await inst.store.instances(),
      this.clock.monotonic(),
    );
    const result = await claimDueJobs({
      store: inst.store,
      clock: this.clock,
      instance: inst.id,
      capacity: capacity - inst.runs.length,
      canRun: () => true,
      isDead,
      ownRuns: new Map(inst.runs.map((r) => [r.runId, r.job])),
      full: inst.full,
      newRunId: () => `run-${crypto.randomUUID()}`,
    });
    inst.full = crashBeforeStart;
    if (crashBeforeStart) return;
    for (const { run, spec } of result.started) {
      const local = {
        job: spec.id,
        slot: run.slot,
        runId: run.runId,
        trigger: run.trigger,
      };
      this.#execute({ ...local, instance: inst.id });
      inst.runs.push(local);
    }
    // Runs someone else recovered (we were judged dead) are fenced: stop them.
    for (let k = inst.runs.length - 1; k >= 0; k--) {
      if (!result.active.has(inst.runs[k]!.runId)) inst.runs.splice(k, 1);
    }
  }

  #execute(run: LocalRun & { instance: string }) {
    const previous = this.executions.filter((e) =>
      e.job === run.job && e.slot === run.slot
    );
    const allowed = this.rerunJobs.has(run.job) && run.trigger === "recovery"
      ? 1
      : 0;
    if (previous.length > allowed) {
      throw new Violation(
        `G1: ${run.job} slot ${
          new Date(run.slot).toISOString()
        } executed again by ` +
          `${run.instance} (${run.trigger}); before by ${
            previous.map((p) => p.instance)
          }`,
      );
    }
    this.executions.push(run);
  }

  /** Ends one of an instance's runs. */
  async finish(inst: Instance, k: number, outcome: RunOutcome = "succeeded") {
    if (inst.frozen || inst.runs.length === 0) return;
    const [run] = inst.runs.splice(k % inst.runs.length, 1);
    await recordOutcome(inst.store, run!.job, {
      runId: run!.runId,
      outcome,
      attempt: 1,
      finishedAt: this.clock.now(),
    }, { now: this.clock.now() });
  }

  /** The process dies (SIGKILL): its runs die with it; a new one starts. */
  async crash(i: number) {
    const index = i % this.instances.length;
    const old = this.instances[index]!;
    await old.store.close();
    this.instances[index] = await this.#spawn(index);
    await this.heartbeat(this.instances[index]!);
  }

  /** SIGSTOP / SIGCONT: a frozen instance neither heartbeats nor acts. */
  freeze(i: number, frozen: boolean) {
    this.instance(i).frozen = frozen;
  }

  /** Lets everything settle, then claims until nothing is due. */
  async quiesce() {
    for (const inst of this.instances) inst.frozen = false;
    // Long enough for every dead instance to be judged dead.
    await this.advance(LEASE_MS + 2000);
    for (let round = 0; round < 50; round++) {
      for (const inst of this.instances) {
        while (inst.runs.length > 0) await this.finish(inst, 0);
      }
      await this.heartbeats();
      for (const inst of this.instances) await this.claim(inst, 1000);
      if (this.instances.every((inst) => inst.runs.length === 0)) {
        const jobs = await this.instances[0]!.store.jobs();
        const busy = jobs.some((j) =>
          j.state.runs.length > 0 || j.state.backlog.length > 0 ||
          (j.state.nextDueAt !== undefined &&
            j.state.nextDueAt <= this.clock.now())
        );
        if (!busy) return;
      }
    }
    throw new Violation("the world did not settle: some job stays due");
  }

  /** G3: every scheduled slot up to each job's cursor has exactly one outcome. */
  async checkLedger() {
    const store = this.instances[0]!.store;
    for (const { spec, state } of await store.jobs()) {
      const history = (await store.history({ job: spec.id })).filter((e) =>
        e.trigger !== "manual"
      );
      const schedule = scheduleOf(spec, state.createdAt);
      const from = spec.startAt !== undefined
        ? spec.startAt - 1
        : state.createdAt;
      const slots = new Set(
        slotsBetween(schedule, from, state.cursor, 1_000_000).slots,
      );
      const singles = new Map<number, LedgerEntry>();
      let counted = 0;
      const perOutcome: Record<string, number> = {};
      for (const entry of history) {
        const count = entry.count ?? 1;
        counted += count;
        perOutcome[entry.outcome] = (perOutcome[entry.outcome] ?? 0) + count;
        if (
          !slots.has(entry.slot) ||
          (entry.until !== undefined && !slots.has(entry.until))
        ) {
          throw new Violation(
            `G3: ${spec.id} ledger names ${
              new Date(entry.slot).toISOString()
            }, not a slot up to the cursor`,
          );
        }
        if (entry.count !== undefined) {
          // A range holds `count` consecutive slots, from `slot` to `until`.
          const span = slotsBetween(
            schedule,
            entry.slot - 1,
            entry.until!,
            entry.count + 1,
          ).slots;
          if (
            span.length !== entry.count || span[span.length - 1] !== entry.until
          ) {
            throw new Violation(
              `G3: ${spec.id} range ${new Date(entry.slot).toISOString()}..${
                new Date(entry.until!).toISOString()
              } of ${entry.count} does not hold consecutive slots`,
            );
          }
          for (const slot of span) {
            if (singles.has(slot)) {
              throw new Violation(
                `G3: ${spec.id} slot ${
                  new Date(slot).toISOString()
                } has two outcomes`,
              );
            }
            singles.set(slot, entry);
          }
        }
        if (entry.count === undefined) {
          if (singles.has(entry.slot)) {
            throw new Violation(
              `G3: ${spec.id} slot ${
                new Date(entry.slot).toISOString()
              } has two outcomes`,
            );
          }
          singles.set(entry.slot, entry);
        }
      }
      const pending = [...state.runs, ...state.backlog].filter((r) =>
        r.trigger !== "manual"
      );
      if (counted + pending.length !== slots.size) {
        throw new Violation(
          `G3: ${spec.id} has ${slots.size} slots up to the cursor but ${counted} ledger outcomes and ${pending.length} pending`,
        );
      }
      for (const [outcome, n] of Object.entries(perOutcome)) {
        if (state.counters[outcome as keyof typeof state.counters] !== n) {
          throw new Violation(
            `G3: ${spec.id} counter ${outcome} is ${
              state.counters[outcome as keyof typeof state.counters]
            }, ledger has ${n}`,
          );
        }
      }
    }
  }

  async close() {
    for (const inst of this.instances) await inst.store.close();
  }
}

/** Jobs with per-second-ish schedules and every policy. */
export const jobArb: fc.Arbitrary<JobInput[]> = fc.uniqueArray(
  fc.record({
    id: fc.constantFrom("a", "b", "c", "d", "e"),
    schedule: fc.constantFrom(
      "every 1s",
      "every 7s",
      "*/5 * * * * *",
      "* * * * *",
      "*/2 * * * *",
    ),
    overlap: fc.constantFrom("skip", "queue", "allow", "replace"),
    catchup: fc.constantFrom("latest", "all", "none"),
    catchupWindow: fc.constantFrom("1m", "10m", "24h"),
    catchupMax: fc.integer({ min: 1, max: 5 }),
    recover: fc.constantFrom("abandon", "rerun"),
  }).map((j) => ({ ...j, run: "h" }) as JobInput),
  { minLength: 1, maxLength: 4, selector: (j) => j.id },
);

/** One step of the world. */
export type Step =
  | { kind: "claim"; i: number; crashBeforeStart: boolean }
  | {
    kind: "together";
    s: fc.Scheduler;
    ops: { i: number; op: "claim" | "finish" }[];
  }
  | { kind: "finish"; i: number; k: number; outcome: RunOutcome }
  | { kind: "advance"; ms: number }
  | { kind: "jump"; ms: number }
  | { kind: "crash"; i: number }
  | { kind: "freeze"; i: number; frozen: boolean };

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("claim" as const),
      i: fc.nat(7),
      crashBeforeStart: fc.constant(false),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("claim" as const),
      i: fc.nat(7),
      crashBeforeStart: fc.constant(true),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("together" as const),
      s: fc.scheduler(),
      ops: fc.array(
        fc.record({
          i: fc.nat(7),
          op: fc.constantFrom("claim" as const, "finish" as const),
        }),
        { minLength: 2, maxLength: 4 },
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("finish" as const),
      i: fc.nat(7),
      k: fc.nat(7),
      outcome: fc.constantFrom(
        "succeeded" as const,
        "failed" as const,
        "timed_out" as const,
      ),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      ms: fc.oneof(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 3000, max: 30_000 }),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("jump" as const),
      ms: fc.oneof(
        fc.integer({ min: -3 * 3_600_000, max: -1000 }),
        fc.integer({ min: 60_000, max: 3 * 3_600_000 }),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("crash" as const), i: fc.nat(7) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("freeze" as const),
      i: fc.nat(7),
      frozen: fc.boolean(),
    }),
  },
);

/** Wraps a store so that a fast-check scheduler decides when each call resolves. */
export function interleaved(store: JobStore, s: fc.Scheduler): JobStore {
  const wrap = <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    s.scheduleFunction(fn);
  const lock = store.lock;
  return {
    // The lock itself is not wrapped: a scheduler that released a waiting
    // acquire before the holder's next step would deadlock the test, not
    // the code. Interleavings happen at every data step instead.
    lock,
    due: wrap(store.due.bind(store)),
    read: wrap(store.read.bind(store)),
    commit: wrap(store.commit.bind(store)),
    instances: wrap(store.instances.bind(store)),
    nextDueAt: store.nextDueAt.bind(store),
    jobs: store.jobs.bind(store),
    job: store.job.bind(store),
    history: store.history.bind(store),
    saveLog: store.saveLog.bind(store),
    logs: store.logs.bind(store),
    heartbeat: store.heartbeat.bind(store),
    removeInstance: store.removeInstance.bind(store),
    holdInstance: store.holdInstance.bind(store),
    close: store.close.bind(store),
    [Symbol.asyncDispose]: () => store.close(),
  };
}

/** Runs one step. */
export async function runStep(world: World, step: Step) {
  switch (step.kind) {
    case "claim":
      await world.claim(world.instance(step.i), 4, step.crashBeforeStart);
      // Killed after its claim was committed, before it started the runs.
      if (step.crashBeforeStart) await world.crash(step.i);
      return;
    case "finish":
      return await world.finish(world.instance(step.i), step.k, step.outcome);
    case "advance":
      return await world.advance(step.ms);
    case "jump":
      world.clock.jump(step.ms);
      return;
    case "crash":
      return await world.crash(step.i);
    case "freeze":
      return world.freeze(step.i, step.frozen);
    case "together": {
      const saved = world.instances.map((inst) => inst.store);
      for (const inst of world.instances) {
        inst.store = interleaved(inst.store, step.s);
      }
      try {
        const ops = (step.ops ?? []).map(({ i, op }) =>
          op === "claim"
            ? world.claim(world.instance(i))
            : world.finish(world.instance(i), 0)
        );
        await step.s.waitFor(Promise.all(ops));
      } finally {
        world.instances.forEach((inst, k) => inst.store = saved[k]!);
      }
    }
  }
}
