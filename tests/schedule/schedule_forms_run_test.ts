// The new cron forms run under a real scheduler (fake clock, memory store):
// each job's run happens at the slot its form names, and only there.
import assert from "node:assert/strict";
import { createScheduler } from "../../src/runtime/scheduler.ts";
import { createMemoryStore, FakeClock } from "../../src/testing/mod.ts";

// Friday 2026-01-30, 11:58 UTC: the last weekday, last Friday and 30th of a
// month whose 31st is a Saturday.
const T0 = Date.UTC(2026, 0, 30, 11, 58);
const NOON = "2026-01-30T12:00:00.000Z";

Deno.test("createScheduler() runs jobs written with W, LW, L-n, #L, # lists, a year field, + and domAndDow at their slots", async () => {
  await using store = createMemoryStore();
  const clock = new FakeClock(T0);
  await using scheduler = await createScheduler({
    store,
    clock,
    heartbeatMs: 60_000,
  });
  const runs: Record<string, string[]> = {};
  const job = async (id: string, schedule: string, domAndDow?: boolean) => {
    runs[id] = [];
    await scheduler.add({
      id,
      schedule,
      ...(domAndDow === undefined ? {} : { domAndDow }),
      handler: ({ slot }) => void runs[id]!.push(slot.toISOString()),
    });
  };
  await job("lw", "0 12 LW * *");
  await job("w", "0 12 31W * *"); // Saturday the 31st: Friday the 30th
  await job("l-1", "0 12 L-1 * *");
  await job("fri-last", "0 12 * * FRI#L");
  await job("5l-hash", "0 12 * * 5#L");
  await job("list", "1 12 * * 1#1,5#L");
  await job("year", "0 0 12 30 1 * 2026");
  await job("plus", "0 12 30 * +FRI");
  await job("option", "0 12 30 * FRI", true);
  await job("plus-no", "0 12 29 * +FRI"); // the 29th is a Thursday
  await job("option-no", "0 12 29 * FRI", true);
  await clock.tick(4 * 60_000);
  await scheduler.idle();
  assert.deepEqual(runs, {
    "lw": [NOON],
    "w": [NOON],
    "l-1": [NOON],
    "fri-last": [NOON],
    "5l-hash": [NOON],
    "list": ["2026-01-30T12:01:00.000Z"],
    "year": [NOON],
    "plus": [NOON],
    "option": [NOON],
    "plus-no": [],
    "option-no": [],
  });
  // Without AND, "0 12 29 * FRI" would have run today (a Friday).
  const next = await store.job("option-no");
  assert.equal(next?.spec.domAndDow, true);
  assert.equal(next?.state.nextSlot, Date.UTC(2026, 4, 29, 12)); // Fri 29 May
});
