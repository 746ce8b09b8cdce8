// deno-lint-ignore-file no-console -- Deno's examples print, as copied
// Deno.cron's documented examples, run unchanged except for the import:
// `Deno.cron(…)` is `cron(…)` from tock's mod.ts. They are copied from
//  - the API reference, https://docs.deno.com/api/deno/~/Deno.cron, which
//    is also the JSDoc of `Deno.cron` in Deno 2.9.6 (`deno types`);
//  - Deno by Example, "Deno Cron", https://docs.deno.com/examples/cron/;
//  - the manual, "Cron", https://docs.deno.com/runtime/fundamentals/cron/.
// Each runs on fake time and a memory store, and the test checks what it did.
import { deepEqual, equal, ok } from "node:assert/strict";
import { cron } from "../../mod.ts";
import { resetDefaultCron } from "../../src/runtime/deno_cron.ts";
import { createMemoryStore, FakeClock } from "../../src/testing/mod.ts";
import type { JobStore } from "../../src/store/store.ts";

const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;

interface Run extends AsyncDisposable {
  readonly store: JobStore;
  readonly logs: string[];
  tick(ms: number): Promise<void>;
  slots(job: string): Promise<string[]>;
}

/** Runs an example on fake time, with `console.log` captured. */
async function run(example: () => void): Promise<Run> {
  const clock = new FakeClock(T0);
  const store = createMemoryStore();
  const logs: string[] = [];
  await resetDefaultCron({
    clock,
    store,
    scheduler: { heartbeatMs: HOUR, maxSleepMs: HOUR },
    report: () => {},
  });
  const log = console.log;
  console.log = (...args: unknown[]) =>
    void logs.push(`${new Date(clock.now()).toISOString()} ${args.join(" ")}`);
  example();
  return {
    store,
    logs,
    tick: (ms) => clock.tick(ms),
    slots: async (job) =>
      (await store.history({ job })).map((e) => new Date(e.slot).toISOString()),
    async [Symbol.asyncDispose]() {
      console.log = log;
      let done = false;
      const stopped = resetDefaultCron().finally(() => done = true);
      for (let i = 0; i < 20 && !done; i++) await clock.tick(SEC);
      await stopped;
    },
  };
}

Deno.test("Deno.cron API reference: a string schedule", async () => {
  await using r = await run(() => {
    cron("sample cron", "20 * * * *", () => {
      console.log("cron job executed");
    });
  });
  await r.tick(2 * HOUR);
  deepEqual(r.logs, [
    "2026-11-29T10:20:00.000Z cron job executed",
    "2026-11-29T11:20:00.000Z cron job executed",
  ]);
  deepEqual(await r.slots("sample.cron"), [
    "2026-11-29T10:20:00.000Z",
    "2026-11-29T11:20:00.000Z",
  ]);
});

Deno.test("Deno.cron API reference: a JSON schedule", async () => {
  await using r = await run(() => {
    cron("sample cron", { hour: { every: 6 } }, () => {
      console.log("cron job executed");
    });
  });
  await r.tick(9 * HOUR);
  deepEqual(r.logs, [
    "2026-11-29T12:00:00.000Z cron job executed",
    "2026-11-29T18:00:00.000Z cron job executed",
  ]);
});

Deno.test("Deno.cron API reference: backoffSchedule", async () => {
  await using r = await run(() => {
    cron("sample cron", "20 * * * *", {
      backoffSchedule: [10, 20],
    }, () => {
      console.log("cron job executed");
    });
  });
  await r.tick(HOUR);
  deepEqual(r.logs, ["2026-11-29T10:20:00.000Z cron job executed"]);
  const job = await r.store.job("sample.cron");
  equal(job?.spec.retries, 2);
  deepEqual(job?.spec.backoffSchedule, [10, 20]);
});

Deno.test("Deno.cron API reference: stopping a cron with a signal", async () => {
  await using r = await run(() => {
    const ac = new AbortController();

    cron("sample cron", "20 * * * *", { signal: ac.signal }, () => {
      console.log("cron job executed");
    });

    // Later, stop the cron job from running again.
    ac.abort();
  });
  await r.tick(2 * HOUR);
  deepEqual(r.logs, []);
  // The name is free again: the cron was removed.
  const again = new AbortController();
  const done = cron(
    "sample cron",
    "20 * * * *",
    { signal: again.signal },
    () => {},
  );
  again.abort();
  await done;
});

Deno.test("Deno by Example: once a minute", async () => {
  await using r = await run(() => {
    // Create a cron job called "Log a message" that runs once a minute.
    cron("Log a message", "* * * * *", () => {
      console.log("This will print once a minute.");
    });
  });
  await r.tick(3 * MIN);
  deepEqual(r.logs, [
    "2026-11-29T10:01:00.000Z This will print once a minute.",
    "2026-11-29T10:02:00.000Z This will print once a minute.",
    "2026-11-29T10:03:00.000Z This will print once a minute.",
  ]);
  ok(await r.store.job("Log.a.message"));
});

Deno.test("Deno by Example: a backoff schedule, to no avail", async () => {
  await using r = await run(() => {
    // Create a cron job with a backoff schedule measured in milliseconds.
    cron("Retry example", "* * * * *", {
      backoffSchedule: [1000, 5000, 10000],
    }, () => {
      throw new Error("Deno.cron will retry this three times, to no avail!");
    });
  });
  await r.tick(MIN + 30 * SEC);
  const [entry] = await r.store.history({ job: "Retry.example" });
  equal(entry?.outcome, "failed");
  equal(entry?.attempt, 4, "the first attempt and three retries");
  equal(entry?.finishedAt! - entry?.startedAt!, 16_000);
  equal(
    entry?.error?.message,
    "Deno.cron will retry this three times, to no avail!",
  );
});

Deno.test("Deno manual: a cron string and a structured object", async () => {
  await using r = await run(() => {
    cron("log-a-message", "* * * * *", () => {
      console.log("This runs once a minute.");
    });

    cron("hourly-task", { hour: { every: 1 } }, () => {
      console.log("This runs once an hour.");
    });
  });
  await r.tick(HOUR);
  equal(
    r.logs.filter((l) => l.endsWith("This runs once a minute.")).length,
    60,
  );
  deepEqual(r.logs.filter((l) => l.endsWith("This runs once an hour.")), [
    "2026-11-29T11:00:00.000Z This runs once an hour.",
  ]);
});
