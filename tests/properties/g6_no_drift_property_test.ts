// G6 no drift: interval slots are anchored to the schedule, not to when the
// previous run ended. Whatever the run durations (shorter or longer than the
// interval) and the overlap policy, every slot a real scheduler records lies
// on the grid anchor + k·interval, each grid point up to the cursor is
// accounted for exactly once, and runs start at their slot, not later.
import { deepEqual, ok } from "node:assert/strict";
import fc from "fast-check";
import { createScheduler } from "../../src/runtime/scheduler.ts";
import { createMemoryStore, FakeClock } from "../../src/testing/mod.ts";
import { propertyParams } from "./_runs.ts";

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

Deno.test("G6 no drift: interval slots stay on their grid whatever the run durations", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        everySeconds: fc.integer({ min: 1, max: 20 }),
        durations: fc.array(fc.integer({ min: 0, max: 45_000 }), {
          minLength: 1,
          maxLength: 12,
        }),
        overlap: fc.constantFrom(
          "skip" as const,
          "queue" as const,
          "allow" as const,
        ),
        seconds: fc.integer({ min: 10, max: 120 }),
      }),
      async ({ everySeconds, durations, overlap, seconds }) => {
        const clock = new FakeClock(T0);
        const every = everySeconds * 1000;
        const starts: { slot: number; at: number }[] = [];
        let n = 0;
        const scheduler = await createScheduler({
          store: createMemoryStore(),
          clock,
          heartbeatMs: 60_000,
          maxParallel: 64, // room for every overlapping run (see the maxParallel example test)
        });
        await scheduler.add({
          id: "grid",
          schedule: `every ${everySeconds}s`,
          overlap,
          handler: async ({ slot, signal }) => {
            starts.push({ slot: slot.getTime(), at: clock.now() });
            await clock.sleep(durations[n++ % durations.length]!, signal).catch(
              () => {},
            );
          },
        });
        try {
          await clock.tick(seconds * 1000);
          const job = (await scheduler.job("grid"))!;
          const onGrid = (t: number) => (t - T0) % every === 0;
          for (const s of starts) {
            ok(
              onGrid(s.slot),
              `run slot ${s.slot - T0} ms is off the ${every} ms grid`,
            );
            // Scheduled runs start at their slot; queued ones when the run
            // before them ends, but still for their own grid slot.
            if (overlap !== "queue") deepEqual(s.at, s.slot);
          }
          const history = await scheduler.history({ job: "grid" });
          for (const e of history) {
            ok(onGrid(e.slot) && (e.until === undefined || onGrid(e.until)));
          }
          ok(onGrid(job.state.cursor) && onGrid(job.state.nextSlot!));
          const accounted = history.reduce((sum, e) =>
            sum + (e.count ?? 1), 0) +
            job.state.runs.length + job.state.backlog.length;
          deepEqual(accounted, (job.state.cursor - T0) / every);
          deepEqual(
            job.state.cursor,
            T0 + Math.floor(seconds * 1000 / every) * every,
          );
        } finally {
          const stopped = scheduler.stop({ graceMs: 1 });
          await clock.tick(1);
          await stopped;
        }
      },
    ),
    propertyParams(30),
  );
});
