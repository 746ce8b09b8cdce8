// When heartbeats fail (a connection lost, and with it maybe the instance
// id's hold), the hold is checked at once and again after the first beat
// that works, not only every fifth beat: an instance cut off from its
// store takes its id back before a twin can, or stops if a twin took it.
// Counterexample of the PostgreSQL chaos run (seed 1440612813): an instance
// cut off for 11 s lost its hold, kept failing to beat (so it never
// checked), and a twin took its id; two processes then ran under one id.
import { deepEqual, equal } from "node:assert/strict";
import { createScheduler } from "../../src/runtime/scheduler.ts";
import { createMemoryStore, FakeClock } from "../../src/testing/mod.ts";
import type { InstanceHold, JobStore } from "../../src/store/store.ts";

const T0 = Date.UTC(2026, 0, 15, 12);

/** A memory store whose heartbeats fail on demand, counting hold checks. */
function flakyStore(held: () => boolean) {
  const inner = createMemoryStore();
  const state = { failing: false, checks: [] as number[], beats: 0 };
  const store = new Proxy(inner, {
    get(target, key) {
      if (key === "heartbeat") {
        return async (...args: Parameters<JobStore["heartbeat"]>) => {
          state.beats += 1;
          if (state.failing) throw new Error("connection lost");
          return await target.heartbeat(...args);
        };
      }
      if (key === "holdInstance") {
        return async (...args: Parameters<JobStore["holdInstance"]>) => {
          const hold = await target.holdInstance(...args);
          return {
            id: hold.id,
            check: () => {
              state.checks.push(state.beats);
              return Promise.resolve(held());
            },
            release: () => hold.release(),
            [Symbol.asyncDispose]: () => hold.release(),
          } satisfies InstanceHold;
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store, state };
}

Deno.test("a failed heartbeat checks the instance id's hold at once, and again after the next beat that works", async () => {
  const { store, state } = flakyStore(() => true);
  const clock = new FakeClock(T0);
  await using _scheduler = await createScheduler({
    store,
    clock,
    heartbeatMs: 1000,
  });
  await clock.tick(2000);
  deepEqual(state.checks, [], "no check in the first beats");
  state.failing = true;
  await clock.tick(1000);
  equal(state.checks.length, 1, "checked when the beat failed");
  state.failing = false;
  await clock.tick(1000);
  equal(state.checks.length, 2, "checked after the first beat that works");
  await clock.tick(1000);
  equal(state.checks.length, 2, "then every fifth beat again");
});

Deno.test("a failed heartbeat whose hold another process took stops the instance", async () => {
  let held = true;
  const { store, state } = flakyStore(() => held);
  const clock = new FakeClock(T0);
  await using scheduler = await createScheduler({
    store,
    clock,
    heartbeatMs: 1000,
  });
  const stopped = new Promise<void>((resolve) =>
    scheduler.addEventListener("scheduler.stopped", () => resolve(), {
      once: true,
    })
  );
  state.failing = true;
  held = false;
  await clock.tick(1000);
  await stopped;
  equal(state.checks.length, 1);
});
