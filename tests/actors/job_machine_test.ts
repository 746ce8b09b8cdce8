import { deepEqual, equal } from "node:assert/strict";
import fc from "fast-check";
import { createActor } from "xstate";
import {
  jobMachine,
  type JobMachineInput,
} from "../../src/actors/job_machine.ts";
import { FakeClock } from "../../src/testing/mod.ts";
import { disposable } from "../_helpers.ts";
import { propertyRuns } from "../properties/_runs.ts";

async function microtasks() {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

const INPUT: JobMachineInput = {
  jobId: "j",
  runId: "run-1",
  slot: 0,
  trigger: "schedule",
  retries: 1,
  backoffMs: 1000,
  backoffMaxMs: 4000,
  timeoutMs: 5000,
};

interface Fakes {
  /** Runs attempt `n`; settles as the attempt does. */
  readonly attempt: (n: number) => Promise<void>;
  /** The outcomes recordOutcome was called with, in order. */
  readonly recorded?: string[];
  /** Whether the run is still ours before attempt `n`. */
  readonly confirm?: (n: number) => Promise<boolean>;
  /** Whether the outcome write succeeds. */
  readonly record?: () => Promise<void>;
  /** The hooks for leaving an attempt: `end <n>`, `abort <cause>`. */
  readonly left?: string[];
}

/** The machine with fake hooks that answer with events, as the runtime does. */
function machine(fakes: Fakes) {
  const {
    attempt,
    recorded = [],
    confirm = () => Promise.resolve(true),
    record = () => Promise.resolve(),
    left = [],
  } = fakes;
  return jobMachine.provide({
    actions: {
      beginAttempt: ({ context, self }) => {
        const n = context.attempt;
        attempt(n).then(
          () => self.send({ type: "attempt.succeeded", attempt: n }),
          (error) => self.send({ type: "attempt.failed", attempt: n, error }),
        );
      },
      endAttempt: ({ context }) => void left.push(`end ${context.attempt}`),
      abortAttempt: (_, { cause }) => void left.push(`abort ${cause}`),
      confirmAttempt: ({ context, self }) => {
        confirm(context.attempt).then(
          (ours) => self.send({ type: ours ? "confirm.ok" : "confirm.lost" }),
          () => self.send({ type: "confirm.failed" }),
        );
      },
      recordOutcome: ({ context, self }) => {
        recorded.push(context.outcome ?? "none");
        record().then(
          () => self.send({ type: "record.done" }),
          () => self.send({ type: "record.failed" }),
        );
      },
    },
  });
}

/** An attempt that settles when the test says so. */
function pendingAttempts() {
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const attempt = () =>
    new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
  return { pending, attempt };
}

Deno.test("jobMachine is created claimed, goes running → done and outputs the outcome", async () => {
  const recorded: string[] = [];
  const clock = new FakeClock();
  using actor = disposable(
    createActor(machine({ attempt: () => Promise.resolve(), recorded }), {
      input: INPUT,
      clock,
    }),
  );
  const states: string[] = [];
  actor.subscribe((s) =>
    states.push(
      typeof s.value === "string" ? s.value : Object.keys(s.value)[0]!,
    )
  );
  actor.start();
  equal(actor.getSnapshot().value, "claimed", "created claimed");
  actor.send({ type: "job.start" });
  await clock.tick(0);
  deepEqual(states.filter((s, i) => s !== states[i - 1]), [
    "claimed",
    "running",
    "recording",
    "done",
  ]);
  equal(actor.getSnapshot().output, "succeeded");
  deepEqual(recorded, ["succeeded"]);
});

Deno.test("jobMachine retries once, then fails; a timeout gives timed_out", async (t) => {
  await t.step("retry then failed", async () => {
    const recorded: string[] = [];
    const left: string[] = [];
    const clock = new FakeClock();
    let calls = 0;
    using actor = disposable(createActor(
      machine({
        attempt: () => Promise.reject(new Error(`fail ${++calls}`)),
        recorded,
        left,
      }),
      { input: INPUT, clock },
    ));
    actor.start();
    actor.send({ type: "job.start" });
    await clock.tick(999);
    equal(actor.getSnapshot().value, "retrying");
    await clock.tick(1);
    equal(actor.getSnapshot().output, "failed");
    equal(actor.getSnapshot().context.attempt, 2);
    equal(actor.getSnapshot().context.error?.message, "fail 2");
    equal(calls, 2);
    deepEqual(recorded, ["failed"]);
    deepEqual(left, ["end 1", "end 2"], "settled attempts are not aborted");
  });
  await t.step("timeout", async () => {
    const left: string[] = [];
    const clock = new FakeClock();
    using actor = disposable(createActor(
      machine({ attempt: () => new Promise(() => {}), left }),
      { input: INPUT, clock },
    ));
    actor.start();
    actor.send({ type: "job.start" });
    await clock.tick(4999);
    deepEqual(left, []);
    await clock.tick(1);
    equal(actor.getSnapshot().output, "timed_out");
    deepEqual(left, ["end 1", "abort timeout"]);
  });
  await t.step("a retry's attempt times out too", async () => {
    const left: string[] = [];
    const clock = new FakeClock();
    let calls = 0;
    using actor = disposable(createActor(
      machine({
        attempt: () =>
          ++calls === 1
            ? Promise.reject(new Error("fail 1"))
            : new Promise(() => {}),
        left,
      }),
      { input: INPUT, clock },
    ));
    actor.start();
    actor.send({ type: "job.start" });
    await clock.tick(1000);
    deepEqual(actor.getSnapshot().value, { running: "timed" });
    await clock.tick(5000);
    equal(actor.getSnapshot().output, "timed_out");
    equal(actor.getSnapshot().context.attempt, 2);
    deepEqual(left, ["end 1", "end 2", "abort timeout"]);
  });
  await t.step("no timeout, no timer", () => {
    const { timeoutMs: _, ...untimed } = INPUT;
    const clock = new FakeClock();
    using actor = disposable(createActor(
      machine({ attempt: () => new Promise(() => {}) }),
      { input: untimed, clock },
    ));
    actor.start();
    actor.send({ type: "job.start" });
    equal(clock.pending, 0);
    deepEqual(actor.getSnapshot().value, { running: "untimed" });
  });
});

Deno.test("jobMachine cancels in every state before the outcome, recording cancelled once", async (t) => {
  const states = {
    claimed: 0,
    running: 1,
    retrying: 2,
    confirming: 3,
    confirmFailed: 4,
  } as const;
  for (const [state, depth] of Object.entries(states)) {
    await t.step(state, async () => {
      const recorded: string[] = [];
      const left: string[] = [];
      const clock = new FakeClock();
      const late = Promise.withResolvers<void>();
      using actor = disposable(createActor(
        machine({
          // Running stays in its attempt; the others get there by a failure.
          attempt: () =>
            depth === 1 ? late.promise : Promise.reject(new Error("x")),
          recorded,
          left,
          confirm: () =>
            depth === 3
              ? new Promise(() => {})
              : Promise.reject(new Error("store down")),
        }),
        { input: INPUT, clock },
      ));
      actor.start();
      if (depth > 0) actor.send({ type: "job.start" });
      if (depth > 2) await clock.tick(1000);
      else await clock.tick(0);
      equal(
        actor.getSnapshot().matches(state as keyof typeof states),
        true,
        `in ${state}`,
      );
      actor.send({ type: "job.cancel" });
      await clock.tick(0);
      equal(actor.getSnapshot().output, "cancelled");
      deepEqual(recorded, ["cancelled"]);
      if (depth === 1) {
        deepEqual(left, ["end 1", "abort cancel"]);
        // The cancelled attempt ends late: nothing is left to tell.
        late.resolve();
        await clock.tick(0);
        deepEqual(recorded, ["cancelled"]);
      }
    });
  }
});

Deno.test("jobMachine ignores a stale attempt event from an earlier attempt", async () => {
  const recorded: string[] = [];
  const clock = new FakeClock();
  const { pending, attempt } = pendingAttempts();
  using actor = disposable(createActor(machine({ attempt, recorded }), {
    input: INPUT,
    clock,
  }));
  actor.start();
  actor.send({ type: "job.start" });
  pending.shift()!.reject(new Error("first"));
  await clock.tick(1000);
  equal(actor.getSnapshot().context.attempt, 2);
  equal(actor.getSnapshot().matches("running"), true);
  // Attempt 1 answers again (twice): attempt 2 is still the one running.
  actor.send({ type: "attempt.succeeded", attempt: 1 });
  actor.send({ type: "attempt.failed", attempt: 1, error: new Error("old") });
  equal(actor.getSnapshot().matches("running"), true);
  equal(actor.getSnapshot().context.outcome, undefined);
  pending.shift()!.resolve();
  await clock.tick(0);
  equal(actor.getSnapshot().output, "succeeded");
  deepEqual(recorded, ["succeeded"]);
});

Deno.test("jobMachine tries a failed confirmation and a failed outcome write again after 1000 ms", async (t) => {
  await t.step("confirmation", async () => {
    const clock = new FakeClock();
    const asked: number[] = [];
    let calls = 0;
    using actor = disposable(createActor(
      machine({
        attempt: () =>
          ++calls === 1 ? Promise.reject(new Error("x")) : Promise.resolve(),
        confirm: (n) => {
          asked.push(n);
          return asked.length === 1
            ? Promise.reject(new Error("store down"))
            : Promise.resolve(true);
        },
      }),
      { input: INPUT, clock },
    ));
    actor.start();
    actor.send({ type: "job.start" });
    await clock.tick(1000);
    equal(actor.getSnapshot().value, "confirmFailed");
    await clock.tick(999);
    deepEqual(asked, [2]);
    await clock.tick(1);
    deepEqual(asked, [2, 2]);
    equal(calls, 2);
    equal(actor.getSnapshot().output, "succeeded");
  });
  await t.step("outcome", async () => {
    const recorded: string[] = [];
    const clock = new FakeClock();
    let writes = 0;
    using actor = disposable(createActor(
      machine({
        attempt: () => Promise.resolve(),
        recorded,
        record: () =>
          ++writes === 1
            ? Promise.reject(new Error("disk full"))
            : Promise.resolve(),
      }),
      { input: INPUT, clock },
    ));
    actor.start();
    actor.send({ type: "job.start" });
    await clock.tick(0);
    equal(actor.getSnapshot().value, "recordFailed");
    await clock.tick(1000);
    equal(actor.getSnapshot().output, "succeeded");
    deepEqual(recorded, ["succeeded", "succeeded"]);
  });
});

Deno.test("jobMachine fences: a claim taken away before the start, or during a retry's backoff, ends fenced and records nothing", async (t) => {
  await t.step("before the first attempt", () => {
    const recorded: string[] = [];
    let calls = 0;
    using actor = disposable(createActor(
      machine({ attempt: () => Promise.resolve(void calls++), recorded }),
      { input: INPUT, clock: new FakeClock() },
    ));
    actor.start();
    actor.send({ type: "job.fence" });
    equal(actor.getSnapshot().value, "fenced");
    equal(actor.getSnapshot().status, "done");
    equal(calls, 0);
    deepEqual(recorded, []);
  });
  await t.step("before a retry", async () => {
    const recorded: string[] = [];
    const clock = new FakeClock();
    const asked: number[] = [];
    let calls = 0;
    using actor = disposable(createActor(
      machine({
        attempt: () => Promise.reject(new Error(`fail ${++calls}`)),
        recorded,
        confirm: (attempt) => {
          asked.push(attempt);
          return Promise.resolve(false);
        },
      }),
      { input: INPUT, clock },
    ));
    actor.start();
    actor.send({ type: "job.start" });
    await clock.tick(1000);
    deepEqual(asked, [2]);
    equal(actor.getSnapshot().value, "fenced");
    equal(calls, 1);
    deepEqual(recorded, []);
  });
});

Deno.test("jobMachine property: done absorbs every event sequence, with one recorded outcome unless fenced", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.constantFrom(
          "job.start",
          "job.cancel",
          "job.fence",
          "tick",
          "fail",
          "ok",
          "stale",
        ),
        {
          maxLength: 20,
        },
      ),
      async (steps) => {
        const recorded: string[] = [];
        const clock = new FakeClock(0, { settle: microtasks });
        const { pending, attempt } = pendingAttempts();
        using actor = disposable(createActor(
          machine({ attempt, recorded }),
          { input: INPUT, clock },
        ));
        actor.start();
        let doneAt = -1;
        for (const [i, step] of [...steps, "job.cancel", "tick"].entries()) {
          if (step === "tick") await clock.tick(3000);
          else if (step === "ok") pending.shift()?.resolve();
          else if (step === "fail") pending.shift()?.reject(new Error("x"));
          else if (step === "stale") {
            // An earlier attempt's answer never moves the actor.
            const before = actor.getSnapshot();
            const attempt = before.context.attempt - 1;
            actor.send({ type: "attempt.succeeded", attempt });
            actor.send({ type: "attempt.failed", attempt, error: "x" });
            deepEqual(actor.getSnapshot().value, before.value);
            deepEqual(actor.getSnapshot().context, before.context);
          } else {
            actor.send({
              type: step as
                | "job.start"
                | "job.cancel"
                | "job.fence",
            });
          }
          await clock.tick(0);
          const snapshot = actor.getSnapshot();
          if (snapshot.status === "done" && doneAt < 0) doneAt = i;
          if (doneAt >= 0) equal(snapshot.status, "done");
        }
        equal(actor.getSnapshot().status, "done");
        const fenced = actor.getSnapshot().value === "fenced";
        equal(recorded.length, fenced ? 0 : 1);
      },
    ),
    { numRuns: propertyRuns(200) },
  );
});
