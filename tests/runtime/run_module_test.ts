import assert from "node:assert/strict";
import { createModuleRunner } from "../../src/runtime/run_module.ts";
import { createScheduler } from "../../src/runtime/scheduler.ts";
import { createMemoryStore } from "../../src/store/memory_store.ts";
import type { JobStore, RunLog } from "../../src/store/store.ts";
import {
  addCommandJob,
  attempt,
  processesOf,
  processState,
  readyProcess,
  waitFor,
} from "./_processes.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url);

function fixture(name: string): string {
  return decodeURIComponent(new URL(name, FIXTURES).pathname);
}

function module(path: string) {
  return { kind: "module" as const, module: path };
}

async function logOf(
  store: JobStore,
  job: string,
  runId: string,
): Promise<RunLog> {
  const [log] = await store.logs(job, { runId });
  assert.ok(log, `a log of ${runId}`);
  return log;
}

Deno.test("createModuleRunner() calls the default export with the context", async (t) => {
  await using store = createMemoryStore();
  await addCommandJob(store, "mod-job");
  const run = createModuleRunner({ store });
  const expected = (runId: string) => ({
    jobId: "mod-job",
    slot: "2026-11-29T10:15:00.000Z",
    runId,
    attempt: 3,
    trigger: "retry",
    catchup: true,
    instance: "test-instance",
    signal: "AbortSignal",
    frozen: true,
  });
  const cwd = Deno.cwd();
  const path = fixture("context.ts");
  const given = {
    "an absolute path": path,
    "a file: URL": new URL("context.ts", FIXTURES).href,
    ...(path.startsWith(`${cwd}/`)
      ? { "a path relative to the cwd": path.slice(cwd.length + 1) }
      : {}),
  };
  for (const [how, target] of Object.entries(given)) {
    await t.step(how, async () => {
      const { context } = attempt("mod-job", {
        attempt: 3,
        trigger: "retry",
        catchup: true,
      });
      await run(module(target), context);
      const log = await logOf(store, "mod-job", context.runId);
      assert.equal(log.exitCode, 0);
      assert.deepEqual(JSON.parse(log.stdout), expected(context.runId));
    });
  }
});

Deno.test("createModuleRunner() fails the run with the module's error", async () => {
  await using store = createMemoryStore();
  await addCommandJob(store, "mod-job");
  const run = createModuleRunner({ store });
  const { context } = attempt("mod-job");
  await assert.rejects(
    run(module(fixture("throws.ts")), context),
    (error: Error) =>
      error.name === "RangeError" &&
      error.message === "bad input: 42",
  );
  const log = await logOf(store, "mod-job", context.runId);
  assert.equal(log.exitCode, 1);
  assert.equal(log.stdout, "starting\n");
  assert.match(log.stderr, /^about to fail\n/);
  assert.match(log.stderr, /RangeError: bad input: 42\n$/);
});

Deno.test("createModuleRunner() fails, with one line, a module that cannot load", async (t) => {
  await using store = createMemoryStore();
  await addCommandJob(store, "mod-job");
  const run = createModuleRunner({ store });
  const dir = await Deno.makeTempDir({ prefix: "tock-module-" });
  try {
    await Deno.writeTextFile(
      `${dir}/broken.ts`,
      "export default () => { const x = ; };\n",
    );
    const cases = [
      {
        name: "a syntax error",
        path: `${dir}/broken.ts`,
        message:
          /^Cannot load module "file:\/\/.*\/broken\.ts": .*Expression expected.*broken\.ts:1:\d+/,
      },
      {
        name: "a missing file",
        path: `${dir}/missing.ts`,
        message:
          /^Cannot load module "file:\/\/.*\/missing\.ts": Module not found/,
      },
      {
        name: "no default export",
        path: fixture("no_default.ts"),
        message:
          /^Cannot run module ".*no_default\.ts": its default export is not a function \(undefined\)$/,
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        const { context } = attempt("mod-job");
        await assert.rejects(run(module(c.path), context), (error: Error) => {
          assert.match(error.message, c.message);
          assert.ok(!error.message.includes("\n"), error.message);
          return true;
        });
        assert.equal(
          (await logOf(store, "mod-job", context.runId)).exitCode,
          1,
        );
      });
    }
    await t.step("a directory Deno's flags cannot name", async () => {
      const { context } = attempt("mod-job");
      await assert.rejects(
        run(module("/tmp/a,b/job.ts"), context),
        /its directory contains a comma/,
      );
    });
    await t.step("an unsupported URL", async () => {
      const { context } = attempt("mod-job");
      await assert.rejects(
        run(module("ftp://example.com/job.ts"), context),
        /must be a path or a file:, http: or https: URL/,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createModuleRunner() gives the child read access to its directory only", async (t) => {
  await using store = createMemoryStore();
  await addCommandJob(store, "mod-job");
  await t.step("no environment access by default", async () => {
    const run = createModuleRunner({ store });
    const { context } = attempt("mod-job");
    await assert.rejects(
      run(module(fixture("reads.ts")), context),
      (error: Error) =>
        error.name === "NotCapable" && /env access/.test(error.message),
    );
    const log = await logOf(store, "mod-job", context.runId);
    assert.equal(
      log.stdout,
      "A file job fixtures keep open to show they are ready.\n",
    );
  });
  await t.step("extra permissions are opted into", async () => {
    const run = createModuleRunner({
      store,
      permissions: ["--allow-env=TOCK_JOB_ID"],
    });
    const { context } = attempt("mod-job");
    await run(module(fixture("reads.ts")), context);
    const log = await logOf(store, "mod-job", context.runId);
    assert.equal(
      log.stdout,
      "A file job fixtures keep open to show they are ready.\nmod-job\n",
    );
  });
  await t.step("only permission flags are accepted", () => {
    assert.throws(
      () => createModuleRunner({ store, permissions: ["--eval=1"] }),
      TypeError,
    );
  });
});

Deno.test("createModuleRunner() kills a module stuck in a loop", async () => {
  await using store = createMemoryStore();
  await addCommandJob(store, "mod-job");
  const run = createModuleRunner({ store, killGraceMs: 200 });
  const { context, controller } = attempt("mod-job");
  const done = run(module(fixture("loop.ts")), context);
  const child = await readyProcess(context.runId);
  // Spinning: runnable, never sleeping (an await would let it sleep).
  await waitFor(
    "the child to spin",
    async () => (await processState(child.pid)) === "R",
  );
  const reason = new Error("timed out");
  controller.abort(reason);
  await assert.rejects(done, (error) => error === reason);
  assert.deepEqual(await processesOf(context.runId), []);
  assert.equal(await processState(child.pid), undefined);
  const log = await logOf(store, "mod-job", context.runId);
  assert.equal(log.signal, "SIGKILL");
});

Deno.test("createModuleRunner() aborts the module's signal on SIGTERM", async () => {
  await using store = createMemoryStore();
  await addCommandJob(store, "mod-job");
  const run = createModuleRunner({ store });
  const { context, controller } = attempt("mod-job");
  const done = run(module(fixture("until_abort.ts")), context);
  await readyProcess(context.runId);
  const reason = new Error("cancelled");
  controller.abort(reason);
  await assert.rejects(done, (error) => error === reason);
  const log = await logOf(store, "mod-job", context.runId);
  assert.equal(log.exitCode, 0);
  assert.equal(log.stdout, "waiting\naborted: AbortError\n");
});

Deno.test("createModuleRunner() in a scheduler: outcomes in the ledger, output in the logs", async () => {
  await using store = createMemoryStore();
  await using scheduler = await createScheduler({
    store,
    runners: { module: createModuleRunner({ store, killGraceMs: 100 }) },
  });
  await scheduler.add({
    id: "ok",
    schedule: "every 1h",
    module: fixture("context.ts"),
  });
  await scheduler.add({
    id: "bad",
    schedule: "every 1h",
    module: fixture("throws.ts"),
  });
  await scheduler.add({
    id: "stuck",
    schedule: "every 1h",
    module: fixture("loop.ts"),
    timeout: "300ms",
  });
  for (const id of ["ok", "bad", "stuck"]) await scheduler.trigger(id);
  await waitFor("three outcomes", async () => {
    await scheduler.idle();
    return (await scheduler.history()).length === 3;
  });
  const outcomes = Object.fromEntries(
    (await scheduler.history()).map((e) => [e.job, e]),
  );
  assert.equal(outcomes.ok?.outcome, "succeeded");
  assert.equal(outcomes.bad?.outcome, "failed");
  assert.deepEqual(outcomes.bad?.error, {
    name: "RangeError",
    message: "bad input: 42",
  });
  assert.equal(outcomes.stuck?.outcome, "timed_out");
  const [ok] = await store.logs("ok");
  assert.equal(JSON.parse(ok?.stdout ?? "{}").jobId, "ok");
  await waitFor(
    "the stuck run's log",
    async () => (await store.logs("stuck")).length === 1,
  );
  const [stuck] = await store.logs("stuck");
  assert.deepEqual(await processesOf(stuck!.runId), []);
});
