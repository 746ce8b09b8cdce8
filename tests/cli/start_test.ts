// `tock start` and `tock tick`: the scheduler commands, in process (with an
// abort signal for SIGINT/SIGTERM) and once as a real process.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { cli, cliJson, tempDir } from "./_run.ts";

type Json = Record<string, unknown>;
const realNow = () => Date.now();

Deno.test("tock tick runs what is due, waits for it, and exits 0", async () => {
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  const opts = { now: realNow };
  equal(
    (await cli([
      "add",
      "hello",
      "--schedule",
      "@daily",
      "--cmd",
      'echo "hello $TOCK_JOB_ID $TOCK_TRIGGER"',
      ...s,
    ], opts)).code,
    0,
  );
  equal((await cli(["trigger", "hello", ...s], opts)).code, 0);
  const tick = await cli(["tick", ...s], opts);
  equal(tick.code, 0, tick.stderr);
  // Human output shortens run ids (as git shortens hashes).
  match(
    tick.stdout,
    /hello: run run-[0-9a-f]{8} started for slot .* \(manual\)/,
  );
  match(tick.stdout, /hello: run run-[0-9a-f]{8} succeeded in \d/);
  ok(!/instance .* started/.test(tick.stdout), "tick is quiet about itself");

  const [entry] = await cliJson<Json[]>(["history", "hello", ...s], opts);
  for (
    const key of [
      "job",
      "slot",
      "outcome",
      "trigger",
      "runId",
      "instance",
      "startedAt",
      "finishedAt",
      "attempt",
    ]
  ) {
    ok(entry && key in entry, `history --json has ${key}`);
  }
  equal(entry!.outcome, "succeeded");
  equal(entry!.trigger, "manual");
  equal(entry!.attempt, 1);
  match(String(entry!.finishedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  const logs = await cliJson<Json[]>(["logs", "hello", ...s], opts);
  equal(logs.length, 1);
  equal(logs[0]!.stdout, "hello hello manual\n");
  equal(logs[0]!.exitCode, 0);
  match(String(logs[0]!.startedAt), /Z$/);
  const runId = String(logs[0]!.runId);
  const byPrefix = await cliJson<Json[]>(
    ["logs", "hello", "--run", runId.slice(0, 12), ...s],
    opts,
  );
  equal(byPrefix.length, 1);
  // The short id printed is the whole id's prefix: --run takes it.
  const short = /run (run-[0-9a-f]{8}) started/.exec(tick.stdout)![1]!;
  ok(runId.startsWith(short), `${short} is a prefix of ${runId}`);
  const text = await cli(["logs", "hello", "--run", short, ...s], opts);
  match(text.stdout, new RegExp(`^== ${short} attempt 1 · slot .* · exit 0`));
  match(text.stdout, /^-- stdout\nhello hello manual$/m);

  // Nothing due: a tick is a quick no-op.
  const idle = await cli(["tick", ...s], opts);
  equal(idle.code, 0, idle.stderr);
  equal(idle.stdout, "");
});

/** Runs `tock start` in process until `until` has been printed, then stops it. */
async function startUntil(
  args: string[],
  until: RegExp,
  during?: () => Promise<void>,
) {
  const stop = new AbortController();
  const lines: string[] = [];
  const { promise: seen, resolve } = Promise.withResolvers<void>();
  const done = cli(["start", ...args], {
    now: realNow,
    signal: stop.signal,
    out: (text) => {
      lines.push(text);
      if (until.test(text)) resolve();
    },
  });
  await Promise.race([seen, done]);
  await during?.();
  stop.abort();
  const result = await done;
  return { ...result, stdout: lines.join("\n") };
}

Deno.test("tock start syncs its jobs file, runs until stopped, and exits 0", async () => {
  await using dir = await tempDir();
  const store = `${dir.path}/store`;
  const s = ["--store", store];
  const jobs = `${dir.path}/jobs.json`;
  const write = (ids: string[]) =>
    Deno.writeTextFile(
      jobs,
      JSON.stringify({
        jobs: ids.map((id) => ({ id, schedule: "@daily", cmd: "true" })),
      }),
    );
  await write(["a", "b"]);
  equal(
    (await cli(
      ["add", "manual", "--schedule", "@daily", "--cmd", "true", ...s],
      {
        now: realNow,
      },
    )).code,
    0,
  );
  let status: Json | undefined;
  const first = await startUntil(
    ["--jobs", jobs, "--instance", "one", ...s],
    /instance one started/,
    async () => {
      status = await cliJson<Json>(["status", ...s], { now: realNow });
    },
  );
  equal(first.code, 0, first.stderr);
  match(
    first.stdout,
    /instance one started \(store .*store, pid \d+, 3 jobs; jobs file .*jobs.json: 2 added, 0 changed, 0 removed\)/,
  );
  match(first.stdout, /instance one stopped/);
  const instances = status!.instances as Json[];
  equal(instances.length, 1);
  equal(instances[0]!.id, "one");
  equal(instances[0]!.alive, true);
  equal(instances[0]!.looksDead, false);
  equal(instances[0]!.pid, Deno.pid);
  ok("lockHold" in status! && "running" in status! && "jobs" in status!);
  deepEqual(Object.keys(status!.lockHold as Json).sort(), [
    "count",
    "maxMs",
    "p50Ms",
    "p99Ms",
  ]);

  const sources = Object.fromEntries(
    (await cliJson<Json[]>(["list", ...s], { now: realNow })).map((
      j,
    ) => [j.id, j.source]),
  );
  deepEqual(sources, { a: jobs, b: jobs, manual: null });

  // Dropping "b" from the file removes it; the job added by hand stays.
  await write(["a"]);
  const second = await startUntil(["--jobs", jobs, ...s], /started/);
  equal(second.code, 0, second.stderr);
  match(second.stdout, /0 added, 0 changed, 1 removed/);
  deepEqual(
    (await cliJson<Json[]>(["list", ...s], { now: realNow })).map((j) => j.id),
    ["a", "manual"],
  );
  const after = await cliJson<Json>(["status", ...s], { now: realNow });
  deepEqual(after.instances, [], JSON.stringify(after.instances));
});

Deno.test("tock start refuses the name of a live instance", async () => {
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  let second: { code: number; stderr: string } | undefined;
  const first = await startUntil(
    ["--instance", "twin", ...s],
    /started/,
    async () => {
      second = await cli(["start", "--instance", "twin", ...s], {
        now: realNow,
      });
    },
  );
  equal(first.code, 0);
  equal(second!.code, 1);
  match(
    second!.stderr,
    new RegExp(
      `^tock: Cannot take instance id 'twin': a running process holds it \\(pid ${Deno.pid}`,
    ),
  );
});

Deno.test("tock start as a process: SIGTERM twice stops once, cancels what outlives the grace, exits 0", async () => {
  await using dir = await tempDir();
  const store = `${dir.path}/store`;
  const s = ["--store", store];
  equal(
    (await cli([
      "add",
      "slow",
      "--schedule",
      "@daily",
      "--cmd",
      "sleep 30",
      ...s,
    ], {
      now: realNow,
    })).code,
    0,
  );
  equal((await cli(["trigger", "slow", ...s], { now: realNow })).code, 0);
  const main = new URL("../../src/cli/main.ts", import.meta.url).pathname;
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      config,
      main,
      "start",
      "--grace",
      "100ms",
      ...s,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  while (!/slow: run \S+ started/.test(stdout)) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += value;
  }
  child.kill("SIGTERM");
  child.kill("SIGTERM");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += value;
  }
  const status = await child.status;
  const stderr = await new Response(child.stderr).text();
  equal(status.code, 0, stderr);
  equal(stderr, "");
  equal(stdout.match(/received SIGTERM/g)?.length, 1, stdout);
  match(stdout, /slow: run \S+ cancelled/);
  match(stdout, /instance \S+ stopped/);
  const [entry] = await cliJson<Json[]>(["history", "slow", ...s], {
    now: realNow,
  });
  equal(entry!.outcome, "cancelled");
});
