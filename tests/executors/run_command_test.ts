import assert from "node:assert/strict";
import { createCommandRunner } from "../../src/executors/run_command.ts";
import { createScheduler } from "../../src/runtime/scheduler.ts";
import { createMemoryStore } from "../../src/store/memory_store.ts";
import type { JobStore, RunLog } from "../../src/store/store.ts";
import type { Target } from "../../src/types.ts";
import {
  addCommandJob,
  attempt,
  processesOf,
  SLOT,
  waitFor,
} from "../runtime/_processes.ts";

function command(
  cmd: string,
  over: Partial<Extract<Target, { kind: "command" }>> = {},
): Target {
  return { kind: "command", cmd, ...over };
}

async function onlyLog(store: JobStore, job: string): Promise<RunLog> {
  const logs = await store.logs(job);
  assert.equal(logs.length, 1);
  return logs[0]!;
}

function envOf(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout.trim().split("\n").map((line) => {
      const at = line.indexOf("=");
      return [line.slice(0, at), line.slice(at + 1)];
    }),
  );
}

Deno.test("createCommandRunner() gives the command its environment, for the child only", async (t) => {
  await using store = createMemoryStore();
  await addCommandJob(store, "env-job");
  const run = createCommandRunner({ store });
  const print = "env | grep -E '^(TOCK_|GREETING=)' | sort";

  await t.step("TOCK_* variables and the job's env", async () => {
    const { context } = attempt("env-job", {
      attempt: 2,
      trigger: "retry",
    });
    await run(
      command(print, {
        env: { GREETING: "hi there", TOCK_JOB_ID: "spoofed" },
      }),
      context,
    );
    const log = await onlyLog(store, "env-job");
    assert.deepEqual(envOf(log.stdout), {
      GREETING: "hi there",
      TOCK_ATTEMPT: "2",
      TOCK_INSTANCE: "test-instance",
      TOCK_JOB_ID: "env-job",
      TOCK_RUN_ID: context.runId,
      TOCK_SLOT: "2026-11-29T10:15:00.000Z",
      TOCK_TRIGGER: "retry",
    });
    assert.equal(log.exitCode, 0);
    assert.equal(log.runId, context.runId);
    assert.equal(log.attempt, 2);
    assert.equal(log.slot, SLOT.getTime());
    assert.equal(log.instance, "test-instance");
    assert.ok(log.startedAt <= log.finishedAt);
  });

  await t.step(
    "parallel jobs see their own env; Deno.env is untouched",
    async () => {
      const runs = ["one", "two", "three"].map((value) => {
        const { context } = attempt("env-job");
        return {
          value,
          context,
          done: run(
            command('sleep 0.1; printf %s "$GREETING"', {
              env: { GREETING: value },
            }),
            context,
          ),
        };
      });
      assert.equal(Deno.env.get("GREETING"), undefined);
      assert.equal(Deno.env.get("TOCK_JOB_ID"), undefined);
      await Promise.all(runs.map((r) => r.done));
      for (const r of runs) {
        const [log] = await store.logs("env-job", { runId: r.context.runId });
        assert.equal(log?.stdout, r.value);
      }
      assert.equal(Deno.env.get("GREETING"), undefined);
    },
  );
});

Deno.test("createCommandRunner() runs in the job's cwd, else the scheduler's", async () => {
  await using store = createMemoryStore();
  await addCommandJob(store, "cwd-job");
  const run = createCommandRunner({ store });
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    const inDir = attempt("cwd-job");
    await run(command("pwd", { cwd: dir }), inDir.context);
    const here = attempt("cwd-job");
    await run(command("pwd"), here.context);
    const [a] = await store.logs("cwd-job", { runId: inDir.context.runId });
    const [b] = await store.logs("cwd-job", { runId: here.context.runId });
    assert.equal(a?.stdout, `${dir}\n`);
    assert.equal(b?.stdout, `${await Deno.realPath(Deno.cwd())}\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createCommandRunner() turns exit codes into outcomes", async (t) => {
  await using store = createMemoryStore();
  await addCommandJob(store, "exit-job");
  const run = createCommandRunner({ store });

  await t.step("exit 0 resolves", async () => {
    const { context } = attempt("exit-job");
    await run(command("echo fine; exit 0"), context);
    const [log] = await store.logs("exit-job", { runId: context.runId });
    assert.equal(log?.exitCode, 0);
    assert.equal(log?.stdout, "fine\n");
  });

  await t.step(
    "non-zero rejects with the code and stderr's last line",
    async () => {
      const { context } = attempt("exit-job");
      await assert.rejects(
        run(
          command("echo warming up >&2; echo 'disk is full' >&2; exit 3"),
          context,
        ),
        (error: Error) =>
          error.message === "Command exited with code 3: disk is full",
      );
      const [log] = await store.logs("exit-job", { runId: context.runId });
      assert.equal(log?.exitCode, 3);
      assert.equal(log?.stderr, "warming up\ndisk is full\n");
    },
  );

  await t.step("a long last line stays out of the message", async () => {
    const { context } = attempt("exit-job");
    await assert.rejects(
      run(command("printf '%0300d\\n' 0 >&2; exit 7"), context),
      (error: Error) => error.message === "Command exited with code 7",
    );
  });

  await t.step(
    "a command that cannot start rejects with one line",
    async () => {
      const { context } = attempt("exit-job");
      await assert.rejects(
        run(command("true", { cwd: "/no/such/dir" }), context),
        (error: Error) =>
          error.message.startsWith(
            'Cannot start command in "/no/such/dir": ',
          ) && !error.message.includes("\n"),
      );
      const [log] = await store.logs("exit-job", { runId: context.runId });
      assert.equal(log?.exitCode, null);
      assert.equal(log?.signal, undefined);
      assert.match(log?.error ?? "", /^Cannot start command in.*no\/such\/dir/);
      assert.ok(!log?.error?.includes("\n"), log?.error);
    },
  );

  await t.step("a target of another kind is refused", async () => {
    const { context } = attempt("exit-job");
    await assert.rejects(
      run({ kind: "module", module: "./x.ts" }, context),
      TypeError,
    );
  });
});

Deno.test("createCommandRunner() keeps the last maxLogBytes of each stream", async () => {
  await using store = createMemoryStore();
  await addCommandJob(store, "big-job");
  const run = createCommandRunner({ store, maxLogBytes: 100 });
  const { context } = attempt("big-job");
  await run(
    command(
      "i=0; while [ $i -lt 200 ]; do printf 'line %03d\\n' $i; i=$((i+1)); done; " +
        "printf 'éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé' >&2",
    ),
    context,
  );
  const log = await onlyLog(store, "big-job");
  assert.equal(log.truncated, true);
  assert.equal(log.stdout.length, 100);
  assert.ok(log.stdout.endsWith("line 198\nline 199\n"));
  // 64 two-byte characters cut to the last 100 bytes: 50, none broken.
  assert.equal(log.stderr, "é".repeat(50));

  const small = attempt("big-job");
  await run(command("echo small; echo small >&2"), small.context);
  const [fits] = await store.logs("big-job", { runId: small.context.runId });
  assert.equal(fits?.truncated, false);
  assert.equal(fits?.stdout, "small\n");
});

Deno.test("createCommandRunner() stops the whole process tree on abort", async (t) => {
  await using store = createMemoryStore();
  await addCommandJob(store, "stop-job");
  const run = createCommandRunner({ store, killGraceMs: 300 });

  for (const cmd of ["sleep 100", "sleep 100; echo after"]) {
    await t.step(`SIGTERM ends "${cmd}" and its sleep`, async () => {
      const { context, controller } = attempt("stop-job");
      const done = run(command(cmd), context);
      await waitFor(
        "sleep",
        async () =>
          (await processesOf(context.runId)).some((p) => p.comm === "sleep"),
      );
      const reason = new Error("cancelled by test");
      controller.abort(reason);
      await assert.rejects(done, (error) => error === reason);
      assert.deepEqual(await processesOf(context.runId), []);
      const [log] = await store.logs("stop-job", { runId: context.runId });
      assert.equal(log?.exitCode, null);
      assert.equal(log?.signal, "SIGTERM");
    });
  }

  await t.step(
    "a tree that ignores SIGTERM gets SIGKILL after the grace",
    async () => {
      const { context, controller } = attempt("stop-job");
      const done = run(command('trap "" TERM; sleep 30'), context);
      await waitFor(
        "sleep",
        async () =>
          (await processesOf(context.runId)).some((p) => p.comm === "sleep"),
      );
      controller.abort(new Error("timeout"));
      await assert.rejects(done, /timeout/);
      assert.deepEqual(await processesOf(context.runId), []);
      const [log] = await store.logs("stop-job", { runId: context.runId });
      assert.equal(log?.signal, "SIGKILL");
    },
  );

  await t.step("SIGTERM comes first, SIGKILL after it", async () => {
    const { context, controller } = attempt("stop-job");
    const done = run(
      command("trap 'echo got TERM' TERM; while :; do sleep 0.05; done"),
      context,
    );
    await waitFor(
      "sleep",
      async () =>
        (await processesOf(context.runId)).some((p) => p.comm === "sleep"),
    );
    controller.abort(new Error("stop"));
    await assert.rejects(done, /stop/);
    assert.deepEqual(await processesOf(context.runId), []);
    const [log] = await store.logs("stop-job", { runId: context.runId });
    assert.match(log?.stdout ?? "", /got TERM/);
    assert.equal(log?.signal, "SIGKILL");
  });

  await t.step("an aborted signal runs nothing", async () => {
    const { context, controller } = attempt("stop-job");
    controller.abort(new Error("too late"));
    await assert.rejects(run(command("echo no"), context), /too late/);
    assert.deepEqual(
      await store.logs("stop-job", { runId: context.runId }),
      [],
    );
  });
});

Deno.test("createCommandRunner() ends processes the command left running", async () => {
  await using store = createMemoryStore();
  await addCommandJob(store, "bg-job");
  const run = createCommandRunner({ store, killGraceMs: 300 });
  const { context } = attempt("bg-job");
  await run(command("sleep 30 & echo started"), context);
  assert.deepEqual(await processesOf(context.runId), []);
  const log = await onlyLog(store, "bg-job");
  assert.equal(log.exitCode, 0);
  assert.equal(log.stdout, "started\n");
});

Deno.test("createCommandRunner() keeps the outcome when the log cannot be saved", async () => {
  await using store = createMemoryStore();
  const broken = new Proxy(store, {
    get(target, key) {
      if (key === "saveLog") {
        return () => Promise.reject(new Error("disk full"));
      }
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const run = createCommandRunner({ store: broken });
  await run(command("true"), attempt("any").context);
  await assert.rejects(
    run(command("exit 4"), attempt("any").context),
    /Command exited with code 4/,
  );
});

Deno.test("createCommandRunner() refuses bad options", () => {
  const store = createMemoryStore();
  assert.throws(
    () => createCommandRunner({ store, killGraceMs: -1 }),
    (error: Error) =>
      error instanceof RangeError &&
      error.message ===
        "Cannot create command runner as 'killGraceMs' must be a non-negative number: received -1",
  );
  assert.throws(
    () => createCommandRunner({ store, maxLogBytes: 1.5 }),
    RangeError,
  );
});

Deno.test("createCommandRunner() in a scheduler: outcomes in the ledger, output in the logs", async () => {
  await using store = createMemoryStore();
  await using scheduler = await createScheduler({
    store,
    runners: { command: createCommandRunner({ store, killGraceMs: 100 }) },
  });
  await scheduler.add({ id: "ok", schedule: "every 1h", cmd: "echo hello" });
  await scheduler.add({
    id: "bad",
    schedule: "every 1h",
    cmd: "echo broken >&2; exit 3",
  });
  await scheduler.add({
    id: "slow",
    schedule: "every 1h",
    cmd: "sleep 30",
    timeout: "300ms",
  });
  for (const id of ["ok", "bad", "slow"]) await scheduler.trigger(id);
  await waitFor("three outcomes", async () => {
    await scheduler.idle();
    return (await scheduler.history()).length === 3;
  });
  const outcomes = Object.fromEntries(
    (await scheduler.history()).map((e) => [e.job, e]),
  );
  assert.equal(outcomes.ok?.outcome, "succeeded");
  assert.equal(outcomes.bad?.outcome, "failed");
  assert.equal(
    outcomes.bad?.error?.message,
    "Command exited with code 3: broken",
  );
  assert.equal(outcomes.slow?.outcome, "timed_out");
  const [ok] = await store.logs("ok");
  assert.equal(ok?.stdout, "hello\n");
  assert.equal(ok?.runId, outcomes.ok?.runId);
  const [bad] = await store.logs("bad");
  assert.equal(bad?.exitCode, 3);
  assert.equal(bad?.stderr, "broken\n");
  await waitFor(
    "the slow run's log",
    async () => (await store.logs("slow")).length === 1,
  );
  const [slow] = await store.logs("slow");
  assert.equal(slow?.signal, "SIGTERM");
  assert.deepEqual(await processesOf(slow!.runId), []);
});

/** What the scheduler may pass to a job (SPEC §7), besides `LC_*`. */
const ALLOWED = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "TZ",
  "TMPDIR",
];
/** Variables a shell sets itself. */
const SHELL_SET = ["PWD", "OLDPWD", "SHLVL", "_"];
const SECRETS = {
  TOCK_STORE: "postgres://tock:hunter2@db.example/tock",
  PGPASSWORD: "hunter2",
  SECRET_X: "x",
  LC_TIME: "C.UTF-8",
};

/** The environment the command received (read from /proc, NUL-separated). */
function environOf(stdout: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of stdout.split("\0")) {
    const at = entry.indexOf("=");
    if (at > 0 && !SHELL_SET.includes(entry.slice(0, at))) {
      env[entry.slice(0, at)] = entry.slice(at + 1);
    }
  }
  return env;
}

Deno.test("createCommandRunner() gives a clean environment unless the job inherits the scheduler's", async (t) => {
  await using store = createMemoryStore();
  await addCommandJob(store, "clean-job");
  const run = createCommandRunner({ store });
  for (const [name, value] of Object.entries(SECRETS)) {
    Deno.env.set(name, value);
  }
  try {
    const environ = "cat /proc/self/environ";
    await t.step("the allow-list, the job's env and TOCK_* only", async () => {
      const { context } = attempt("clean-job");
      await run(command(environ, { env: { GREETING: "hi" } }), context);
      const [log] = await store.logs("clean-job", { runId: context.runId });
      const passed = Object.fromEntries(
        Object.entries(Deno.env.toObject()).filter(([name]) =>
          ALLOWED.includes(name) || name.startsWith("LC_")
        ),
      );
      assert.equal(passed.LC_TIME, "C.UTF-8");
      assert.deepEqual(environOf(log!.stdout), {
        ...passed,
        GREETING: "hi",
        TOCK_ATTEMPT: "1",
        TOCK_INSTANCE: "test-instance",
        TOCK_JOB_ID: "clean-job",
        TOCK_RUN_ID: context.runId,
        TOCK_SLOT: "2026-11-29T10:15:00.000Z",
        TOCK_TRIGGER: "manual",
      });
    });
    await t.step(
      "inheritEnv passes the scheduler's whole environment",
      async () => {
        const { context } = attempt("clean-job");
        await run(
          command(environ, { env: { GREETING: "hi" }, inheritEnv: true }),
          context,
        );
        const [log] = await store.logs("clean-job", { runId: context.runId });
        const got = environOf(log!.stdout);
        for (const [name, value] of Object.entries(SECRETS)) {
          assert.equal(got[name], value, name);
        }
        assert.equal(got.GREETING, "hi");
        assert.equal(got.TOCK_RUN_ID, context.runId);
      },
    );
  } finally {
    for (const name of Object.keys(SECRETS)) Deno.env.delete(name);
  }
});

/** The target of a process's file descriptor (`pipe:[123]`), via a shell. */
async function fdTarget(pid: number, fd: number): Promise<string> {
  const { stdout } = await new Deno.Command("sh", {
    args: ["-c", 'readlink /proc/"$1"/fd/"$2"', "sh", String(pid), String(fd)],
    stdin: "null",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(stdout).trim();
}

/** The pids of every process that holds `target` (`pipe:[123]`) open. */
async function holders(target: string): Promise<number[]> {
  const pattern = target.replace(/[[\]]/g, "\\$&");
  const { stdout } = await new Deno.Command("sh", {
    args: [
      "-c",
      'find /proc/[0-9]*/fd -lname "$1" 2>/dev/null',
      "sh",
      pattern,
    ],
    stdin: "null",
    stderr: "null",
  }).output();
  const pids = new TextDecoder().decode(stdout).split("\n").filter(Boolean)
    .map((path) => Number(path.split("/")[2]));
  return [...new Set(pids)].sort((a, b) => a - b);
}

Deno.test("createCommandRunner() keeps each supervisor's pipe from the scheduler out of every other process", async () => {
  await using store = createMemoryStore();
  await addCommandJob(store, "pipe-job");
  const run = createCommandRunner({ store, killGraceMs: 100 });
  const a = attempt("pipe-job");
  const b = attempt("pipe-job");
  const runs = [a, b].map(({ context }) =>
    run(command("sleep 30 & wait"), context).catch(() => {})
  );
  try {
    for (const { context } of [a, b]) {
      await waitFor(
        "sleep",
        async () =>
          (await processesOf(context.runId)).some((p) => p.comm === "sleep"),
      );
    }
    for (const { context } of [a, b]) {
      // The watcher is the one process of the run whose stdin is a pipe.
      const pipes: [number, string][] = [];
      for (const p of await processesOf(context.runId)) {
        const target = await fdTarget(p.pid, 0);
        if (target.startsWith("pipe:")) pipes.push([p.pid, target]);
      }
      assert.equal(pipes.length, 1, JSON.stringify(pipes));
      const [[watcher, pipe]] = pipes as [[number, string]];
      // Only its watcher (the read end) and this process (the write end).
      assert.deepEqual(
        await holders(pipe),
        [watcher, Deno.pid].sort((x, y) => x - y),
      );
    }
  } finally {
    a.controller.abort(new Error("done"));
    b.controller.abort(new Error("done"));
    await Promise.all(runs);
  }
  assert.deepEqual(await processesOf(a.context.runId), []);
  assert.deepEqual(await processesOf(b.context.runId), []);
});
