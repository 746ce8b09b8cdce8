// Clock faults in a real process: `tock start` runs per-second command jobs
// while the test moves its wall clock through the test-only offset file
// (TOCK_TEST_CLOCK_FILE; monotonic time stays real). Each run appends
// "<job> <slot> <trigger>" to a side-effect file.
import { deepEqual, equal, ok } from "node:assert/strict";
import { runCli } from "../../src/cli/main.ts";
import {
  assertHistoryShape,
  describe,
  history,
  type HistoryEntry,
  lines,
  sleep,
  spawnTock,
  succeeded,
  tempDir,
  tock,
  waitFor,
} from "../cli/e2e/_cli.ts";

const SEC = 1000;
const HOUR = 3_600_000;
const JOBS = ["latest", "all", "none"] as const;
const CATCHUP_MAX = 3;

interface SideRun {
  readonly job: string;
  readonly slot: number;
  readonly trigger: string;
}

async function sideRuns(path: string): Promise<SideRun[]> {
  return (await lines(path)).map((line) => {
    const [job, slot, trigger] = line.split(" ");
    return { job: job!, slot: Date.parse(slot!), trigger: trigger! };
  });
}

function perJob(runs: readonly SideRun[], job: string): SideRun[] {
  return runs.filter((r) => r.job === job);
}

/** Expands a job's ledger to its slots (ranges on the job's grid). */
function ledgerSlots(entries: readonly HistoryEntry[], step: number): number[] {
  const slots: number[] = [];
  for (const e of entries) {
    const first = Date.parse(e.slot);
    const last = e.until === undefined ? first : Date.parse(e.until);
    equal(
      (last - first) / step + 1,
      e.count ?? 1,
      `range off the grid: ${JSON.stringify(e)}`,
    );
    for (let s = first; s <= last; s += step) slots.push(s);
  }
  return slots;
}

/**
 * Each job runs one slot at a time here (overlap skip or queue), so its
 * lines are in slot order: a slot that ran twice, or an older slot run
 * after a newer one (a cursor moved back), breaks the order.
 */
function assertSlotOrder(runs: readonly SideRun[], what: string) {
  const last = new Map<string, number>();
  for (const r of runs) {
    const before = last.get(r.job);
    if (before !== undefined && r.slot <= before) {
      throw new Error(
        `${what}: ${r.job} ran ${new Date(r.slot).toISOString()} after ${
          new Date(before).toISOString()
        }`,
      );
    }
    last.set(r.job, r.slot);
  }
}

Deno.test("tock start under wall-clock jumps: +2 h applies each catch-up policy once, -2 h runs no slot twice", async () => {
  await using dir = await tempDir();
  const store = `${dir.path}/store`;
  const offset = `${dir.path}/offset`;
  const side = `${dir.path}/side.txt`;
  const setOffset = (ms: number) => Deno.writeTextFile(offset, `${ms}\n`);
  await setOffset(0);
  const command = (id: string) => ({
    id,
    schedule: "* * * * * *",
    catchup: id,
    ...(id === "all" ? { catchupMax: CATCHUP_MAX } : {}),
    cmd: 'echo "$TOCK_JOB_ID $TOCK_SLOT $TOCK_TRIGGER" >> "$SIDE"',
    env: { SIDE: side },
  });
  await Deno.writeTextFile(
    `${dir.path}/jobs.json`,
    JSON.stringify({
      jobs: [
        ...JOBS.map(command),
        // Always running or queued, so every claim handles it, the clock
        // ahead of the wall or behind it.
        {
          id: "slow",
          schedule: "*/2 * * * * *",
          overlap: "queue",
          cmd:
            'echo "$TOCK_JOB_ID $TOCK_SLOT $TOCK_TRIGGER" >> "$SIDE"; sleep 3',
          env: { SIDE: side },
        },
        // Changing this job wakes a scheduler that sleeps (see phase 4).
        { id: "poke", schedule: "0 0 1 1 *", cmd: "true" },
      ],
    }),
  );
  const started = Date.now();
  const jobsFile = `${dir.path}/jobs.json`;
  await using daemon = spawnTock(
    ["start", "--jobs", jobsFile, "--grace", "5s"],
    {
      store,
      env: { TOCK_TEST_CLOCK_FILE: offset },
      timeoutMs: 45_000,
    },
  );
  const count = async (job: string) => perJob(await sideRuns(side), job);

  // Phase 1: on time.
  await waitFor(
    async () =>
      (await Promise.all(JOBS.map(count))).every((r) => r.length >= 2),
    { what: "two runs of each job", timeoutMs: 15_000 },
  );

  // Phase 2: the wall clock jumps 2 h forward.
  const jumpedAt = Date.now();
  await setOffset(2 * HOUR);
  const after = jumpedAt + 2 * HOUR - 2 * SEC;
  await waitFor(
    async () =>
      (await Promise.all(JOBS.map(count))).every((r) =>
        r.filter((x) => x.slot >= after).length >= 2
      ),
    { what: "runs after the forward jump", timeoutMs: 10_000 },
  );
  await sleep(1000);
  let runs = await sideRuns(side);
  const catchups = (job: string) =>
    perJob(runs, job).filter((r) => r.trigger === "catchup");
  ok(catchups("latest").length <= 1, JSON.stringify(catchups("latest")));
  equal(catchups("none").length, 0);
  const all = catchups("all");
  equal(all.length, CATCHUP_MAX, `catchup all: ${JSON.stringify(all)}`);
  ok(
    all.every((r, i) =>
      r.slot >= jumpedAt + 2 * HOUR - 10 * SEC &&
      (i === 0 || r.slot > all[i - 1]!.slot)
    ),
    `the newest late slots, oldest first: ${JSON.stringify(all)}`,
  );
  // No storm: about one run per real second, plus the catch-up runs.
  const elapsed = Math.ceil((Date.now() - started) / SEC);
  for (const job of JOBS) {
    ok(
      perJob(runs, job).length <= elapsed + CATCHUP_MAX + 2,
      `${job}: ${perJob(runs, job).length} runs in ${elapsed} s`,
    );
  }
  assertSlotOrder(runs, "after +2 h");

  // Phase 3: the wall clock jumps back 2 h (to real time). Every slot up
  // to 2 h from now has its outcome: nothing may run.
  await setOffset(0);
  await sleep(1500); // the offset is re-read, runs in flight end
  const before = await sideRuns(side);
  await sleep(3500);
  runs = await sideRuns(side);
  for (const job of JOBS) {
    equal(
      perJob(runs, job).length,
      perJob(before, job).length,
      `${job} ran after the backward jump`,
    );
  }
  assertSlotOrder(runs, "after -2 h");

  // Phase 4: the clock is set right again (+2 h): the jobs resume past their
  // cursors. The scheduler sleeps up to 30 s when nothing is due for hours,
  // so a change to the store (another process's commit) wakes it at once.
  await setOffset(2 * HOUR);
  await sleep(300);
  succeeded(await tock(["pause", "poke"], { store }));
  await waitFor(
    async () => (await sideRuns(side)).length >= runs.length + 2 * JOBS.length,
    { what: "runs after the clock was set right", timeoutMs: 10_000 },
  );
  daemon.kill("SIGTERM");
  const result = await daemon.done;
  equal(result.code, 0, describe(result));
  runs = await sideRuns(side);
  assertSlotOrder(runs, "at the end");
  ok(Date.now() - started < 30_000, "the test stays under 30 s");

  // The ledger agrees: every slot once, ranges included, and every run in
  // the side-effect file is a ledger run.
  const ledger = await history(store);
  assertHistoryShape(ledger);
  for (const job of [...JOBS, "slow"]) {
    const entries = ledger.filter((e) => e.job === job);
    const step = job === "slow" ? 2 * SEC : SEC;
    const slots = ledgerSlots(entries, step);
    equal(new Set(slots).size, slots.length, `${job}: a slot twice in ledger`);
    const sorted = [...slots].sort((a, b) => a - b);
    deepEqual(
      sorted.filter((s, i) => i > 0 && s - sorted[i - 1]! !== step),
      [],
      `${job}: the ledger has a gap`,
    );
    const ran = new Set(
      entries.filter((e) => e.runId !== undefined).map((e) =>
        Date.parse(e.slot)
      ),
    );
    for (const r of perJob(runs, job)) {
      ok(ran.has(r.slot), `${job} ${new Date(r.slot).toISOString()} ran`);
    }
    if (job === "slow") continue;
    const missed = entries.filter((e) => e.outcome === "missed")
      .reduce((n, e) => n + (e.count ?? 1), 0);
    ok(
      missed >= 2 * 3600 - 10,
      `${job}: ${missed} missed slots for a 2 h jump`,
    );
  }
});

Deno.test("runCli() with TOCK_TEST_CLOCK_FILE shifts its wall clock by the file's offset; a malformed or missing file shifts nothing", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/offset`;
  const env = (name: string) =>
    name === "TOCK_TEST_CLOCK_FILE" ? file : undefined;
  // `next` counts from the command line's wall clock. Each runCli() call
  // makes its clock afresh (a running `start` re-reads the file instead,
  // as the test above shows).
  const firstSlot = async () => {
    const out: string[] = [];
    const code = await runCli(["next", "every 1h", "--json", "--count", "1"], {
      out: (text) => out.push(text),
      env,
    });
    equal(code, 0);
    return Date.parse(
      (JSON.parse(out.join("")) as { slot: string }[])[0]!.slot,
    );
  };
  const near = (a: number, b: number) => Math.abs(a - b) < 5 * SEC;
  await Deno.writeTextFile(file, `${-48 * HOUR}\n`);
  ok(near(await firstSlot(), Date.now() - 47 * HOUR), "48 h back");
  await Deno.writeTextFile(file, `+${5 * HOUR}`);
  ok(near(await firstSlot(), Date.now() + 6 * HOUR), "5 h ahead");
  for (const text of ["", "soon", "1.5", "1e3", "99999999999999999999"]) {
    await Deno.writeTextFile(file, text);
    ok(near(await firstSlot(), Date.now() + HOUR), JSON.stringify(text));
  }
  await Deno.remove(file);
  ok(near(await firstSlot(), Date.now() + HOUR), "file removed");
});
