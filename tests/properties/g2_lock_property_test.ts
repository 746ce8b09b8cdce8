// G2 the lock never spans execution: real scheduler instances (the xstate
// actors and all) share one store on fake time. Jobs run for random fake
// durations, some forever. The test's lock counts its own leases and notes
// under which lease each run was committed: every handler must find that
// lease released when it starts (the scheduler's own `lock.released` event
// is not trusted for this). The trace of claim-lock events and run starts
// must also agree; no lease (claim or outcome write) is ever held while fake
// time passes, whatever the run durations; and while runs that never end are
// running, every instance keeps claiming: a per-second job beside them runs
// every slot.
import { deepEqual, ok } from "node:assert/strict";
import fc from "fast-check";
import { createScheduler } from "../../src/runtime/scheduler.ts";
import type { JobStore } from "../../src/store/store.ts";
import type { Lock, LockLease } from "../../src/lock/lock.ts";
import { createMemoryStore, FakeClock } from "../../src/testing/mod.ts";
import type { JobContext } from "../../src/executors/run_handler.ts";
import { propertyParams } from "./_runs.ts";
import { addJob } from "../../src/turns/manage_jobs.ts";

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

interface Trace {
  readonly events: string[];
  readonly holds: number[];
  /** Leases acquired and not yet released. */
  readonly outstanding: Set<LockLease>;
  /** The lease under which each run was first committed. */
  readonly claimedUnder: Map<string, LockLease>;
}

/** A store whose lock measures every lease in fake monotonic time. */
function measured(store: JobStore, clock: FakeClock, trace: Trace): JobStore {
  // The store accepts only its own lease objects, so measure by patching
  // the lease in place rather than wrapping it.
  const wrapLease = (lease: LockLease): LockLease => {
    const since = clock.monotonic();
    const inner = lease.release.bind(lease);
    let done = false;
    trace.outstanding.add(lease);
    const release = async () => {
      if (!done) {
        done = true;
        trace.holds.push(clock.monotonic() - since);
        trace.outstanding.delete(lease);
      }
      await inner();
    };
    return Object.assign(lease, { release, [Symbol.asyncDispose]: release });
  };
  const commit: JobStore["commit"] = async (lease, changes) => {
    await store.commit(lease, changes);
    for (const change of changes) {
      if (change.type !== "job.state") continue;
      for (const run of change.state.runs) {
        if (!trace.claimedUnder.has(run.runId)) {
          trace.claimedUnder.set(run.runId, lease);
        }
      }
    }
  };
  const lock: Lock = {
    acquire: async (options) => wrapLease(await store.lock.acquire(options)),
    tryAcquire: async () => {
      const lease = await store.lock.tryAcquire();
      return lease && wrapLease(lease);
    },
  };
  return new Proxy(store, {
    get(target, key) {
      if (key === "lock") return lock;
      if (key === "commit") return commit;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const scenarioArb = fc.record({
  instances: fc.integer({ min: 1, max: 3 }),
  // Run durations of the slow jobs in fake seconds; 0 means it never ends.
  slow: fc.array(fc.constantFrom(0, 0, 1, 3, 10, 60, 600), {
    minLength: 1,
    maxLength: 3,
  }),
  seconds: fc.integer({ min: 5, max: 40 }),
});

Deno.test("G2 the lock never spans execution: runs start after their claim released the lock, holds do not grow with run duration, claims go on beside endless runs", async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArb, async ({ instances, slow, seconds }) => {
      const clock = new FakeClock(T0);
      const shared = createMemoryStore();
      const trace: Trace = {
        events: [],
        holds: [],
        outstanding: new Set(),
        claimedUnder: new Map(),
      };
      const inClaim = new Map<string, boolean>();
      const fast: number[] = [];
      const violations: string[] = [];
      const handler = async (
        { jobId, slot, instance, signal, runId }: JobContext,
      ) => {
        trace.events.push(`start ${jobId} ${instance}`);
        const lease = trace.claimedUnder.get(runId);
        if (!lease) violations.push(`G2: ${runId} started, never committed`);
        else if (trace.outstanding.has(lease)) {
          violations.push(
            `G2: ${jobId} started while the lease that claimed it was held`,
          );
        }
        if (inClaim.get(instance)) {
          violations.push(
            `G2: ${jobId} started while ${instance} held its claim lock`,
          );
        }
        if (jobId === "fast") return void fast.push(slot.getTime());
        const seconds = Number(jobId.split("-")[2]);
        if (seconds === 0) {
          await new Promise((resolve) =>
            signal.addEventListener("abort", resolve)
          );
        } else await clock.sleep(seconds * 1000, signal).catch(() => {});
      };
      await addJob(shared, { id: "fast", schedule: "every 1s", run: "h" }, {
        now: T0,
      });
      for (const [k, d] of slow.entries()) {
        await addJob(shared, {
          id: `slow-${k}-${d}`,
          schedule: "every 1s",
          run: "h",
        }, { now: T0 });
      }
      const schedulers = [];
      for (let i = 0; i < instances; i++) {
        const s = await createScheduler({
          store: measured(shared, clock, trace),
          clock,
          instance: `i${i}`,
          handlers: { h: handler },
          maxParallel: 8,
        });
        s.addEventListener("lock.acquired", () => inClaim.set(`i${i}`, true));
        s.addEventListener("lock.released", () => inClaim.set(`i${i}`, false));
        schedulers.push(s);
      }
      try {
        await clock.tick(seconds * 1000);
        await clock.tick(0); // endless runs never let idle() resolve
        deepEqual(violations, []);
        // Every per-second slot of the fast job ran, each once, on time.
        const expected = Array.from(
          { length: seconds },
          (_, k) => T0 + (k + 1) * 1000,
        );
        deepEqual([...fast].sort((a, b) => a - b), expected);
        // No lease was held while any fake time passed.
        ok(trace.holds.length > 0);
        deepEqual(trace.holds.filter((h) => h > 0), []);
        // Endless runs are still running, and the lock is free.
        const lease = await shared.lock.tryAcquire();
        ok(lease, "G2: the lock is held while runs execute");
        await lease.release();
      } finally {
        const stopping = Promise.all(
          schedulers.map((s) => s.stop({ graceMs: 1000 })),
        );
        await clock.tick(1000);
        await stopping;
      }
    }),
    propertyParams(25),
  );
});
