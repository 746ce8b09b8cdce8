// The CPU split of a profile by part of a run's life, and the lock turns
// it uses for store code resumed after an `await`.
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  type CpuProfile,
  type LockTurn,
  splitProfile,
} from "../../bench/_cpu_split.ts";
import { recordLockTurns } from "../../bench/_profile.ts";
import { createMemoryStore } from "../../src/store/memory_store.ts";
import { withStoreLock } from "../../src/store/with_store_lock.ts";

const REPO = "file:///repo/";

/** A call tree: each node `[name, file, children]`, ids in depth order. */
type Tree = readonly [string, string, readonly Tree[]];

function profileOf(
  root: Tree,
  samples: readonly (readonly [string, number])[],
): CpuProfile {
  const nodes: {
    id: number;
    callFrame: { functionName: string; url: string };
    children: number[];
  }[] = [];
  const ids = new Map<string, number>();
  const add = ([name, file, children]: Tree): number => {
    const id = nodes.length + 1;
    const node = {
      id,
      callFrame: { functionName: name, url: file === "" ? "" : REPO + file },
      children: [] as number[],
    };
    nodes.push(node);
    ids.set(name, id);
    for (const child of children) node.children.push(add(child));
    return id;
  };
  add(root);
  // Each sample lasts until the next: 1 ms apart, from 0.
  return {
    nodes,
    startTime: 0,
    endTime: samples.length * 1000,
    samples: samples.map(([name]) => ids.get(name)!),
    timeDeltas: samples.map((_, i) => (i === 0 ? 0 : 1000)),
  };
}

const TREE: Tree = ["(root)", "", [
  ["(garbage collector)", "", []],
  ["(idle)", "", []],
  ["claimLocked", "src/turns/claim_due_jobs.ts", [
    ["prepareBatch", "src/store/file/_journal.ts", []],
  ]],
  ["commit", "src/store/file/_state.ts", [
    ["applyChanges", "src/store/_state.ts", []],
  ]],
  ["#runAttempt", "src/runtime/job_runs.ts", [
    ["runHandler", "src/executors/run_handler.ts", []],
    ["send", "npm/xstate/dist/raise.js", [
      ["#notify", "src/runtime/job_runs.ts", []],
    ]],
  ]],
  ["#start", "src/runtime/job_runs.ts", [
    ["microstep", "npm/xstate/dist/raise.js", []],
  ]],
  ["#flush", "src/turns/outcome_batch.ts", []],
  ["archiveItems", "src/store/file/_archive.ts", []],
  ["lagHandler", "bench/scenarios/start_lag.ts", []],
  ["onLockReleased", "bench/scenarios/start_lag.ts", []],
]];

Deno.test("splitProfile() attributes each sample by its stack, or its lock turn", async (t) => {
  const profile = profileOf(TREE, [
    ["prepareBatch", 0], // claim: claimLocked is on its stack
    ["applyChanges", 1], // no caller: the claim's lock turn
    ["applyChanges", 2], // no caller: an outcome batch's turn
    ["applyChanges", 3], // no caller, no turn
    ["runHandler", 4], // the attempt's handler: start
    ["#runAttempt", 5], // the attempt's own frame: start
    ["#notify", 6], // its answer to the actor: outcome
    ["microstep", 7], // a transition the start loop sent: start
    ["#flush", 8],
    ["archiveItems", 9],
    ["(garbage collector)", 10],
    ["(idle)", 11],
    ["lagHandler", 12], // the run's handler: start
    ["onLockReleased", 13], // the bench's own listener
  ]);
  // Out of order: they are sorted.
  const turns: LockTurn[] = [
    { from: 2, to: 2.5, part: "outcome" },
    { from: 0.5, to: 1.5, part: "claim" },
  ];
  const split = splitProfile(profile, {
    from: 0,
    to: Infinity,
    turns,
    toPerfMs: (us) => us / 1000,
    repo: REPO,
  });
  await t.step("every part", () => {
    equal(split.samples, 14);
    deepEqual(split.ms, {
      claim: 2,
      start: 4,
      outcome: 3,
      compaction: 1,
      upkeep: 0,
      unowned: 1,
      gc: 1,
      program: 0,
      bench: 1,
      idle: 1,
    });
    deepEqual(split.byTurnMs.claim, 1);
    deepEqual(split.byTurnMs.outcome, 1);
    deepEqual(split.byTurnMs.unowned, 1);
    equal(split.byTurnMs.start, 0);
  });
  await t.step("only the window's samples", () => {
    const window = splitProfile(profile, {
      from: 4,
      to: 6,
      turns,
      toPerfMs: (us) => us / 1000,
      repo: REPO,
    });
    equal(window.samples, 2);
    equal(window.ms.start, 2);
  });
  await t.step("the profile's clock mapped onto performance.now()", () => {
    // The profile's 0 is 100 ms on the other clock: the claim's turn
    // moves with it.
    const shifted = splitProfile(profile, {
      from: 100,
      to: Infinity,
      turns: turns.map((r) => ({ ...r, from: r.from + 100, to: r.to + 100 })),
      toPerfMs: (us) => us / 1000 + 100,
      repo: REPO,
    });
    deepEqual(shifted.ms, split.ms);
  });
});

Deno.test("recordLockTurns() times each lease and tells whose it was", async () => {
  await using store = createMemoryStore();
  const turns: LockTurn[] = [];
  const recorded = recordLockTurns(store, turns);
  // Named as the claim step is: its lease is the claim's.
  async function claimDueJobs() {
    return await withStoreLock(recorded, {}, async (lease) => {
      // The store accepts the lease (its own object) through the wrapper.
      await recorded.commit(lease, []);
      return await recorded.read(lease, ["x"]);
    });
  }
  deepEqual(await claimDueJobs(), []);
  await withStoreLock(recorded, {}, () => {});
  equal(turns.length, 2);
  deepEqual(turns.map((r) => r.part), ["claim", "unowned"]);
  for (const turn of turns) ok(turn.to >= turn.from);
  // Everything else is the store's own.
  deepEqual(await recorded.jobs(), []);
});
