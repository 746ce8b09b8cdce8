// The job commands and the read commands' output, run in process on a
// temporary file store with a fixed clock.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { cli, cliJson, NOW, snapshot, tempDir } from "./_run.ts";
import { createFileStore } from "../../src/store/file/file_store.ts";
import { addJob } from "../../src/turns/manage_jobs.ts";

type Json = Record<string, unknown>;

function succeeded(result: { code: number; stdout: string; stderr: string }) {
  equal(result.code, 0, result.stderr);
  equal(result.stderr, "");
  return result.stdout;
}

Deno.test("tock add, update, pause, resume, remove change one job", async () => {
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  const added = succeeded(
    await cli([
      "add",
      "report",
      "--schedule",
      "0 6 * * *",
      "--tz",
      "Europe/Berlin",
      "--cmd",
      "./report.sh",
      "--cwd",
      "work",
      "--env",
      "LEVEL=2",
      "--env",
      "TOKEN=secret",
      "--retries",
      "2",
      "--timeout",
      "10m",
      ...s,
    ], { cwd: () => "/srv/app" }),
  );
  match(added, /^Added job 'report': 0 6 \* \* \* \(Europe\/Berlin\)/);
  match(added, /next slot 2026-01-16 05:00:00Z \(in 17h\)/);

  let job = await cliJson<Json>(["show", "report", ...s]);
  equal(job.id, "report");
  equal(job.enabled, true);
  equal(job.nextSlot, "2026-01-16T05:00:00.000Z");
  deepEqual(job.target, {
    kind: "command",
    cmd: "./report.sh",
    cwd: "/srv/app/work",
    env: ["LEVEL", "TOKEN"],
  });
  equal(job.retries, 2);
  equal(job.timeoutMs, 600_000);
  job = await cliJson<Json>(["show", "report", "--show-env", ...s]);
  deepEqual(
    (job.target as Json).env,
    { LEVEL: "2", TOKEN: "secret" },
    "--show-env prints the values, as a jobs file writes them",
  );

  const shown = succeeded(await cli(["show", "report", ...s]));
  match(shown, /^env: +LEVEL, TOKEN \(values hidden\)$/m);
  ok(!shown.includes("secret"), "show hides env values");
  const revealed = succeeded(
    await cli(["show", "report", "--show-env", ...s]),
  );
  match(revealed, /^env: +LEVEL="2"$/m);
  match(revealed, /^env: +TOKEN="secret"$/m);

  succeeded(await cli(["update", "report", "--schedule", "0 7 * * *", ...s]));
  job = await cliJson<Json>(["show", "report", ...s]);
  equal(job.schedule, "0 7 * * *");
  equal(job.tz, "Europe/Berlin", "update keeps what was not given");
  equal(job.retries, 2);
  equal(job.nextSlot, "2026-01-16T06:00:00.000Z");

  // A new target kind replaces the old target's fields.
  succeeded(
    await cli(["update", "report", "--module", "/srv/job.ts", ...s]),
  );
  job = await cliJson<Json>(["show", "report", ...s]);
  deepEqual(job.target, { kind: "module", module: "/srv/job.ts" });

  const paused = succeeded(
    await cli(["pause", "report", "--note", "disk full", ...s]),
  );
  equal(paused, "Paused job 'report' (disk full)");
  job = await cliJson<Json>(["show", "report", ...s]);
  equal(job.enabled, false);
  equal(job.pauseNote, "disk full");
  match(
    succeeded(await cli(["list", ...s])),
    /report .*paused/,
  );

  match(succeeded(await cli(["resume", "report", ...s])), /^Resumed job/);
  equal((await cliJson<Json>(["show", "report", ...s])).enabled, true);

  equal(
    succeeded(await cli(["remove", "report", ...s])),
    "Removed job 'report'",
  );
  deepEqual(await cliJson(["list", ...s]), []);
});

Deno.test("tock list --json and show --json print the job contract", async () => {
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  succeeded(
    await cli(["add", "b", "--schedule", "every 10m", "--cmd", "true", ...s]),
  );
  succeeded(
    await cli([
      "add",
      "a",
      "--schedule",
      "*/5 * * * *",
      "--cmd",
      "true",
      "--paused",
      ...s,
    ]),
  );
  const jobs = await cliJson<Json[]>(["list", ...s]);
  deepEqual(jobs.map((j) => j.id), ["a", "b"], "sorted by id");
  for (const job of jobs) {
    for (
      const key of [
        "id",
        "schedule",
        "enabled",
        "nextSlot",
        "tz",
        "target",
        "pauseNote",
        "last",
        "counters",
      ]
    ) {
      ok(key in job, `list --json has ${key}`);
    }
  }
  equal(jobs[0]!.enabled, false);
  equal(jobs[1]!.nextSlot, "2026-01-15T12:10:00.000Z");
  deepEqual(await cliJson(["show", "b", ...s]), jobs[1]);
});

Deno.test("tock list --json and show --json print env names only, values with --show-env", async () => {
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  succeeded(
    await cli([
      "add",
      "a",
      "--schedule",
      "@daily",
      "--cmd",
      "true",
      "--env",
      "API_TOKEN=hunter2",
      "--env",
      "MODE=fast",
      ...s,
    ]),
  );
  succeeded(
    await cli(["add", "b", "--schedule", "@daily", "--cmd", "true", ...s]),
  );
  const envs = (jobs: Json[]) => jobs.map((j) => (j.target as Json).env);
  for (const args of [["list"], ["show", "a"]]) {
    const plain = await cli([...args, "--json", ...s]);
    ok(!succeeded(plain).includes("hunter2"), `${args[0]} --json`);
  }
  deepEqual(envs(await cliJson<Json[]>(["list", ...s])), [
    ["API_TOKEN", "MODE"],
    undefined,
  ]);
  deepEqual(envs(await cliJson<Json[]>(["list", "--show-env", ...s])), [
    { API_TOKEN: "hunter2", MODE: "fast" },
    undefined,
  ]);
  deepEqual(
    (await cliJson<Json>(["show", "a", ...s])).target,
    { kind: "command", cmd: "true", env: ["API_TOKEN", "MODE"] },
  );
  deepEqual(
    (await cliJson<Json>(["show", "a", "--show-env", ...s])).target,
    {
      kind: "command",
      cmd: "true",
      env: { API_TOKEN: "hunter2", MODE: "fast" },
    },
  );
  // Text: list never prints env; show prints the names only by default.
  for (const args of [["list"], ["list", "--show-env"], ["show", "a"]]) {
    ok(!succeeded(await cli([...args, ...s])).includes("hunter2"));
  }
  for (const command of ["list", "show"]) {
    match(succeeded(await cli([command, "--help"])), /--show-env/);
  }
});

Deno.test("tock add and update refuse a NUL byte in cmd, cwd or env with one line naming the field", async () => {
  await using dir = await tempDir();
  const store = `${dir.path}/store`;
  const s = ["--store", store];
  succeeded(
    await cli(["add", "a", "--schedule", "@daily", "--cmd", "true", ...s]),
  );
  const before = await snapshot(store);
  const job = ["a", "--schedule", "@daily"];
  const cases: [string[], string][] = [
    [["add", "b", "--schedule", "@daily", "--cmd", "a\0b"], "'cmd'"],
    [["update", ...job, "--cmd", "a\0b"], "'cmd'"],
    [["update", ...job, "--cwd", "/a\0b"], "'cwd'"],
    [["update", ...job, "--env", "K=a\0b"], `'env' value of "K"`],
  ];
  for (const [args, field] of cases) {
    const result = await cli([...args, ...s]);
    equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    equal(result.stderr.split("\n").length, 1);
    ok(
      result.stderr.includes(`${field} must not contain a NUL byte`),
      result.stderr,
    );
  }
  deepEqual(await snapshot(store), before);
});

Deno.test("tock shows store URLs without credentials and reports a malformed one in one line", async (t) => {
  const cases: [string, number, RegExp][] = [
    // A slash in the password made the URL unparseable, and it was shown.
    [
      "postgres://u:pa/ss@127.0.0.1:1/db",
      2,
      /^tock: Cannot open PostgreSQL store: not a URL: "postgres:\/\/\*\*\*@127\.0\.0\.1:1\/db"$/,
    ],
    [
      "postgres://u:p%zzw@127.0.0.1:1/db",
      2,
      /^tock: Cannot open PostgreSQL store: malformed %-escape in "postgres:\/\/\*\*\*@127\.0\.0\.1:1\/db"$/,
    ],
    [
      "postgres://u%zz:pw@127.0.0.1:1/db",
      2,
      /^tock: Cannot open PostgreSQL store: malformed %-escape in "postgres:\/\/\*\*\*@127\.0\.0\.1:1\/db"$/,
    ],
    [
      "postgresql://u:p@ss:w/rd@127.0.0.1:1/db",
      2,
      /^tock: Cannot open PostgreSQL store: not a URL: "postgresql:\/\/\*\*\*@127\.0\.0\.1:1\/db"$/,
    ],
    [
      "postgres://u:p@ss@127.0.0.1:1/db",
      1,
      /^tock: Cannot open \(PostgreSQL store postgres:\/\/\*\*\*@127\.0\.0\.1:1\/db, schema tock\): connection refused/,
    ],
    [
      "mysql://u:pa/ss@host/db",
      2,
      /^tock: Cannot open store "mysql:\/\/\*\*\*@host\/db": unknown store URL scheme "mysql:"/,
    ],
    [
      "file:///tmp/a%zz",
      2,
      /^tock: Cannot open store "file:\/\/\/tmp\/a%zz": not a valid file URL$/,
    ],
  ];
  for (const [url, code, pattern] of cases) {
    await t.step(url, async () => {
      const result = await cli(["list", "--store", url]);
      equal(result.code, code, result.stderr);
      equal(result.stdout, "");
      equal(result.stderr.split("\n").length, 1);
      match(result.stderr, pattern);
      for (const secret of ["pa/ss", "p%zzw", "u%zz", "p@ss", "w/rd"]) {
        ok(!result.stderr.includes(secret), `${secret} in ${result.stderr}`);
      }
    });
  }
});

Deno.test("tock list, history, status and logs on a missing store print empty results and create nothing", async () => {
  await using dir = await tempDir();
  const store = `${dir.path}/none`;
  const s = ["--store", store];
  deepEqual(await cliJson(["list", ...s]), []);
  deepEqual(await cliJson(["history", ...s]), []);
  const status = await cliJson<Json>(["status", ...s]);
  deepEqual(status.instances, []);
  deepEqual(status.lockHold, { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 });
  match(succeeded(await cli(["list", ...s])), /^No jobs/);
  deepEqual(await snapshot(store), {});
});

Deno.test("tock exits 1 with one line for failures that are not usage errors, changing nothing", async (t) => {
  await using dir = await tempDir();
  const store = `${dir.path}/store`;
  const s = ["--store", store];
  succeeded(
    await cli(["add", "keep", "--schedule", "@daily", "--cmd", "true", ...s]),
  );
  const before = await snapshot(store);
  const cases: [string, string[], RegExp][] = [
    [
      "show unknown",
      ["show", "nope"],
      /^tock: Cannot find job: 'nope' does not exist$/,
    ],
    [
      "update unknown",
      ["update", "nope", "--retries", "1"],
      /'nope' does not exist/,
    ],
    ["remove unknown", ["remove", "nope"], /'nope' does not exist/],
    ["pause unknown", ["pause", "nope"], /'nope' does not exist/],
    ["resume unknown", ["resume", "nope"], /'nope' does not exist/],
    ["trigger unknown", ["trigger", "nope"], /'nope' does not exist/],
    ["history unknown", ["history", "nope"], /'nope' does not exist/],
    ["logs unknown", ["logs", "nope"], /'nope' does not exist/],
    [
      "backfill unknown",
      [
        "backfill",
        "nope",
        "--from",
        "2026-01-01T00:00Z",
        "--to",
        "2026-01-02T00:00Z",
      ],
      /'nope' does not exist/,
    ],
    [
      "add existing",
      ["add", "keep", "--schedule", "@hourly", "--cmd", "true"],
      /Cannot add job 'keep': it already exists/,
    ],
  ];
  for (const [name, args, pattern] of cases) {
    await t.step(name, async () => {
      const result = await cli([...args, ...s]);
      equal(result.code, 1, result.stderr);
      equal(result.stdout, "");
      equal(result.stderr.split("\n").length, 1);
      match(result.stderr, pattern);
    });
  }
  await t.step("unreachable postgres URL", async () => {
    // Port 1 refuses connections: one line, exit 1, no password shown.
    const result = await cli([
      "list",
      "--store",
      "postgres://tock:hunter2@127.0.0.1:1/tock",
    ]);
    equal(result.code, 1);
    equal(result.stderr.split("\n").length, 1);
    match(
      result.stderr,
      /^tock: Cannot open \(PostgreSQL store postgres:\/\/\*\*\*@127\.0\.0\.1:1\/tock, schema tock\): connection refused/,
    );
    equal(result.stderr.includes("hunter2"), false);
  });
  await t.step("malformed postgres schema", async () => {
    const result = await cli([
      "list",
      "--store",
      "postgres://tock@127.0.0.1:1/tock?schema=Bad-Name",
    ]);
    equal(result.code, 2);
    match(result.stderr, /^tock: Cannot open PostgreSQL store: schema must/);
  });
  deepEqual(await snapshot(store), before);

  await t.step("corrupt store", async () => {
    await Deno.writeTextFile(`${store}/state.json`, "{not json");
    const corrupt = await snapshot(store);
    for (
      const args of [
        ["list"],
        ["add", "x", "--schedule", "@daily", "--cmd", "true"],
        ["tick"],
      ]
    ) {
      const result = await cli([...args, ...s]);
      equal(result.code, 1, args.join(" "));
      match(result.stderr, /^tock: Cannot open store ".*store": state.json/);
      equal(result.stderr.split("\n").length, 1);
    }
    deepEqual(
      await snapshot(store),
      corrupt,
      "a corrupt store is never overwritten",
    );
  });
});

Deno.test("tock trigger queues one manual run and a second returns the same run", async () => {
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  succeeded(
    await cli(["add", "sync", "--schedule", "@daily", "--cmd", "true", ...s]),
  );
  const first = await cliJson<Json>(["trigger", "sync", ...s]);
  equal(first.status, "queued");
  match(String(first.runId), /^run-/);
  const slot = Date.parse(String(first.slot));
  ok(slot >= NOW && slot < NOW + 1000, String(first.slot));
  const second = await cliJson<Json>(["trigger", "sync", ...s]);
  equal(second.status, "duplicate");
  equal(second.runId, first.runId);
  const job = await cliJson<{ queued: Json[] }>(["show", "sync", ...s]);
  equal(job.queued.length, 1);
});

Deno.test("tock backfill queues a past range's slots, oldest first", async () => {
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  succeeded(
    await cli([
      "add",
      "daily",
      "--schedule",
      "0 6 * * *",
      "--cmd",
      "true",
      ...s,
    ], { now: () => Date.UTC(2026, 0, 1) }),
  );
  const result = await cliJson<{ slots: string[]; more: boolean }>([
    "backfill",
    "daily",
    "--from",
    "2026-01-10",
    "--to",
    "2026-01-12T23:00Z",
    ...s,
  ]);
  deepEqual(result.slots, [
    "2026-01-10T06:00:00.000Z",
    "2026-01-11T06:00:00.000Z",
    "2026-01-12T06:00:00.000Z",
  ]);
  equal(result.more, false);
  const future = await cli([
    "backfill",
    "daily",
    "--from",
    "2026-01-10",
    "--to",
    "2026-02-01",
    ...s,
  ]);
  equal(future.code, 2);
  match(future.stderr, /is in the future/);
  const reversed = await cli([
    "backfill",
    "daily",
    "--from",
    "2026-01-10",
    "--to",
    "2026-01-09",
    ...s,
  ]);
  equal(reversed.code, 2);
  match(reversed.stderr, /--to .* is before --from/);
});

Deno.test("tock next marks slots a DST change moved", async () => {
  const now = () => Date.UTC(2026, 2, 6);
  const slots = await cliJson<Json[]>(
    ["next", "30 2 * * *", "--tz", "America/New_York", "--count", "3"],
    { now },
  );
  deepEqual(slots.map((s) => s.slot), [
    "2026-03-06T07:30:00.000Z",
    "2026-03-07T07:30:00.000Z",
    "2026-03-08T07:00:00.000Z",
  ]);
  equal(slots[0]!.dst, undefined);
  equal((slots[2]!.dst as Json).kind, "gap");
  equal(slots[2]!.local, "2026-03-08 03:00:00 -04:00");
  const text = succeeded(
    await cli([
      "next",
      "30 2 * * *",
      "--tz",
      "America/New_York",
      "--count",
      "3",
    ], {
      now,
    }),
  );
  match(text, /02:30 does not exist on 2026-03-08 in America\/New_York/);

  // The repeated hour of a fall-back: fixed hours run once, at the first.
  const fall = await cliJson<Json[]>(
    ["next", "30 1 * * *", "--tz", "America/New_York", "--count", "1"],
    { now: () => Date.UTC(2026, 10, 1, 4) },
  );
  equal((fall[0]!.dst as Json).kind, "repeat");
});

Deno.test("tock next ID uses the job's schedule, zone and bounds", async () => {
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  succeeded(
    await cli([
      "add",
      "twice",
      "--schedule",
      "0 9 * * *",
      "--tz",
      "Europe/Berlin",
      "--cmd",
      "true",
      "--max-runs",
      "2",
      ...s,
    ]),
  );
  const slots = await cliJson<Json[]>(["next", "twice", "--count", "5", ...s]);
  deepEqual(slots.map((x) => x.slot), [
    "2026-01-16T08:00:00.000Z",
    "2026-01-17T08:00:00.000Z",
  ]);
  equal(slots[0]!.local, "2026-01-16 09:00:00 +01:00");
  const unknown = await cli(["next", "nosuchjob", ...s]);
  equal(unknown.code, 2);
  match(
    unknown.stderr,
    /Cannot find job 'nosuchjob', and it is not a schedule/,
  );
});

Deno.test("tock next --from lists slots from any instant: the fall-back night of a half-hourly schedule, a job's slots a year on", async () => {
  const now = () => Date.UTC(2026, 0, 15, 12);
  // "2026-11-01 00:00" is read in the zone; 01:00-01:59 happens twice.
  const slots = await cliJson<Json[]>([
    "next",
    "30 * * * *",
    "--tz",
    "America/New_York",
    "--from",
    "2026-11-01 00:30",
    "--count",
    "4",
  ], { now });
  deepEqual(slots.map((s) => s.local), [
    "2026-11-01 00:30:00 -04:00",
    "2026-11-01 01:30:00 -04:00",
    "2026-11-01 01:30:00 -05:00",
    "2026-11-01 02:30:00 -05:00",
  ]);
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  succeeded(
    await cli([
      "add",
      "daily",
      "--schedule",
      "0 9 * * *",
      "--tz",
      "Europe/Berlin",
      "--cmd",
      "true",
      ...s,
    ], { now }),
  );
  const later = await cliJson<Json[]>(
    ["next", "daily", "--from", "2027-01-15", "--count", "2", ...s],
    { now },
  );
  deepEqual(later.map((x) => x.slot), [
    "2027-01-15T08:00:00.000Z",
    "2027-01-16T08:00:00.000Z",
  ]);
  const bad = await cli(["next", "@daily", "--from", "soon"], { now });
  equal(bad.code, 2);
  match(bad.stderr, /^tock: Cannot use --from "soon": expected an instant/);
  equal(bad.stderr.trim().split("\n").length, 1);
});

Deno.test("tock show prints a job's backoff schedule (a cron() retry list), and --json carries it", async () => {
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  {
    await using store = await createFileStore({ dir: `${dir.path}/store` });
    await addJob(store, {
      id: "retry-example",
      schedule: "*/15 * * * *",
      cmd: "true",
      backoffSchedule: [1000, 5000, 10000],
    }, { now: NOW });
  }
  const text = await cli(["show", "retry-example", ...s]);
  equal(text.code, 0, text.stderr);
  match(text.stdout, /retries: +3 \(backoff 1s, 5s, 10s, the last repeating\)/);
  const job = await cliJson<Json>(["show", "retry-example", "--json", ...s]);
  deepEqual(job.backoffSchedule, [1000, 5000, 10000]);
});

Deno.test("tock history prints a range of skipped slots as one entry", async () => {
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  const at = (minutes: number) => () => NOW + minutes * 60_000;
  succeeded(
    await cli(["add", "m", "--schedule", "every 1m", "--cmd", "true", ...s]),
  );
  succeeded(await cli(["pause", "m", ...s], { now: at(0) }));
  succeeded(await cli(["resume", "m", ...s], { now: at(10.5) }));
  const entries = await cliJson<Json[]>(["history", "m", ...s]);
  deepEqual(entries, [{
    job: "m",
    slot: "2026-01-15T12:01:00.000Z",
    outcome: "skipped",
    trigger: "schedule",
    until: "2026-01-15T12:10:00.000Z",
    count: 10,
    note: "paused",
  }]);
  const text = succeeded(await cli(["history", ...s]));
  match(
    text,
    /^SLOT +JOB +OUTCOME +TRIGGER +ATTEMPT +DURATION +DETAIL\n2026-01-15 12:01:00Z +m +skipped +schedule +- +- +10 slots until 2026-01-15 12:10:00Z \(paused\)$/,
  );
  const limited = await cliJson<Json[]>(["history", "--limit", "1", ...s]);
  equal(limited.length, 1);
  const status = succeeded(await cli(["status", ...s], { now: at(11) }));
  match(
    status,
    /^Jobs: 1\n +ID +NEXT +LAST\n +m +2026-01-15 12:11:00Z \(now\) +skipped /m,
  );
});
