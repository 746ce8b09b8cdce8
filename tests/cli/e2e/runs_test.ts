// Running jobs with `tock tick` (SPEC §7, §8): the command's environment,
// history --json, logs, trigger, backfill, pause and resume.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import {
  assertHistoryShape,
  assertIso,
  history,
  type HistoryEntry,
  lines,
  RUN_OUTCOMES,
  sleep,
  succeeded,
  tempDir,
  tickUntil,
  tock,
  tockJson,
} from "./_cli.ts";

const RECORD =
  'echo "$TOCK_JOB_ID $TOCK_SLOT $TOCK_ATTEMPT $TOCK_TRIGGER" >> out.txt';

function runs(entries: readonly HistoryEntry[]): HistoryEntry[] {
  return entries.filter((e) => RUN_OUTCOMES.includes(e.outcome));
}

Deno.test("tock tick runs a due command job; history and logs show it", async (t) => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const out = `${tmp.path}/out.txt`;
  succeeded(
    await tock([
      "add",
      "beat",
      "--schedule",
      "* * * * * *",
      "--cmd",
      `${RECORD}; echo "$TOCK_RUN_ID $TOCK_INSTANCE $GREETING" >> env.txt; ` +
      `echo "stdout of $TOCK_RUN_ID"; echo "to stderr" >&2`,
      "--cwd",
      tmp.path,
      "--env",
      "GREETING=hello=world",
    ], { store }),
  );

  const [line] = await tickUntil(store, async () => {
    const got = await lines(out);
    return got.length > 0 ? got : undefined;
  });

  let run!: HistoryEntry;
  await t.step(
    "the command saw its job, slot, attempt and trigger",
    async () => {
      const [job, slot, attempt, trigger] = line!.split(" ");
      equal(job, "beat");
      assertIso(slot, "TOCK_SLOT");
      equal(attempt, "1");
      ok(trigger === "schedule" || trigger === "catchup", `trigger ${trigger}`);
      const entries = await history(store, "beat");
      assertHistoryShape(entries);
      const succeededRuns = entries.filter((e) => e.outcome === "succeeded");
      equal(succeededRuns.length, 1, JSON.stringify(entries));
      run = succeededRuns[0]!;
      equal(run.job, "beat");
      equal(run.slot, slot);
      equal(run.trigger, trigger);
      equal(run.attempt, 1);
      ok(run.instance!.length > 0);
    },
  );

  await t.step("the command saw its run id, instance and --env", async () => {
    const [env] = await lines(`${tmp.path}/env.txt`);
    equal(env, `${run.runId} ${run.instance} hello=world`);
  });

  await t.step("history (text) shows the outcome", async () => {
    const text = succeeded(await tock(["history", "beat"], { store }));
    match(text, /succeeded/);
    ok(text.includes("beat"));
  });

  await t.step("logs shows the run's stdout and stderr", async () => {
    const text = succeeded(await tock(["logs", "beat"], { store }));
    ok(text.includes(`stdout of ${run.runId}`), text);
    ok(text.includes("to stderr"), text);
    const one = succeeded(
      await tock(["logs", "beat", "--run", run.runId!], { store }),
    );
    ok(one.includes(`stdout of ${run.runId}`), one);
    const json = JSON.stringify(
      await tockJson(["logs", "beat", "--run", run.runId!], { store }),
    );
    ok(json.includes(`stdout of ${run.runId}`), json);
  });

  await t.step("update keeps the job's history", async () => {
    succeeded(
      await tock(["update", "beat", "--schedule", "0 0 1 1 *"], { store }),
    );
    const entries = await history(store, "beat");
    ok(
      entries.some((e) => e.runId === run.runId && e.outcome === "succeeded"),
      JSON.stringify(entries),
    );
  });

  await t.step("remove deletes the job", async () => {
    succeeded(await tock(["remove", "beat"], { store }));
    const listed = await tockJson<{ id: string }[]>(["list"], { store });
    deepEqual(listed, []);
  });
});

Deno.test("tock trigger runs once per click, --force adds a run, backfill runs past slots oldest first", async (t) => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const out = `${tmp.path}/out.txt`;
  const add = (id: string, schedule: string) =>
    tock(
      ["add", id, "--schedule", schedule, "--cmd", RECORD, "--cwd", tmp.path],
      { store },
    );
  succeeded(await add("manual", "0 0 1 1 *"));

  await t.step("a double trigger gives one manual run", async () => {
    succeeded(await tock(["trigger", "manual"], { store }));
    succeeded(await tock(["trigger", "manual"], { store }));
    await tickUntil(store, async () => (await lines(out)).length > 0);
    succeeded(await tock(["tick"], { store }));
    const got = await lines(out);
    equal(got.length, 1, got.join("\n"));
    const [job, slot, attempt, trigger] = got[0]!.split(" ");
    deepEqual([job, attempt, trigger], ["manual", "1", "manual"]);
    assertIso(slot, "TOCK_SLOT");
    const entries = runs(await history(store, "manual"));
    equal(entries.length, 1);
    deepEqual(
      [entries[0]!.slot, entries[0]!.outcome, entries[0]!.trigger],
      [slot, "succeeded", "manual"],
    );
  });

  await t.step("trigger --force gives another run", async () => {
    succeeded(await tock(["trigger", "manual", "--force"], { store }));
    await tickUntil(store, async () => (await lines(out)).length > 1);
    const entries = runs(await history(store, "manual"));
    equal(entries.length, 2, JSON.stringify(entries));
    ok(entries.every((e) => e.trigger === "manual"));
  });

  await t.step("history --limit keeps the newest", async () => {
    const all = await history(store, "manual");
    const limited = await tockJson<HistoryEntry[]>(
      ["history", "manual", "--limit", "1"],
      { store },
    );
    equal(limited.length, 1);
    const newest = runs(all).map((e) => e.slot).sort().at(-1);
    equal(limited[0]!.slot, newest);
    const anyJob = await tockJson<HistoryEntry[]>(["history", "--limit", "1"], {
      store,
    });
    equal(anyJob.length, 1);
  });

  await t.step(
    "backfill runs every slot of a past range, oldest first",
    async () => {
      succeeded(await add("hourly", "0 * * * *"));
      const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
      const expected = [3, 2, 1].map((n) =>
        new Date(hour - n * 3_600_000).toISOString()
      );
      const from = new Date(hour - 3.5 * 3_600_000).toISOString();
      const to = new Date(hour - 0.5 * 3_600_000).toISOString();
      succeeded(
        await tock(["backfill", "hourly", "--from", from, "--to", to], {
          store,
        }),
      );
      const ran = async () =>
        (await lines(out)).filter((l) => l.startsWith("hourly "));
      await tickUntil(store, async () => (await ran()).length >= 3, {
        tries: 20,
      });
      const slots = (await ran()).map((l) => l.split(" ")[1]);
      deepEqual(slots, expected, "backfilled slots, in the order they ran");
      const entries = runs(await history(store, "hourly"));
      deepEqual(entries.map((e) => e.slot).sort(), expected);
      ok(entries.every((e) => e.outcome === "succeeded"));
      assertHistoryShape(entries);
    },
  );
});

Deno.test("tock pause records skipped slots as ranges; resume does not replay them", async (t) => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const out = `${tmp.path}/out.txt`;
  succeeded(
    await tock([
      "add",
      "held",
      "--schedule",
      "* * * * * *",
      "--cmd",
      RECORD,
      "--cwd",
      tmp.path,
    ], { store }),
  );
  succeeded(
    await tock(["pause", "held", "--note", "maintenance"], { store }),
  );
  // A real wait: slots must fall while the job is paused.
  await sleep(2_500);
  succeeded(await tock(["tick"], { store }));

  await t.step("the paused slots are recorded, not run", async () => {
    const entries = await history(store, "held");
    assertHistoryShape(entries);
    deepEqual(runs(entries), [], "a paused job ran");
    deepEqual(await lines(out), []);
    const notRun = entries.filter((e) =>
      e.outcome === "skipped" || e.outcome === "missed"
    );
    const total = notRun.reduce((n, e) => n + (e.count ?? 1), 0);
    ok(total >= 2, `only ${total} paused slots recorded`);
    ok(
      notRun.some((e) => e.count !== undefined && e.count >= 2),
      `no range entry with a count: ${JSON.stringify(entries)}`,
    );
    ok(
      entries.some((e) => e.outcome === "skipped"),
      `paused slots not recorded skipped: ${JSON.stringify(entries)}`,
    );
  });

  await t.step("resume runs new slots only", async () => {
    const resumed = Date.now();
    succeeded(await tock(["resume", "held"], { store }));
    await tickUntil(store, async () => (await lines(out)).length > 0);
    for (const line of await lines(out)) {
      const slot = Date.parse(line.split(" ")[1]!);
      ok(slot >= resumed - 1_000, `replayed a paused slot: ${line}`);
    }
  });
});
