// advanceJob() on gaps longer than one claim's walk (src/jobs/_collapse_gap.ts):
// the slots that cannot run are counted into ranges in one step, and every
// slot still gets exactly one outcome. Expected counts are worked out by hand
// (or by listing the slots with slotsBetween), never with countSlotsBetween.
import { deepEqual as assertEq, ok as assert } from "node:assert/strict";
import { advanceJob, type AdvanceResult } from "../../src/jobs/advance_job.ts";
import { scheduleOf } from "../../src/jobs/job_state.ts";
import { slotsBetween } from "../../src/schedule/slots_between.ts";
import type { JobRecord, Outcome } from "../../src/types.ts";
import { context, MIN, record, running, T0 } from "../runtime/_records.ts";

const SEC = 1000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

interface Span {
  note: string | undefined;
  first: number;
  last: number;
  count: number;
}

/** The ranges (and single entries) of one outcome a step left, oldest first. */
function spans(r: AdvanceResult, outcome: Outcome): Span[] {
  const out: Span[] = r.entries.filter((e) => e.outcome === outcome).map((
    e,
  ) => ({
    note: e.note,
    first: e.slot,
    last: e.until ?? e.slot,
    count: e.count ?? 1,
  }));
  const open = r.state.openRange;
  if (open?.outcome === outcome) {
    const { note, first, last, count } = open;
    out.push({ note, first, last, count });
  }
  return out;
}

/** G3 for one step of a fresh job: each of `total` slots has one outcome. */
function assertEverySlotOnce(job: JobRecord, r: AdvanceResult, total: number) {
  const { counters, runs, backlog } = r.state;
  const pending = runs.length + backlog.length;
  assertEq(counters.missed + counters.skipped + pending, total, "slots");
  assertEq(r.state.runCount - job.state.runCount, pending, "runCount");
  const ranged = [...spans(r, "missed"), ...spans(r, "skipped")];
  assertEq(ranged.reduce((n, s) => n + s.count, 0), total - pending, "ranges");
  assertEq(r.more, false, "more");
}

/** One year of per-second slots ending at `now`: the expected outcome. */
function assertYearOfSeconds(job: JobRecord, r: AdvanceResult, now: number) {
  const windowStart = now - DAY;
  assertEq(spans(r, "missed"), [
    {
      note: "window",
      first: T0 + SEC,
      last: windowStart - SEC,
      count: 364 * 86_400 - 1,
    },
    // The newest late slot (now - 3 s) is missed too: an on-time one runs.
    { note: "catchup", first: windowStart, last: now - 3 * SEC, count: 86_398 },
  ]);
  assertEq(r.started.map((s) => [s.slot, s.trigger]), [[
    now - 2 * SEC,
    "schedule",
  ]]);
  assertEq(spans(r, "skipped"), [
    { note: "overlap", first: now - SEC, last: now, count: 2 },
  ]);
  assertEq(r.state.cursor, now);
  assertEq(r.state.nextSlot, now + SEC);
  assertEverySlotOnce(job, r, 365 * 86_400);
  // Events: one item per range, not one per slot.
  assert(r.recorded.length < 10, `${r.recorded.length} recorded`);
}

Deno.test("advanceJob() settles a one-year gap of a per-second interval job in one step", () => {
  const job = record({ schedule: "every 1s" });
  const now = T0 + YEAR;
  assertYearOfSeconds(job, advanceJob(job, context(now)), now);
});

Deno.test("advanceJob() settles a one-year gap of a per-second cron job in one step", () => {
  const job = record({ schedule: "* * * * * *" });
  const now = T0 + YEAR;
  // Walking 31.5 million slots would take minutes: this returns at once
  // because it counts them (a speed is measured in benchmarks, not here).
  const r = advanceJob(job, context(now));
  assertYearOfSeconds(job, r, now);
});

Deno.test("advanceJob() settles an every-minute cron job whose startAt is ten years back in one step", () => {
  const startAt = Date.UTC(2016, 10, 29, 10);
  const job = record({ schedule: "* * * * *", startAt }, T0);
  const now = T0 + 30 * SEC; // the newest slot, T0, is 30 s late
  const r = advanceJob(job, context(now));
  const days = (T0 - startAt) / DAY; // 3652: 2020 and 2024 have Feb 29
  assertEq(days, 3652);
  assertEq(spans(r, "missed"), [
    {
      note: "window",
      first: startAt,
      last: T0 - DAY,
      count: (days - 1) * 1440 + 1,
    },
    { note: "catchup", first: T0 - DAY + MIN, last: T0 - MIN, count: 1439 },
  ]);
  assertEq(r.started.map((s) => [s.slot, s.trigger]), [[T0, "catchup"]]);
  assertEverySlotOnce(job, r, days * 1440 + 1);
});

Deno.test("advanceJob() counts a gap across both DST changes in Europe/Berlin exactly", async (t) => {
  const created = Date.UTC(2026, 2, 1); // 01:00 CET on 1 March
  const now = Date.UTC(2026, 11, 1, 0, 0, 30);
  const windowStart = now - DAY;
  const hours = (Date.UTC(2026, 10, 30) - created) / HOUR; // up to 30 Nov 01:00 CET
  await t.step(
    "fixed hours: the repeated 02:00 of 25 October runs once",
    () => {
      // 29 March skips 02:00; it runs at 03:00 CEST, itself a slot: one slot.
      const job = record({
        schedule: "0 0-23 * * *",
        tz: "Europe/Berlin",
        catchup: "none",
      }, created);
      const r = advanceJob(job, context(now));
      const listed = slotsBetween(
        scheduleOf(job.spec, created),
        created,
        windowStart,
        100_000,
      ).slots;
      assertEq(listed.length, hours - 1);
      assertEq(spans(r, "missed"), [
        {
          note: "window",
          first: created + HOUR,
          last: listed.at(-1)!,
          count: hours - 1,
        },
        // Inside the window: 24 slots, fewer than one walk, listed one by one.
        {
          note: "catchup",
          first: Date.UTC(2026, 10, 30, 1),
          last: Date.UTC(2026, 11, 1),
          count: 24,
        },
      ]);
      assertEverySlotOnce(job, r, hours - 1 + 24);
    },
  );
  await t.step("real time: both passes of the repeated hour run", () => {
    const job = record({
      schedule: "0 * * * *",
      tz: "Europe/Berlin",
      catchup: "none",
    }, created);
    const r = advanceJob(job, context(now));
    assertEq(spans(r, "missed")[0]!.count, hours);
    assertEverySlotOnce(job, r, hours + 24);
  });
});

Deno.test("advanceJob() settles a long gap under each catch-up policy", async (t) => {
  // Three days of every-minute slots; the newest is 30 s late, so none is
  // on time and the policy alone decides what runs.
  const now = T0 + 3 * DAY + 30 * SEC;
  const last = T0 + 3 * DAY;
  const window = {
    note: "window",
    first: T0 + MIN,
    last: T0 + 2 * DAY,
    count: 2 * 1440,
  };
  const cases = [
    ["latest", [last]],
    ["all", [4, 3, 2, 1, 0].map((k) => last - k * MIN)],
    ["none", []],
  ] as const;
  for (const [catchup, runs] of cases) {
    await t.step(`${catchup}: ${runs.length} run(s), the rest missed`, () => {
      const job = record({ schedule: "* * * * *", catchup, catchupMax: 5 });
      const r = advanceJob(job, context(now));
      assertEq(spans(r, "missed"), [window, {
        note: "catchup",
        first: T0 + 2 * DAY + MIN,
        last: last - runs.length * MIN,
        count: 1440 - runs.length,
      }]);
      const queued = [...r.state.runs, ...r.state.backlog];
      assertEq(queued.map((q) => [q.slot, q.trigger]), [
        ...runs.map((slot) => [slot, "catchup"]),
      ]);
      assertEq(r.started.length, Math.min(runs.length, 1));
      assertEverySlotOnce(job, r, 3 * 1440);
    });
  }
});

Deno.test("advanceJob() collapses only what cannot run: pause, overlap and endAt as before", async (t) => {
  const now = T0 + YEAR + 30 * SEC;
  await t.step("paused: every due slot skipped, one range", () => {
    const job = record({ schedule: "every 1s" }, T0, { paused: true });
    const r = advanceJob(job, context(now));
    assertEq(spans(r, "skipped"), [
      {
        note: "paused",
        first: T0 + SEC,
        last: now,
        count: now / SEC - T0 / SEC,
      },
    ]);
    assertEq(r.started.length, 0);
    assertEverySlotOnce(job, r, (now - T0) / SEC);
  });
  await t.step("a run active elsewhere: the catch-up slot overlaps it", () => {
    const job = record({ schedule: "* * * * *" }, T0, {
      runs: [running(T0 - MIN)],
    });
    const r = advanceJob(job, context(now));
    const missed = spans(r, "missed");
    assertEq(missed.map((s) => s.note), ["window", "catchup"]);
    assertEq(spans(r, "skipped"), [
      { note: "overlap", first: T0 + YEAR, last: T0 + YEAR, count: 1 },
    ]);
    assertEq(r.state.runs.map((run) => run.slot), [T0 - MIN]);
    assertEq(r.state.counters.missed + 1, 365 * 1440);
  });
  await t.step("endAt inside the gap: no slot after it, no next slot", () => {
    const endAt = T0 + 100 * DAY;
    const job = record({ schedule: "every 1s", endAt });
    const r = advanceJob(job, context(now));
    assertEq(spans(r, "missed"), [
      { note: "window", first: T0 + SEC, last: endAt, count: 100 * 86_400 },
    ]);
    assertEq(r.state.nextSlot, undefined);
    assertEq(r.state.cursor, endAt);
    assertEverySlotOnce(job, r, 100 * 86_400);
  });
  await t.step("the backlog (a manual slot) is kept and dispatched", () => {
    const backlog = [{ slot: T0 - 5 * SEC, trigger: "manual" as const }];
    const job = record({ schedule: "every 1s" }, T0, { backlog });
    const r = advanceJob(job, context(now));
    assertEq(r.started[0]?.trigger, "manual");
    assertEq(r.state.cursor, now);
    assertEq(spans(r, "missed")[0]!.count, 364 * 86_400 + 30 - 1);
  });
});
