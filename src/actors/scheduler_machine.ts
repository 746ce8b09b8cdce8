/**
 * The scheduler actor of one instance.
 *
 * starting → waiting → locked → dispatching → waiting … ; stopping → stopped
 *
 * With `once` (`tock tick`), dispatching leads to `holding` instead of
 * `waiting` once nothing more is due: the instance runs what it claimed and
 * claims no more.
 *
 * `locked` is the only state in which the store lock is held: it invokes
 * `claim` (claim-and-advance), which takes the lock and releases it before
 * it resolves; leaving `locked` for any reason stops that actor, whose
 * signal aborts a wait for the lock. The claimed runs are handed to the
 * runtime in `dispatching`, after the lock is released; the runtime keeps
 * one job actor per claimed run and reports ended runs (`runs.ended`), and
 * `stopping` cancels them when the grace runs out.
 *
 * Job actors are not children of this actor on purpose: xstate copies an
 * actor's children at each of its transitions, so a thousand runs as
 * children would make every run's start and end cost a thousand copies.
 *
 * @module
 */

import { assign, fromPromise, setup } from "../deps/xstate.ts";
import type { ClaimedRun } from "../types.ts";

/** What the `claim` actor resolves with. */
export interface ClaimOutput {
  /**
   * The runs claimed for this instance; each starts at its `startAt`
   * (claimed ahead of its slot), or at once.
   */
  readonly started: readonly ClaimedRun[];
  /** Own runs to cancel (asked by `replace`, or no longer ours). */
  readonly cancel: readonly string[];
  /** More is due than one claim handles. */
  readonly more: boolean;
}

/** The scheduler actor's context. */
export interface SchedulerMachineContext {
  readonly maxParallel: number;
  /** Job actors running in this instance. */
  readonly running: number;
  readonly claimed: ClaimOutput;
  /** Something changed while claiming: claim again. */
  readonly dirty: boolean;
  readonly stopRequested: boolean;
  /** Consecutive failed claims (for the error backoff). */
  readonly failures: number;
  readonly graceMs: number;
  /** Claim until nothing more is due, then only run what was claimed. */
  readonly once: boolean;
}

/** The scheduler actor's input. */
export interface SchedulerMachineInput {
  readonly maxParallel: number;
  readonly graceMs: number;
  readonly once?: boolean;
}

/** Events the scheduler actor accepts. */
export type SchedulerMachineEvent =
  | { readonly type: "scheduler.wake" }
  | { readonly type: "scheduler.stop"; readonly graceMs?: number }
  /** Runs of this instance ended (reported in batches). */
  | { readonly type: "runs.ended"; readonly count: number };

/** Input of the `waitForWork` actor. */
export interface WaitInput {
  /** No capacity left: wait for a run to end rather than for a deadline. */
  readonly full: boolean;
}

const EMPTY: ClaimOutput = { started: [], cancel: [], more: false };

function notProvided<I, O>(name: string) {
  return fromPromise<O, I>(() => {
    throw new Error(`Cannot run scheduler actor: '${name}' was not provided`);
  });
}

/** The scheduler machine (never exported from `mod.ts`). */
export const schedulerMachine = setup({
  types: {
    context: {} as SchedulerMachineContext,
    events: {} as SchedulerMachineEvent,
    input: {} as SchedulerMachineInput,
  },
  actors: {
    register: notProvided<void, void>("register"),
    waitForWork: notProvided<WaitInput, void>("waitForWork"),
    claim: notProvided<{ capacity: number }, ClaimOutput>("claim"),
    unregister: notProvided<void, void>("unregister"),
  },
  actions: {
    /** Runs ended: count them, and claim again soon. */
    runsEnded: assign({
      running: ({ context, event }) =>
        context.running - (event.type === "runs.ended" ? event.count : 0),
      dirty: true,
    }),
    /**
     * Runtime hook: create job actors for claimed runs, cancel others; with
     * `hold` (a stop was asked for), start none of them.
     */
    dispatch: (_, _params: { claimed: ClaimOutput; hold: boolean }) => {},
    /** Runtime hook: cancel the runs claimed but not started yet. */
    cancelWaiting: () => {},
    /** Runtime hook: cancel every run of this instance. */
    cancelAll: () => {},
    /** Runtime hook: a claim failed (for events). */
    claimFailed: (_, _params: { error: unknown }) => {},
    /** Runtime hook: the scheduler reached a phase (for events). */
    notify: (_, _params: { phase: "started" | "stopping" | "stopped" }) => {},
  },
  guards: {
    again: ({ context }) =>
      context.claimed.more || context.stopRequested ||
      (context.dirty && !context.once),
    idle: ({ context }) => context.running === 0,
  },
  delays: {
    errorBackoff: ({ context }) =>
      Math.min(30_000, 250 * 2 ** context.failures),
    grace: ({ context }) => context.graceMs,
  },
}).createMachine({
  id: "scheduler",
  initial: "starting",
  context: ({ input }) => ({
    maxParallel: input.maxParallel,
    graceMs: input.graceMs,
    once: input.once ?? false,
    running: 0,
    claimed: EMPTY,
    dirty: false,
    stopRequested: false,
    failures: 0,
  }),
  on: {
    "scheduler.stop": {
      target: ".stopping",
      actions: assign({
        graceMs: ({ context, event }) => event.graceMs ?? context.graceMs,
      }),
    },
    "scheduler.wake": { actions: assign({ dirty: true }) },
    "runs.ended": { actions: "runsEnded" },
  },
  states: {
    starting: {
      invoke: {
        src: "register",
        onDone: [
          {
            guard: ({ context }) => context.stopRequested,
            target: "stopping",
            actions: { type: "notify", params: { phase: "started" } },
          },
          {
            target: "locked",
            actions: { type: "notify", params: { phase: "started" } },
          },
        ],
        onError: {
          target: "stopped",
          actions: {
            type: "claimFailed",
            params: ({ event }) => ({ error: event.error }),
          },
        },
      },
      on: {
        // Registering writes the instance record; stopping before it lands
        // would leave the record behind. Finish registering, then stop.
        "scheduler.stop": { actions: assign({ stopRequested: true }) },
      },
    },
    waiting: {
      entry: assign({ dirty: false }),
      invoke: {
        src: "waitForWork",
        input: ({ context }) => ({
          full: context.running >= context.maxParallel,
        }),
        onDone: "locked",
        onError: "locked",
      },
      on: {
        "scheduler.wake": "locked",
        "runs.ended": { target: "locked", actions: "runsEnded" },
      },
    },
    locked: {
      entry: assign({ dirty: false }),
      invoke: {
        src: "claim",
        input: ({ context }) => ({
          capacity: context.maxParallel - context.running,
        }),
        onDone: {
          target: "dispatching",
          actions: assign({
            claimed: ({ event }) => event.output,
            failures: 0,
          }),
        },
        onError: {
          target: "backoff",
          actions: [
            {
              type: "claimFailed",
              params: ({ event }) => ({ error: event.error }),
            },
            assign({ failures: ({ context }) => context.failures + 1 }),
          ],
        },
      },
      on: {
        // The claim is short; finish it so that what it claims is
        // dispatched and then drained, rather than left claimed.
        "scheduler.stop": {
          actions: assign({ stopRequested: true }),
        },
      },
    },
    backoff: {
      always: {
        guard: ({ context }) => context.stopRequested,
        target: "stopping",
      },
      after: { errorBackoff: "waiting" },
    },
    dispatching: {
      entry: [
        {
          type: "dispatch",
          params: ({ context }) => ({
            claimed: context.claimed,
            hold: context.stopRequested,
          }),
        },
        assign({
          running: ({ context }) =>
            context.running + context.claimed.started.length,
        }),
      ],
      always: [
        {
          guard: ({ context }) => context.stopRequested,
          target: "stopping",
        },
        { guard: "again", target: "locked" },
        { guard: ({ context }) => context.once, target: "holding" },
        { target: "waiting" },
      ],
    },
    holding: {
      // `once`: the claims are done; the runs go on until they end (and a
      // stop request, handled at the root, cancels them after the grace).
      on: { "scheduler.wake": {} },
    },
    stopping: {
      // Claim nothing more, and start nothing claimed ahead (or claimed by
      // a claim that was under way): those runs are recorded cancelled.
      entry: [
        { type: "notify", params: { phase: "stopping" } },
        "cancelWaiting",
      ],
      initial: "draining",
      states: {
        draining: {
          always: { guard: "idle", target: "#scheduler.closing" },
          after: { grace: "cancelling" },
        },
        cancelling: {
          entry: "cancelAll",
          always: { guard: "idle", target: "#scheduler.closing" },
        },
      },
      on: {
        "scheduler.stop": {},
        "scheduler.wake": {},
      },
    },
    closing: {
      invoke: {
        src: "unregister",
        onDone: "stopped",
        onError: "stopped",
      },
      on: { "scheduler.stop": {} },
    },
    stopped: {
      type: "final",
      entry: { type: "notify", params: { phase: "stopped" } },
    },
  },
});
