/**
 * The runs of one instance: a job actor per claimed run, one timer that
 * starts every run due at an instant, and group-committed outcomes.
 *
 * A job actor exists from its run's claim until the outcome is recorded
 * (virtual actors: an idle job is a record in the store, not an actor). A
 * run claimed ahead of its slot waits in the actor's `claimed` state; one
 * timer starts every run due at an instant (the first attempts in one loop:
 * see the job machine's documentation).
 *
 * The job machine's fallible steps are done here, as its hooks: an entry
 * action begins an attempt, a confirmation or an outcome write, and the
 * answer comes back to the actor as an event when that settles
 * (`attempt.*` with the attempt's number, `confirm.*`, `record.*`); the
 * hooks are built once per instance and shared by its runs. An attempt's
 * signal aborts when its actor leaves it: with the reason on a timeout or
 * cancel (`abortAttempt`), with a generic one on any other way out of
 * `running` (`endAttempt`) or when the actor stops; an attempt left behind
 * does not answer. `settle()` waits for the ones still ending.
 *
 * No attempt starts unless this process knows its claim still stands (see
 * `self_fence.ts`): on the fast path that is a check of two clocks; after a
 * freeze, the runs are confirmed under the lock first, and those taken away
 * meanwhile end `fenced` without running.
 *
 * Over 400 lines on purpose: a run's whole life in this process (dispatch,
 * the start timer, self-fencing, attempts, the recorded outcome) reads
 * best in one place, and its pieces share the map of local runs.
 *
 * @module
 */

import { type Actor, createActor } from "../deps/xstate.ts";
import type { ActiveRun, JobSpec } from "../types.ts";
import type { JobStore } from "../store/store.ts";
import { JobTimeoutError } from "../errors.ts";
import {
  jobMachine,
  type JobMachineContext,
  type JobMachineEvent,
  type JobMachineInput,
  type JobPhase,
} from "../actors/job_machine.ts";
import type { ClaimOutput } from "../actors/scheduler_machine.ts";
import type { Clock } from "../clock.ts";
import type { TockEventDetail, TockEventType } from "./events.ts";
import type { SelfFence } from "./self_fence.ts";
import { OutcomeBatch } from "../turns/outcome_batch.ts";
import {
  type JobHandler,
  runHandler,
  type TargetRunner,
} from "../executors/run_handler.ts";

/** What {@linkcode JobRuns} needs from its scheduler. */
export interface JobRunsOptions {
  readonly store: JobStore;
  readonly clock: Clock;
  readonly instance: string;
  readonly handlers: ReadonlyMap<string, JobHandler>;
  readonly runners: {
    readonly command?: TargetRunner;
    readonly module?: TargetRunner;
  };
  readonly emit: (
    type: TockEventType,
    detail: Omit<TockEventDetail, "instance">,
  ) => void;
  /** Told how many runs ended (once per burst of runs ending together). */
  readonly onEnded: (count: number) => void;
  /** Whether this process's claims still stand without a read. */
  readonly fence: SelfFence;
  /**
   * Writes a heartbeat, then reads this process's runs under the lock:
   * the ones still its own (the slow path of self-fencing).
   */
  readonly confirm: () => Promise<ReadonlySet<string>>;
}

/** How long a failed confirmation waits before it is tried again. */
const CONFIRM_RETRY_MS = 1000;

type JobLogic = ReturnType<typeof jobMachine.provide>;

/** What a hook needs of its actor: where to send the answer. */
interface JobActorRef {
  send(event: JobMachineEvent): void;
}

// The answers that carry nothing of their own, shared by every run.
const CONFIRM_OK: JobMachineEvent = { type: "confirm.ok" };
const CONFIRM_LOST: JobMachineEvent = { type: "confirm.lost" };
const CONFIRM_FAILED: JobMachineEvent = { type: "confirm.failed" };
const RECORD_DONE: JobMachineEvent = { type: "record.done" };
const RECORD_FAILED: JobMachineEvent = { type: "record.failed" };

interface LocalRun {
  readonly spec: JobSpec;
  readonly run: ActiveRun;
  readonly actor: Actor<JobLogic>;
  startedAt?: number;
  /** The attempt in flight; unset once it has told the actor its end. */
  controller?: AbortController | undefined;
  /** The first attempt was begun by the start loop, before `job.start`. */
  first?: boolean;
  /** Its outcome was not recorded: another instance had taken the run. */
  fenced?: boolean;
}

/** The runs of one instance; see the module documentation. */
export class JobRuns {
  readonly #options: JobRunsOptions;
  readonly #runs = new Map<string, LocalRun>();
  /** Attempts begun and not settled yet (`settle()` waits for them). */
  #unsettled = 0;
  /** Resolved when `#unsettled` drops to zero while `settle()` waits. */
  #allSettled: PromiseWithResolvers<void> | undefined;
  readonly #batch: OutcomeBatch;
  readonly #logic: JobLogic;
  /** Runs waiting for their start time, earliest first. */
  #waiting: LocalRun[] = [];
  #timer: { readonly at: number; readonly stop: AbortController } | undefined;
  /** A stop is under way: runs claimed from now on are not started. */
  #holding = false;
  #ended = 0;
  /** Aborted when the scheduler stops (ends confirmations' waits). */
  readonly #stopped = new AbortController();

  /** @param options The store, clock, handlers and hooks. */
  constructor(options: JobRunsOptions) {
    this.#options = options;
    this.#batch = new OutcomeBatch(options.store);
    this.#logic = this.#provide();
  }

  /** The runs this instance holds (claimed or running): run id → job id. */
  owned(): ReadonlyMap<string, string> {
    return new Map([...this.#runs].map(([id, local]) => [id, local.spec.id]));
  }

  /**
   * Creates a job actor, in its `claimed` state, for each run the claim
   * step gave this instance, and starts those due; cancels the runs the
   * claim said to cancel.
   *
   * @param output What the claim step returned.
   * @param options With `hold`, start none (a stop is under way: they are
   * cancelled next, see {@linkcode cancelWaiting}).
   */
  dispatch(output: ClaimOutput, options: { hold?: boolean } = {}): void {
    const added: LocalRun[] = [];
    for (const { run, spec } of output.started) {
      const actor = createActor(this.#logic, {
        input: inputOf(run, spec),
        clock: this.#options.clock,
      });
      const local: LocalRun = { spec, run, actor };
      this.#runs.set(run.runId, local);
      const end = () => this.#end(local);
      actor.subscribe({ complete: end, error: end });
      actor.start();
      added.push(local);
    }
    for (const runId of output.cancel) this.cancel(runId);
    if (added.length === 0) return;
    added.sort(byStart);
    const last = this.#waiting.at(-1);
    this.#waiting = this.#waiting.concat(added);
    if (last && startAt(added[0]!) < startAt(last)) this.#waiting.sort(byStart);
    if (!options.hold && !this.#holding) this.#startDue();
  }

  /**
   * Cancels every run claimed but not started yet (claimed ahead of its
   * slot, or waiting to confirm): each is recorded `cancelled` unstarted.
   */
  cancelWaiting(): void {
    this.#holding = true;
    const waiting = this.#waiting;
    this.#waiting = [];
    this.#disarm();
    for (const local of waiting) this.cancel(local.run.runId);
  }

  /**
   * Cancels one run (a claimed run is recorded `cancelled` unstarted).
   *
   * @param runId The run.
   */
  cancel(runId: string): void {
    this.#runs.get(runId)?.actor.send({ type: "job.cancel" });
  }

  /** Cancels every run of this instance. */
  cancelAll(): void {
    for (const runId of [...this.#runs.keys()]) this.cancel(runId);
  }

  /** Stops the start timer (the scheduler has stopped). */
  close(): void {
    this.#stopped.abort();
    this.#disarm();
    this.#waiting = [];
  }

  #disarm(): void {
    this.#timer?.stop.abort();
    this.#timer = undefined;
  }

  /**
   * Waits for attempts that were aborted but have not settled yet (a
   * runner still killing a process), at most `limitMs`.
   *
   * @param limitMs The longest wait.
   */
  async settle(limitMs: number): Promise<void> {
    if (this.#unsettled === 0) return;
    this.#allSettled ??= Promise.withResolvers();
    // Bounded: a function handler that ignores its signal cannot be
    // stopped, and must not keep stop() waiting forever.
    const limit = new AbortController();
    await Promise.race([
      this.#allSettled.promise,
      this.#options.clock.sleep(limitMs, limit.signal).catch(() => {}),
    ]);
    limit.abort();
  }

  /** Starts every waiting run whose time has come, then re-arms the timer. */
  #startDue(): void {
    const now = this.#options.clock.now();
    let n = 0;
    while (n < this.#waiting.length && startAt(this.#waiting[n]!) <= now) n++;
    const due = this.#waiting.splice(0, n);
    if (due.length > 0) {
      if (this.#options.fence.fresh()) this.#start(due);
      else void this.#confirmThenStart(due);
    }
    this.#arm();
  }

  /** Starts claimed runs: their handlers first, in one loop; then actors. */
  #start(due: readonly LocalRun[]): void {
    const claimed = due.filter((local) =>
      local.actor.getSnapshot().value === "claimed"
    );
    if (this.#holding) {
      // A stop came while they were being confirmed: start none.
      for (const local of claimed) this.cancel(local.run.runId);
      return;
    }
    // The one batch-start exception (see job_machine.ts).
    for (const local of claimed) {
      local.first = true;
      void this.#runAttempt(local, 1);
    }
    for (const local of claimed) local.actor.send({ type: "job.start" });
  }

  /**
   * The slow path: confirm under the lock, fence the runs taken away,
   * start the rest once the fast path holds again.
   */
  async #confirmThenStart(due: readonly LocalRun[]): Promise<void> {
    let left = due;
    while (left.length > 0) {
      let ours: ReadonlySet<string> | undefined;
      try {
        ours = await this.#options.confirm();
      } catch {
        // The store could not be read: the runs wait, and a later claim
        // may tell that they were taken away.
      }
      left = left.filter((local) =>
        local.actor.getSnapshot().value === "claimed"
      );
      if (ours) {
        for (const local of left) {
          if (!ours.has(local.run.runId)) {
            local.actor.send({ type: "job.fence" });
          }
        }
        left = left.filter((local) => ours.has(local.run.runId));
        // Frozen again while confirming? Then confirm again.
        if (this.#options.fence.fresh()) return this.#start(left);
      }
      if (this.#stopped.signal.aborted) return;
      await this.#options.clock.sleep(CONFIRM_RETRY_MS, this.#stopped.signal)
        .catch(() => {});
    }
  }

  /**
   * Tells the actor whether the run may start its next attempt (see
   * `confirming`). Never rejects.
   */
  async #confirmAttempt(context: JobMachineContext, actor: JobActorRef) {
    const { fence, confirm } = this.#options;
    let answer = CONFIRM_OK;
    try {
      while (!fence.fresh()) {
        if (!(await confirm()).has(context.runId)) {
          answer = CONFIRM_LOST;
          break;
        }
      }
    } catch {
      answer = CONFIRM_FAILED;
    }
    actor.send(answer);
  }

  /** One timer, for the earliest waiting run. */
  #arm(): void {
    const next = this.#waiting[0];
    if (!next) return this.#disarm();
    const at = startAt(next);
    if (this.#timer && this.#timer.at <= at) return;
    this.#timer?.stop.abort();
    const timer = { at, stop: new AbortController() };
    this.#timer = timer;
    const { clock } = this.#options;
    clock.sleep(Math.max(0, at - clock.now()), timer.stop.signal).then(() => {
      if (this.#timer !== timer) return;
      this.#timer = undefined;
      this.#startDue();
    }, () => {});
  }

  #end(local: LocalRun): void {
    // A stopped actor leaves `running` without its exit action.
    const controller = local.controller;
    if (controller && !controller.signal.aborted) controller.abort(stopped());
    this.#runs.delete(local.run.runId);
    this.#ended += 1;
    if (this.#ended > 1) return;
    // Runs that end together (one outcome batch) are reported once.
    queueMicrotask(() => {
      const count = this.#ended;
      this.#ended = 0;
      this.#options.onEnded(count);
    });
  }

  /** The machine with this instance's hooks: once, shared by its runs. */
  #provide(): JobLogic {
    return jobMachine.provide({
      actions: {
        beginAttempt: ({ context, self }) => this.#beginAttempt(context, self),
        endAttempt: ({ context }) => this.#endAttempt(context),
        abortAttempt: ({ context }, { cause }) => {
          const reason = cause === "timeout"
            ? new JobTimeoutError(context.jobId, context.timeoutMs ?? 0)
            : new DOMException(
              `Run ${context.runId} was cancelled`,
              "AbortError",
            );
          this.#runs.get(context.runId)?.controller?.abort(reason);
        },
        confirmAttempt: ({ context, self }) =>
          void this.#confirmAttempt(context, self),
        recordOutcome: ({ context, self }) =>
          void this.#recordOutcome(context, self),
        notify: ({ context }, { phase }) => this.#notify(context, phase),
      },
    });
  }

  #notify(context: JobMachineContext, phase: JobPhase) {
    const { emit, clock } = this.#options;
    const base = {
      job: context.jobId,
      slot: new Date(context.slot),
      runId: context.runId,
      attempt: context.attempt,
      trigger: context.trigger,
    };
    if (phase === "started") return emit("run.started", base);
    if (phase === "fenced") {
      return emit("run.fenced", { ...base, note: "unstarted" });
    }
    if (phase === "retrying") {
      return emit("run.retrying", { ...base, ...errorOf(context) });
    }
    const local = this.#runs.get(context.runId);
    // `run.fenced` said it all: the outcome is not the slot's.
    if (local?.fenced) return;
    const startedAt = local?.startedAt;
    const outcome = context.outcome ?? "cancelled";
    emit(`run.${outcome}`, {
      ...base,
      outcome,
      ...errorOf(context),
      ...(startedAt !== undefined
        ? { durationMs: clock.now() - startedAt }
        : {}),
    });
  }

  /** `running` was entered: begin its attempt, unless the start loop did. */
  #beginAttempt(context: JobMachineContext, actor: JobActorRef): void {
    const local = this.#runs.get(context.runId);
    if (!local) {
      const error = new Error(`Run ${context.runId} is not claimed here`);
      return actor.send({
        type: "attempt.failed",
        attempt: context.attempt,
        error,
      });
    }
    if (local.first) local.first = false;
    else void this.#runAttempt(local, context.attempt);
  }

  /**
   * `running` was left. An attempt still going is aborted; not at once, as
   * the transition's `abortAttempt` runs after this exit action and gives
   * the precise reason (timeout, cancel).
   */
  #endAttempt(context: JobMachineContext): void {
    const controller = this.#runs.get(context.runId)?.controller;
    if (!controller || controller.signal.aborted) return;
    queueMicrotask(() => controller.abort(stopped()));
  }

  /**
   * Calls the handler for one attempt, then tells the actor how it ended,
   * unless the actor has left the attempt (its signal is aborted). Never
   * rejects. A timed-out or cancelled attempt is recorded at once, but its
   * runner may still be killing a process; `settle()` waits for that so no
   * child outlives the scheduler.
   */
  async #runAttempt(local: LocalRun, attempt: number): Promise<void> {
    const { clock, instance, handlers, runners } = this.#options;
    local.startedAt ??= clock.now();
    const controller = new AbortController();
    local.controller = controller;
    const { run, spec } = local;
    this.#unsettled += 1;
    let answer: JobMachineEvent;
    try {
      await runHandler(spec, {
        jobId: spec.id,
        slot: new Date(run.slot),
        runId: run.runId,
        attempt,
        trigger: attempt > 1 ? "retry" : run.trigger,
        catchup: run.trigger === "catchup",
        instance,
        signal: controller.signal,
      }, { handlers, runners });
      answer = { type: "attempt.succeeded", attempt };
    } catch (error) {
      answer = { type: "attempt.failed", attempt, error };
    }
    if (--this.#unsettled === 0 && this.#allSettled) {
      this.#allSettled.resolve();
      this.#allSettled = undefined;
    }
    if (controller.signal.aborted) return;
    local.controller = undefined;
    local.actor.send(answer);
  }

  /** Records the outcome, then tells the actor. Never rejects. */
  async #recordOutcome(context: JobMachineContext, actor: JobActorRef) {
    const { clock, emit } = this.#options;
    const local = this.#runs.get(context.runId);
    const startedAt = local?.startedAt;
    let answer = RECORD_DONE;
    try {
      const recorded = await this.#batch.record(context.jobId, {
        runId: context.runId,
        outcome: context.outcome ?? "cancelled",
        attempt: context.attempt,
        ...(startedAt !== undefined ? { startedAt } : {}),
        finishedAt: clock.now(),
        ...errorOf(context),
      });
      if (!recorded) {
        if (local) local.fenced = true;
        emit("run.fenced", {
          job: context.jobId,
          runId: context.runId,
          slot: new Date(context.slot),
        });
      }
    } catch {
      answer = RECORD_FAILED;
    }
    actor.send(answer);
  }
}

function startAt(local: LocalRun): number {
  return local.run.startAt ?? 0;
}

/** The job actor's input: the claimed run and its job's retry policy. */
function inputOf(run: ActiveRun, spec: JobSpec): JobMachineInput {
  return {
    jobId: spec.id,
    runId: run.runId,
    slot: run.slot,
    trigger: run.trigger,
    retries: spec.retries,
    backoffMs: spec.backoffMs,
    backoffMaxMs: spec.backoffMaxMs,
    ...(spec.backoffSchedule ? { backoffSchedule: spec.backoffSchedule } : {}),
    ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
  };
}

function byStart(a: LocalRun, b: LocalRun): number {
  return startAt(a) - startAt(b);
}

/** A failed run's error; none once a retry has succeeded. */
function errorOf(context: JobMachineContext) {
  return context.error && context.outcome !== "succeeded"
    ? { error: context.error }
    : {};
}

/** Why an attempt's signal aborts when nothing more precise was given. */
function stopped(): DOMException {
  return new DOMException("Run stopped", "AbortError");
}
