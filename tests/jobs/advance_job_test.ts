import { deepEqual as assertEq, ok as assert } from "node:assert/strict";
import { advanceJob } from "../../src/jobs/advance_job.ts";
import { context, MIN, record, running, T0 } from "../runtime/_records.ts";

Deno.test("advanceJob() claims an on-time slot and advances to the next", () => {
  const job = record({});
  const r = advanceJob(job, context(T0 + 5 * MIN + 10));
  assertEq(r.started.length, 1);
  assertEq(r.started[0]!.slot, T0 + 5 * MIN);
  assertEq(r.started[0]!.trigger, "schedule");
  assertEq(r.state.cursor, T0 + 5 * MIN);
  assertEq(r.state.nextSlot, T0 + 10 * MIN);
  assertEq(r.state.runs.length, 1);
  assertEq(r.state.version, job.state.version + 1);
});

Deno.test("advanceJob() does nothing before the slot is due", () => {
  const r = advanceJob(record({}), context(T0 + 4 * MIN));
  assertEq(r.changed, false);
  assertEq(r.started.length, 0);
});

Deno.test("advanceJob() catch-up policies", async (t) => {
  const now = T0 + 60 * MIN + 30_000; // 12 slots due, the newest 30 s late
  await t.step(
    "latest runs the newest missed slot, records the rest missed",
    () => {
      const r = advanceJob(record({}), context(now));
      assertEq(r.started.map((s) => [s.slot, s.trigger]), [[
        T0 + 60 * MIN,
        "catchup",
      ]]);
      assertEq(r.state.counters.missed, 11);
      assertEq(r.state.openRange, {
        outcome: "missed",
        first: T0 + 5 * MIN,
        last: T0 + 55 * MIN,
        count: 11,
        note: "catchup",
      });
    },
  );
  await t.step(
    "all runs the newest catchupMax, oldest first, one at a time",
    () => {
      const r = advanceJob(
        record({ catchup: "all", catchupMax: 3 }),
        context(now),
      );
      assertEq(r.started.map((s) => s.slot), [T0 + 50 * MIN]);
      assertEq(r.state.backlog.map((b) => b.slot), [
        T0 + 55 * MIN,
        T0 + 60 * MIN,
      ]);
      assertEq(r.state.counters.missed, 9);
    },
  );
  await t.step("none records every slot missed", () => {
    const r = advanceJob(record({ catchup: "none" }), context(now));
    assertEq(r.started.length, 0);
    assertEq(r.state.counters.missed, 12);
    assertEq(r.state.nextSlot, T0 + 65 * MIN);
  });
  await t.step(
    "slots older than the window are missed whatever the policy",
    () => {
      const r = advanceJob(
        record({ catchup: "all", catchupWindow: "20m" }),
        context(now),
      );
      // 45..60 are inside the 20 minute window (now - 20m = T0 + 40m30s).
      assertEq(r.started.map((s) => s.slot), [T0 + 45 * MIN]);
      assertEq(r.state.backlog.length, 3);
      assertEq(r.state.counters.missed, 8);
    },
  );
  await t.step(
    "an on-time slot wins over older missed ones under latest",
    () => {
      const r = advanceJob(record({}), context(T0 + 60 * MIN + 100));
      assertEq(r.started.map((s) => [s.slot, s.trigger]), [[
        T0 + 60 * MIN,
        "schedule",
      ]]);
      assertEq(r.state.counters.missed, 11);
    },
  );
});

Deno.test("advanceJob() overlap policies while a run is active elsewhere", async (t) => {
  const now = T0 + 5 * MIN;
  const busy = { runs: [running(T0)] };
  await t.step("skip records the slot skipped", () => {
    const r = advanceJob(record({}, T0, busy), context(now));
    assertEq(r.started.length, 0);
    assertEq(r.state.counters.skipped, 1);
    assertEq(r.state.openRange?.note, "overlap");
  });
  await t.step("queue buffers one slot and skips the next", () => {
    const r1 = advanceJob(record({ overlap: "queue" }, T0, busy), context(now));
    assertEq(r1.state.backlog.map((b) => b.slot), [now]);
    const r2 = advanceJob(
      { ...record({ overlap: "queue" }), state: r1.state },
      context(now + 5 * MIN),
    );
    assertEq(r2.state.backlog.map((b) => b.slot), [now]);
    assertEq(r2.state.counters.skipped, 1);
  });
  await t.step("allow starts a concurrent run", () => {
    const r = advanceJob(record({ overlap: "allow" }, T0, busy), context(now));
    assertEq(r.started.length, 1);
    assertEq(r.state.runs.length, 2);
  });
  await t.step("replace asks the running one to stop and waits for it", () => {
    const r = advanceJob(
      record({ overlap: "replace" }, T0, busy),
      context(now),
    );
    assertEq(r.started.length, 0);
    assert(r.state.runs.every((run) => run.cancelRequested));
    assertEq(r.state.backlog.map((b) => b.slot), [now]);
  });
});

Deno.test("advanceJob() records slots of a paused job skipped, in one range", () => {
  const job = record({ schedule: "every 1m" }, T0, { paused: true });
  const r = advanceJob(job, context(T0 + 30 * MIN));
  assertEq(r.started.length, 0);
  assertEq(r.state.counters.skipped, 30);
  assertEq(r.entries.length, 0);
  assertEq(r.state.openRange?.count, 30);
});

Deno.test("advanceJob() recovers runs of dead instances", async (t) => {
  const now = T0 + MIN;
  const dead = { isDead: (id: string) => id === "other" };
  await t.step(
    "abandon records the slot abandoned and never re-runs it",
    () => {
      const r = advanceJob(
        record({}, T0, { runs: [running(T0)] }),
        context(now, dead),
      );
      assertEq(r.entries.map((e) => [e.slot, e.outcome]), [[T0, "abandoned"]]);
      assertEq(r.started.length, 0);
      assertEq(r.state.runs.length, 0);
    },
  );
  await t.step("rerun runs the slot again once, marked as a recovery", () => {
    const r = advanceJob(
      record({ recover: "rerun" }, T0, { runs: [running(T0)] }),
      context(now, dead),
    );
    assertEq(r.started.map((s) => [s.slot, s.trigger]), [[T0, "recovery"]]);
    const again = advanceJob(
      record({ recover: "rerun" }, T0, {
        runs: [running(T0, { trigger: "recovery" })],
      }),
      context(now, dead),
    );
    assertEq(again.entries.map((e) => e.outcome), ["abandoned"]);
  });
});

Deno.test("advanceJob() leaves jobs it cannot run untouched", () => {
  const job = record({});
  assertEq(
    advanceJob(job, context(T0 + 5 * MIN, { canRun: false })).changed,
    false,
  );
});

Deno.test("advanceJob() with no room admits due slots but starts nothing (seed-scenario counterexample)", () => {
  // Found by the seed scenario with maxParallel 1: a full instance must
  // still record a slot that overlaps its running job as skipped, at its time.
  const full = { budget: { left: 0 } };
  const idle = advanceJob(record({}), context(T0 + 5 * MIN, full));
  assertEq(idle.started.length, 0);
  assertEq(idle.state.backlog.map((b) => b.slot), [T0 + 5 * MIN]);
  const busy = advanceJob(
    record({}, T0, { runs: [running(T0, { instance: "me" })] }),
    context(T0 + 5 * MIN, full),
  );
  assertEq(busy.state.counters.skipped, 1);
  assertEq(busy.state.backlog.length, 0);
});

Deno.test("advanceJob() stops a job after maxRuns", () => {
  let job = record({ schedule: "every 1m", maxRuns: 2 });
  let runs = 0;
  for (let i = 1; i <= 4; i++) {
    const r = advanceJob(job, context(T0 + i * MIN));
    runs += r.started.length;
    job = { ...job, state: { ...r.state, runs: [] } };
  }
  assertEq(runs, 2);
  assertEq(job.state.nextSlot, undefined);
});

Deno.test("advanceJob() settles a huge gap in one step with exact counts", () => {
  let job = record({ schedule: "every 1s", catchup: "none" });
  const now = T0 + 2 * 86_400_000; // two days of per-second slots
  let more = true;
  let steps = 0;
  while (more && steps < 1000) {
    const r = advanceJob(job, context(now));
    job = { ...job, state: r.state };
    more = r.more;
    steps += 1;
  }
  assertEq(steps, 1);
  // Every slot accounted for once: the newest ones are on time (one runs,
  // the others overlap it and are skipped), the rest are missed.
  const { missed, skipped } = job.state.counters;
  assertEq(missed + skipped + job.state.runCount, 2 * 86_400);
  assertEq(job.state.runCount, 1);
  assertEq(job.state.cursor, now);
});

Deno.test("advanceJob() delays each slot by its jitter, never past the next slot", () => {
  const job = record({ schedule: "every 1m", jitter: "30s" });
  const slot = job.state.nextSlot!;
  assert(job.state.nextDueAt! >= slot && job.state.nextDueAt! < slot + 30_001);
  const early = advanceJob(job, context(job.state.nextDueAt! - 1));
  assertEq(early.started.length, 0);
  const due = advanceJob(job, context(job.state.nextDueAt!));
  assertEq(due.started.map((s) => s.slot), [slot]);
});

Deno.test("advanceJob() keeps every range to consecutive slots (G3 counterexample: replace + catch-up all)", () => {
  // Found by the G3 property (seed -535793328): slot 16 waited in the
  // backlog while 17..23 were recorded missed and 24..26 queued by catch-up;
  // a `replace` at 27 then recorded 16, 24, 25, 26 as one "range" of 4.
  const S = 1000;
  const job = record(
    { schedule: "every 1s", overlap: "replace", catchup: "all", catchupMax: 3 },
    T0,
    {
      cursor: T0 + 16 * S,
      nextSlot: T0 + 17 * S,
      nextDueAt: T0 + 17 * S,
      runs: [running(T0 + 13 * S)],
      backlog: [{ slot: T0 + 16 * S, trigger: "schedule" }],
    },
  );
  const r = advanceJob(job, context(T0 + 27 * S + 500));
  const ranges = [
    ...r.entries,
    ...(r.state.openRange
      ? [{
        slot: r.state.openRange.first,
        until: r.state.openRange.last,
        count: r.state.openRange.count,
      }]
      : []),
  ].map((e) => [e.slot - T0, (e.until ?? e.slot) - T0, e.count ?? 1]);
  for (const [first, last, count] of ranges) {
    assertEq((last! - first!) / S + 1, count, `range ${first}..${last}`);
  }
  assertEq(r.state.counters.missed + r.state.counters.skipped, 7 + 4);
});

Deno.test("advanceJob() claims the next slot ahead only when nothing of the job runs or waits", async (t) => {
  const slot = T0 + 5 * MIN;
  const ahead = (over = {}, state = {}) =>
    advanceJob(
      record(over, T0, state),
      context(slot - 200, { lookaheadUntil: slot + 50 }),
    );
  await t.step("an idle job: claimed, starting at its due time", () => {
    const r = ahead();
    assertEq(r.started.map((s) => [s.slot, s.startAt, s.trigger]), [[
      slot,
      slot,
      "schedule",
    ]]);
    assertEq(r.state.cursor, slot);
    assertEq(r.state.nextSlot, slot + 5 * MIN);
    assertEq(r.state.runCount, 1);
  });
  await t.step(
    "a running job: left for its due time (overlap decides then)",
    () => {
      const r = ahead({}, { runs: [running(T0, { instance: "me" })] });
      assertEq(r.started.length, 0);
      assertEq(r.state.cursor, T0);
    },
  );
  await t.step("a paused job, a waiting backlog, no capacity: left", () => {
    assertEq(ahead({}, { paused: true }).started.length, 0);
    const backlog = [{ slot: T0 - MIN, trigger: "manual" as const }];
    const queued = advanceJob(
      record({}, T0, { backlog, runs: [running(T0 - 2 * MIN)] }),
      context(slot - 200, { lookaheadUntil: slot + 50 }),
    );
    assertEq(queued.started.length, 0);
    const full = advanceJob(
      record({}),
      context(slot - 200, { lookaheadUntil: slot + 50, budget: { left: 0 } }),
    );
    assertEq(full.started.length, 0);
  });
  await t.step("a slot beyond the lookahead: left", () => {
    const r = advanceJob(
      record({}),
      context(slot - 200, { lookaheadUntil: slot - 1 }),
    );
    assertEq(r.changed, false);
  });
});

Deno.test("advanceJob() recovers a run claimed ahead by an instance that died before its slot", () => {
  const slot = T0 + 5 * MIN;
  const job = record({}, T0, {
    cursor: slot,
    nextSlot: slot + 5 * MIN,
    nextDueAt: slot + 5 * MIN,
    runCount: 1,
    runs: [running(slot, { claimedAt: slot - 200, startAt: slot })],
  });
  const r = advanceJob(job, context(slot + 20_000, { isDead: () => true }));
  assertEq(r.state.runs.length, 0);
  assertEq(r.state.counters.abandoned, 1);
  assertEq(r.entries.map((e) => "outcome" in e && e.outcome), ["abandoned"]);
});

Deno.test("advanceJob() treats a run of this instance's id as its own only with its incarnation", () => {
  // An id outlives processes: a run of an earlier process with this id is
  // that dead process's, whatever this process's own runs are.
  const job = record({ recover: "abandon" }, T0, {
    cursor: T0 + 5 * MIN,
    nextSlot: T0 + 10 * MIN,
    nextDueAt: T0 + 10 * MIN,
    runs: [
      running(T0 + 5 * MIN, {
        runId: "run-earlier",
        instance: "me",
        incarnation: "earlier",
      }),
    ],
  });
  const now = T0 + 6 * MIN;
  const mine = advanceJob(job, context(now, { incarnation: "earlier" }));
  assertEq(mine.changed, false, "its own incarnation keeps the run");
  const next = advanceJob(job, context(now, { incarnation: "now" }));
  assertEq(next.state.runs, []);
  assertEq(
    next.entries.map((e) => [e.slot, e.outcome, e.runId, e.instance]),
    [[T0 + 5 * MIN, "abandoned", "run-earlier", "me"]],
  );
  // Runs it claims carry its incarnation.
  const claimed = advanceJob(
    record({}),
    context(T0 + 5 * MIN, { incarnation: "now" }),
  );
  assertEq(claimed.started.map((r) => [r.instance, r.incarnation]), [[
    "me",
    "now",
  ]]);
});
