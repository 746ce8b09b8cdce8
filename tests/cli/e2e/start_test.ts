// `tock start` as a daemon (SPEC §8): it runs due jobs, shows up in
// `status`, and on SIGTERM/SIGINT stops claiming, lets running jobs finish
// within the grace, records the rest `cancelled`, and exits 0.
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  assertNoProcessesLeft,
  describe,
  history,
  lines,
  RUN_OUTCOMES,
  sleep,
  spawnTock,
  succeeded,
  tempDir,
  tock,
  tockJson,
  uniqueSleep,
  waitFor,
} from "./_cli.ts";

Deno.test("tock start: SIGTERM lets short runs finish, cancels long ones, exits 0; a second SIGTERM is harmless", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const seconds = uniqueSleep(60);
  const add = (id: string, cmd: string) =>
    tock(
      ["add", id, "--schedule", "0 0 1 1 *", "--cmd", cmd, "--cwd", tmp.path],
      { store },
    );
  succeeded(
    await add(
      "quick",
      "echo started >> quick.txt; sleep 2; echo finished >> quick.txt",
    ),
  );
  succeeded(await add("long", `echo started >> long.txt; sleep ${seconds}`));
  succeeded(await tock(["trigger", "quick"], { store }));
  succeeded(await tock(["trigger", "long"], { store }));

  // `--grace` (not in SPEC §8; the default is 10 s) keeps this short.
  await using daemon = spawnTock([
    "start",
    "--instance",
    "solo",
    "--grace",
    "3s",
  ], {
    store,
    timeoutMs: 50_000,
  });
  await waitFor(
    async () =>
      (await lines(`${tmp.path}/quick.txt`)).includes("started") &&
      (await lines(`${tmp.path}/long.txt`)).includes("started"),
    { what: "both runs to start" },
  );

  // While the runs go on, other processes can read (and take the lock).
  const status = JSON.stringify(await tockJson(["status"], { store }));
  ok(status.includes("solo"), `status --json omits the instance: ${status}`);
  const statusText = succeeded(await tock(["status"], { store }));
  ok(statusText.includes("solo"), statusText);

  // A plain trigger of the running job is refused by its overlap policy
  // (skip) and recorded; --force starts a second run beside the first.
  succeeded(await tock(["trigger", "long"], { store }));
  succeeded(await tock(["trigger", "long", "--force"], { store }));
  await waitFor(
    async () => (await lines(`${tmp.path}/long.txt`)).length === 2,
    { what: "the forced run to start" },
  );

  const stopping = performance.now();
  daemon.kill("SIGTERM");
  await sleep(300);
  daemon.kill("SIGTERM");
  const result = await daemon.done;
  const stopMs = performance.now() - stopping;
  equal(result.code, 0, describe(result));
  ok(stopMs < 20_000, `took ${stopMs} ms to stop`);

  const entries = await history(store);
  const outcome = (job: string) =>
    entries.filter((e) => e.job === job && RUN_OUTCOMES.includes(e.outcome))
      .map((e) => e.outcome);
  deepEqual(outcome("quick"), ["succeeded"], JSON.stringify(entries));
  deepEqual(
    outcome("long"),
    ["cancelled", "cancelled"],
    JSON.stringify(entries),
  );
  ok(
    entries.some((e) =>
      e.job === "long" && e.outcome === "skipped" && e.trigger === "manual"
    ),
    `the refused trigger is not recorded skipped: ${JSON.stringify(entries)}`,
  );
  deepEqual(await lines(`${tmp.path}/quick.txt`), ["started", "finished"]);
  await assertNoProcessesLeft(`sleep ${seconds}`);
  const logged = result.stdout + result.stderr;
  ok(logged.includes("quick") && logged.includes("long"), describe(result));
});

Deno.test("tock start: runs due jobs, is seen by status, and SIGINT stops it with exit 0", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  succeeded(
    await tock([
      "add",
      "beat",
      "--schedule",
      "every 1s",
      "--cmd",
      'echo "$TOCK_SLOT $TOCK_INSTANCE" >> beat.txt',
      "--cwd",
      tmp.path,
    ], { store }),
  );
  await using daemon = spawnTock(
    ["start", "--instance", "idle-one", "--max-parallel", "2"],
    { store, timeoutMs: 40_000 },
  );
  const beats = await waitFor(async () => {
    const got = await lines(`${tmp.path}/beat.txt`);
    return got.length >= 2 ? got : undefined;
  }, { what: "two heartbeats" });
  ok(beats.every((l) => l.endsWith(" idle-one")), beats.join("\n"));
  const instances = JSON.stringify(await tockJson(["status"], { store }));
  ok(instances.includes("idle-one"), instances);

  daemon.kill("SIGINT");
  const result = await daemon.done;
  equal(result.code, 0, describe(result));
  const entries = await history(store, "beat");
  ok(entries.some((e) => e.outcome === "succeeded"), JSON.stringify(entries));
  for (const line of await lines(`${tmp.path}/beat.txt`)) {
    const slot = line.split(" ")[0];
    ok(
      entries.some((e) => e.slot === slot && e.instance === "idle-one"),
      `no history entry for ${line}`,
    );
  }
});

Deno.test("tock start: on SIGTERM a command that ignores SIGTERM is killed, not left behind", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const seconds = uniqueSleep(60);
  succeeded(
    await tock([
      "add",
      "stubborn",
      "--schedule",
      "0 0 1 1 *",
      "--cmd",
      `echo started >> stubborn.txt; trap '' TERM; sleep ${seconds}`,
      "--cwd",
      tmp.path,
    ], { store }),
  );
  succeeded(await tock(["trigger", "stubborn"], { store }));
  // `--grace` (not in SPEC §8; the default grace is 10 s) keeps this short.
  await using daemon = spawnTock(
    ["start", "--instance", "term", "--grace", "1s"],
    { store, timeoutMs: 40_000 },
  );
  await waitFor(
    async () => (await lines(`${tmp.path}/stubborn.txt`)).length > 0,
    { what: "the run to start" },
  );
  daemon.kill("SIGTERM");
  const result = await daemon.done;
  equal(result.code, 0, describe(result));
  const entries = await history(store, "stubborn");
  deepEqual(
    entries.filter((e) => RUN_OUTCOMES.includes(e.outcome)).map((e) =>
      e.outcome
    ),
    ["cancelled"],
  );
  // The process is SIGKILLed after the kill grace; it must not outlive tock.
  await assertNoProcessesLeft(`sleep ${seconds}`, { timeoutMs: 8_000 });
});
