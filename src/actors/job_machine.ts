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
 * later attempt, `confirming` asks the runtime the same (`confirmAttempt`).
 * `fenced` is final and records nothing: the run is another instance's
 * now. `job.cancel` before the start records the slot `cancelled`.
 *
 * Everything fallible is an invoked promise actor supplied by the runtime
 * with `.provide()`: `runAttempt` runs one attempt (its signal aborts when
 * the state is left: timeout or cancel), `recordOutcome` writes the outcome
 * to the store and is retried until it succeeds. `done` is final and its
 * output is the outcome.
 *
 * One exception, made for start lag: when many runs are due at one instant,
 * the runtime calls all their first attempts' handlers in one loop, then
 * sends each actor `job.start`, and the first `runAttempt` adopts the
 * attempt already begun instead of beginning it. Sending a thousand
 * `job.start` events first would delay the last handler by a thousand
 * transitions (milliseconds); this way it starts microseconds after the
 * first. The attempt still belongs to `running`: its timeout, cancellation
 * and outcome are handled there (see `JobRuns` in the runtime).
 *
 * @module
 */

import { assign, fromPromise, setup } from "xstate";
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
  readonly timeoutMs?: number;
}

/** The job actor's context. */
export interface JobMachineContext extends JobMachineInput {
  /** 1-based attempt number. */
  readonly attempt: number;
  readonly outcome?: RunOutcome;
  readonly error?: ErrorInfo;
}

/** Events a job actor accepts. */
export type JobMachineEvent =
  | { readonly type: "job.start" }
  | { readonly type: "job.fence" }
  | { readonly type: "job.cancel" };

/** Input of the `runAttempt` and `recordOutcome` actors. */
export interface JobStepInput {
  readonly context: JobMachineContext;
}

/** Why a running attempt is being left (so the runtime can abort it). */
export type AbortCause = "timeout" | "cancel";

function notProvided<T = void>(name: string) {
  return fromPromise<T, JobStepInput>(() => {
    throw new Error(`Cannot run job actor: '${name}' was not provided`);
  });
}

/** The job machine (never exported from `mod.ts`). */
export const jobMachine = setup({
  types: {
    context: {} as JobMachineContext,
    events: {} as JobMachineEvent,
    input: {} as JobMachineInput,
    output: {} as RunOutcome,
  },
  actors: {
    runAttempt: notProvided("runAttempt"),
    /** Resolves true when the run is still this process's to start. */
    confirmAttempt: notProvided<boolean>("confirmAttempt"),
    recordOutcome: notProvided("recordOutcome"),
  },
  actions: {
    /** Runtime hook: an attempt is being left early; abort its signal. */
    abortAttempt: (_, _params: { cause: AbortCause }) => {},
    /** Runtime hook: the job reached a new phase (for events). */
    notify: (
      _,
      _params: { phase: "started" | "retrying" | "done" | "fenced" },
    ) => {},
  },
  guards: {
    canRetry: ({ context }) => context.attempt <= context.retries,
    hasTimeout: ({ context }) => context.timeoutMs !== undefined,
  },
  delays: {
    // Not capped at 2^31-1 ms: the runtime's clock chains timers, so a
    // 30-day timeout or backoff waits 30 days. Used only when there is one.
    runTimeout: ({ context }) => context.timeoutMs ?? 0,
    backoff: ({ context }) =>
      Math.min(
        context.backoffMaxMs,
        context.backoffMs * 2 ** Math.max(0, context.attempt - 1),
      ),
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
        "job.start": "running",
        "job.fence": "fenced",
        "job.cancel": {
          target: "recording",
          actions: assign({ outcome: "cancelled" as const }),
        },
      },
    },
    running: {
      entry: { type: "notify", params: { phase: "started" } },
      invoke: {
        src: "runAttempt",
        input: ({ context }) => ({ context }),
        onDone: {
          target: "recording",
          actions: assign({ outcome: "succeeded" as const }),
        },
        onError: [
          {
            guard: "canRetry",
            target: "retrying",
            actions: assign({ error: ({ event }) => errorInfo(event.error) }),
          },
          {
            target: "recording",
            actions: assign({
              outcome: "failed" as const,
              error: ({ event }) => errorInfo(event.error),
            }),
          },
        ],
      },
      // Only a run with a timeout gets a timer: at a thousand runs a
      // second, a guarded timer for every run was a third of a start's cost.
      initial: "checking",
      states: {
        checking: {
          always: [{ guard: "hasTimeout", target: "timed" }, {
            target: "untimed",
          }],
        },
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
      invoke: {
        src: "confirmAttempt",
        input: ({ context }) => ({ context }),
        onDone: [
          { guard: ({ event }) => event.output === true, target: "running" },
          { target: "fenced" },
        ],
        onError: "confirmFailed",
      },
      on: {
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
      invoke: {
        src: "recordOutcome",
        input: ({ context }) => ({ context }),
        onDone: "done",
        onError: "recordFailed",
      },
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
