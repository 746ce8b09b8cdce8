import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { createScheduler } from "../../src/runtime/scheduler.ts";
import { CLAIM_SPAN, RUN_SPAN, Tracing } from "../../src/runtime/tracing.ts";
import { createMemoryStore, FakeClock } from "../../src/testing/mod.ts";

const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);
const SEC = 1000;
const MIN = 60 * SEC;

/** Registers an in-memory SDK for the test's span; unregisters on dispose. */
function recordSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  assert(trace.setGlobalTracerProvider(provider));
  return {
    spans: (name: string): ReadableSpan[] =>
      exporter.getFinishedSpans().filter((s) => s.name === name),
    [Symbol.dispose]() {
      trace.disable();
    },
  };
}

async function setup() {
  const store = createMemoryStore();
  const clock = new FakeClock(T0);
  const scheduler = await createScheduler({
    store,
    clock,
    instance: "traced",
    heartbeatMs: 60_000,
  });
  return { clock, scheduler };
}

Deno.test("Tracing: a run's span has its job, slot, attempt, trigger and outcome", async () => {
  using recorded = recordSpans();
  const { clock, scheduler } = await setup();
  await using _ = scheduler;
  await scheduler.add({
    id: "hourly",
    schedule: "every 1h",
    handler: () => {},
  });
  await clock.tick(60 * MIN);
  await scheduler.idle();
  const [run, ...others] = recorded.spans(RUN_SPAN);
  assertEquals(others, []);
  assert(run);
  assertEquals(run.attributes, {
    "tock.instance": "traced",
    "tock.job": "hourly",
    "tock.slot": "2026-11-29T11:00:00.000Z",
    "tock.run_id": run.attributes["tock.run_id"],
    "tock.attempt": 1,
    "tock.trigger": "schedule",
    "tock.outcome": "succeeded",
  });
  assertEquals(typeof run.attributes["tock.run_id"], "string");
  assertEquals(run.status.code, 0);
  assertEquals(run.instrumentationScope.name, "tock");
});

Deno.test("Tracing: retries show as attempts of one run span that ends failed", async () => {
  using recorded = recordSpans();
  const { clock, scheduler } = await setup();
  await using _ = scheduler;
  await scheduler.add({
    id: "flaky",
    schedule: "every 1h",
    retries: 2,
    backoff: "10s",
    handler: ({ attempt }) => {
      throw new Error(`boom ${attempt}`);
    },
  });
  await clock.tick(60 * MIN);
  await clock.tick(10 * SEC);
  await clock.tick(20 * SEC);
  await scheduler.idle();
  const runs = recorded.spans(RUN_SPAN);
  assertEquals(runs.length, 1);
  const run = runs[0]!;
  assertEquals(run.attributes["tock.attempt"], 3);
  assertEquals(run.attributes["tock.outcome"], "failed");
  assertEquals(run.attributes["tock.trigger"], "schedule");
  assertEquals(run.status, { code: 2, message: "boom 3" });
  assertEquals(
    run.events.map((e) => [e.name, e.attributes?.["tock.attempt"]]),
    [
      ["tock.attempt.failed", 1],
      ["tock.attempt", 2],
      ["tock.attempt.failed", 2],
      ["tock.attempt", 3],
    ],
  );
  assertEquals(run.events[0]?.attributes?.["tock.error"], "boom 1");
  // The span covers every attempt, on the scheduler's clock.
  const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
  assert(ms(run.endTime) - ms(run.startTime) >= 30 * SEC);
});

Deno.test("Tracing: each claim step is a span with its instance, jobs read, runs claimed and lock hold", async () => {
  using recorded = recordSpans();
  const { clock, scheduler } = await setup();
  await using _ = scheduler;
  await scheduler.add({ id: "a", schedule: "every 1h", handler: () => {} });
  await scheduler.add({ id: "b", schedule: "every 1h", handler: () => {} });
  await clock.tick(60 * MIN);
  await scheduler.idle();
  const claims = recorded.spans(CLAIM_SPAN);
  assert(claims.length > 0);
  const busy = claims.filter((s) => s.attributes["tock.claim.runs_claimed"]);
  assertEquals(busy.length, 1);
  const claim = busy[0]!;
  assertEquals(claim.attributes["tock.instance"], "traced");
  assertEquals(claim.attributes["tock.claim.runs_claimed"], 2);
  assert((claim.attributes["tock.claim.jobs_read"] as number) >= 2);
  assertEquals(typeof claim.attributes["tock.claim.lock_hold_ms"], "number");
});

Deno.test("Tracing: without an SDK nothing is recorded and no span is touched", async (t) => {
  trace.disable();
  const noop = trace.getTracer("probe").startSpan("probe");
  assertEquals(noop.isRecording(), false);
  const proto = Object.getPrototypeOf(noop);
  const touched: string[] = [];
  const saved = new Map<string, unknown>();
  for (const name of ["setAttribute", "setAttributes", "addEvent", "end"]) {
    saved.set(name, proto[name]);
    proto[name] = function (this: unknown, ...args: unknown[]) {
      touched.push(name);
      return (saved.get(name) as (...a: unknown[]) => unknown).apply(
        this,
        args,
      );
    };
  }
  try {
    await t.step("a claim span is not kept", () => {
      assertEquals(
        new Tracing("x", new FakeClock(T0)).claimStarted(),
        undefined,
      );
    });
    await t.step(
      "a scheduler's runs, retries and claims touch no span",
      async () => {
        const { clock, scheduler } = await setup();
        await using _ = scheduler;
        let attempts = 0;
        await scheduler.add({
          id: "quiet",
          schedule: "every 1h",
          retries: 1,
          backoff: "10s",
          handler: () => {
            if (++attempts === 1) throw new Error("once");
          },
        });
        await clock.tick(60 * MIN);
        await clock.tick(10 * SEC);
        await scheduler.idle();
        assertEquals(attempts, 2);
        assertEquals(touched, []);
      },
    );
  } finally {
    for (const [name, fn] of saved) proto[name] = fn;
  }
});
