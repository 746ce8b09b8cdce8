import { deepEqual, equal } from "node:assert/strict";
import fc from "fast-check";
import { createActor, fromPromise } from "xstate";
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

function machine(
  attempt: (n: number) => Promise<void>,
  recorded: string[],
  confirm: (attempt: number) => Promise<boolean> = () => Promise.resolve(true),
) {
  return jobMachine.provide({
    actors: {
      runAttempt: fromPromise(({ input }) => attempt(input.context.attempt)),
      confirmAttempt: fromPromise(({ input }) =>
        confirm(input.context.attempt)
      ),
      recordOutcome: fromPromise(({ input }) => {
        recorded.push(input.context.outcome ?? "none");
        return Promise.resolve();
      }),
    },
  });
}

Deno.test("jobMachine is created claimed, goes running → done and outputs the outcome", async () => {
  const recorded: string[] = [];
  const clock = new FakeClock();
  using actor = disposable(
    createActor(machine(() => Promise.resolve(), recorded), {
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
    const clock = new FakeClock();
    let calls = 0;
    using actor = disposable(createActor(
      machine(() => Promise.reject(new Error(`fail ${++calls}`)), recorded),
      { input: INPUT, clock },
    ));
    actor.start();
    actor.send({ type: "job.start" });
    await clock.tick(999);
    equal(actor.getSnapshot().value, "retrying");
    await clock.tick(1);
    equal(actor.getSnapshot().output, "failed");
    equal(actor.getSnapshot().context.attempt, 2);
    equal(calls, 2);
  });
  await t.step("timeout", async () => {
    const recorded: string[] = [];
    const clock = new FakeClock();
    using actor = disposable(createActor(
      machine(() => new Promise(() => {}), recorded),
      { input: INPUT, clock },
    ));
    actor.start();
    actor.send({ type: "job.start" });
    await clock.tick(5000);
    equal(actor.getSnapshot().output, "timed_out");
  });
});

Deno.test("jobMachine fences: a claim taken away before the start, or during a retry's backoff, ends fenced and records nothing", async (t) => {
  await t.step("before the first attempt", () => {
    const recorded: string[] = [];
    let calls = 0;
    using actor = disposable(createActor(
      machine(() => Promise.resolve(void calls++), recorded),
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
      machine(
        () => Promise.reject(new Error(`fail ${++calls}`)),
        recorded,
        (attempt) => {
          asked.push(attempt);
          return Promise.resolve(false);
        },
      ),
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
        ),
        {
          maxLength: 20,
        },
      ),
      async (steps) => {
        const recorded: string[] = [];
        const clock = new FakeClock(0, { settle: microtasks });
        const pending: { resolve: () => void; reject: (e: Error) => void }[] =
          [];
        using actor = disposable(createActor(
          machine(
            () =>
              new Promise((resolve, reject) =>
                pending.push({ resolve, reject })
              ),
            recorded,
          ),
          { input: INPUT, clock },
        ));
        actor.start();
        let doneAt = -1;
        for (const [i, step] of [...steps, "job.cancel", "tick"].entries()) {
          if (step === "tick") await clock.tick(3000);
          else if (step === "ok") pending.shift()?.resolve();
          else if (step === "fail") pending.shift()?.reject(new Error("x"));
          else {
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
