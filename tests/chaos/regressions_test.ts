// Counterexamples the chaos harness found, kept as named example tests of
// the pure code at fault (STYLE §8). Each names the seed that found it:
// `CHAOS_SEED=<seed> deno task test:chaos` replays the run.
import { deepEqual, ok } from "node:assert/strict";
import type { Lock } from "../../src/lock/lock.ts";
import { advanceJob } from "../../src/jobs/advance_job.ts";
import { createScheduler } from "../../src/runtime/scheduler.ts";
import type { Scheduler } from "../../src/runtime/scheduler_api.ts";
import type { JobStore } from "../../src/store/store.ts";
import { createMemoryStore, FakeClock } from "../../src/testing/mod.ts";
import type { LedgerEntry, RangeEntry } from "../../src/types.ts";
import { collect } from "../_helpers.ts";
import { context, MIN, record, running, T0 } from "../runtime/_records.ts";

function covers(range: RangeEntry | LedgerEntry, slot: number): boolean {
  const last = "last" in range ? range.last : range.until ?? range.slot;
  const first = "first" in range ? range.first : range.slot;
  return first <= slot && slot <= last;
}

// Seed 3211134383 (3 instances, 6 jobs, 67 s): job j2-queue's ledger held
// `skipped 06:13:08.174 until 06:13:18.174, count 10` and `succeeded
// 06:13:09.174`: the range spans 11 slots, one of which ran. Slot 08 was
// skipped (one run queued), the queued run was dispatched, slot 09 was
// queued, slot 10 was skipped and extended the open range over slot 09.
Deno.test("advanceJob() never extends a skipped range over a queued slot (chaos seed 3211134383)", () => {
  const slot = (n: number) => T0 + n * 5 * MIN;
  // Slot 1 was skipped while a run waited; that run (slot 0) now runs.
  const job = record({ overlap: "queue" }, T0 - 5 * MIN, {
    cursor: slot(1),
    nextSlot: slot(2),
    nextDueAt: slot(2),
    runs: [running(slot(0))],
    backlog: [],
    openRange: {
      outcome: "skipped",
      first: slot(1),
      last: slot(1),
      count: 1,
      note: "overlap",
    },
  });
  // Slot 2 comes due while slot 0 runs: queued.
  const queued = advanceJob(job, context(slot(2) + 10));
  ok(queued.state.backlog.some((b) => b.slot === slot(2)), "slot 2 queued");
  // Slot 3 comes due while slot 2 waits: skipped.
  const skipped = advanceJob(
    { spec: job.spec, state: queued.state },
    context(slot(3) + 10),
  );
  const ranges = [
    ...queued.entries,
    ...skipped.entries,
    ...(skipped.state.openRange ? [skipped.state.openRange] : []),
  ].filter((e) => "first" in e || e.count !== undefined);
  const spanning = ranges.filter((r) => covers(r, slot(2)));
  ok(
    spanning.length === 0,
    `a skipped range covers the queued slot 2: ${JSON.stringify(spanning)}`,
  );
});

// Seed 1654954057 (4 instances, 8 jobs, 64 s, clock jumps): job
// j1-allow-rerun's ledger held `missed 06:32:55.539 until 06:33:02.539,
// count 4` over 8 slots, the other 4 `succeeded`: each claim after a clock
// jump found two late slots, ran the newer as a catch-up and recorded the
// older missed, extending the open range over the previous catch-up run.
Deno.test("advanceJob() never extends a missed range over a catch-up run (chaos seed 1654954057)", () => {
  const slot = (n: number) => T0 + n * 5 * MIN;
  // Slot 1 was missed and slot 2 runs as a catch-up (overlap allow).
  const job = record({ overlap: "allow" }, T0 - 5 * MIN, {
    cursor: slot(2),
    nextSlot: slot(3),
    nextDueAt: slot(3),
    runs: [running(slot(2), { trigger: "catchup" })],
    backlog: [],
    openRange: {
      outcome: "missed",
      first: slot(1),
      last: slot(1),
      count: 1,
      note: "catchup",
    },
  });
  // Slots 3 and 4 are found late: 3 is missed, 4 runs as a catch-up.
  const r = advanceJob(job, context(slot(4) + 60_000));
  const ranges = [
    ...r.entries,
    ...(r.state.openRange ? [r.state.openRange] : []),
  ].filter((e) => "first" in e || e.count !== undefined);
  const spanning = ranges.filter((e) => covers(e, slot(2)));
  ok(
    spanning.length === 0,
    `a missed range covers the running slot 2: ${JSON.stringify(spanning)}`,
  );
});

/**
 * A store as seen from a process that SIGSTOP can freeze mid-claim: once
 * armed, the next `lock.acquire` freezes it, and from then on every call
 * waits until `resume` lets it through.
 */
function freezable(store: JobStore) {
  let armed = false;
  let frozen = false;
  const waiting: { lock: boolean; go: () => void }[] = [];
  const gate = (lock: boolean) =>
    frozen
      ? new Promise<void>((go) => waiting.push({ lock, go }))
      : Promise.resolve();
  const lock: Lock = {
    async acquire(options) {
      if (armed) [armed, frozen] = [false, true];
      await gate(true);
      return await store.lock.acquire(options);
    },
    async tryAcquire() {
      await gate(true);
      return await store.lock.tryAcquire();
    },
  };
  const view = new Proxy(store, {
    get(target, key) {
      if (key === "lock") return lock;
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        await gate(false);
        return await value.apply(target, args);
      };
    },
  });
  return {
    store: view,
    arm() {
      armed = true;
    },
    get frozen() {
      return frozen;
    },
    /**
     * Unfreezes. `lock`: the frozen claim goes on (and new calls pass) while
     * the calls that were already waiting (the heartbeat's) wait on; `all`:
     * everything goes on.
     */
    resume(only: "lock" | "all") {
      frozen = false;
      for (const w of waiting.filter((w) => only === "all" || w.lock)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.go();
      }
    },
  };
}

interface FreezeFindings {
  /** `instance.dead` events of the frozen instance about b. */
  readonly judgedDead: string[];
  /** b's runs recorded abandoned. */
  readonly abandoned: string[];
  /** Whether b's instance record is still in the store. */
  readonly bRecord: boolean;
}

/**
 * Instance a freezes in a claim (after its liveness observation) for 15 s
 * while instance b runs a long job; `bStarts` says whether b was already
 * running (and seen by a) or started during the freeze. Then a resumes: its
 * claim goes on first, then everything else, and it claims once more.
 */
async function freezeInClaim(
  bStarts: "before" | "during",
): Promise<FreezeFindings> {
  const shared = createMemoryStore();
  const frozen = freezable(shared);
  const clockA = new FakeClock(T0);
  const clockB = new FakeClock(T0);
  const a = await createScheduler({
    store: frozen.store,
    clock: clockA,
    instance: "a",
    handlers: { tick: () => {} },
  });
  let b: Scheduler | undefined;
  const startB = async () => {
    b = await createScheduler({
      store: shared,
      clock: clockB,
      instance: "b",
      handlers: {
        long: ({ signal }) =>
          new Promise<void>((resolve) =>
            signal.addEventListener("abort", () => resolve(), { once: true })
          ),
      },
    });
    await b.trigger("long");
  };
  const deaths = collect(a, "instance.dead");
  const released = collect(a, "lock.released");
  try {
    await a.add({ id: "tick", schedule: "* * * * * *", run: "tick" });
    await a.add({ id: "long", schedule: "every 1h", run: "long" });
    if (bStarts === "before") await startB();
    // Side by side for a while: a sees b beat.
    for (let s = 0; s < 3; s++) {
      await clockA.tick(1000);
      await clockB.tick(1000);
    }
    // SIGSTOP lands in a's next claim, right after its observation.
    frozen.arm();
    await clockA.tick(1000);
    ok(frozen.frozen, "a froze in a claim");
    if (bStarts === "during") await startB();
    // 15 s pass: b beats and runs; a's timers fire but a cannot act.
    for (let s = 0; s < 15; s++) await clockB.tick(1000);
    ok(
      (await shared.job("long"))!.state.runs.some((r) => r.instance === "b"),
      "b runs the long job",
    );
    await clockA.tick(15_000);
    // SIGCONT: a's claim goes on first, then everything else.
    const claims = released.length;
    frozen.resume("lock");
    for (let i = 0; i < 20 && released.length === claims; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    frozen.resume("all");
    await clockA.tick(1000);
    return {
      judgedDead: deaths.map((e) => e.detail.other!).filter((id) => id === "b"),
      abandoned: (await shared.history({ job: "long" })).filter((e) =>
        e.outcome === "abandoned"
      ).map((e) => `${e.runId}@${e.instance}`),
      bRecord: (await shared.instances()).some((i) => i.id === "b"),
    };
  } finally {
    frozen.resume("all");
    const stops = [a.stop({ graceMs: 1 }), b?.stop({ graceMs: 1 })];
    await clockA.tick(100);
    await clockB.tick(100);
    await Promise.all(stops);
  }
}

const HEALTHY: FreezeFindings = {
  judgedDead: [],
  abandoned: [],
  bRecord: true,
};

// Seed 4177078389 (5 instances, 6 jobs, 63 s): instance i0-gen3, SIGSTOPped
// for 14.9 s, printed on SIGCONT "instance i2-gen2 looks dead" (and four
// others) although i2-gen2 had beaten every second, and removed its record;
// i1-gen2 then recorded i2-gen2's running runs `abandoned` (re-running two
// `recover: rerun` slots) while i2-gen2 still ran them. i0-gen3 had frozen
// between its liveness observation and `#forgetDead()`, which judges
// `Liveness.dead(now)` against observations 15 s old: its own freeze counted
// as the others' silence.
Deno.test("createScheduler() resumed after a freeze past the lease judges no live instance dead (chaos seed 4177078389)", async () => {
  deepEqual(await freezeInClaim("before"), HEALTHY);
});

// Same run: i1-gen2 started while i0-gen3 was frozen and ran slot
// 06:16:38Z of j2-allow-rerun; on SIGCONT i0-gen3's claim, holding the
// instance list it read before the freeze, found no record of i1-gen2 ("no
// record: dead") and re-ran the slot as a recovery while i1-gen2 ran it.
Deno.test("createScheduler() resumed after a freeze does not recover the runs of an instance that started meanwhile (chaos seed 4177078389)", async () => {
  deepEqual(await freezeInClaim("during"), HEALTHY);
});
