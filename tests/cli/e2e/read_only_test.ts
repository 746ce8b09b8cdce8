// The read commands (list, show, history, status, logs, next) on a store
// directory the process may not write: real `tock` processes run with the
// permissions of `deno task tock`, plus `--deny-write` on the store, so any
// write (a probe file, a mkdir, the lock file) fails with NotCapable.
import { deepEqual, equal, match } from "node:assert/strict";
import { cli } from "../_run.ts";
import { createFileStore } from "../../../src/store/file/file_store.ts";
import {
  assertUnchanged,
  describe,
  snapshotDir,
  succeeded,
  tempDir,
  tock,
} from "./_cli.ts";

/** The flags of `deno task tock` before `uid` was added to `--allow-sys`. */
function permissions(store: string, sys = "hostname"): string[] {
  return [
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    "--allow-net",
    `--allow-sys=${sys}`,
    `--deny-write=${store}`,
  ];
}

Deno.test("tock read commands work on a store directory they may not write", async (t) => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const s = ["--store", store];
  // Seeded in process: a job with one recorded run and its log, and the
  // heartbeat of an instance.
  const ran = await cli(
    ["add", "a", "--schedule", "0 0 1 1 *", "--cmd", "echo hi", ...s],
    { now: () => Date.now() },
  );
  equal(ran.code, 0, ran.stderr);
  equal((await cli(["trigger", "a", ...s], { now: () => Date.now() })).code, 0);
  const tick = await cli(["tick", ...s], { now: () => Date.now() });
  equal(tick.code, 0, tick.stderr);
  {
    await using writer = await createFileStore({ dir: store });
    const now = Date.now();
    await writer.heartbeat({
      id: "alpha",
      host: "box",
      pid: 1,
      startedAt: now,
      heartbeatAt: now,
      beat: 1,
    });
  }
  // Without its lock file too: opening must not create it.
  await Deno.remove(`${store}/lock`);
  const before = await snapshotDir(store);
  const read = (args: string[], sys?: string) =>
    tock(args, { store, permissions: permissions(store, sys) });

  await t.step("the store is really not writable", async () => {
    const add = await read(["add", "b", "--schedule", "@daily", "--cmd", "x"]);
    equal(add.code, 1, describe(add));
    match(add.stderr, /NotCapable|Requires write access|permission/i);
  });
  await t.step("list", async () => {
    const jobs = JSON.parse(succeeded(await read(["list", "--json"])));
    deepEqual(jobs.map((j: { id: string }) => j.id), ["a"]);
    match(succeeded(await read(["list"])), /^a\s+0 0 1 1 \*/m);
    // With `uid` allowed, as `deno task tock` now runs, the owner is checked.
    const checked = await read(["list", "--json"], "hostname,uid");
    deepEqual(JSON.parse(succeeded(checked)), jobs);
  });
  await t.step("show", async () => {
    match(succeeded(await read(["show", "a"])), /^id: +a$/m);
    equal(JSON.parse(succeeded(await read(["show", "a", "--json"]))).id, "a");
  });
  await t.step("history", async () => {
    const entries = JSON.parse(succeeded(await read(["history", "--json"])));
    deepEqual(
      entries.map((e: { job: string; outcome: string }) => [e.job, e.outcome]),
      [["a", "succeeded"]],
    );
  });
  await t.step("status", async () => {
    const status = JSON.parse(succeeded(await read(["status", "--json"])));
    deepEqual(
      status.instances.map((i: { id: string }) => i.id),
      ["alpha"],
    );
  });
  await t.step("logs", async () => {
    const logs = JSON.parse(succeeded(await read(["logs", "a", "--json"])));
    equal(logs.length, 1);
    match(logs[0].stdout, /^hi/);
  });
  await t.step("next", async () => {
    const slots = JSON.parse(
      succeeded(await read(["next", "a", "--count", "2", "--json"])),
    );
    equal(slots.length, 2);
  });
  await assertUnchanged(store, before);
});
