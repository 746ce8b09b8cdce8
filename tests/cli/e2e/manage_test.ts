// Managing jobs from the command line (SPEC §8): add, update, pause, resume,
// remove, list, show, --help, and where the store is.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import {
  assertIso,
  assertOneLineError,
  assertUnchanged,
  snapshotDir,
  succeeded,
  tempDir,
  tock,
  tockJson,
} from "./_cli.ts";

interface ListedJob {
  readonly id: string;
  readonly schedule: string;
  readonly enabled: boolean;
  readonly nextSlot: string | null;
}

function byId(jobs: readonly ListedJob[], id: string): ListedJob | undefined {
  return jobs.find((job) => job.id === id);
}

const COMMANDS = [
  "start",
  "tick",
  "add",
  "update",
  "remove",
  "pause",
  "resume",
  "trigger",
  "backfill",
  "list",
  "show",
  "history",
  "status",
  "logs",
  "next",
];

Deno.test("tock --help lists every command, exits 0 and touches no store", async (t) => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/never`;
  await t.step("--help", async () => {
    const out = succeeded(await tock(["--help"], { store }));
    for (const command of COMMANDS) {
      match(out, new RegExp(`\\b${command}\\b`), `--help omits ${command}`);
    }
    match(out, /--store/);
  });
  await t.step("add --help", async () => {
    const out = succeeded(await tock(["add", "--help"], { store }));
    for (const flag of ["--schedule", "--cmd", "--module", "--timeout"]) {
      ok(out.includes(flag), `add --help omits ${flag}`);
    }
  });
  await t.step("next --help", async () => {
    const out = succeeded(await tock(["next", "--help"], { store }));
    ok(out.includes("--count"), "next --help omits --count");
  });
  deepEqual(await snapshotDir(store), new Map([["<missing>", null]]));
});

Deno.test("tock add, list, show, update, pause, resume and remove a job", async (t) => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;

  await t.step("add creates the store 0700 with files 0600", async () => {
    const result = await tock([
      "add",
      "report",
      "--schedule",
      "30 2 * * *",
      "--tz",
      "Europe/Berlin",
      "--cmd",
      "echo report",
      "--cwd",
      tmp.path,
      "--env",
      "A=1",
      "--env",
      "B=two=2",
      "--overlap",
      "queue",
      "--catchup",
      "all",
      "--catchup-window",
      "2h",
      "--timeout",
      "10m",
      "--retries",
      "2",
      "--jitter",
      "30s",
      "--max-runs",
      "5",
      "--recover",
      "rerun",
    ], { store });
    succeeded(result);
    equal((await Deno.stat(store)).mode! & 0o777, 0o700, "store dir mode");
    for (const [path, bytes] of await snapshotDir(store)) {
      if (bytes === null) {
        equal((await Deno.stat(`${store}${path}`)).mode! & 0o777, 0o700, path);
      } else {
        equal((await Deno.stat(`${store}${path}`)).mode! & 0o777, 0o600, path);
      }
    }
  });

  await t.step("add a module job, a paused job and a one-shot", async () => {
    await Deno.writeTextFile(
      `${tmp.path}/job.ts`,
      "export default () => {};\n",
    );
    succeeded(
      await tock([
        "add",
        "mod.job_1",
        "--schedule",
        "every 1h",
        "--module",
        `${tmp.path}/job.ts`,
      ], { store }),
    );
    succeeded(
      await tock(
        ["add", "held", "--schedule", "@daily", "--cmd", "true", "--paused"],
        { store },
      ),
    );
    succeeded(
      await tock(["add", "once", "--schedule", "in 10m", "--cmd", "true"], {
        store,
      }),
    );
  });

  await t.step("list --json has id, schedule, enabled, nextSlot", async () => {
    const jobs = await tockJson<ListedJob[]>(["list"], { store });
    ok(Array.isArray(jobs));
    deepEqual(jobs.map((j) => j.id).sort(), [
      "held",
      "mod.job_1",
      "once",
      "report",
    ]);
    for (const job of jobs) {
      equal(typeof job.schedule, "string", JSON.stringify(job));
      equal(typeof job.enabled, "boolean", JSON.stringify(job));
      ok("nextSlot" in job, `no nextSlot: ${JSON.stringify(job)}`);
    }
    const report = byId(jobs, "report")!;
    equal(report.schedule, "30 2 * * *");
    equal(report.enabled, true);
    assertIso(report.nextSlot, "nextSlot");
    // 02:30 in Berlin is 00:30 or 01:30 UTC, give or take the 30 s jitter.
    match(report.nextSlot!, /T0[01]:(30|31):\d\d\.\d{3}Z$/);
    equal(byId(jobs, "held")!.enabled, false);
    const once = Date.parse(byId(jobs, "once")!.nextSlot!);
    ok(Math.abs(once - (Date.now() + 600_000)) < 60_000, "in 10m");
  });

  await t.step("list (text) names every job", async () => {
    const out = succeeded(await tock(["list"], { store }));
    for (const id of ["report", "mod.job_1", "held", "once"]) {
      ok(out.includes(id), `list omits ${id}`);
    }
  });

  await t.step("show (text and --json) describes the job", async () => {
    const out = succeeded(await tock(["show", "report"], { store }));
    ok(out.includes("report") && out.includes("30 2 * * *"), out);
    ok(out.includes("Europe/Berlin"), out);
    const json = JSON.stringify(await tockJson(["show", "report"], { store }));
    for (const text of ["report", "30 2 * * *", "Europe/Berlin", "queue"]) {
      ok(json.includes(text), `show --json omits ${text}: ${json}`);
    }
    // Environment values are the user's secrets: names may show, values not
    // necessarily; at least the job's own definition round-trips.
    ok(json.includes("echo report"), json);
  });

  await t.step("update changes the schedule and keeps the rest", async () => {
    succeeded(
      await tock(
        ["update", "report", "--schedule", "*/5 * * * *", "--retries", "4"],
        { store },
      ),
    );
    const jobs = await tockJson<ListedJob[]>(["list"], { store });
    equal(byId(jobs, "report")!.schedule, "*/5 * * * *");
    const json = JSON.stringify(await tockJson(["show", "report"], { store }));
    ok(json.includes("Europe/Berlin"), `update lost the zone: ${json}`);
    ok(json.includes("queue"), `update lost the overlap policy: ${json}`);
    ok(json.includes("echo report"), `update lost the command: ${json}`);
  });

  await t.step("pause --note, then resume", async () => {
    succeeded(
      await tock(["pause", "report", "--note", "disk full, see #42"], {
        store,
      }),
    );
    let jobs = await tockJson<ListedJob[]>(["list"], { store });
    equal(byId(jobs, "report")!.enabled, false);
    const shown = succeeded(await tock(["show", "report"], { store }));
    ok(shown.includes("disk full, see #42"), `show omits the note: ${shown}`);
    const json = JSON.stringify(await tockJson(["show", "report"], { store }));
    ok(json.includes("disk full, see #42"), json);

    succeeded(await tock(["resume", "report"], { store }));
    jobs = await tockJson<ListedJob[]>(["list"], { store });
    equal(byId(jobs, "report")!.enabled, true);
    assertIso(byId(jobs, "report")!.nextSlot, "nextSlot after resume");
    succeeded(await tock(["resume", "held"], { store }));
    jobs = await tockJson<ListedJob[]>(["list"], { store });
    equal(byId(jobs, "held")!.enabled, true);
  });

  await t.step("remove deletes the job", async () => {
    succeeded(await tock(["remove", "once"], { store }));
    const jobs = await tockJson<ListedJob[]>(["list"], { store });
    equal(byId(jobs, "once"), undefined);
    assertOneLineError(await tock(["show", "once"], { store }), 1, "once");
  });

  await t.step("read commands leave the store unchanged", async () => {
    const before = await snapshotDir(store);
    for (
      const args of [
        ["list"],
        ["list", "--json"],
        ["show", "report"],
        ["show", "report", "--json"],
        ["history"],
        ["history", "--json"],
        ["history", "report", "--limit", "3"],
        ["status"],
        ["status", "--json"],
        ["next", "report", "--count", "2"],
      ]
    ) {
      succeeded(await tock(args, { store }));
    }
    await assertUnchanged(store, before, "by a read command");
  });
});

Deno.test("tock finds its store in --store, then $TOCK_STORE, then ./.tock", async (t) => {
  await using tmp = await tempDir();
  const env = `${tmp.path}/from-env`;
  await t.step("$TOCK_STORE", async () => {
    succeeded(
      await tock(["add", "e", "--schedule", "@daily", "--cmd", "true"], {
        store: env,
        storeVia: "env",
      }),
    );
    ok((await Deno.stat(env)).isDirectory);
    const jobs = await tockJson<ListedJob[]>(["list"], {
      store: env,
      storeVia: "env",
    });
    deepEqual(jobs.map((j) => j.id), ["e"]);
  });
  await t.step("--store wins over $TOCK_STORE", async () => {
    const flag = `${tmp.path}/from-flag`;
    succeeded(
      await tock(["add", "f", "--schedule", "@daily", "--cmd", "true"], {
        store: flag,
        env: { TOCK_STORE: env },
      }),
    );
    const jobs = await tockJson<ListedJob[]>(["list"], { store: flag });
    deepEqual(jobs.map((j) => j.id), ["f"]);
    const inEnv = await tockJson<ListedJob[]>(["list"], {
      store: env,
      storeVia: "env",
    });
    deepEqual(inEnv.map((j) => j.id), ["e"]);
  });
  await t.step("./.tock by default", async () => {
    succeeded(
      await tock(["add", "d", "--schedule", "@daily", "--cmd", "true"], {
        cwd: tmp.path,
      }),
    );
    ok((await Deno.stat(`${tmp.path}/.tock`)).isDirectory);
    const jobs = await tockJson<ListedJob[]>(["list"], { cwd: tmp.path });
    deepEqual(jobs.map((j) => j.id), ["d"]);
  });
});
