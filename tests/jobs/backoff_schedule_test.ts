// A job's `backoffSchedule` (Deno.cron's retry policy): the delay before
// each retry, in order, the last one repeating; it survives updates.
import { deepEqual, equal, throws } from "node:assert/strict";
import { defineJob } from "../../src/jobs/define_job.ts";
import { createScheduler } from "../../src/runtime/scheduler.ts";
import { createMemoryStore, FakeClock } from "../../src/testing/mod.ts";
import { addJob, updateJob } from "../../src/turns/manage_jobs.ts";

const NOW = Date.UTC(2026, 10, 29, 10, 0, 0);

Deno.test("defineJob() stores backoffSchedule in ms, and retries defaults to its length", () => {
  const spec = defineJob({
    id: "a",
    schedule: "every 5m",
    run: "a",
    backoffSchedule: [100, "5s", "1m"],
  }, NOW);
  deepEqual(spec.backoffSchedule, [100, 5000, 60_000]);
  equal(spec.retries, 3);
  const explicit = defineJob({
    id: "a",
    schedule: "every 5m",
    run: "a",
    retries: 1,
    backoffSchedule: [100, 200],
  }, NOW);
  equal(explicit.retries, 1);
  const none = defineJob({
    id: "a",
    schedule: "every 5m",
    run: "a",
    backoffSchedule: [],
  }, NOW);
  equal(none.backoffSchedule, undefined);
  equal(none.retries, 0);
});

Deno.test("defineJob() refuses a bad backoffSchedule with a one-line message naming it", async (t) => {
  const cases: [string, unknown, RegExp][] = [
    [
      "not a list",
      "1s",
      /'backoffSchedule' must be a list of at most 100 durations: received "1s"/,
    ],
    [
      "too long",
      Array(101).fill(1),
      /'backoffSchedule' must be a list of at most 100 durations/,
    ],
    ["a bad duration", [1000, "5x"], /'backoffSchedule\[1\]'.*"5x"/],
    [
      "a negative delay",
      [-1],
      /'backoffSchedule\[0\]' must be a non-negative number of ms: received -1/,
    ],
    [
      "a hole",
      [undefined],
      /'backoffSchedule\[0\]' must be a duration: received undefined/,
    ],
  ];
  for (const [name, value, message] of cases) {
    await t.step(name, () => {
      throws(
        () =>
          defineJob({
            id: "a",
            schedule: "every 5m",
            run: "a",
            backoffSchedule: value as never,
          }, NOW),
        (error: unknown) => {
          equal((error as Error).name, "TypeError");
          equal(
            message.test((error as Error).message),
            true,
            (error as Error).message,
          );
          return true;
        },
      );
    });
  }
});

Deno.test("updateJob() keeps a job's backoffSchedule", async () => {
  await using store = createMemoryStore();
  await addJob(store, {
    id: "a",
    schedule: "every 5m",
    run: "a",
    backoffSchedule: [1000, 5000],
  }, { now: NOW });
  const job = await updateJob(store, "a", { schedule: "every 10m" }, {
    now: NOW,
  });
  deepEqual(job.spec.backoffSchedule, [1000, 5000]);
});

Deno.test("a run retries after each backoffSchedule delay, then repeats the last", async () => {
  const clock = new FakeClock(NOW);
  const scheduler = await createScheduler({
    store: createMemoryStore(),
    clock,
    heartbeatMs: 60_000,
  });
  const starts: number[] = [];
  try {
    await scheduler.add({
      id: "flaky",
      schedule: "1 10 * * *",
      retries: 4,
      backoffSchedule: ["1s", "2s"],
      handler: () => {
        starts.push(clock.now() - NOW - 60_000);
        throw new Error("boom");
      },
    });
    await clock.tick(2 * 60_000);
    deepEqual(starts, [0, 1000, 3000, 5000, 7000]);
    const [entry] = await scheduler.history({ job: "flaky" });
    equal(entry?.attempt, 5);
    equal(entry?.outcome, "failed");
  } finally {
    const stopped = scheduler.stop({ graceMs: 1 });
    await clock.tick(1);
    await stopped;
  }
});
