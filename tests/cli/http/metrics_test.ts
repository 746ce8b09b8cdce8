import { deepEqual, equal } from "node:assert/strict";
import { createMetrics } from "../../../src/cli/http/metrics.ts";
import { TockEvent } from "../../../src/runtime/events.ts";
import { createMemoryStore } from "../../../src/store/memory_store.ts";
import { addJob } from "../../../src/turns/manage_jobs.ts";
import { FakeClock } from "../../../src/testing/fake_clock.ts";
import { parseExposition } from "./_serve.ts";

const T0 = Date.UTC(2026, 0, 15, 12);

Deno.test("createMetrics() turns a scheduler's events into the start-lag and lock-hold histograms on the injected clock", async () => {
  const clock = new FakeClock(T0);
  const metrics = createMetrics(() => clock.now());
  await using store = createMemoryStore();
  await addJob(store, { id: "a", schedule: "every 1m", cmd: "true" }, {
    now: T0,
  });
  const scheduler = new EventTarget();
  const stop = metrics.observe(scheduler);
  const send = (
    type: "run.started" | "lock.released" | "job.claimed",
    detail: object,
  ) =>
    scheduler.dispatchEvent(new TockEvent(type, { instance: "i", ...detail }));
  send("job.claimed", { job: "a" });
  send("run.started", { job: "a", slot: new Date(T0 - 250), attempt: 1 });
  // A retry is not a start lag.
  send("run.started", { job: "a", slot: new Date(T0 - 60_000), attempt: 2 });
  send("lock.released", { holdMs: 3 });
  send("lock.released", { holdMs: 30 });
  stop();
  send("lock.released", { holdMs: 1 });

  const { types, samples } = parseExposition(await metrics.render(store, T0));
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) =>
      s.name === name &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v)
    )?.value;
  equal(types.get("tock_start_lag_seconds"), "histogram");
  equal(value("tock_start_lag_seconds_count"), 1);
  equal(value("tock_start_lag_seconds_sum"), 0.25);
  equal(value("tock_start_lag_seconds_bucket", { le: "0.1" }), 0);
  equal(value("tock_start_lag_seconds_bucket", { le: "0.25" }), 1);
  equal(value("tock_lock_hold_seconds_count"), 2);
  equal(value("tock_lock_hold_seconds_bucket", { le: "0.005" }), 1);
  equal(value("tock_lock_hold_seconds_bucket", { le: "+Inf" }), 2);
  equal(value("tock_claims_total"), 1);
  equal(value("tock_instances_alive"), 0);
  equal(value("tock_runs_in_progress"), 0);
  deepEqual(
    samples.filter((s) => s.name === "tock_runs_total").map((s) =>
      s.labels.outcome
    ),
    ["succeeded", "failed", "timed_out", "cancelled"],
  );
});

Deno.test("parseExposition() (the test's parser) refuses what is not the text format", async (t) => {
  for (
    const text of [
      "tock_x 1",
      '# TYPE tock_x counter\ntock_x{job="a} 1',
      '# TYPE tock_x counter\ntock_x{job="a"} one',
      "# TYPE tock_x counter\n# TYPE tock_x counter",
      "# TYPE tock_x gadget",
    ]
  ) {
    await t.step(JSON.stringify(text), () => {
      let threw = false;
      try {
        parseExposition(text);
      } catch {
        threw = true;
      }
      equal(threw, true);
    });
  }
});
