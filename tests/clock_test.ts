// Long timers: chained so that a delay past 2^31-1 ms fires after the whole
// delay. Tested on recorded or fake timers; nothing here sleeps.
import { deepEqual, equal } from "node:assert/strict";
import { createActor } from "xstate";
import {
  clearLongTimeout,
  setLongTimeout,
  systemClock,
  type TimerFunctions,
} from "../src/clock.ts";
import { jobMachine, type JobMachineInput } from "../src/actors/job_machine.ts";
import { FakeClock } from "../src/testing/mod.ts";
import { disposable } from "./_helpers.ts";

const LIMIT = 2 ** 31 - 1;
const DAY = 86_400_000;

/** Timers that only record what they were asked for; `fire()` runs one. */
function recordedTimers() {
  const pending = new Map<number, () => void>();
  const asked: number[] = [];
  let next = 1;
  const timers: TimerFunctions = {
    setTimeout(fn, ms) {
      asked.push(ms);
      pending.set(next, fn);
      return next++;
    },
    clearTimeout(id) {
      pending.delete(id as number);
    },
  };
  return {
    timers,
    asked,
    pending,
    /** Runs the one pending timer. */
    fire() {
      equal(pending.size, 1, "one link of the chain at a time");
      const [id, fn] = [...pending][0]!;
      pending.delete(id);
      fn();
    },
  };
}

Deno.test("setLongTimeout() splits 60 days into links of at most 2^31-1 ms that add up to 60 days", () => {
  const recorded = recordedTimers();
  let fired = 0;
  setLongTimeout(() => fired++, 60 * DAY, { timers: recorded.timers });
  for (let i = 0; i < 2; i++) {
    recorded.fire();
    equal(fired, 0, `not after link ${i + 1}`);
  }
  recorded.fire();
  equal(fired, 1);
  equal(recorded.pending.size, 0);
  deepEqual(recorded.asked, [LIMIT, LIMIT, 60 * DAY - 2 * LIMIT]);
});

Deno.test("setLongTimeout() fires once at the full delay on a fake clock, and clearLongTimeout() stops the chain", async (t) => {
  await t.step("fires at 1050 ms with 100 ms links", async () => {
    const clock = new FakeClock();
    let firedAt: number | undefined;
    setLongTimeout(() => firedAt = clock.monotonic(), 1050, {
      timers: clock,
      maxMs: 100,
    });
    await clock.tick(1049);
    equal(firedAt, undefined);
    equal(clock.pending, 1);
    await clock.tick(1);
    equal(firedAt, 1050);
    equal(clock.pending, 0);
  });
  await t.step("a short delay is one timer", () => {
    const recorded = recordedTimers();
    setLongTimeout(() => {}, 5, { timers: recorded.timers, maxMs: 100 });
    deepEqual(recorded.asked, [5]);
  });
  await t.step(
    "cleared in the middle of the chain, it never fires",
    async () => {
      const clock = new FakeClock();
      let fired = false;
      const timer = setLongTimeout(() => fired = true, 1000, {
        timers: clock,
        maxMs: 100,
      });
      await clock.tick(450);
      clearLongTimeout(timer);
      equal(clock.pending, 0);
      await clock.tick(1000);
      equal(fired, false);
    },
  );
});

Deno.test("systemClock.setTimeout() chains platform timers for a 60-day delay", () => {
  // The platform's timers are swapped for recording ones while the timer
  // is made and its links "fire": nothing waits.
  const recorded = recordedTimers();
  const real = { setTimeout, clearTimeout };
  let fired = 0;
  let timer: unknown;
  try {
    globalThis.setTimeout = recorded.timers.setTimeout as typeof setTimeout;
    globalThis.clearTimeout = recorded.timers
      .clearTimeout as typeof clearTimeout;
    timer = systemClock.setTimeout(() => fired++, 60 * DAY);
    recorded.fire();
    recorded.fire();
    equal(fired, 0, "not after 2 × (2^31-1) ms");
    recorded.fire();
    equal(fired, 1);
    deepEqual(recorded.asked, [LIMIT, LIMIT, 60 * DAY - 2 * LIMIT]);
    // Cancelling: the pending link is cleared.
    timer = systemClock.setTimeout(() => fired++, 60 * DAY);
    recorded.fire();
    systemClock.clearTimeout(timer);
    equal(recorded.pending.size, 0);
  } finally {
    globalThis.setTimeout = real.setTimeout;
    globalThis.clearTimeout = real.clearTimeout;
  }
  equal(fired, 1);
});

const INPUT: JobMachineInput = {
  jobId: "j",
  runId: "run-1",
  slot: 0,
  trigger: "schedule",
  retries: 1,
  backoffMs: 30 * DAY,
  backoffMaxMs: 30 * DAY,
  timeoutMs: 30 * DAY,
};

const { timeoutMs: _, ...NO_TIMEOUT } = INPUT;

function machine(attempt: () => Promise<void>) {
  return jobMachine.provide({
    actions: {
      beginAttempt: ({ context, self }) => {
        const n = context.attempt;
        attempt().then(
          () => self.send({ type: "attempt.succeeded", attempt: n }),
          (error) => self.send({ type: "attempt.failed", attempt: n, error }),
        );
      },
      confirmAttempt: ({ self }) => self.send({ type: "confirm.ok" }),
      recordOutcome: ({ self }) => {
        void Promise.resolve().then(() => self.send({ type: "record.done" }));
      },
    },
  });
}

Deno.test("jobMachine waits out a 30-day timeout and a 30-day backoff in full", async (t) => {
  await t.step("timeout", async () => {
    const clock = new FakeClock();
    using actor = disposable(createActor(
      machine(() => new Promise(() => {})),
      { input: INPUT, clock },
    ));
    actor.start();
    actor.send({ type: "job.start" });
    await clock.tick(LIMIT + 1);
    equal(actor.getSnapshot().matches("running"), true, "not cut at 2^31-1");
    await clock.tick(30 * DAY - LIMIT - 2);
    equal(actor.getSnapshot().matches("running"), true);
    await clock.tick(1);
    equal(actor.getSnapshot().output, "timed_out");
  });
  await t.step("backoff", async () => {
    const clock = new FakeClock();
    let calls = 0;
    using actor = disposable(createActor(
      machine(() => Promise.reject(new Error(`fail ${++calls}`))),
      { input: NO_TIMEOUT, clock },
    ));
    actor.start();
    actor.send({ type: "job.start" });
    await clock.tick(LIMIT + 1);
    equal(actor.getSnapshot().value, "retrying", "not cut at 2^31-1 ms");
    equal(calls, 1);
    await clock.tick(30 * DAY - LIMIT - 1);
    equal(calls, 2);
    equal(actor.getSnapshot().output, "failed");
  });
});
