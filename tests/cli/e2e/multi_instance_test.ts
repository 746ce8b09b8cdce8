// Three real `tock start` processes on one store (SPEC §4 G1): every
// (job, slot) runs once, and `history --json` agrees with what ran.
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  assertHistoryShape,
  describe,
  history,
  lines,
  RUN_OUTCOMES,
  sleep,
  spawnTock,
  succeeded,
  tempDir,
  tock,
  waitFor,
} from "./_cli.ts";

const JOBS = ["j1", "j2", "j3"];
const INSTANCES = ["a", "b", "c"];

Deno.test("tock start x3 on one store: each (job, slot) runs once and history agrees", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const out = `${tmp.path}/out.txt`;
  for (const id of JOBS) {
    succeeded(
      await tock([
        "add",
        id,
        "--schedule",
        "* * * * * *",
        "--cmd",
        'echo "$TOCK_JOB_ID $TOCK_SLOT $TOCK_INSTANCE" >> out.txt',
        "--cwd",
        tmp.path,
      ], { store }),
    );
  }

  const daemons = INSTANCES.map((name) =>
    spawnTock(["start", "--instance", name], { store, timeoutMs: 50_000 })
  );
  try {
    // Let them run side by side for a few seconds of real time, once every
    // job has run at least once.
    await waitFor(async () => {
      const seen = new Set((await lines(out)).map((l) => l.split(" ")[0]));
      return JOBS.every((job) => seen.has(job));
    }, { what: "every job to run" });
    await sleep(4_000);
    for (const daemon of daemons) daemon.kill("SIGTERM");
    for (const daemon of daemons) {
      const result = await daemon.done;
      equal(result.code, 0, describe(result));
    }
  } finally {
    for (const daemon of daemons) await daemon[Symbol.asyncDispose]();
  }

  const ran = await lines(out);
  const byKey = new Map<string, string[]>();
  for (const line of ran) {
    const [job, slot, instance] = line.split(" ");
    ok(JOBS.includes(job!) && INSTANCES.includes(instance!), line);
    const key = `${job} ${slot}`;
    byKey.set(key, [...byKey.get(key) ?? [], instance!]);
  }
  const twice = [...byKey].filter(([, by]) => by.length > 1);
  deepEqual(twice, [], "a (job, slot) ran more than once");
  for (const job of JOBS) {
    const count = ran.filter((l) => l.startsWith(`${job} `)).length;
    ok(count >= 3, `${job} ran only ${count} times in ~5 s`);
  }

  const entries = await history(store);
  assertHistoryShape(entries);
  const runs = entries.filter((e) => RUN_OUTCOMES.includes(e.outcome));
  const recorded = new Map<string, string[]>();
  for (const e of runs) {
    const key = `${e.job} ${e.slot}`;
    recorded.set(key, [...recorded.get(key) ?? [], e.instance ?? "?"]);
  }
  deepEqual(
    [...recorded].filter(([, by]) => by.length > 1),
    [],
    "history records a (job, slot) twice",
  );
  for (const [key, [instance]] of byKey) {
    deepEqual(recorded.get(key), [instance], `history of ${key}`);
  }
  for (const e of runs.filter((e) => e.outcome === "succeeded")) {
    ok(
      byKey.has(`${e.job} ${e.slot}`),
      `recorded but never ran: ${e.job} ${e.slot}`,
    );
  }
});
