// A tock instance that works a file store until a crash point kills it
// (run by crash_points_test.ts with TOCK_CRASH_POINT set). It creates the
// store, adds jobs and runs the real claim step, outcome recording, run logs
// and heartbeats on a fake clock, one second per step, with a small
// `compactBytes` so that compactions happen every few commits.
//
// Usage: deno run -A _crash_child.ts <dir> <historyLimit>
//
// It reports on stdout, one line each, written before the next step:
//   commit <k> <summary JSON>   a commit is about to be made
//   committed <k>               commit k resolved (it is durable)
//   claimed <job> <slot> <run>  a run was claimed (its commit resolved)
//   now <ms>                    the wall time of the step
//   finished                    the steps ran out without a crash
import { createFileStore } from "../../../src/store/file/file_store.ts";
import type { JobStore, StoreChange } from "../../../src/store/store.ts";
import type { JobInput } from "../../../src/jobs/define_job.ts";
import { claimDueJobs } from "../../../src/turns/claim_due_jobs.ts";
import { addJob } from "../../../src/turns/manage_jobs.ts";
import { OutcomeBatch } from "../../../src/turns/outcome_batch.ts";
import { Liveness } from "../../../src/runtime/liveness.ts";
import { FakeClock } from "../../../src/testing/mod.ts";

export const CHILD_INSTANCE = "crashing";
export const LEASE_MS = 5_000;
export const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);
export const STEPS = 60;
export const COMPACT_BYTES = 3000;

/** The jobs the child starts with; `ms` is how long each run takes. */
export const JOBS: readonly (JobInput & { ms: number })[] = [
  { id: "fast", schedule: "every 1s", cmd: "true", ms: 0 },
  { id: "slow", schedule: "every 2s", cmd: "true", ms: 3000 },
  {
    id: "queued",
    schedule: "every 3s",
    cmd: "true",
    overlap: "queue",
    ms: 4000,
  },
  {
    id: "cron",
    schedule: "*/5 * * * * *",
    cmd: "true",
    overlap: "allow",
    ms: 6000,
  },
];

/** What a commit changes, for the all-or-nothing check. */
export interface CommitSummary {
  /** Jobs it creates. */
  readonly creates: string[];
  /** Jobs whose state it sets, with the new version. */
  readonly states: [string, number][];
  /** Ledger entries it appends. */
  readonly ledger: number;
}

const encoder = new TextEncoder();

async function say(line: string): Promise<void> {
  const bytes = encoder.encode(line + "\n");
  let done = 0;
  while (done < bytes.length) {
    done += await Deno.stdout.write(bytes.subarray(done));
  }
}

function summarise(changes: readonly StoreChange[]): CommitSummary {
  const summary = {
    creates: [] as string[],
    states: [] as [string, number][],
    ledger: 0,
  };
  for (const change of changes) {
    if (change.type === "job.create") summary.creates.push(change.job.spec.id);
    else if (change.type === "job.state") {
      summary.states.push([change.id, change.state.version]);
    } else if (change.type === "ledger.append") summary.ledger++;
  }
  return summary;
}

/** The store, with every commit reported before and after. */
function reporting(store: JobStore): JobStore {
  let k = 0;
  const commit: JobStore["commit"] = async (lease, changes) => {
    const n = ++k;
    await say(`commit ${n} ${JSON.stringify(summarise(changes))}`);
    await store.commit(lease, changes);
    await say(`committed ${n}`);
  };
  return new Proxy(store, {
    get(target, key) {
      if (key === "commit") return commit;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function main(dir: string, historyLimit: number): Promise<void> {
  const clock = new FakeClock(T0, { settle: () => Promise.resolve() });
  const store = reporting(
    await createFileStore({
      dir,
      compactBytes: COMPACT_BYTES,
      historyLimit,
      pollMs: 60_000,
    }),
  );
  const liveness = new Liveness(CHILD_INSTANCE, LEASE_MS);
  let beat = 0;
  const heartbeat = () =>
    store.heartbeat({
      id: CHILD_INSTANCE,
      startedAt: T0,
      heartbeatAt: clock.now(),
      beat: ++beat,
    });
  await heartbeat();
  const durations = new Map<string, number>();
  for (const { ms, ...job } of JOBS) {
    durations.set(job.id, ms);
    await addJob(store, job, { now: clock.now() });
  }
  const running: { job: string; runId: string; slot: number; ends: number }[] =
    [];
  let runs = 0;
  for (let step = 1; step <= STEPS; step++) {
    await clock.tick(1000);
    const now = clock.now();
    await say(`now ${now}`);
    await heartbeat();
    const isDead = liveness.observe(await store.instances(), clock.monotonic());
    const result = await claimDueJobs({
      store,
      clock,
      instance: CHILD_INSTANCE,
      capacity: 8 - running.length,
      canRun: () => true,
      isDead,
      newRunId: () => `run-${++runs}`,
    });
    for (const { run, spec } of result.started) {
      await say(`claimed ${spec.id} ${run.slot} ${run.runId}`);
      const ends = now + (durations.get(spec.id) ?? 0);
      running.push({ job: spec.id, runId: run.runId, slot: run.slot, ends });
    }
    for (const run of running.filter((r) => r.ends <= now)) {
      running.splice(running.indexOf(run), 1);
      const outcome = runs % 4 === 0 ? "failed" : "succeeded";
      await store.saveLog({
        job: run.job,
        runId: run.runId,
        attempt: 1,
        slot: run.slot,
        instance: CHILD_INSTANCE,
        startedAt: run.slot,
        finishedAt: now,
        exitCode: outcome === "failed" ? 1 : 0,
        stdout: `${run.job} ${run.slot}\n`,
        stderr: "",
        truncated: false,
      });
      await new OutcomeBatch(store).record(run.job, {
        runId: run.runId,
        outcome,
        attempt: 1,
        startedAt: run.slot,
        finishedAt: now,
      });
    }
    if (step % 9 === 0) {
      const id = `added-${step}`;
      durations.set(id, 1000);
      await addJob(store, { id, schedule: "every 2s", cmd: "true" }, { now });
    }
  }
  await say("finished");
  await store.close();
}

if (import.meta.main) {
  const [dir, limit] = Deno.args;
  await main(dir!, Number(limit ?? 10_000));
}
