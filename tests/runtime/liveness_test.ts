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
  deepEqual(live.dead(19_001), ["other"]);
  equal(dead("me"), false);
  // An instance with no record at all has stopped or was removed.
  equal(dead("gone"), true);
});
