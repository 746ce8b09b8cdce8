// The demo files are part of the product: `examples/jobs.json` (what
// `deno task start` runs) must load and show its policies at work, and
// `examples/three_instances.ts` must run and end by itself.
import { equal, ok } from "node:assert/strict";
import {
  describe,
  history,
  type HistoryEntry,
  ROOT,
  spawnTock,
  succeeded,
  tempDir,
  tock,
  waitFor,
} from "./_cli.ts";

Deno.test("examples/jobs.json: start runs its jobs and shows each policy within seconds", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  await using daemon = spawnTock(
    [
      "start",
      "--jobs",
      "examples/jobs.json",
      "--instance",
      "demo",
      "--grace",
      "1s",
    ],
    { store, cwd: ROOT, timeoutMs: 55_000 },
  );
  const has = (
    entries: HistoryEntry[],
    job: string,
    test: (e: HistoryEntry) => boolean,
  ) => entries.some((e) => e.job === job && test(e));
  const seen = await waitFor(async () => {
    const entries = await history(store);
    const all = has(entries, "heartbeat", (e) => e.outcome === "succeeded") &&
      has(entries, "hello-module", (e) => e.outcome === "succeeded") &&
      has(
        entries,
        "flaky",
        (e) => e.outcome === "succeeded" && e.attempt === 2,
      ) &&
      has(entries, "too-slow", (e) => e.outcome === "timed_out") &&
      has(entries, "slow-skip", (e) => e.outcome === "skipped");
    return all ? entries : undefined;
  }, {
    timeoutMs: 40_000,
    intervalMs: 500,
    what: "every demo job to show its policy",
  });
  daemon.kill("SIGTERM");
  const result = await daemon.done;
  equal(result.code, 0, describe(result));
  ok(seen.length > 0);

  const jobs = await tock(["list", "--json"], { store });
  const ids = (JSON.parse(succeeded(jobs)) as { id: string }[]).map((j) =>
    j.id
  );
  for (const id of ["heartbeat", "slow-queue", "nightly"]) {
    ok(ids.includes(id), `${id} not loaded from examples/jobs.json`);
  }
  const logs = succeeded(await tock(["logs", "hello-module"], { store }));
  ok(logs.includes("hello from hello-module"), logs);
});

Deno.test("examples/three_instances.ts runs three instances, finds no duplicate and exits by itself", async () => {
  const script = `${ROOT}examples/three_instances.ts`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const out = new TextDecoder().decode(stdout);
  equal(code, 0, `${out}\n${new TextDecoder().decode(stderr)}`);
  ok(/instance a: \d+ runs/.test(out), out);
  ok(/OK: \d+ \(job, slot\) pairs, each ran exactly once/.test(out), out);
});
