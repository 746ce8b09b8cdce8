/**
 * Test helpers for code that uses tock: a controllable clock and the
 * in-memory store.
 *
 * @example Run a job on fake time
 * ```ts
 * import { createScheduler } from "../../mod.ts";
 * import { createMemoryStore, FakeClock } from "./mod.ts";
 *
 * const clock = new FakeClock(Date.UTC(2026, 0, 1));
 * const runs: string[] = [];
 * await using scheduler = await createScheduler({
 *   store: createMemoryStore(),
 *   clock,
 * });
 * await scheduler.add({
 *   id: "tick",
 *   schedule: "every 1m",
 *   handler: ({ slot }) => void runs.push(slot.toISOString()),
 * });
 * await clock.tick(180_000);
 * await scheduler.idle();
 * console.log(runs.length); // 3
 * ```
 *
 * @module
 */

export { FakeClock, type FakeClockOptions } from "./fake_clock.ts";
export {
  createMemoryStore,
  type MemoryStoreOptions,
} from "../store/memory_store.ts";
export { createMemoryLock } from "../lock/memory_lock.ts";
