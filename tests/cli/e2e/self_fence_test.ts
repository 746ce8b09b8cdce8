// Self-fencing with real processes (issue 10, defect 2): a `tock start`
// stopped (SIGSTOP) during a retry's backoff for longer than the lease loses
// its run to another instance; when it is continued it must not run the
// retry, and says so (`run.fenced`).
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  describe,
  history,
  lines,
  sleep,
  spawnTock,
  succeeded,
  tempDir,
  tock,
  waitFor,
} from "./_cli.ts";

Deno.test("tock start stopped past the lease during a retry's backoff does not run the retry of the run it lost", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const out = `${tmp.path}/out.txt`;
  succeeded(
    await tock([
      "add",
      "flaky",
      "--schedule",
      "every 1h",
      "--retries",
      "1",
      "--backoff",
      "8s",
      "--cmd",
      // Attempt 1 fails; attempt 2 would succeed.
      'echo "$TOCK_RUN_ID $TOCK_ATTEMPT $TOCK_INSTANCE" >> out.txt; [ "$TOCK_ATTEMPT" -ge 2 ]',
      "--cwd",
      tmp.path,
    ], { store }),
  );
  const a = spawnTock(["start", "--instance", "a"], {
    store,
    timeoutMs: 60_000,
  });
  const b = spawnTock(["start", "--instance", "b"], {
    store,
    timeoutMs: 60_000,
  });
  try {
    // Let b watch a beat, then run the job in a.
    await sleep(2000);
    succeeded(await tock(["trigger", "flaky"], { store }));
    const [first] = await waitFor(async () => {
      const got = await lines(out);
      return got.length > 0 ? got : undefined;
    }, { what: "attempt 1" });
    const [runId, attempt, owner] = first!.split(" ");
    equal(attempt, "1");
    const [stopped, other] = owner === "a" ? [a, b] : [b, a];
    // Stopped during the 8 s backoff, for longer than the 10 s lease.
    stopped.kill("SIGSTOP");
    await waitFor(async () => {
      const entries = await history(store);
      return entries.some((e) => e.runId === runId);
    }, { timeoutMs: 25_000, what: "the other instance to take the run" });
    stopped.kill("SIGCONT");
    // The retry was due long ago; give it every chance to (wrongly) run.
    await sleep(3000);
    stopped.kill("SIGTERM");
    other.kill("SIGTERM");
    const stoppedResult = await stopped.done;
    equal(stoppedResult.code, 0, describe(stoppedResult));
    equal((await other.done).code, 0);
    deepEqual(
      (await lines(out)).filter((l) => l.startsWith(`${runId} `)),
      [`${runId} 1 ${owner}`],
      "the stopped instance ran the retry of a run it had lost",
    );
    const [entry] = (await history(store)).filter((e) => e.runId === runId);
    equal(entry?.outcome, "abandoned");
    ok(
      /flaky: run \S+ attempt 2 not started: .*\(fenced\)/.test(
        stoppedResult.stdout + stoppedResult.stderr,
      ),
      `no fenced line:\n${describe(stoppedResult)}\n${
        describe(await other.done)
      }`,
    );
  } finally {
    await a[Symbol.asyncDispose]();
    await b[Symbol.asyncDispose]();
  }
});
