// cron(): Deno.cron's signatures and meaning on tock (docs/deno_cron.md),
// on fake time and the memory store. The process-wide runtime is replaced
// for each test (`resetDefaultCron`) and stopped at its end, so no timer,
// signal listener or scheduler outlives a test.
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { cron, type CronOptions, validateJobId } from "../../mod.ts";
import { cronJobId } from "../../src/runtime/_cron_name.ts";
import { propertyParams } from "../properties/_runs.ts";
import { resetDefaultCron } from "../../src/runtime/deno_cron.ts";
import { CronRuntime } from "../../src/runtime/cron_runtime.ts";
import { readCronCall } from "../../src/runtime/cron_call.ts";
import { createMemoryStore, FakeClock } from "../../src/testing/mod.ts";
import type { JobStore } from "../../src/store/store.ts";
import type { JobContext } from "../../src/executors/run_handler.ts";

const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);
const SEC = 1000;
const MIN = 60 * SEC;

interface World extends AsyncDisposable {
  readonly clock: FakeClock;
  readonly store: JobStore;
  readonly reports: string[];
}

/** A fresh process-wide runtime on fake time and a memory store. */
async function world(
  store: JobStore = createMemoryStore(),
  clock: FakeClock = new FakeClock(T0),
): Promise<World> {
  const reports: string[] = [];
  await resetDefaultCron({
    clock,
    store,
    // Slow heartbeats and long sleeps keep fake hours cheap to simulate.
    scheduler: { heartbeatMs: 60_000, maxSleepMs: 10 * MIN },
    report: (what, error) =>
      reports.push(`${what}: ${(error as Error).message}`),
  });
  return {
    clock,
    store,
    reports,
    [Symbol.asyncDispose]: () => stopAll(clock),
  };
}

/** Stops every cron's scheduler, moving fake time through its grace. */
async function stopAll(clock: FakeClock): Promise<void> {
  let done = false;
  const stopped = resetDefaultCron().finally(() => done = true);
  for (let i = 0; i < 20 && !done; i++) await clock.tick(SEC);
  await stopped;
}

function iso(t: number | Date): string {
  return new Date(t).toISOString();
}

Deno.test("cron() runs its handler at each slot and records it under the job id", async () => {
  await using w = await world();
  const slots: string[] = [];
  void cron("sample cron", "* * * * *", ({ slot }: JobContext) => {
    slots.push(iso(slot));
  });
  await w.clock.tick(3 * MIN);
  deepEqual(slots, [
    "2026-11-29T10:01:00.000Z",
    "2026-11-29T10:02:00.000Z",
    "2026-11-29T10:03:00.000Z",
  ]);
  const job = await w.store.job("sample.cron");
  deepEqual(job?.spec.target, { kind: "function", name: "sample.cron" });
  equal(job?.spec.schedule, "* * * * *");
  deepEqual(
    (await w.store.history({ job: "sample.cron" })).map((e) => e.outcome),
    ["succeeded", "succeeded", "succeeded"],
  );
});

Deno.test("cron() takes Deno's object form and tock's options", async () => {
  await using w = await world();
  const runs: string[] = [];
  void cron("six-hourly", { hour: { every: 6 } }, ({ slot }: JobContext) => {
    runs.push(iso(slot));
  });
  void cron(
    "nightly",
    "30 2 * * *",
    { tz: "Europe/Berlin", overlap: "queue", catchup: "all", timeout: "1m" },
    () => {},
  );
  await w.clock.tick(9 * 60 * MIN);
  deepEqual(runs, ["2026-11-29T12:00:00.000Z", "2026-11-29T18:00:00.000Z"]);
  const six = (await w.store.job("six-hourly"))!;
  equal(six.spec.schedule, "0 */6 * * *");
  const nightly = (await w.store.job("nightly"))!;
  equal(nightly.spec.tz, "Europe/Berlin");
  equal(nightly.spec.overlap, "queue");
  equal(nightly.spec.catchup, "all");
  equal(nightly.spec.timeoutMs, 60_000);
  // 02:30 in Berlin (UTC+1 in November) is 01:30 UTC.
  equal(iso(nightly.state.nextSlot!), "2026-11-30T01:30:00.000Z");
});

Deno.test("cron() retries a failed run after each backoffSchedule delay, then records it failed", async (t) => {
  const cases: [string, CronOptions, number[]][] = [
    ["[1000, 5000, 10000]", { backoffSchedule: [1000, 5000, 10000] }, [
      0,
      1000,
      6000,
      16_000,
    ]],
    // Deno's policy when none is given (ext/cron/local.rs).
    ["none given: Deno's default", {}, [
      0,
      100,
      1100,
      6100,
      36_100,
      96_100,
    ]],
    ["[]: no retry", { backoffSchedule: [] }, [0]],
  ];
  for (const [name, options, offsets] of cases) {
    await t.step(name, async () => {
      await using w = await world();
      const slot = T0 + MIN;
      const starts: number[] = [];
      void cron("flaky", "1 10 * * *", options, () => {
        starts.push(w.clock.now() - slot);
        throw new Error("boom");
      });
      await w.clock.tick(MIN + 2 * MIN);
      deepEqual(starts, offsets);
      const [entry] = await w.store.history({ job: "flaky" });
      equal(entry?.outcome, "failed");
      equal(entry?.attempt, offsets.length);
      equal(entry?.error?.message, "boom");
      deepEqual(
        w.reports,
        offsets.map(() => "Exception in cron handler flaky: boom"),
      );
    });
  }
});

Deno.test("cron() validates as Deno.cron does: a one-line TypeError, nothing registered", async (t) => {
  const handler = () => {};
  const cases: [string, () => unknown, RegExp][] = [
    [
      "name not a string",
      () => cron(1 as never, "* * * * *", handler),
      /'name' must be a string: received 1/,
    ],
    [
      "name with '!'",
      () => cron("a!", "* * * * *", handler),
      /"a!": a name holds only letters, digits, whitespace, hyphens and underscores/,
    ],
    [
      "name of 65 characters",
      () => cron("x".repeat(65), "* * * * *", handler),
      /at most 64 characters long: received 65/,
    ],
    [
      "no schedule",
      () => cron("a", undefined as never, handler),
      /the schedule must be a cron expression or an object: received undefined/,
    ],
    [
      "bad minute",
      () => cron("a", "61 * * * *", handler),
      /schedule "61 \* \* \* \*": minute must be 0-59/,
    ],
    ["three fields", () => cron("a", "* * *", handler), /schedule "\* \* \*"/],
    [
      "an interval",
      () => cron("a", "every 5m", handler),
      /schedule "every 5m" is not a cron expression/,
    ],
    [
      "an empty range",
      () => cron("a", { minute: {} }, handler),
      /in the schedule, 'minute' needs 'exact', 'start' or 'every': received \{\}/,
    ],
    [
      "end without start",
      () => cron("a", { hour: { end: 5 } }, handler),
      /'hour' needs 'exact', 'start' or 'every'/,
    ],
    [
      "unknown field",
      () => cron("a", { minutes: 5 } as never, handler),
      /unknown field 'minutes'/,
    ],
    [
      "fraction",
      () => cron("a", { minute: 1.5 }, handler),
      /'minute' must be a non-negative integer: received 1.5/,
    ],
    [
      "empty exact",
      () => cron("a", { minute: { exact: [] } }, handler),
      /'minute.exact' must be a number or a non-empty list/,
    ],
    [
      "out of range in the object",
      () => cron("a", { dayOfMonth: 32 }, handler),
      /schedule "0 0 32 \* \*": day of month must be 1-31/,
    ],
    [
      "no handler",
      () => cron("a", "* * * * *", undefined as never),
      /a handler function is required/,
    ],
    [
      "two handlers",
      () => cron("a", "* * * * *", handler as never, handler),
      /give one handler: received two/,
    ],
    [
      "options not an object",
      () => cron("a", "* * * * *", 5 as never, handler),
      /options must be an object: received 5/,
    ],
    [
      "unknown option",
      () => cron("a", "* * * * *", { retries: 3 } as never, handler),
      /unknown option 'retries'/,
    ],
    [
      "six delays",
      () =>
        cron(
          "a",
          "* * * * *",
          { backoffSchedule: [1, 2, 3, 4, 5, 6] },
          handler,
        ),
      /'backoffSchedule' must be at most 5 delays of 0 to 3600000 ms: received \[1,2,3,4,5,6\]/,
    ],
    [
      "a delay over an hour",
      () => cron("a", "* * * * *", { backoffSchedule: [3_600_001] }, handler),
      /'backoffSchedule'.*\[3600001\]/,
    ],
    [
      "a negative delay",
      () => cron("a", "* * * * *", { backoffSchedule: [-1] }, handler),
      /'backoffSchedule'.*\[-1\]/,
    ],
    [
      "signal not an AbortSignal",
      () => cron("a", "* * * * *", { signal: {} as never }, handler),
      /'signal' must be an AbortSignal/,
    ],
    [
      "bad zone",
      () => cron("a", "* * * * *", { tz: "Mars/Base" }, handler),
      /time zone "Mars\/Base": not an IANA time zone/,
    ],
    [
      "bad policy",
      () => cron("a", "* * * * *", { overlap: "never" as never }, handler),
      /'overlap' must be one of skip, queue, allow, replace: received "never"/,
    ],
    [
      "never matches in the zone",
      () => cron("a", "0 0 30 2 *", handler),
      /never matches/,
    ],
    [
      "bad store URL",
      () => cron("a", "* * * * *", { store: "s3://bucket" }, handler),
      /store "s3:\/\/bucket": unknown store URL scheme "s3:"/,
    ],
    [
      "bad store",
      () => cron("a", "* * * * *", { store: 5 as never }, handler),
      /'store' must be a store, a directory or a postgres:\/\/ URL: received 5/,
    ],
  ];
  await using w = await world();
  for (const [name, call, message] of cases) {
    await t.step(name, () => {
      throws(call, (error: unknown) => {
        ok(error instanceof TypeError, `${error}`);
        match(error.message, /^Cannot create cron job/);
        match(error.message, message);
        ok(!error.message.includes("\n"), error.message);
        return true;
      });
    });
  }
  deepEqual(await w.store.jobs(), []);
  deepEqual(await w.store.instances(), [], "no scheduler was started");
});

Deno.test("cron() refuses a second cron of one name in a process, and takes it again once the first is removed", async () => {
  await using w = await world();
  const first = new AbortController();
  const done = cron("report", "* * * * *", { signal: first.signal }, () => {});
  throws(
    () => cron("report", "*/5 * * * *", () => {}),
    /Cannot create cron job "report": a cron of this name is already registered in this process/,
  );
  first.abort();
  await done;
  const second = new AbortController();
  const again = cron(
    "report",
    "*/5 * * * *",
    { signal: second.signal },
    () => {},
  );
  await w.clock.tick(5 * MIN);
  equal((await w.store.job("report"))?.spec.schedule, "*/5 * * * *");
  second.abort();
  await again;
});

Deno.test("cron()'s signal removes that cron: its promise resolves, its job stays, the last one stops the scheduler", async () => {
  await using w = await world();
  const a = new AbortController();
  const b = new AbortController();
  const runs: string[] = [];
  let aSettled = false;
  const aDone = cron("a", "* * * * *", { signal: a.signal }, () => {
    runs.push(`a ${iso(w.clock.now())}`);
  }).then(() => aSettled = true);
  const bDone = cron("b", "* * * * *", { signal: b.signal }, () => {
    runs.push(`b ${iso(w.clock.now())}`);
  });
  await w.clock.tick(MIN);
  equal(
    aSettled,
    false,
    "a cron's promise stays pending while it is registered",
  );
  equal((await w.store.instances()).length, 1);
  a.abort();
  await aDone;
  await w.clock.tick(2 * MIN);
  deepEqual(runs, [
    "a 2026-11-29T10:01:00.000Z",
    "b 2026-11-29T10:01:00.000Z",
    "b 2026-11-29T10:02:00.000Z",
    "b 2026-11-29T10:03:00.000Z",
  ]);
  ok(await w.store.job("a"), "a removed cron's job is not deleted");
  equal((await w.store.history({ job: "a" })).length, 1);
  b.abort();
  await bDone;
  deepEqual(await w.store.instances(), [], "the scheduler stopped");
});

Deno.test("cron()'s signal lets an attempt under way finish before the promise resolves", async () => {
  await using w = await world();
  const controller = new AbortController();
  const release = Promise.withResolvers<void>();
  const keep = new AbortController();
  void cron("other", "0 0 * * *", { signal: keep.signal }, () => {});
  let ended = false;
  let settled = false;
  const done = cron(
    "slow",
    "* * * * *",
    { signal: controller.signal },
    async () => {
      await release.promise;
      ended = true;
    },
  ).then(() => settled = true);
  await w.clock.tick(MIN);
  controller.abort();
  await w.clock.tick(SEC);
  equal(settled, false);
  release.resolve();
  await done;
  ok(ended);
  keep.abort();
});

Deno.test("cron() with an aborted signal registers nothing and resolves", async () => {
  await using w = await world();
  await cron("gone", "* * * * *", { signal: AbortSignal.abort() }, () => {});
  deepEqual(await w.store.jobs(), []);
  deepEqual(await w.store.instances(), []);
});

Deno.test("cron() registered again after a restart keeps its history and catches up", async () => {
  const store = createMemoryStore();
  const clock = new FakeClock(T0);
  const runs: string[] = [];
  const handler = ({ slot, trigger }: JobContext) => {
    runs.push(`${iso(slot)} ${trigger}`);
  };
  {
    await using _ = await world(store, clock);
    void cron("sync", "* * * * *", handler);
    await clock.tick(2 * MIN);
  }
  const before = (await store.job("sync"))!;
  clock.stall(10 * MIN + 30 * SEC); // the process is down
  {
    await using _ = await world(store, clock);
    void cron("sync", "* * * * *", handler);
    await clock.tick(SEC);
    const after = (await store.job("sync"))!;
    deepEqual(after.spec, before.spec);
    equal(after.state.createdAt, before.state.createdAt);
  }
  deepEqual(runs, [
    "2026-11-29T10:01:00.000Z schedule",
    "2026-11-29T10:02:00.000Z schedule",
    "2026-11-29T10:12:00.000Z catchup",
  ]);
  const history = await store.history({ job: "sync" });
  deepEqual(history.map((e) => [e.outcome, e.count ?? 1]), [
    ["succeeded", 1],
    ["succeeded", 1],
    ["missed", 9],
    ["succeeded", 1],
  ]);
});

Deno.test("cron() registered again with the same definition writes nothing", async () => {
  await using w = await world();
  const first = new AbortController();
  const done = cron("same", "*/5 * * * *", { signal: first.signal }, () => {});
  await w.clock.tick(SEC);
  const version = (await w.store.job("same"))!.state.version;
  first.abort();
  await done;
  const second = new AbortController();
  const again = cron(
    "same",
    "*/5 * * * *",
    { signal: second.signal },
    () => {},
  );
  await w.clock.tick(SEC);
  equal((await w.store.job("same"))!.state.version, version);
  second.abort();
  await again;
});

Deno.test("cron() rejects its promise when the store refuses the job", async () => {
  const store = createMemoryStore();
  const failing = new Proxy(store, {
    get(target, key) {
      if (key === "commit") {
        return () => Promise.reject(new Error("disk full"));
      }
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  await using _ = await world(failing);
  let error: unknown;
  await cron("doomed", "* * * * *", () => {}).catch((e) => error = e);
  match(String(error), /disk full/);
  deepEqual(await store.instances(), [], "its scheduler stopped");
});

Deno.test("cron() stores a name under a job id: spaces become dots, other names base64url", async () => {
  deepEqual(
    [
      "log-a-message",
      "sample cron",
      "Log a message",
      "a _b",
      "_cleanup",
      " lead",
      "two  spaces",
      "tab\there",
      "",
    ].map(cronJobId),
    [
      "log-a-message",
      "sample.cron",
      "Log.a.message",
      "a._b",
      "0..X2NsZWFudXA",
      "0..IGxlYWQ",
      "0..dHdvICBzcGFjZXM",
      "0..dGFiCWhlcmU",
      "0..",
    ],
  );
  await using w = await world();
  const controller = new AbortController();
  const done = cron(
    "_cleanup",
    "0 3 * * *",
    { signal: controller.signal },
    () => {},
  );
  await w.clock.tick(SEC);
  deepEqual((await w.store.jobs()).map((j) => j.spec.id), ["0..X2NsZWFudXA"]);
  controller.abort();
  await done;
});

Deno.test("cron job ids are valid job ids, and give their names back", () => {
  // The inverse of the mapping exists, so no two names share an id.
  const nameOf = (id: string) =>
    id.startsWith("0..")
      ? atob(id.slice(3).replaceAll("-", "+").replaceAll("_", "/"))
      : id.replaceAll(".", " ");
  const chars = [..."aZ09_-    \t\n\f\r"];
  const name = fc.string({ unit: fc.constantFrom(...chars), maxLength: 64 });
  fc.assert(
    fc.property(name, (a) => {
      const id = cronJobId(a);
      equal(validateJobId(id), id);
      equal(nameOf(id), a);
    }),
    propertyParams(1000),
  );
});

Deno.test("CronRuntime.close() is idempotent: twice at once, then again", async () => {
  const clock = new FakeClock(T0);
  const store = createMemoryStore();
  const runtime = new CronRuntime({
    clock,
    store,
    scheduler: { heartbeatMs: 60_000 },
  });
  const runs: string[] = [];
  const done = runtime.register(
    readCronCall(runtime, "a", "* * * * *", [() => void runs.push("a")]),
  );
  await clock.tick(MIN);
  const first = runtime.close();
  const second = runtime.close();
  await clock.tick(SEC);
  await Promise.all([first, second, done]);
  await runtime.close();
  deepEqual(runs, ["a"]);
  deepEqual(await store.instances(), []);
  await clock.tick(5 * MIN);
  deepEqual(runs, ["a"], "nothing runs after close()");
});
