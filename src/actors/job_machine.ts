/**
 * The job actor: one claimed slot of one job, from claim to recorded outcome.
 *
 * claimed → running ⇄ retrying → confirming → running … → recording → done
 *         ↘ fenced                          ↘ fenced
 *
 * An actor is created for a run the claim step has durably claimed, so it
 * starts in `claimed` (an idle job is a record in the store, not an actor).
 * `job.start` comes at the slot's due time, once the runtime knows the
 * claim still stands, and the first attempt starts on that `claimed →
 * running` transition; `job.fence` says the claim does not stand (the run
 * was taken away while this process could not heartbeat). Before every
 * later attempt, `confirming` asks the runtime the same. `fenced` is final
 * and records nothing: the run is another instance's now. `job.cancel`
 * before the start records the slot `cancelled`.
 *
 * The fallible work is the runtime's, supplied with `.provide()` as entry
 * actions that start it and answer with an event when it settles:
 * `beginAttempt` (`attempt.succeeded` / `attempt.failed`, carrying the
 * attempt's number), `confirmAttempt` (`confirm.ok` / `confirm.lost` /
 * `confirm.failed`) and `recordOutcome` (`record.done` / `record.failed`;
 * the write is retried until the store takes it). Not invoked promise
 * actors: creating and stopping a child actor for every step was about a
 * third of a run's CPU at ten thousand runs a second. So the machine does
 * by hand what an invoke's signal did: leaving `running` early (timeout,
 * cancel) calls `abortAttempt` with the cause, every exit from `running`
 * calls `endAttempt` (the runtime aborts an attempt still going; a stopped
 * actor runs no exit action, so the runtime also aborts on stop), and an
 * attempt event whose number is not the current attempt's is stale and
 * ignored. `done` is final and its output is the outcome.
 *
 * One exception, made for start lag: when many runs are due at one instant,
 * the runtime calls all their first attempts' handlers in one loop, then
 * sends each actor `job.start`, and the first `beginAttempt` adopts the
 * attempt already begun instead of beginning it. Sending a thousand
 * `job.start` events first would delay the last handler by a thousand
 * transitions (milliseconds); this way it starts microseconds after the
 * first. The attempt still belongs to `running`: its timeout, cancellation
 * and outcome are handled there (see `JobRuns` in the runtime).
 *
 * @module
 */

import { and, assign, setup } from "../deps/xstate.ts";
import type { ErrorInfo, RunOutcome, Trigger } from "../types.ts";
import { errorInfo } from "../errors.ts";

/** The claimed run a job actor is created for. */
export interface JobMachineInput {
  readonly jobId: string;
  readonly runId: string;
  readonly slot: number;
  readonly trigger: Trigger;
  readonly retries: number;
  readonly backoffMs: number;
  readonly backoffMaxMs: number;
  /** The delay before each retry, in order; replaces the doubling backoff. */
  readonly backoffSchedule?: readonly number[];
  readonly timeoutMs?: number;
}

/** The job actor's context. */
export interface JobMachineContext extends JobMachineInput {
  /** 1-based attempt number. */
  readonly attempt: number;
  readonly outcome?: RunOutcome;
  readonly error?: ErrorInfo;
}

/** Events a job actor accepts: the runtime's commands, then its answers. */
export type JobMachineEvent =
  | { readonly type: "job.start" }
  | { readonly type: "job.fence" }
  | { readonly type: "job.cancel" }
  | { readonly type: "attempt.succeeded"; readonly attempt: number }
  | {
    readonly type: "attempt.failed";
    readonly attempt: number;
    readonly error: unknown;
  }
  /** The run is still this process's: start the next attempt. */
  | { readonly type: "confirm.ok" }
  /** The run was taken away: fence. */
  | { readonly type: "confirm.lost" }
  /** The store could not be read: confirm again later. */
  | { readonly type: "confirm.failed" }
  | { readonly type: "record.done" }
  | { readonly type: "record.failed" };

/** Why a running attempt is being left (so the runtime can abort it). */
export type AbortCause = "timeout" | "cancel";

/** Phases the runtime is told of (for its events). */
export type JobPhase = "started" | "retrying" | "done" | "fenced";

function notProvided(name: string) {
  return () => {
    throw new Error(`Cannot run job actor: '${name}' was not provided`);
  };
}

/** The job machine (never exported from `mod.ts`). */
export const jobMachine = setup({
  types: {
    context: {} as JobMachineContext,
    events: {} as JobMachineEvent,
    input: {} as JobMachineInput,
    output: {} as RunOutcome,
  },
  actions: {
    /**
     * Runtime hook: start attempt `context.attempt`, then send the actor
     * `attempt.succeeded` or `attempt.failed` with that number.
     */
    beginAttempt: notProvided("beginAttempt"),
    /**
     * Runtime hook: `running` is left. Abort the attempt if it is still
     * going, after the current transition (so `abortAttempt`, which runs
     * after exit actions, gives the precise reason).
     */
    endAttempt: () => {},
    /** Runtime hook: an attempt is being left early; abort its signal. */
    abortAttempt: (_, _params: { cause: AbortCause }) => {},
    /**
     * Runtime hook: ask whether the run is still this process's to start,
     * then send `confirm.ok`, `confirm.lost` or `confirm.failed`.
     */
    confirmAttempt: notProvided("confirmAttempt"),
    /**
     * Runtime hook: write the outcome to the store, then send `record.done`
     * or `record.failed`.
     */
    recordOutcome: notProvided("recordOutcome"),
    /** Runtime hook: the job reached a new phase (for events). */
    notify: (_, _params: { phase: JobPhase }) => {},
  },
  guards: {
    /** The event settles the current attempt, not one already left. */
    isCurrentAttempt: ({ context, event }) =>
      (event.type === "attempt.succeeded" || event.type === "attempt.failed") &&
      event.attempt === context.attempt,
    canRetry: ({ context }) => context.attempt <= context.retries,
    hasTimeout: ({ context }) => context.timeoutMs !== undefined,
  },
  delays: {
    // Not capped at 2^31-1 ms: the runtime's clock chains timers, so a
    // 30-day timeout or backoff waits 30 days. Used only when there is one.
    runTimeout: ({ context }) => context.timeoutMs ?? 0,
    backoff: ({ context }) => {
      const list = context.backoffSchedule;
      // `attempt` is the attempt that just failed: its delay is entry
      // attempt - 1, and past the list's end the last one repeats.
      return list && list.length > 0
        ? list[Math.min(context.attempt, list.length) - 1]!
        : Math.min(
          context.backoffMaxMs,
          context.backoffMs * 2 ** Math.max(0, context.attempt - 1),
        );
    },
    recordRetry: 1000,
  },
}).createMachine({
  id: "job",
  initial: "claimed",
  context: ({ input }) => ({ ...input, attempt: 1 }),
  output: ({ context }) => context.outcome ?? "cancelled",
  states: {
    claimed: {
      // A slot claimed ahead of its due time waits here for it; the runtime
      // starts every run due at one instant from one timer.
      on: {
        "job.start": [
          { guard: "hasTimeout", target: "running.timed" },
          { target: "running.untimed" },
        ],
        "job.fence": "fenced",
        "job.cancel": {
          target: "recording",
          actions: assign({ outcome: "cancelled" as const }),
        },
      },
    },
    running: {
      entry: [{ type: "notify", params: { phase: "started" } }, "beginAttempt"],
      exit: "endAttempt",
      // Only a run with a timeout gets a timer: at a thousand runs a
      // second, a guarded timer for every run was a third of a start's
      // cost. The transitions into `running` pick the substate (an
      // eventless `checking` step cost a microstep per run).
      initial: "untimed",
      states: {
        timed: {
          after: {
            runTimeout: {
              target: "#job.recording",
              actions: [
                { type: "abortAttempt", params: { cause: "timeout" } },
                assign({ outcome: "timed_out" as const }),
              ],
            },
          },
        },
        untimed: {},
      },
      on: {
        "attempt.succeeded": {
          guard: "isCurrentAttempt",
          target: "recording",
          actions: assign({ outcome: "succeeded" as const }),
        },
        "attempt.failed": [
          {
            guard: and(["isCurrentAttempt", "canRetry"]),
            target: "retrying",
            actions: assign({ error: ({ event }) => errorInfo(event.error) }),
          },
          {
            guard: "isCurrentAttempt",
            target: "recording",
            actions: assign({
              outcome: "failed" as const,
              error: ({ event }) => errorInfo(event.error),
            }),
          },
        ],
        "job.cancel": {
          target: "recording",
          actions: [
            { type: "abortAttempt", params: { cause: "cancel" } },
            assign({ outcome: "cancelled" as const }),
          ],
        },
      },
    },
    retrying: {
      entry: { type: "notify", params: { phase: "retrying" } },
      after: {
        backoff: {
          target: "confirming",
          actions: assign({ attempt: ({ context }) => context.attempt + 1 }),
        },
      },
      on: {
        "job.cancel": {
          target: "recording",
          actions: assign({ outcome: "cancelled" as const }),
        },
      },
    },
    confirming: {
      // A process frozen during the backoff may have lost the run to an
      // instance that judged it dead; it must not run another attempt.
      entry: "confirmAttempt",
      on: {
        "confirm.ok": [
          { guard: "hasTimeout", target: "running.timed" },
          { target: "running.untimed" },
        ],
        "confirm.lost": "fenced",
        "confirm.failed": "confirmFailed",
        "job.cancel": {
          target: "recording",
          actions: assign({ outcome: "cancelled" as const }),
        },
      },
    },
    confirmFailed: {
      // The store could not be read: try again; the attempt waits.
      after: { recordRetry: "confirming" },
      on: {
        "job.cancel": {
          target: "recording",
          actions: assign({ outcome: "cancelled" as const }),
        },
      },
    },
    fenced: {
      type: "final",
      entry: { type: "notify", params: { phase: "fenced" } },
    },
    recording: {
      // An attempt or confirmation left behind (timeout, cancel) may still
      // answer; nothing here handles its event, so it is dropped.
      entry: "recordOutcome",
      on: { "record.done": "done", "record.failed": "recordFailed" },
    },
    recordFailed: {
      // The store refused the write (disk full, connection lost): keep the
      // outcome and try again; the slot stays claimed meanwhile.
      after: { recordRetry: "recording" },
    },
    done: {
      type: "final",
      entry: { type: "notify", params: { phase: "done" } },
    },
  },
});
