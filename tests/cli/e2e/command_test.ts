// Outcomes of real command runs under `tock tick` (SPEC §3, §7): retries,
// failures, timeouts that leave no process behind.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import {
  assertNoProcessesLeft,
  lines,
  succeeded,
  tempDir,
  tock,
  tockJson,
  uniqueSleep,
} from "./_cli.ts";
import { runOnce } from "./_run_once.ts";

Deno.test("tock runs commands: retries, failures and timeouts", async (t) => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;

  await t.step("a failed first attempt is retried and succeeds", async () => {
    const { entry } = await runOnce(store, "flaky", [
      "--retries",
      "1",
      "--cmd",
      'echo "$TOCK_ATTEMPT $TOCK_TRIGGER $TOCK_SLOT $TOCK_RUN_ID" >> flaky.txt; [ "$TOCK_ATTEMPT" -ge 2 ]',
    ], { cwd: tmp.path });
    equal(entry.outcome, "succeeded", JSON.stringify(entry));
    equal(entry.attempt, 2);
    const got = (await lines(`${tmp.path}/flaky.txt`)).map((l) => l.split(" "));
    deepEqual(got.map((l) => l[0]), ["1", "2"]);
    deepEqual(got.map((l) => l[1]), ["manual", "retry"]);
    // A retry belongs to the same slot and run: one ledger entry, there.
    deepEqual(got.map((l) => l[2]), [entry.slot, entry.slot]);
    deepEqual(got.map((l) => l[3]), [entry.runId, entry.runId]);
  });

  await t.step(
    "a command that exits non-zero is failed; logs show why",
    async () => {
      const { entry } = await runOnce(store, "broken", [
        "--cmd",
        "echo 'disk on fire' >&2; exit 3",
      ]);
      equal(entry.outcome, "failed", JSON.stringify(entry));
      const logs = succeeded(await tock(["logs", "broken"], { store }));
      ok(logs.includes("disk on fire"), logs);
    },
  );

  await t.step(
    "a command that cannot start is failed; logs say it was not started",
    async () => {
      const missing = `${tmp.path}/no-such-dir`;
      const { entry } = await runOnce(store, "nowhere", [
        "--cmd",
        "true",
        "--cwd",
        missing,
      ]);
      equal(entry.outcome, "failed", JSON.stringify(entry));
      const text = succeeded(await tock(["logs", "nowhere"], { store }));
      ok(
        text.includes(`· not started: Cannot start command in "${missing}": `),
        text,
      );
      ok(!text.includes("killed by"), text);
      const [log] = await tockJson<Record<string, unknown>[]>(
        ["logs", "nowhere"],
        { store },
      );
      equal(log?.exitCode, null);
      equal(log?.signal, undefined);
      match(
        String(log?.error),
        new RegExp(`^Cannot start command in "${missing}": [^\n]+$`),
      );
    },
  );

  await t.step(
    "a command past its timeout is timed_out and leaves no process",
    async () => {
      const seconds = uniqueSleep(20);
      const { entry, tickMs } = await runOnce(store, "slow", [
        "--timeout",
        "1s",
        "--cmd",
        `sleep ${seconds}`,
      ]);
      equal(entry.outcome, "timed_out", JSON.stringify(entry));
      ok(tickMs < 15_000, `tick took ${tickMs} ms`);
      await assertNoProcessesLeft(`sleep ${seconds}`);
    },
  );

  await t.step(
    "a command's child that ignores SIGTERM is killed too",
    async () => {
      const seconds = uniqueSleep(20);
      const { entry } = await runOnce(store, "stubborn", [
        "--timeout",
        "1s",
        "--cmd",
        `trap '' TERM; sleep ${seconds}; echo done`,
      ]);
      equal(entry.outcome, "timed_out", JSON.stringify(entry));
      await assertNoProcessesLeft(`sleep ${seconds}`);
    },
  );
});
