// Self-fencing (issue 10, defect 2): an instance frozen past its lease must
// not start an attempt of a slot another instance has since taken away: not
// a retry after its backoff, not a start claimed ahead of its slot. Each
// instance has its own fake clock here, so that one can be stopped
// (`FakeClock.stall`: its timers fire late, all at once) while the other
// lives on, as SIGSTOP does; its store calls wait at a gate meanwhile.
import { deepEqual, equal, ok } from "node:assert/strict";
import { createScheduler } from "../../src/runtime/scheduler.ts";
import type { Scheduler } from "../../src/runtime/scheduler_api.ts";
import { SelfFence } from "../../src/runtime/self_fence.ts";
import type { JobContext } from "../../src/executors/run_handler.ts";
import type { RecoverPolicy } from "../../src/types.ts";
import { createMemoryStore, FakeClock } from "../../src/testing/mod.ts";
import { collect } from "../_helpers.ts";
import { Gate, gatedStore } from "../faults/_faults.ts";

const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);
const SEC = 1000;
const SLOT = T0 + 60 * SEC;

Deno.test("SelfFence is fresh only while the heartbeat never stood still for half a lease since the last confirmation", async (t) => {
  await t.step(
    "a beat and a confirmation make it fresh, silence ends it",
    () => {
      const clock = new FakeClock(T0);
      const fence = new SelfFence({ clock, leaseMs: 10 * SEC });
      equal(fence.fresh(), false, "nothing confirmed yet");
      fence.beaten(fence.now());
      fence.confirmed(fence.now());
      equal(fence.fresh(), true);
      clock.stall(4999);
      equal(fence.fresh(), true);
      clock.stall(1);
      equal(fence.fresh(), false, "5 s without a beat");
    },
  );
  await t.step(
    "a confirmation from before a broken chain does not count",
    () => {
      const clock = new FakeClock(T0);
      const fence = new SelfFence({ clock, leaseMs: 10 * SEC });
      fence.beaten(fence.now());
      fence.confirmed(fence.now());
      clock.stall(20 * SEC);
      // The process wakes and beats at once: the beat is fresh, the claim
      // confirmed before the freeze is not.
      fence.beaten(fence.now());
      equal(fence.fresh(), false);
      fence.confirmed(fence.now());
      equal(fence.fresh(), true);
    },
  );
  await t.step("a slow heartbeat write breaks the chain", () => {
    const clock = new FakeClock(T0);
    const fence = new SelfFence({ clock, leaseMs: 10 * SEC });
    fence.beaten(fence.now());
    fence.confirmed(fence.now());
    clock.stall(3 * SEC);
    const issued = fence.now();
    clock.stall(3 * SEC); // the write took 3 s: 6 s between the beats
    fence.beaten(issued);
    equal(fence.fresh(), false);
  });
  await t.step(
    "a suspended machine (wall time moved, monotonic not) is not fresh",
    () => {
      const clock = new FakeClock(T0);
      const fence = new SelfFence({ clock, leaseMs: 10 * SEC });
      fence.beaten(fence.now());
      fence.confirmed(fence.now());
      clock.jump(60 * SEC);
      equal(fence.fresh(), false);
    },
  );
});

interface Call {
  readonly instance: string;
  readonly slot: number;
  readonly attempt: number;
  readonly trigger: string;
}

/**
 * Instance b owns the job's 10:01 run; instance a joins (with or without
 * the handler). Both clocks move in lockstep until `freeze` is called.
 */
async function world(recover: RecoverPolicy, job: Record<string, unknown>) {
  const store = createMemoryStore();
  const clockA = new FakeClock(T0);
  const clockB = new FakeClock(T0);
  const calls: Call[] = [];
  const handler = (instance: string, fail: boolean) => (c: JobContext) => {
    calls.push({
      instance,
      slot: c.slot.getTime(),
      attempt: c.attempt,
      trigger: c.trigger,
    });
    if (fail) throw new Error(`attempt ${c.attempt} fails`);
  };
  const gate = new Gate();
  const b = await createScheduler({
    store: gatedStore(store, gate),
    clock: clockB,
    instance: "b",
    handlers: { h: handler("b", true) },
  });
  // a cannot run the job (no handler) until `takeOver`: b claims it.
  const a = await createScheduler({ store, clock: clockA, instance: "a" });
  await b.add({ id: "job", schedule: "* * * * *", run: "h", recover, ...job });
  const events = collect(b, "run.fenced", "run.started", "run.retrying");
  const eventsA = collect(a, "slot.abandoned", "instance.dead");
  const lockstep = async (ms: number) => {
    for (let t = 0; t < ms; t += 250) {
      await clockA.tick(250);
      await clockB.tick(250);
    }
  };
  const freeze = async (ms: number) => {
    gate.freeze();
    clockB.stall(ms);
    for (let t = 0; t < ms; t += 250) await clockA.tick(250);
    // SIGCONT: every timer b missed fires at once, before the I/O that
    // was in flight completes.
    await clockB.tick(0);
    gate.thaw();
    await clockB.tick(0);
  };
  const takeOver = () => a.handle("h", handler("a", false));
  const stop = async (...schedulers: Scheduler[]) => {
    const done = Promise.all(schedulers.map((s) => s.stop({ graceMs: 1 })));
    for (let i = 0; i < 40; i++) {
      await clockA.tick(250);
      await clockB.tick(250);
    }
    await done;
  };
  return {
    store,
    a,
    b,
    calls,
    events,
    eventsA,
    lockstep,
    freeze,
    takeOver,
    stop: () => stop(a, b),
  };
}

for (const recover of ["abandon", "rerun"] as const) {
  Deno.test(`createScheduler() does not start a retry after its owner was frozen past the lease and lost the slot (recover ${recover})`, async () => {
    const w = await world(recover, { retries: 2, backoff: "30s" });
    try {
      await w.lockstep(61 * SEC);
      deepEqual(w.calls, [{
        instance: "b",
        slot: SLOT,
        attempt: 1,
        trigger: "schedule",
      }]);
      if (recover === "rerun") w.takeOver();
      // b is stopped during its backoff, for longer than the lease.
      await w.freeze(40 * SEC);
      await w.lockstep(5 * SEC);
      const slotCalls = w.calls.filter((c) => c.slot === SLOT);
      deepEqual(
        slotCalls.map((c) => [c.instance, c.attempt, c.trigger]),
        recover === "abandon"
          ? [["b", 1, "schedule"]]
          : [["b", 1, "schedule"], ["a", 1, "recovery"]],
        "b must not run attempt 2 of a slot it lost",
      );
      deepEqual(
        w.events.filter((e) => e.type === "run.fenced").map((e) =>
          e.detail.slot?.getTime()
        ),
        [SLOT],
      );
      const [entry] = (await w.store.history({ job: "job" })).filter((e) =>
        e.slot === SLOT
      );
      equal(entry?.outcome, recover === "abandon" ? "abandoned" : "succeeded");
      equal(entry?.instance, recover === "abandon" ? "b" : "a");
    } finally {
      await w.stop();
    }
  });

  Deno.test(`createScheduler() does not start a slot claimed ahead after its owner was frozen past the lease before the slot (recover ${recover})`, async () => {
    const w = await world(recover, {});
    try {
      // b claims 10:01 ahead of time (250 ms lookahead), then stops.
      await w.lockstep(59_750);
      const claimed = (await w.store.job("job"))!.state.runs;
      deepEqual(claimed.map((r) => [r.instance, r.slot, r.startAt]), [
        ["b", SLOT, SLOT],
      ]);
      if (recover === "rerun") w.takeOver();
      await w.freeze(40 * SEC);
      await w.lockstep(5 * SEC);
      deepEqual(
        w.calls.filter((c) => c.slot === SLOT).map((c) => [
          c.instance,
          c.trigger,
        ]),
        recover === "abandon" ? [] : [["a", "recovery"]],
        "b must not start a slot it lost while stopped",
      );
      deepEqual(
        w.events.filter((e) => e.type === "run.fenced").map((e) =>
          e.detail.slot?.getTime()
        ),
        [SLOT],
      );
      ok(w.eventsA.some((e) => e.type === "instance.dead"));
    } finally {
      await w.stop();
    }
  });
}

Deno.test("createScheduler() starts a slot claimed ahead after a short stop that no one could take for death", async () => {
  const w = await world("abandon", {});
  try {
    await w.lockstep(59_750);
    // Stopped for 3 s (under half the lease): the claim still stands.
    await w.freeze(3 * SEC);
    await w.lockstep(SEC);
    deepEqual(
      w.calls.map((c) => [c.instance, c.slot, c.attempt]),
      [["b", SLOT, 1]],
    );
    deepEqual(w.events.filter((e) => e.type === "run.fenced"), []);
  } finally {
    await w.stop();
  }
});
