// A real scheduler (createScheduler, the xstate actors, the start timer and
// the outcome batch) on a file store, with the jobs of _crash_child.ts run
// by a stub command runner, until a `claim.*` crash point kills it (run by
// crash_points_test.ts with TOCK_CRASH_POINT set). Every run reports its
// start before anything else, so a run started before its claim was durable
// shows up as a slot started here and claimed again after the crash.
//
// Usage: deno run -A _crash_scheduler_child.ts <dir> <unused> <lookaheadMs>
//
// It reports on stdout, one line each:
//   claimed <job> <slot> <run>  a run started (the handler's first act)
//   now <ms>                    the wall time, every 100 ms
//   finished                    it ran 20 s without a crash
import { createFileStore } from "../../../src/store/file/file_store.ts";
import { createScheduler } from "../../../src/runtime/scheduler.ts";
import { addJob } from "../../../src/turns/manage_jobs.ts";
import { delay } from "../../../src/clock.ts";
import {
  CHILD_INSTANCE,
  COMPACT_BYTES,
  JOBS,
  LEASE_MS,
} from "./_crash_child.ts";

const encoder = new TextEncoder();

function say(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let done = 0;
  while (done < bytes.length) {
    done += Deno.stdout.writeSync(bytes.subarray(done));
  }
}

async function main(dir: string, lookaheadMs: number): Promise<void> {
  await using store = await createFileStore({
    dir,
    compactBytes: COMPACT_BYTES,
    pollMs: 60_000,
  });
  const durations = new Map(JOBS.map((job) => [job.id, job.ms]));
  for (const { ms: _, ...job } of JOBS) {
    await addJob(store, job, { now: Date.now() });
  }
  await using _scheduler = await createScheduler({
    store,
    instance: CHILD_INSTANCE,
    leaseMs: LEASE_MS,
    heartbeatMs: 1000,
    lookaheadMs,
    gracePeriodMs: 1,
    runners: {
      command: async (_, { jobId, slot, runId, signal }) => {
        say(`claimed ${jobId} ${slot.getTime()} ${runId}`);
        await delay(durations.get(jobId) ?? 0, signal);
      },
    },
  });
  for (let i = 0; i < 200; i++) {
    say(`now ${Date.now()}`);
    await delay(100);
  }
  say("finished");
}

if (import.meta.main) await main(Deno.args[0]!, Number(Deno.args[2] ?? 250));
