// `inheritEnv` on the command line and in jobs files: a job opts into the
// scheduler's whole environment with `--inherit-env` (or `"inheritEnv":
// true`), `update --no-inherit-env` opts out, and `show` says so.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { parseJobsFile } from "../../src/cli/jobs_file.ts";
import { addJob } from "../../src/turns/manage_jobs.ts";
import { createFileStore } from "../../src/store/file/file_store.ts";
import { cli, cliJson, NOW, tempDir } from "./_run.ts";

type Json = Record<string, unknown>;

function succeeded(result: { code: number; stdout: string; stderr: string }) {
  equal(result.code, 0, result.stderr);
  return result.stdout;
}

Deno.test("tock add --inherit-env, update --no-inherit-env, and show", async () => {
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  succeeded(
    await cli([
      "add",
      "deploy",
      "--schedule",
      "0 6 * * *",
      "--cmd",
      "./deploy.sh",
      "--inherit-env",
      ...s,
    ]),
  );
  let job = await cliJson<Json>(["show", "deploy", ...s]);
  deepEqual(job.target, {
    kind: "command",
    cmd: "./deploy.sh",
    inheritEnv: true,
  });
  match(succeeded(await cli(["show", "deploy", ...s])), /^inherit env: +yes/m);

  // Another change keeps it; switching to a module keeps it too.
  succeeded(await cli(["update", "deploy", "--retries", "2", ...s]));
  job = await cliJson<Json>(["show", "deploy", ...s]);
  equal((job.target as Json).inheritEnv, true);
  succeeded(
    await cli(["update", "deploy", "--module", "/srv/deploy.ts", ...s]),
  );
  job = await cliJson<Json>(["show", "deploy", ...s]);
  deepEqual(job.target, {
    kind: "module",
    module: "/srv/deploy.ts",
    inheritEnv: true,
  });

  succeeded(await cli(["update", "deploy", "--no-inherit-env", ...s]));
  job = await cliJson<Json>(["show", "deploy", ...s]);
  deepEqual(job.target, { kind: "module", module: "/srv/deploy.ts" });
  ok(!succeeded(await cli(["show", "deploy", ...s])).includes("inherit env"));

  const both = await cli([
    "update",
    "deploy",
    "--inherit-env",
    "--no-inherit-env",
    ...s,
  ]);
  equal(both.code, 2);
  equal(both.stderr, "tock: Give --inherit-env or --no-inherit-env, not both");
});

Deno.test("tock update --inherit-env refuses a function job with one line", async () => {
  await using dir = await tempDir();
  {
    await using store = await createFileStore({ dir: `${dir.path}/store` });
    await addJob(store, { id: "fn", schedule: "0 6 * * *", run: "fn" }, {
      now: NOW,
    });
  }
  const result = await cli([
    "update",
    "fn",
    "--inherit-env",
    "--store",
    `${dir.path}/store`,
  ]);
  equal(result.code, 2);
  equal(
    result.stderr,
    "tock: Cannot define job 'fn': 'inheritEnv' applies to 'cmd' and 'module' jobs only",
  );
});

Deno.test('a jobs file takes "inheritEnv": true or false, and nothing else', () => {
  const parse = (inheritEnv: unknown) =>
    parseJobsFile(
      JSON.stringify({
        jobs: [{ id: "a", schedule: "@daily", cmd: "env", inheritEnv }],
      }),
      "/srv/jobs.json",
      { now: NOW },
    );
  equal(parse(true).jobs[0]?.inheritEnv, true);
  equal(parse(false).jobs[0]?.inheritEnv, false);
  let message = "";
  try {
    parse("yes");
  } catch (error) {
    message = (error as Error).message;
  }
  equal(
    message,
    `Cannot load jobs file "/srv/jobs.json": jobs[0] ("a"): "inheritEnv": expected true or false: received "yes"`,
  );
});
