import { deepEqual, equal, ok } from "node:assert/strict";
import { HoldStats, RECENT_HOLDS } from "../../src/runtime/heartbeat.ts";

Deno.test("HoldStats keeps percentiles of its samples and the latest holds with their starts", () => {
  const holds = new HoldStats();
  deepEqual(holds.recent(), []);
  for (let i = 1; i <= 100; i++) holds.add(i, 10_000 + i * 1000);
  const summary = holds.summary();
  equal(summary.count, 100);
  equal(summary.p50Ms, 51);
  equal(summary.p99Ms, 100);
  equal(summary.maxMs, 100);
  // The status page's lock strip: [start, ms], oldest first, the latest 64.
  const recent = holds.recent();
  equal(recent.length, RECENT_HOLDS);
  deepEqual(recent.at(-1), [10_000 + 100 * 1000 - 100, 100]);
  deepEqual(recent[0], [10_000 + 37 * 1000 - 37, 37]);
  ok(recent.every(([start], i) => i === 0 || start > recent[i - 1]![0]));
});
