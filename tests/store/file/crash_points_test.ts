// G4 (durable and crash-safe), G1 and G3 after a crash between any two
// durable steps of the file store. For every crash point (see
// src/store/file/_crash_points.ts), a child process (_crash_child.ts) creates a
// store and works it with the real claim step, outcome recording, run logs
// and heartbeats until SIGKILL ends it at that point; some points are also
// hit deep into the run (`point@n`), with runs in flight and compacted
// history. Then this process opens the store and checks: it opens (no
// corruption error) and every job and its history read; every commit the
// child saw resolve is there; the commit in flight is all there or not at
// all; and after a new instance has claimed for a while (recovering the
// dead child's runs once its lease expired), no slot was claimed twice (G1)
// and every slot is accounted for exactly once (G3).
import assert from "node:assert/strict";
import { createFileStore } from "../../../src/store/file/file_store.ts";
import type { JobStore } from "../../../src/store/store.ts";
import {
  CRASH_POINTS,
  type CrashPoint,
} from "../../../src/store/file/_crash_points.ts";
import { claimDueJobs } from "../../../src/turns/claim_due_jobs.ts";
import { upsertJob } from "../../../src/turns/manage_jobs.ts";
import { OutcomeBatch } from "../../../src/turns/outcome_batch.ts";
import { Liveness } from "../../../src/runtime/liveness.ts";
import { createScheduler } from "../../../src/runtime/scheduler.ts";
import { FakeClock } from "../../../src/testing/mod.ts";
import {
  CHILD_INSTANCE,
  type CommitSummary,
  COMPACT_BYTES,
  JOBS,
  LEASE_MS,
  T0,
} from "./_crash_child.ts";
import {
  checkClaimedOnce,
  checkLedger,
  type Claim,
  tracked,
} from "../_faults.ts";
import { collect } from "../../_helpers.ts";

const CHILD = new URL("./_crash_child.ts", import.meta.url).pathname;
const SCHEDULER_CHILD =
  new URL("./_crash_scheduler_child.ts", import.meta.url).pathname;
const ROOT = new URL("../../../", import.meta.url).pathname;
const PARALLEL = 8;
const RECOVERY = "recovery";

/** How deep into the run each family of points is hit a second time. */
const DEEP: Record<string, number> = {
  commit: 30,
  archive: 4,
  compact: 6,
  snapshot: 6,
  heartbeat: 25,
  log: 8,
};

interface Case {
  readonly point: CrashPoint;
  readonly hit: number;
  /** Archive rewrites happen only when pruning; other cases keep all. */
  readonly historyLimit: number;
  /** The scheduler child's lookahead (0: runs start as soon as claimed). */
  readonly lookaheadMs?: number;
}

function cases(): Case[] {
  const list: Case[] = [];
  for (const point of CRASH_POINTS) {
    const family = point.slice(0, point.indexOf("."));
    const rewrite = family === "archive" && point !== "archive.after-append";
    const historyLimit = rewrite ? 12 : 100_000;
    list.push({ point, hit: 1, historyLimit });
    const deep = DEEP[family];
    if (deep) list.push({ point, hit: deep, historyLimit });
  }
  return list;
}

interface ChildReport {
  readonly committed: CommitSummary[];
  readonly inFlight?: CommitSummary;
  readonly claims: Claim[];
  readonly now: number;
}

function parse(stdout: string): ChildReport {
  const started = new Map<number, CommitSummary>();
  const committed: CommitSummary[] = [];
  const claims: Claim[] = [];
  let now = T0;
  for (const line of stdout.split("\n")) {
    const [word, a, b, c] = line.split(" ");
    if (word === "commit") {
      started.set(Number(a), JSON.parse(line.slice(line.indexOf("{"))));
    } else if (word === "committed") {
      committed.push(started.get(Number(a))!);
      started.delete(Number(a));
    } else if (word === "claimed") {
      claims.push({
        job: a!,
        slot: Number(b),
        runId: c!,
        instance: CHILD_INSTANCE,
      });
    } else if (word === "now") now = Number(a);
  }
  assert.ok(started.size <= 1, `${started.size} commits in flight`);
  const inFlight = [...started.values()][0];
  return { committed, claims, now, ...(inFlight ? { inFlight } : {}) };
}

async function crashChild(
  dir: string,
  c: Case,
  child = CHILD,
): Promise<ChildReport> {
  const name = c.hit === 1 ? c.point : `${c.point}@${c.hit}`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      child,
      dir,
      String(c.historyLimit),
      String(c.lookaheadMs ?? 250),
    ],
    cwd: ROOT,
    env: { TOCK_CRASH_POINT: name },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(
    output.signal,
    "SIGKILL",
    `the child did not die at ${name}: code ${output.code}, ${
      stdout.includes("finished") ? "it finished" : stderr
    }`,
  );
  assert.equal(stderr, `crash point ${c.point}\n`);
  return parse(stdout);
}

/** G4: the store opens, and every job and its history read. */
async function openAfterCrash(dir: string, c: Case): Promise<JobStore> {
  const store = await createFileStore({
    dir,
    compactBytes: COMPACT_BYTES,
    historyLimit: c.historyLimit,
    pollMs: 60_000,
  });
  for (const { spec } of await store.jobs()) {
    assert.ok(await store.job(spec.id));
    await store.history({ job: spec.id });
  }
  await store.history();
  return store;
}

/** Nothing committed is lost, and the commit in flight is all or nothing. */
async function checkCommits(store: JobStore, report: ChildReport) {
  const version = async (id: string) => (await store.job(id))?.state.version;
  for (const commit of report.committed) {
    for (const id of commit.creates) {
      assert.ok(await version(id) !== undefined, `created job ${id} is lost`);
    }
    for (const [id, v] of commit.states) {
      assert.ok((await version(id) ?? 0) >= v, `job ${id} version ${v} lost`);
    }
  }
  const commit = report.inFlight;
  if (!commit) return;
  const applied: boolean[] = [];
  for (const id of commit.creates) {
    applied.push(await version(id) !== undefined);
  }
  for (const [id, v] of commit.states) {
    const stored = await version(id);
    assert.ok(stored === v || stored === v - 1, `job ${id} at ${stored}`);
    applied.push(stored === v);
  }
  assert.ok(
    applied.every((a) => a === applied[0]),
    `the commit in flight is half applied: ${
      JSON.stringify(commit)
    } ${applied}`,
  );
}

/**
 * A new instance (the restarted process) applies its jobs again, as a jobs
 * file would, and claims for a while; the dead child's runs are recovered.
 */
async function recover(store: JobStore, report: ChildReport): Promise<Claim[]> {
  const clock = new FakeClock(report.now, { settle: () => Promise.resolve() });
  for (const { ms: _, ...job } of JOBS) {
    await upsertJob(store, job, { now: clock.now() });
  }
  const liveness = new Liveness(RECOVERY, LEASE_MS);
  const claims: Claim[] = [];
  let running: Claim[] = [];
  let runs = 0;
  const outcomes = new OutcomeBatch(store);
  const finish = async () => {
    for (const run of running) {
      await outcomes.record(run.job, {
        runId: run.runId,
        outcome: "succeeded",
        attempt: 1,
        finishedAt: clock.now(),
      });
    }
    running = [];
  };
  for (let step = 1; step * 1000 <= LEASE_MS + 8000; step++) {
    await clock.tick(1000);
    await store.heartbeat({
      id: RECOVERY,
      startedAt: report.now,
      heartbeatAt: clock.now(),
      beat: step,
    });
    await finish();
    const isDead = liveness.observe(await store.instances(), clock.monotonic());
    const result = await claimDueJobs({
      store,
      clock,
      instance: RECOVERY,
      capacity: 100,
      canRun: () => true,
      isDead,
      newRunId: () => `recovered-${++runs}`,
    });
    for (const { run, spec } of result.started) {
      const claim = {
        job: spec.id,
        slot: run.slot,
        runId: run.runId,
        instance: RECOVERY,
      };
      claims.push(claim);
      running.push(claim);
    }
  }
  await finish();
  for (const { spec, state } of await store.jobs()) {
    assert.deepEqual(
      state.runs.filter((r) => r.instance === CHILD_INSTANCE),
      [],
      `job ${spec.id} still has runs of the dead child`,
    );
  }
  return claims;
}

async function tempFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const sub of ["", "/ledger"]) {
    for await (const entry of Deno.readDir(dir + sub)) {
      if (entry.name.endsWith(".tmp")) found.push(`${sub}/${entry.name}`);
    }
  }
  return found;
}

async function runCase(c: Case, child = CHILD): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "tock-crash-" });
  const dir = `${root}/.tock`;
  try {
    const report = await crashChild(dir, c, child);
    {
      await using store = await openAfterCrash(dir, c);
      await checkCommits(store, report);
      const claims = await recover(store, report);
      checkClaimedOnce([...report.claims, ...claims]);
      assert.ok(claims.length > 0, "the new instance claimed nothing");
      await checkLedger(store, c.historyLimit);
    }
    // The new instance compacted (closing waits for the compaction it
    // began, which writes outside the lock): nothing of the crash is left.
    assert.deepEqual(await tempFiles(dir), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("file store: a SIGKILL at any crash point loses no commit and breaks no guarantee (G1, G3, G4)", async (t) => {
  const all = cases();
  const results = new Map<Case, unknown>();
  let next = 0;
  const worker = async () => {
    while (next < all.length) {
      const c = all[next++]!;
      try {
        await runCase(c);
        results.set(c, undefined);
      } catch (error) {
        results.set(c, error ?? new Error("failed"));
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  for (const c of all) {
    await t.step(`${c.point}${c.hit > 1 ? `@${c.hit}` : ""}`, () => {
      const error = results.get(c);
      if (error !== undefined) throw error;
    });
  }
  // Every point was reached (a child that never reached it fails its step).
  assert.deepEqual(
    new Set(
      all.filter((c) => results.get(c) === undefined).map((c) => c.point),
    ),
    new Set(CRASH_POINTS),
  );
});

Deno.test("file store: a real scheduler killed inside its Nth claim commit had started no run of that claim (G1, G4)", async (t) => {
  // The child reports each run as its handler starts. A run started before
  // its claim was durable belongs to a claim the crash can lose: the new
  // instance then claims and runs the slot again.
  const all: Case[] = [
    ["claim.before-write", 1, 0],
    ["claim.before-write", 2, 0],
    ["claim.before-write", 4, 0],
    ["claim.before-write", 6, 0],
    ["claim.before-write", 3, 250],
    ["claim.after-write", 3, 0],
    ["claim.after-sync", 2, 0],
    ["claim.after-sync", 6, 250],
  ].map(([point, hit, lookaheadMs]) => ({
    point: point as CrashPoint,
    hit: hit as number,
    historyLimit: 100_000,
    lookaheadMs: lookaheadMs as number,
  }));
  const results = await Promise.allSettled(
    all.map((c) => runCase(c, SCHEDULER_CHILD)),
  );
  for (const [k, c] of all.entries()) {
    await t.step(`${c.point}@${c.hit}, lookahead ${c.lookaheadMs}`, () => {
      const result = results[k]!;
      if (result.status === "rejected") throw result.reason;
    });
  }
});

Deno.test("createScheduler() restarted under a killed instance's id recovers the runs it left", async () => {
  // `tock start --instance NAME` after a SIGKILL: the runs the dead process
  // claimed carry the new process's own id, so no liveness check ever finds
  // them dead; they must not hold their jobs (overlap: skip) forever.
  const c: Case = { point: "commit.after-write", hit: 30, historyLimit: 1e5 };
  const root = await Deno.makeTempDir({ prefix: "tock-crash-" });
  const dir = `${root}/.tock`;
  try {
    const report = await crashChild(dir, c);
    const opened = await openAfterCrash(dir, c);
    const left = (await opened.jobs()).flatMap((r) =>
      r.state.runs.map((run) => `${r.spec.id}@${run.slot}`)
    );
    assert.ok(left.length > 0, "the crash left no run to recover");
    const { store, quiet } = tracked(opened);
    const clock = new FakeClock(report.now, { settle: quiet });
    const ran: Claim[] = [];
    {
      await using scheduler = await createScheduler({
        store,
        clock,
        instance: CHILD_INSTANCE,
        heartbeatMs: 60_000,
        runners: {
          command: (_, { jobId, slot, runId }) => {
            ran.push({
              job: jobId,
              slot: slot.getTime(),
              runId,
              instance: CHILD_INSTANCE,
            });
            return Promise.resolve();
          },
        },
      });
      const abandoned = collect(scheduler, "slot.abandoned");
      await clock.tick(10_000);
      await scheduler.idle();
      assert.deepEqual(
        abandoned.map((e) => `${e.detail.job}@${e.detail.slot?.getTime()}`)
          .sort(),
        left.sort(),
      );
      for (const job of JOBS) {
        assert.ok(ran.some((r) => r.job === job.id), `${job.id} never ran`);
      }
    }
    checkClaimedOnce([...report.claims, ...ran]);
    await checkLedger(store);
    await store.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
