// Jobs files: a good file parses; every kind of bad file gives one line
// naming the job and the field.
import { deepEqual, equal, match, throws } from "node:assert/strict";
import { parseJobsFile, readJobsFile } from "../../src/cli/jobs_file.ts";
import { cli, NOW, snapshot, tempDir } from "./_run.ts";

const PATH = "/srv/app/jobs.json";

function parse(data: unknown) {
  return parseJobsFile(
    typeof data === "string" ? data : JSON.stringify(data),
    PATH,
    { now: NOW },
  );
}

Deno.test("parseJobsFile() reads every option and resolves relative paths against the file", () => {
  const file = parse({
    jobs: [
      {
        id: "report",
        schedule: "30 2 * * *",
        tz: "Europe/Berlin",
        cmd: "./report.sh",
        cwd: "work",
        env: { LEVEL: "2" },
        overlap: "queue",
        catchup: "all",
        catchupWindow: "2h",
        catchupMax: 10,
        timeout: "10m",
        retries: 3,
        backoff: 1500,
        backoffMax: "1m",
        jitter: "30s",
        maxRuns: 100,
        startAt: "2026-02-01 00:00",
        endAt: "2027-01-01T00:00:00Z",
        recover: "rerun",
        paused: true,
      },
      { id: "mod", schedule: "every 5m", module: "modules/hello.ts" },
      { id: "remote", schedule: "@daily", module: "https://example.com/j.ts" },
    ],
  });
  equal(file.path, PATH);
  deepEqual(file.jobs.map((j) => j.id), ["report", "mod", "remote"]);
  equal(file.jobs[0]!.cwd, "/srv/app/work");
  equal(file.jobs[0]!.retries, 3);
  deepEqual(file.jobs[0]!.env, { LEVEL: "2" });
  equal(file.jobs[1]!.module, "/srv/app/modules/hello.ts");
  equal(file.jobs[2]!.module, "https://example.com/j.ts");
});

Deno.test("parseJobsFile() accepts an empty list", () => {
  deepEqual(parse({ jobs: [] }).jobs, []);
});

Deno.test("parseJobsFile() rejects each kind of bad file with one line naming job and field", async (t) => {
  const ok = { id: "a", schedule: "@daily", cmd: "true" };
  const cases: [string, unknown, RegExp][] = [
    ["not JSON", "{jobs: [", /not valid JSON/],
    ["not an object", [], /expected an object \{"jobs": \[\.\.\.\]\}/],
    ["no jobs", {}, /"jobs" must be an array/],
    ["jobs not an array", { jobs: {} }, /"jobs" must be an array/],
    [
      "unknown top-level field",
      { jobs: [], version: 2 },
      /unknown top-level field "version"/,
    ],
    ["job not an object", { jobs: [ok, "b"] }, /jobs\[1\]: expected an object/],
    [
      "missing id",
      { jobs: [{ schedule: "@daily", cmd: "x" }] },
      /jobs\[0\]: missing field "id"/,
    ],
    [
      "bad id",
      { jobs: [{ ...ok, id: "a b" }] },
      /jobs\[0\]: "id": Cannot use job id "a b"/,
    ],
    [
      "duplicate id",
      { jobs: [ok, ok] },
      /jobs\[1\] \("a"\): duplicate id \(also jobs\[0\]\)/,
    ],
    [
      "unknown field",
      { jobs: [{ ...ok, schedul: "x" }] },
      /jobs\[0\] \("a"\): unknown field "schedul" \(did you mean "schedule"\?\)/,
    ],
    [
      "kebab-case field",
      { jobs: [{ ...ok, "max-runs": 3 }] },
      /unknown field "max-runs" \(did you mean "maxRuns"\?\)/,
    ],
    [
      "function target",
      { jobs: [{ ...ok, run: "f" }] },
      /field "run" names a function handler/,
    ],
    [
      "missing schedule",
      { jobs: [{ id: "a", cmd: "x" }] },
      /jobs\[0\] \("a"\): missing field "schedule"/,
    ],
    [
      "missing target",
      { jobs: [{ id: "a", schedule: "@daily" }] },
      /missing field "cmd" or "module"/,
    ],
    [
      "two targets",
      { jobs: [{ ...ok, module: "m.ts" }] },
      /give "cmd" or "module", not both/,
    ],
    ["env on a module", {
      jobs: [{ id: "a", schedule: "@daily", module: "m.ts", env: { A: "1" } }],
    }, /"env" applies only to "cmd" jobs/],
    [
      "bad schedule",
      { jobs: [{ ...ok, schedule: "61 * * * *" }] },
      /jobs\[0\] \("a"\): "schedule": Cannot parse schedule "61 \* \* \* \*"/,
    ],
    [
      "schedule not a string",
      { jobs: [{ ...ok, schedule: 5 }] },
      /"schedule": expected a non-empty string: received 5/,
    ],
    [
      "bad duration",
      { jobs: [{ ...ok, timeout: "5x" }] },
      /jobs\[0\] \("a"\): "timeout": Cannot parse duration "5x": unknown unit "x"/,
    ],
    [
      "negative ms",
      { jobs: [{ ...ok, backoff: -1 }] },
      /"backoff": expected a duration/,
    ],
    [
      "bad zone",
      { jobs: [{ ...ok, tz: "Mars/Base" }] },
      /"tz": not an IANA time zone/,
    ],
    [
      "bad choice",
      { jobs: [{ ...ok, overlap: "wait" }] },
      /"overlap": expected one of skip, queue, allow, replace: received "wait"/,
    ],
    [
      "bad integer",
      { jobs: [{ ...ok, retries: 1.5 }] },
      /"retries": expected an integer from 0 to 100: received 1.5/,
    ],
    [
      "retries as text",
      { jobs: [{ ...ok, retries: "3" }] },
      /"retries": expected an integer/,
    ],
    [
      "bad boolean",
      { jobs: [{ ...ok, paused: "yes" }] },
      /"paused": expected true or false/,
    ],
    [
      "env not an object",
      { jobs: [{ ...ok, env: ["A=1"] }] },
      /"env": expected an object of strings/,
    ],
    [
      "env value not a string",
      { jobs: [{ ...ok, env: { A: 1 } }] },
      /"env": the value of "A" must be a string/,
    ],
    [
      "bad env name",
      { jobs: [{ ...ok, env: { "A-B": "1" } }] },
      /"env": bad variable name "A-B"/,
    ],
    [
      "bad instant",
      { jobs: [{ ...ok, startAt: "soon" }] },
      /jobs\[0\] \("a"\): 'startAt' must be an instant/,
    ],
    ["end before start", {
      jobs: [{
        ...ok,
        startAt: "2026-03-01T00:00Z",
        endAt: "2026-02-01T00:00Z",
      }],
    }, /'endAt' must not be before 'startAt'/],
    ["one-shot in the past", {
      jobs: [{ ...ok, schedule: "2020-01-01T00:00:00Z" }],
    }, /is in the past/],
    [
      "NUL in cmd",
      { jobs: [{ ...ok, cmd: "echo\u0000" }] },
      /'cmd' must not contain a NUL byte/,
    ],
    [
      "NUL in an env value",
      { jobs: [{ ...ok, env: { TOKEN: "a\u0000b" } }] },
      /'env' value of "TOKEN" must not contain a NUL byte/,
    ],
    [
      "NUL in cwd",
      { jobs: [{ ...ok, cwd: "a\u0000b" }] },
      /'cwd' must not contain a NUL byte/,
    ],
  ];
  for (const [name, data, pattern] of cases) {
    await t.step(name, () => {
      throws(() => parse(data), (error: Error) => {
        equal(error.name, "UsageError");
        match(
          error.message,
          /^Cannot load jobs file "\/srv\/app\/jobs.json": /,
        );
        equal(error.message.split("\n").length, 1);
        match(error.message, pattern);
        return true;
      });
    });
  }
});

Deno.test("parseJobsFile() checks an existing job against its creation time", () => {
  const data = JSON.stringify({
    jobs: [{ id: "once", schedule: "2026-01-10T00:00:00Z", cmd: "true" }],
  });
  throws(() => parseJobsFile(data, PATH, { now: NOW }), /is in the past/);
  const file = parseJobsFile(data, PATH, {
    now: NOW,
    createdAt: (id) => id === "once" ? Date.UTC(2026, 0, 1) : undefined,
  });
  equal(file.jobs.length, 1);
});

Deno.test("readJobsFile() names a missing file or a directory", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/jobs.json`,
    JSON.stringify({ jobs: [{ id: "a", schedule: "@daily", cmd: "true" }] }),
  );
  const file = await readJobsFile("jobs.json", dir.path, { now: NOW });
  equal(file.path, `${dir.path}/jobs.json`);
  await readJobsFile("none.json", dir.path, { now: NOW }).then(
    () => Promise.reject(new Error("expected an error")),
    (error) => match(error.message, /"none.json": it does not exist/),
  );
  await readJobsFile(".", dir.path, { now: NOW }).then(
    () => Promise.reject(new Error("expected an error")),
    (error) => match(error.message, /it is a directory/),
  );
});

Deno.test("tock start --jobs with a bad file exits 2 and changes nothing", async () => {
  await using dir = await tempDir();
  const store = `${dir.path}/store`;
  const add = await cli([
    "add",
    "kept",
    "--schedule",
    "@daily",
    "--cmd",
    "true",
    "--store",
    store,
  ]);
  equal(add.code, 0, add.stderr);
  const before = await snapshot(store);
  const jobs = `${dir.path}/jobs.json`;
  await Deno.writeTextFile(
    jobs,
    JSON.stringify({
      jobs: [
        { id: "good", schedule: "@daily", cmd: "true" },
        { id: "bad", schedule: "@daily", cmd: "true", timeout: "5x" },
      ],
    }),
  );
  for (const command of ["start", "tick"]) {
    const result = await cli([command, "--jobs", jobs, "--store", store]);
    equal(result.code, 2);
    equal(result.stdout, "");
    match(
      result.stderr,
      /^tock: Cannot load jobs file ".*jobs.json": jobs\[1\] \("bad"\): "timeout": Cannot parse duration "5x": unknown unit "x"$/,
    );
  }
  deepEqual(await snapshot(store), before);
});
