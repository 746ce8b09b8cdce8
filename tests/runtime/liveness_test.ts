import { deepEqual, equal } from "node:assert/strict";
import { Liveness } from "../../src/runtime/liveness.ts";

const beat = (id: string, n: number, wall = 0) => ({
  id,
  startedAt: 0,
  heartbeatAt: wall,
  beat: n,
});

Deno.test("Liveness judges death on its own monotonic clock, not on heartbeat wall times", () => {
  const live = new Liveness("me", 10_000);
  // The other host's wall clock is an hour behind: irrelevant.
  let dead = live.observe([beat("other", 1, -3_600_000)], 0);
  equal(dead("other"), false);
  dead = live.observe([beat("other", 2, -3_600_000)], 9_000);
  equal(dead("other"), false);
  dead = live.observe([beat("other", 2, -3_600_000)], 19_001);
  equal(dead("other"), true);
  deepEqual(live.dead(), ["other"]);
  equal(dead("me"), false);
});

Deno.test("Liveness judges an instance with no record dead only after a lease of absence", () => {
  const live = new Liveness("me", 10_000);
  // It may have started after our list was read: not dead yet.
  equal(live.observe([], 0)("new"), false);
  equal(live.observe([], 5_000)("new"), false);
  equal(live.observe([], 10_001)("new"), true);
  // It shows up: alive again.
  equal(live.observe([beat("new", 1)], 11_000)("new"), false);
});

Deno.test("Liveness judges only as of an observation, so its own freeze is not their silence", () => {
  const live = new Liveness("me", 10_000);
  const judge = live.observe([beat("other", 1)], 0);
  // We were frozen for 15 s after observing; the predicate and dead() still
  // judge as of the observation.
  equal(judge("other"), false);
  deepEqual(live.dead(), []);
  // The next observation sees the beat moved on: alive.
  equal(live.observe([beat("other", 16)], 15_000)("other"), false);
});
