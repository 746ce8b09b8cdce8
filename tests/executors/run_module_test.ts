import assert from "node:assert/strict";
import { createModuleRunner } from "../../src/executors/run_module.ts";
import { PERMISSION_KINDS } from "../../src/jobs/permissions.ts";
import { createScheduler } from "../../src/runtime/scheduler.ts";
import { createFileStore } from "../../src/store/file/file_store.ts";
import { createMemoryStore } from "../../src/store/memory_store.ts";
import type { JobStore, RunLog } from "../../src/store/store.ts";
import {
  addCommandJob,
  attempt,
  processesOf,
  processState,
  readyProcess,
  waitFor,
} from "../runtime/_processes.ts";

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
  // Killed with its supervisor, it is reaped by init (a zombie meanwhile).
  await waitFor(
    "the child to be gone",
    async () => (await processState(child.pid)) === undefined,
  );
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

Deno.test("createModuleRunner() gives the child a clean environment unless the job inherits the scheduler's", async (t) => {
  await using store = createMemoryStore();
  await addCommandJob(store, "mod-job");
  const run = createModuleRunner({ store, permissions: ["--allow-env"] });
  const secrets = {
    TOCK_STORE: "postgres://tock:hunter2@db.example/tock",
    PGPASSWORD: "hunter2",
    SECRET_X: "x",
    NO_PROXY: "example.invalid",
  };
  for (const [name, value] of Object.entries(secrets)) {
    Deno.env.set(name, value);
  }
  const tock = [
    "TOCK_ATTEMPT",
    "TOCK_INSTANCE",
    "TOCK_JOB_ID",
    "TOCK_RUN_ID",
    "TOCK_SLOT",
    "TOCK_TRIGGER",
  ];
  const allowed = [
    ...["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "TZ", "TMPDIR"],
    ...["DENO_DIR", "DENO_CERT", "DENO_TLS_CA_STORE", "NPM_CONFIG_REGISTRY"],
    ...["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"],
    ...["http_proxy", "https_proxy", "no_proxy"],
    ...tock,
    "PWD", // set by the supervisor's shell
  ];
  const names = async (inheritEnv: boolean): Promise<string[]> => {
    const { context } = attempt("mod-job");
    await run(
      {
        ...module(fixture("env_names.ts")),
        ...(inheritEnv ? { inheritEnv } : {}),
      },
      context,
    );
    return JSON.parse((await logOf(store, "mod-job", context.runId)).stdout);
  };
  try {
    await t.step(
      "the allow-list, Deno's settings and TOCK_* only",
      async () => {
        const got = await names(false);
        for (const name of got) {
          assert.ok(
            allowed.includes(name) || name.startsWith("LC_"),
            `${name} passed`,
          );
        }
        for (const name of [...tock, "NO_PROXY"]) {
          assert.ok(got.includes(name), `${name} is missing`);
        }
        if (Deno.env.get("PATH") !== undefined) assert.ok(got.includes("PATH"));
      },
    );
    await t.step(
      "inheritEnv passes the scheduler's whole environment",
      async () => {
        const got = await names(true);
        for (const name of [...Object.keys(secrets), ...tock]) {
          assert.ok(got.includes(name), `${name} is missing`);
        }
      },
    );
  } finally {
    for (const name of Object.keys(secrets)) Deno.env.delete(name);
  }
});

Deno.test("createModuleRunner() denies the store's directory to the child, even inside the module's directory", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "tock-module-store-" });
  try {
    await using store = await createFileStore({ dir: `${dir}/.tock` });
    await addCommandJob(store, "mod-job");
    await Deno.writeTextFile(`${dir}/data.txt`, "sibling data\n");
    await Deno.writeTextFile(
      `${dir}/job.ts`,
      `export default async function () {
  console.log((await Deno.readTextFile(new URL("./data.txt", import.meta.url))).trim());
  const store = new URL("./.tock/", import.meta.url);
  for await (const entry of Deno.readDir(store)) console.log(entry.name);
}
`,
    );
    await Deno.symlink(dir, `${dir}-link`);
    const run = createModuleRunner({ store });
    for (
      const [how, path] of [
        ["by its path", `${dir}/job.ts`],
        ["through a symbolic link to its directory", `${dir}-link/job.ts`],
      ]
    ) {
      await t.step(`reading the store fails, ${how}`, async () => {
        const { context } = attempt("mod-job");
        await assert.rejects(
          run(module(path!), context),
          (error: Error) =>
            error.name === "NotCapable" && /read access/.test(error.message),
        );
        const log = await logOf(store, "mod-job", context.runId);
        assert.equal(log.stdout, "sibling data\n");
      });
    }
    await t.step(
      "writing into the store fails, even with --allow-write",
      async () => {
        const written = createModuleRunner({
          store,
          permissions: [`--allow-write=${dir}`, "--allow-read"],
        });
        await Deno.writeTextFile(
          `${dir}/write.ts`,
          `export default () => Deno.writeTextFile(new URL("./.tock/evil", import.meta.url), "x");\n`,
        );
        const { context } = attempt("mod-job");
        await assert.rejects(
          written(module(`${dir}/write.ts`), context),
          (error: Error) =>
            error.name === "NotCapable" && /write access/.test(error.message),
        );
        await assert.rejects(
          Deno.stat(`${dir}/.tock/evil`),
          Deno.errors.NotFound,
        );
      },
    );
  } finally {
    await Deno.remove(`${dir}-link`).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createModuleRunner() refuses a module whose directory is the filesystem root", async () => {
  await using store = createMemoryStore();
  await addCommandJob(store, "mod-job");
  const run = createModuleRunner({ store });
  const { context } = attempt("mod-job");
  await assert.rejects(
    run(module("/x.ts"), context),
    (error: Error) =>
      error.message ===
        'Cannot run module "/x.ts": its directory is the filesystem root, which the module would be allowed to read',
  );
});

Deno.test("createModuleRunner() grants a job its own permissions, and names the flag it lacks", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "tock-module-grants-" });
  try {
    await using store = await createFileStore({ dir: `${dir}/.tock` });
    await addCommandJob(store, "report");
    const out = `${dir}/out.txt`;
    await Deno.writeTextFile(
      `${dir}/job.ts`,
      `export default () => Deno.writeTextFile(${JSON.stringify(out)}, "x");\n`,
    );
    const run = createModuleRunner({ store });
    await t.step("granted: the write succeeds", async () => {
      const { context } = attempt("report");
      await run({
        ...module(`${dir}/job.ts`),
        permissions: { write: [out] },
      }, context);
      assert.equal(await Deno.readTextFile(out), "x");
    });
    await Deno.remove(out);
    await t.step(
      "not granted: the error and the log name the flag",
      async () => {
        const { context } = attempt("report");
        const hint =
          `Requires write access to "${out}": grant it with --allow-write=${out} (tock update report --allow-write=/elsewhere,${out})`;
        await assert.rejects(
          run({
            ...module(`${dir}/job.ts`),
            permissions: { write: ["/elsewhere"], env: true },
          }, context),
          (error: Error) => {
            assert.equal(error.name, "NotCapable");
            assert.equal(error.message, hint);
            return true;
          },
        );
        const log = await logOf(store, "report", context.runId);
        assert.match(
          log.stderr,
          new RegExp(`NotCapable: ${RegExp.escape(hint)}\n$`),
        );
        await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
      },
    );
    await t.step(
      "-A: the store stays denied, and the error says so",
      async () => {
        await Deno.writeTextFile(
          `${dir}/evil.ts`,
          `export default () => Deno.writeTextFile(new URL("./.tock/evil", import.meta.url), "x");\n`,
        );
        const all = Object.fromEntries(
          PERMISSION_KINDS.map((kind) => [kind, true]),
        );
        const { context } = attempt("report");
        await assert.rejects(
          run({ ...module(`${dir}/evil.ts`), permissions: all }, context),
          (error: Error) => {
            assert.equal(error.name, "NotCapable");
            assert.match(
              error.message,
              /^Requires write access to ".*\/\.tock\/evil": the store's files are never granted to a job$/,
            );
            return true;
          },
        );
        await assert.rejects(
          Deno.stat(`${dir}/.tock/evil`),
          Deno.errors.NotFound,
        );
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
