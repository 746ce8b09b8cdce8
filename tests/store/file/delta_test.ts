import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeChanges,
  encodeChanges,
  type EncodedBatch,
} from "../../../src/store/file/_delta.ts";
import type { StoreChange } from "../../../src/store/store.ts";
import type { ActiveRun, JobState } from "../../../src/types.ts";
import { propertyParams } from "../../properties/_runs.ts";

const T0 = Date.UTC(2026, 0, 1);

function run(n: number, extra: Partial<ActiveRun> = {}): ActiveRun {
  return {
    runId: `run-${n}`,
    slot: T0 + n * 1000,
    trigger: "schedule",
    instance: "a",
    claimedAt: T0,
    ...extra,
  };
}

const BASE: JobState = {
  version: 1,
  createdAt: T0,
  updatedAt: T0,
  paused: false,
  cursor: T0,
  nextSlot: T0 + 1000,
  nextDueAt: T0 + 1000,
  runs: [run(1), run(2), run(3)],
  backlog: [],
  runCount: 0,
  counters: {
    succeeded: 0,
    failed: 0,
    timed_out: 0,
    cancelled: 0,
    skipped: 0,
    missed: 0,
    abandoned: 0,
  },
};

/** What a reader of the journal line gets for `after`. */
function roundTrip(before: JobState, after: JobState): JobState {
  const line = JSON.stringify(
    encodeChanges(() => before, [{ type: "job.state", id: "a", state: after }]),
  );
  const [change] = decodeChanges(
    () => before,
    JSON.parse(line) as EncodedBatch,
  );
  assert.equal(change?.type, "job.state");
  return (change as Extract<StoreChange, { type: "job.state" }>).state;
}

function json<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

Deno.test("a claim is journaled as the fields it changed and the run it added", () => {
  const after: JobState = {
    ...BASE,
    version: 2,
    cursor: T0 + 1000,
    nextSlot: T0 + 2000,
    nextDueAt: T0 + 2000,
    runs: [...BASE.runs, run(4, { startAt: T0 + 1000 })],
    runCount: 1,
  };
  const batch = encodeChanges(() => BASE, [{
    type: "job.state",
    id: "a",
    state: after,
  }]);
  assert.deepEqual(batch, {
    changes: [{
      type: "job.patch",
      id: "a",
      set: {
        version: 2,
        cursor: T0 + 1000,
        nextSlot: T0 + 2000,
        nextDueAt: T0 + 2000,
        runCount: 1,
      },
      runs: {
        claim: [{
          runId: "run-4",
          slot: T0 + 4000,
          trigger: "schedule",
          startAt: T0 + 1000,
        }],
      },
    }],
    claimedBy: { instance: "a", claimedAt: T0 },
  });
  assert.deepEqual(roundTrip(BASE, after), json(after));
});

Deno.test("an outcome is journaled as the run removed and the counter moved", () => {
  const after: JobState = {
    ...BASE,
    version: 2,
    runs: [BASE.runs[0]!, BASE.runs[2]!],
    counters: { ...BASE.counters, succeeded: 1 },
    last: { slot: T0 + 2000, outcome: "succeeded", at: T0 + 2500 },
  };
  const { changes: [patch] } = encodeChanges(() => BASE, [{
    type: "job.state",
    id: "a",
    state: after,
  }]);
  assert.deepEqual(patch, {
    type: "job.patch",
    id: "a",
    set: { version: 2, last: after.last },
    counters: { succeeded: 1 },
    runs: { drop: ["run-2"] },
  });
  assert.deepEqual(roundTrip(BASE, after), json(after));
});

Deno.test("a run changed in the middle, a field removed, and a later change of the same job in one batch decode as written", () => {
  const changed: JobState = {
    ...BASE,
    version: 2,
    runs: [
      BASE.runs[0]!,
      { ...BASE.runs[1]!, cancelRequested: true },
      BASE
        .runs[2]!,
    ],
  };
  const { nextSlot: _, nextDueAt: __, ...ended } = { ...changed, version: 3 };
  const changes: StoreChange[] = [
    { type: "job.state", id: "a", state: changed },
    { type: "job.state", id: "a", state: ended },
  ];
  const line = JSON.parse(JSON.stringify(encodeChanges(() => BASE, changes)));
  assert.deepEqual(line.changes[1].unset, ["nextSlot", "nextDueAt"]);
  assert.deepEqual(decodeChanges(() => BASE, line), json(changes));
});

Deno.test("a patch of a job that does not exist is refused", () => {
  assert.throws(
    () =>
      decodeChanges(() => undefined, {
        changes: [{ type: "job.patch", id: "gone", set: { version: 2 } }],
      }),
    /job "gone" does not exist/,
  );
});

/** A new state made from `BASE` as the job functions make one: by spreading. */
const afterArb: fc.Arbitrary<JobState> = fc.record({
  version: fc.integer({ min: 2, max: 9 }),
  cursor: fc.option(fc.integer({ min: T0, max: T0 + 1e6 }), { nil: undefined }),
  nextSlot: fc.option(fc.option(fc.integer({ min: T0, max: T0 + 1e6 })), {
    nil: undefined,
  }),
  paused: fc.option(fc.boolean(), { nil: undefined }),
  keep: fc.subarray(BASE.runs.map((_, i) => i)),
  copy: fc.boolean(),
  added: fc.array(
    fc.record({
      n: fc.integer({ min: 5, max: 50 }),
      by: fc.constantFrom("a", "b"),
      incarnation: fc.option(fc.constantFrom("x", "y"), { nil: undefined }),
    }),
    { maxLength: 3 },
  ),
  backlog: fc.constantFrom("same", "new empty", "one"),
  counter: fc.option(fc.constantFrom(...Object.keys(BASE.counters)), {
    nil: undefined,
  }),
  shuffle: fc.boolean(),
}).map((m) => {
  const state: Record<string, unknown> = { ...BASE, version: m.version };
  if (m.cursor !== undefined) state.cursor = m.cursor;
  if (m.nextSlot === null) delete state.nextSlot;
  else if (m.nextSlot !== undefined) state.nextSlot = m.nextSlot;
  if (m.paused !== undefined) state.paused = m.paused;
  let runs = m.keep.map((i) => m.copy ? { ...BASE.runs[i]! } : BASE.runs[i]!)
    .concat(
      m.added.map(({ n, by, incarnation }) =>
        run(n, { instance: by, ...(incarnation ? { incarnation } : {}) })
      ),
    );
  if (m.backlog === "new empty") state.backlog = [];
  if (m.backlog === "one") state.backlog = [{ slot: T0, trigger: "manual" }];
  if (m.shuffle) runs = runs.toReversed();
  if (m.keep.length !== BASE.runs.length || m.added.length > 0 || m.copy) {
    state.runs = runs;
  }
  if (m.counter) {
    state.counters = { ...BASE.counters, [m.counter]: 7 };
  }
  return state as unknown as JobState;
});

Deno.test("every journaled patch decodes to the state it was made from (property)", () => {
  fc.assert(
    fc.property(afterArb, (after) => {
      assert.deepEqual(roundTrip(BASE, after), json(after));
    }),
    propertyParams(300),
  );
});

/** A claim of `BASE`'s next slot, as `advanceJob` makes one. */
function claimOf(extra: Partial<ActiveRun> = {}): JobState {
  const slot = BASE.nextSlot!;
  return {
    ...BASE,
    version: BASE.version + 1,
    updatedAt: T0 + 500,
    cursor: slot,
    runCount: BASE.runCount + 1,
    nextSlot: slot + 1000,
    nextDueAt: slot + 1000,
    runs: [...BASE.runs, {
      runId: "run-9",
      slot,
      trigger: "schedule",
      instance: "b",
      incarnation: "x",
      claimedAt: T0 + 500,
      startAt: slot,
      ...extra,
    }],
  };
}

Deno.test("a claim of the next slot is journaled in its short form", () => {
  const after = claimOf();
  const batch = encodeChanges(() => BASE, [
    { type: "job.state", id: "a", state: after },
  ]);
  assert.deepEqual(batch, {
    changes: [{
      type: "job.claim",
      id: "a",
      runId: "run-9",
      slot: T0 + 1000,
      next: T0 + 2000,
    }],
    claimedBy: { instance: "b", incarnation: "x", claimedAt: T0 + 500 },
  });
  assert.ok(JSON.stringify(batch.changes[0]).length < 100);
  assert.deepEqual(roundTrip(BASE, after), json(after));
  const { nextSlot: _, nextDueAt: __, ...last } = after;
  assert.deepEqual(roundTrip(BASE, last), json(last));
});

/** Ways a claim can differ from what the short form stands for. */
const claimVariantArb = fc.constantFrom(
  "exact",
  "started later",
  "due later",
  "catch-up",
  "another claimer",
  "not counted",
  "version skipped",
  "paused too",
  "cancel asked",
  "two runs",
);

Deno.test("a claim is journaled short only when it decodes to the state it stands for (property)", () => {
  fc.assert(
    fc.property(claimVariantArb, fc.boolean(), (variant, second) => {
      const exact = claimOf();
      const made = exact.runs.at(-1)!;
      const after: JobState = {
        "exact": exact,
        "started later": claimOf({ startAt: made.slot + 1 }),
        "due later": { ...exact, nextDueAt: exact.nextSlot! + 7 },
        "catch-up": claimOf({ trigger: "catchup" }),
        "another claimer": claimOf({ claimedAt: T0 + 501 }),
        "not counted": { ...exact, runCount: BASE.runCount },
        "version skipped": { ...exact, version: BASE.version + 2 },
        "paused too": { ...exact, paused: true },
        "cancel asked": claimOf({ cancelRequested: true }),
        "two runs": { ...exact, runs: [...exact.runs, run(10)] },
      }[variant];
      // A second job claimed first in the same batch sets its claimer.
      const changes: StoreChange[] = [
        ...(second
          ? [{ type: "job.state" as const, id: "b", state: claimOf() }]
          : []),
        { type: "job.state", id: "a", state: after },
      ];
      const line = JSON.parse(
        JSON.stringify(encodeChanges(() => BASE, changes)),
      ) as EncodedBatch;
      assert.equal(
        line.changes.at(-1)!.type,
        variant === "exact" ? "job.claim" : "job.patch",
      );
      assert.deepEqual(decodeChanges(() => BASE, line), json(changes));
    }),
    propertyParams(100),
  );
});
