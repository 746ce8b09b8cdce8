// Clock faults in process: real schedulers (createScheduler) on the memory
// store and a FakeClock. `clock.jump(ms)` moves only the wall clock (an NTP
// step, a suspended laptop); `clock.tick(ms)` moves both clocks and fires
// timers. Instances are frozen by holding every store call of theirs (a
// SIGSTOPped process) or by giving them a clock that nobody advances.
import { deepEqual, equal, ok } from "node:assert/strict";
import { createScheduler } from "../../src/runtime/scheduler.ts";
import type {
  Scheduler,
  SchedulerJobInput,
} from "../../src/runtime/scheduler_api.ts";
import { createMemoryStore, FakeClock } from "../../src/testing/mod.ts";
import type { JobStore } from "../../src/store/store.ts";
import { claimDueJobs } from "../../src/turns/claim_due_jobs.ts";
import { addJob } from "../../src/turns/manage_jobs.ts";
import type { Trigger } from "../../src/types.ts";
import {
  assertEverySlotOnce,
  Gate,
  gatedStore,
  Hangs,
  iso,
  ledgerSlots,
  record,
  shutdown,
} from "./_faults.ts";

const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;

interface Run {
  readonly slot: number;
  readonly trigger: Trigger;
  readonly instance: string;
}

/** One scheduler on a fresh memory store, with a job that logs its runs. */
async function oneInstance(job: Partial<SchedulerJobInput> = {}) {
  const store = createMemoryStore();
  const clock = new FakeClock(T0);
  const scheduler = await createScheduler({
    store,
    clock,
    instance: "solo",
    // A slow heartbeat keeps fake hours cheap to simulate.
    heartbeatMs: MIN,
  });
  const runs: Run[] = [];
  await scheduler.add({
    id: "job",
    schedule: "* * * * *",
    handler: ({ slot, trigger, instance }) =>
      void runs.push({ slot: slot.getTime(), trigger, instance }),
    ...job,
  });
  return { store, clock, scheduler, runs };
}

async function stop(clock: FakeClock, scheduler: Scheduler) {
  await shutdown([clock], [scheduler]);
}

/** The minute slots `from`..`to` (inclusive), epoch ms. */
function minutes(from: number, to: number): number[] {
  const out: number[] = [];
  for (let s = from; s <= to; s += MIN) out.push(s);
  return out;
}

const at = (h: number, m: number, s = 0) => Date.UTC(2026, 10, 29, h, m, s);

/**
 * Runs the every-minute job to 10:01, jumps the wall clock 5 h forward
 * (to 15:01), and lets 5½ more minutes pass. The scheduler was asleep for
 * at most 30 s of monotonic time (its sleep cap), so it claims at 15:01:30:
 * 10:02 to 15:01 are late (300 slots), none is on time.
 */
async function jumpForward5h(job: Partial<SchedulerJobInput>) {
  const world = await oneInstance(job);
  const { clock, scheduler } = world;
  try {
    await clock.tick(MIN);
    deepEqual(world.runs.map((r) => iso(r.slot)), [iso(at(10, 1))]);
    clock.jump(5 * HOUR);
    await clock.tick(5 * MIN + 30 * SEC);
    await scheduler.idle();
    const history = await scheduler.history({ job: "job" });
    const state = (await scheduler.job("job"))!.state;
    // G3 across the jump: every slot up to the cursor, exactly once.
    assertEverySlotOnce(ledgerSlots(history, MIN), at(10, 1), at(15, 6), MIN);
    equal(state.cursor, at(15, 6));
    return { ...world, history };
  } finally {
    await stop(clock, scheduler);
  }
}

Deno.test("createScheduler() after a 5 h forward wall-clock jump, catchup latest runs the newest missed slot once", async () => {
  const { runs, history } = await jumpForward5h({ catchup: "latest" });
  deepEqual(runs.map((r) => [iso(r.slot), r.trigger]), [
    [iso(at(10, 1)), "schedule"],
    [iso(at(15, 1)), "catchup"],
    ...minutes(at(15, 2), at(15, 6)).map((s) => [iso(s), "schedule"]),
  ]);
  const missed = history.filter((e) => e.outcome === "missed");
  equal(missed.length, 1, "the missed slots are one range entry");
  deepEqual(
    [iso(missed[0]!.slot), iso(missed[0]!.until!), missed[0]!.count],
    [iso(at(10, 2)), iso(at(15, 0)), 299],
  );
  const catchup = history.find((e) => e.slot === at(15, 1))!;
  deepEqual([catchup.outcome, catchup.trigger], ["succeeded", "catchup"]);
});

Deno.test("createScheduler() after a 5 h forward wall-clock jump, catchup all runs at most catchupMax slots, oldest first", async () => {
  const { runs, history } = await jumpForward5h({
    catchup: "all",
    catchupMax: 10,
  });
  const catchup = runs.filter((r) => r.trigger === "catchup");
  deepEqual(
    catchup.map((r) => iso(r.slot)),
    minutes(at(14, 52), at(15, 1)).map(iso),
    "the 10 newest late slots, oldest first",
  );
  // No storm: 1 before the jump, 10 catch-up runs, 5 on time after it.
  equal(runs.length, 1 + 10 + 5);
  const missed = history.filter((e) => e.outcome === "missed");
  equal(missed.length, 1);
  deepEqual(
    [iso(missed[0]!.slot), iso(missed[0]!.until!), missed[0]!.count],
    [iso(at(10, 2)), iso(at(14, 51)), 290],
  );
});

Deno.test("createScheduler() after a 5 h forward wall-clock jump, catchup none runs no missed slot", async () => {
  const { runs, history } = await jumpForward5h({ catchup: "none" });
  deepEqual(runs.map((r) => [iso(r.slot), r.trigger]), [
    [iso(at(10, 1)), "schedule"],
    ...minutes(at(15, 2), at(15, 6)).map((s) => [iso(s), "schedule"]),
  ]);
  const missed = history.filter((e) => e.outcome === "missed");
  equal(missed.length, 1);
  deepEqual(
    [iso(missed[0]!.slot), iso(missed[0]!.until!), missed[0]!.count],
    [iso(at(10, 2)), iso(at(15, 1)), 300],
  );
});

Deno.test("createScheduler() after a 5 h forward jump of a per-second job records 18 000 slots in a few ranges and runs no storm", async () => {
  // More due slots than one claim step handles (1000): the catch-up spans
  // several claims, and the slots still get exactly one outcome each.
  for (const catchup of ["latest", "all", "none"] as const) {
    const world = await oneInstance({
      schedule: "* * * * * *",
      catchup,
      catchupMax: 3,
    });
    const { clock, scheduler, runs } = world;
    try {
      await clock.tick(5 * SEC);
      equal(runs.length, 5);
      clock.jump(5 * HOUR);
      await clock.tick(10 * SEC);
      await scheduler.idle();
      const history = await scheduler.history({ job: "job" });
      const cursor = (await scheduler.job("job"))!.state.cursor;
      assertEverySlotOnce(ledgerSlots(history, SEC), T0 + SEC, cursor, SEC);
      equal(cursor, T0 + 5 * HOUR + 15 * SEC, catchup);
      const late = runs.filter((r) => r.trigger === "catchup");
      // The claim after the jump comes within a second (the next slot was a
      // second away), so the newest slot is on time: `latest` runs it as
      // scheduled rather than an older one.
      equal(late.length, catchup === "all" ? 3 : 0, catchup);
      ok(
        late.every((r, i) => i === 0 || r.slot > late[i - 1]!.slot),
        "catch-up runs oldest first",
      );
      // No storm: 5 before, at most 10 + 1 on time, the catch-up runs.
      ok(runs.length <= 5 + 11 + late.length, `${catchup}: ${runs.length}`);
      ok(history.length < 40, `${catchup}: ${history.length} ledger entries`);
      const missed = history.filter((e) => e.outcome === "missed")
        .reduce((n, e) => n + (e.count ?? 1), 0);
      ok(missed >= 5 * 3600 - 10, `${catchup}: ${missed} missed`);
    } finally {
      await stop(clock, scheduler);
    }
  }
});

Deno.test("createScheduler() after a 2 h backward wall-clock jump runs no slot again and resumes past its cursor", async () => {
  const { clock, scheduler, runs } = await oneInstance();
  try {
    await clock.tick(5 * MIN);
    deepEqual(runs.map((r) => r.slot), minutes(at(10, 1), at(10, 5)));
    clock.jump(-2 * HOUR); // 08:05 again
    // Two hours of real time bring the wall clock back to 10:05: nothing
    // is due, since every slot up to 10:05 already has its outcome.
    await clock.tick(2 * HOUR);
    equal(clock.now(), at(10, 5));
    equal(runs.length, 5, "no slot ran again while the clock was behind");
    await clock.tick(3 * MIN);
    await scheduler.idle();
    deepEqual(
      runs.map((r) => [iso(r.slot), r.trigger]),
      minutes(at(10, 1), at(10, 8)).map((s) => [iso(s), "schedule"]),
      "every slot once, on time",
    );
    const history = await scheduler.history({ job: "job" });
    deepEqual(history.map((e) => [iso(e.slot), e.outcome]), [
      ...minutes(at(10, 1), at(10, 8)).map((s) => [iso(s), "succeeded"]),
    ]);
  } finally {
    await stop(clock, scheduler);
  }
});

Deno.test("createScheduler() after a backward jump of an interval job runs no slot again (no re-anchoring)", async () => {
  const { clock, scheduler, runs } = await oneInstance({
    schedule: "every 1m",
  });
  try {
    await clock.tick(3 * MIN + 30 * SEC);
    clock.jump(-30 * MIN);
    await clock.tick(35 * MIN);
    await scheduler.idle();
    const slots = runs.map((r) => r.slot);
    deepEqual(slots, minutes(at(10, 1), at(10, 8)), "each slot once, in order");
    const history = await scheduler.history({ job: "job" });
    assertEverySlotOnce(ledgerSlots(history, MIN), at(10, 1), at(10, 8), MIN);
  } finally {
    await stop(clock, scheduler);
  }
});

Deno.test("createScheduler() jumping back and forth around a running job never runs a slot twice", async () => {
  const { clock, scheduler, runs } = await oneInstance({
    schedule: "*/10 * * * * *",
    overlap: "queue",
    handler: async ({ slot, trigger, instance, signal }) => {
      runs.push({ slot: slot.getTime(), trigger, instance });
      await clock.sleep(15 * SEC, signal);
    },
  });
  try {
    for (const jump of [-HOUR, 0, 2 * HOUR, -3 * HOUR, 30 * MIN, 0, HOUR]) {
      clock.jump(jump);
      await clock.tick(47 * SEC);
    }
    await clock.tick(5 * MIN);
    const slots = runs.map((r) => r.slot);
    equal(new Set(slots).size, slots.length, "a slot ran twice");
    ok(slots.every((s, i) => i === 0 || s > slots[i - 1]!), "in slot order");
    await scheduler.idle();
    const history = await scheduler.history({ job: "job" });
    const cursor = (await scheduler.job("job"))!.state.cursor;
    const pending = (await scheduler.job("job"))!.state.runs.length;
    const slotsInLedger = ledgerSlots(history, 10 * SEC);
    equal(pending, 0);
    assertEverySlotOnce(slotsInLedger, T0 + 10 * SEC, cursor, 10 * SEC);
  } finally {
    await stop(clock, scheduler);
  }
});

/**
 * Instance `b` claims the 10:01 slot of an every-minute job and hangs in it
 * (its later runs end at once);
 * then `a` starts. Both share one memory store and one fake clock; `b`'s
 * store calls go through a gate that can freeze it.
 */
async function frozenOwner(recover: "abandon" | "rerun") {
  const store = createMemoryStore();
  const clock = new FakeClock(T0);
  const gate = new Gate();
  const hangs = new Hangs();
  const runs: Run[] = [];
  const b = await createScheduler({
    store: gatedStore(store, gate),
    clock,
    instance: "b",
    handlers: {
      h: (context) => {
        runs.push({
          slot: context.slot.getTime(),
          trigger: context.trigger,
          instance: "b",
        });
        // Only the first run hangs (until released or aborted).
        return context.slot.getTime() === at(10, 1)
          ? hangs.handler(context)
          : undefined;
      },
    },
  });
  await b.add({ id: "job", schedule: "* * * * *", run: "h", recover });
  await clock.tick(MIN);
  deepEqual(hangs.started, [at(10, 1)]);
  const a = await createScheduler({
    store,
    clock,
    instance: "a",
    handlers: {
      h: ({ slot, trigger }) =>
        void runs.push({ slot: slot.getTime(), trigger, instance: "a" }),
    },
  });
  const events = record(
    [a, b],
    "instance.dead",
    "slot.abandoned",
    "run.fenced",
    "run.failed",
    "job.claimed",
  );
  return { store, clock, gate, hangs, runs, a, b, events };
}

async function ownerRunId(store: JobStore, slot: number) {
  const job = await store.job("job");
  return job?.state.runs.find((r) => r.slot === slot)?.runId;
}

Deno.test("createScheduler() records abandoned the run of an instance frozen past its lease, and fences its late outcome", async () => {
  const w = await frozenOwner("abandon");
  try {
    const runId = await ownerRunId(w.store, at(10, 1));
    ok(runId, "b owns the 10:01 run");
    w.gate.freeze();
    // The lease is 10 s of a's monotonic clock without a new heartbeat.
    await w.clock.tick(9 * SEC);
    deepEqual(w.events.filter((e) => e.type === "slot.abandoned"), []);
    await w.clock.tick(4 * SEC);
    const dead = w.events.filter((e) => e.type === "instance.dead");
    deepEqual(dead.map((e) => [e.detail.instance, e.detail.other]), [[
      "a",
      "b",
    ]]);
    let history = await w.store.history({ job: "job" });
    deepEqual(
      history.map((e) => [iso(e.slot), e.outcome, e.runId, e.instance]),
      [[iso(at(10, 1)), "abandoned", runId, "b"]],
    );
    // a runs the next slots while b is still frozen.
    await w.clock.tick(MIN);
    deepEqual(
      w.runs.map((r) => [iso(r.slot), r.instance]),
      [[iso(at(10, 1)), "b"], [iso(at(10, 2)), "a"]],
    );
    // b wakes up, and its run ends as if nothing had happened: failed (so a
    // leak of its outcome would be visible). The outcome is fenced.
    w.hangs.release(at(10, 1), new Error("late"));
    w.gate.thaw();
    await w.clock.tick(2 * SEC);
    const fenced = w.events.filter((e) => e.type === "run.fenced");
    deepEqual(
      fenced.map((e) => [e.detail.instance, e.detail.runId, e.detail.slot]),
      [["b", runId, new Date(at(10, 1))]],
    );
    // Fenced, so not also reported as failed.
    deepEqual(
      w.events.filter((e) =>
        e.type === "run.failed" && e.detail.runId === runId
      ),
      [],
    );
    // Both instances run on; every slot has one outcome, 10:01 abandoned.
    await w.clock.tick(3 * MIN);
    await Promise.all([w.a.idle(), w.b.idle()]);
    history = await w.store.history({ job: "job" });
    const first = history.filter((e) => e.slot === at(10, 1));
    deepEqual(first.map((e) => [e.outcome, e.instance]), [["abandoned", "b"]]);
    assertEverySlotOnce(ledgerSlots(history, MIN), at(10, 1), at(10, 5), MIN);
    const slots = w.runs.map((r) => r.slot);
    equal(new Set(slots).size, slots.length, "no slot executed twice");
  } finally {
    await shutdown([w.clock], [w.a, w.b], {
      gates: [w.gate],
      hangs: [w.hangs],
    });
  }
});

Deno.test("createScheduler() with recover rerun reruns a frozen instance's slot once, and the stale owner cannot overwrite it", async () => {
  const w = await frozenOwner("rerun");
  try {
    const runId = await ownerRunId(w.store, at(10, 1));
    w.gate.freeze();
    await w.clock.tick(13 * SEC);
    deepEqual(
      w.runs.map((r) => [iso(r.slot), r.trigger, r.instance]),
      [
        [iso(at(10, 1)), "schedule", "b"],
        [iso(at(10, 1)), "recovery", "a"],
      ],
    );
    let history = await w.store.history({ job: "job" });
    deepEqual(
      history.map((e) => [iso(e.slot), e.outcome, e.trigger, e.instance]),
      [[iso(at(10, 1)), "succeeded", "recovery", "a"]],
    );
    // The stale owner finishes (failed) after the rerun: fenced.
    w.hangs.release(at(10, 1), new Error("late"));
    w.gate.thaw();
    await w.clock.tick(2 * SEC);
    deepEqual(
      w.events.filter((e) => e.type === "run.fenced").map((e) =>
        e.detail.runId
      ),
      [runId],
    );
    history = await w.store.history({ job: "job" });
    deepEqual(
      history.filter((e) => e.slot === at(10, 1)).map((e) => [
        e.outcome,
        e.instance,
      ]),
      [["succeeded", "a"]],
    );
    const counters = (await w.store.job("job"))!.state.counters;
    equal(counters.failed, 0, "the fenced failure is not counted");
    equal(counters.succeeded, 1);
  } finally {
    await shutdown([w.clock], [w.a, w.b], {
      gates: [w.gate],
      hangs: [w.hangs],
    });
  }
});

Deno.test("createScheduler() does not run a slot of a frozen instance that wakes before its lease ends", async () => {
  const w = await frozenOwner("abandon");
  try {
    w.gate.freeze();
    await w.clock.tick(8 * SEC);
    w.gate.thaw();
    await w.clock.tick(30 * SEC);
    deepEqual(w.events.filter((e) => e.type !== "job.claimed"), []);
    w.hangs.release(at(10, 1));
    await w.clock.tick(SEC);
    const history = await w.store.history({ job: "job" });
    deepEqual(history.map((e) => [e.outcome, e.instance]), [
      ["succeeded", "b"],
    ]);
  } finally {
    await shutdown([w.clock], [w.a, w.b], {
      gates: [w.gate],
      hangs: [w.hangs],
    });
  }
});

Deno.test("createScheduler() never judges dead an instance that heartbeats while its wall clock jumps", async () => {
  // Each instance has its own clock: b's wall clock jumps hours back and
  // forth (skew between hosts, NTP steps), while both keep heartbeating on
  // real (monotonic) time. b owns a long run the whole time.
  const store = createMemoryStore();
  const clockA = new FakeClock(T0);
  const clockB = new FakeClock(T0);
  const hangs = new Hangs();
  const b = await createScheduler({
    store,
    clock: clockB,
    instance: "b",
    handlers: { h: hangs.handler },
    // a sees b's counter stand still for 4 s at a time, across its own
    // wall-clock jumps: only monotonic time may measure that.
    heartbeatMs: 4 * SEC,
  });
  const a = await createScheduler({
    store,
    clock: clockA,
    instance: "a",
    handlers: { h: () => {} },
  });
  const events = record(
    [a, b],
    "instance.dead",
    "slot.abandoned",
    "run.fenced",
  );
  try {
    await b.add({ id: "job", schedule: "* * * * *", run: "h" });
    // b ticks first, so it claims the 10:01 slot.
    const jumps: Record<number, [FakeClock, number]> = {
      65: [clockB, -3 * HOUR],
      80: [clockB, 6 * HOUR],
      95: [clockA, 2 * HOUR],
      101: [clockA, -5 * HOUR],
      110: [clockB, -2 * HOUR],
      122: [clockA, 3 * HOUR],
    };
    for (let i = 0; i < 150; i++) {
      const jump = jumps[i];
      if (jump) jump[0].jump(jump[1]);
      await clockB.tick(SEC);
      await clockA.tick(SEC);
      if (i === 60) deepEqual(hangs.started, [at(10, 1)]);
    }
    deepEqual(events, [], "no instance judged dead, no run abandoned");
    hangs.release(at(10, 1));
    await clockB.tick(SEC);
    const history = await store.history({ job: "job" });
    const first = history.filter((e) => e.slot === at(10, 1));
    deepEqual(first.map((e) => [e.outcome, e.instance]), [["succeeded", "b"]]);
  } finally {
    await shutdown([clockA, clockB], [a, b], { hangs: [hangs] });
  }
});

Deno.test("claimDueJobs() settles the slots of a year-long clock jump or a startAt years back in one claim", async () => {
  // Slots before the catch-up window: one `missed` range, counted, not walked.
  const DAY = 24 * HOUR;
  const startAt = Date.UTC(2016, 10, 29, 10);
  const cases = [
    ["a one-year jump", { schedule: "* * * * * *" }, 365 * DAY, T0, SEC],
    [
      "a startAt ten years back",
      { schedule: "* * * * *", startAt: "2016-11-29T10:00:00Z" },
      0,
      startAt - MIN,
      MIN,
    ],
  ] as const;
  for (const [what, job, jump, from, step] of cases) {
    const store = createMemoryStore();
    const clock = new FakeClock(T0);
    await addJob(store, { id: "job", run: "h", ...job }, {
      now: clock.now(),
    });
    clock.jump(jump);
    let claims = 0;
    let more = true;
    while (more && claims < 50) {
      const result = await claimDueJobs({
        store,
        clock,
        instance: "solo",
        capacity: 8,
        canRun: () => true,
        isDead: () => false,
      });
      more = result.more;
      claims += 1;
    }
    equal(claims, 1, `${what}: ${claims} claims`);
    equal(more, false, `${what}: more is due`);
    const now = clock.now();
    const state = (await store.job("job"))!.state;
    equal(state.cursor, now, `${what}: cursor`);
    // Slots are `from + k * step`, k >= 1; those before `now - 1 day`
    // (the default window) are missed as one range.
    const history = await store.history({ job: "job" });
    const window = history.filter((e) => e.note === "window");
    deepEqual(
      window.map((e) => [e.outcome, iso(e.slot), iso(e.until!), e.count]),
      [[
        "missed",
        iso(from + step),
        iso(now - DAY - step),
        (now - DAY - from) / step - 1,
      ]],
      what,
    );
    // The window's slots that cannot run are one more range (`catchup`);
    // every slot up to the cursor has exactly one outcome or is pending.
    equal(history.filter((e) => e.outcome === "missed").length, 2, what);
    const outcomes = history.reduce((n, e) => n + (e.count ?? 1), 0);
    const pending = state.runs.length + state.backlog.length;
    equal(outcomes + pending, (now - from) / step, what);
    // No run has ended yet: every outcome is a missed or skipped slot.
    equal(state.counters.missed + state.counters.skipped, outcomes, what);
  }
});
