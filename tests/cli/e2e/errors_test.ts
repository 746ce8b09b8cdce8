// Bad input (SPEC §8, G7): exit 2 for usage and validation errors, exit 1
// for other failures, exactly one line on stderr naming the problem, and the
// store left byte-for-byte as it was.
import { equal, ok } from "node:assert/strict";
import {
  assertOneLineError,
  assertUnchanged,
  snapshotDir,
  succeeded,
  tempDir,
  tock,
} from "./_cli.ts";

type Case = readonly [name: string, args: string[], names?: RegExp | string];

const ADD = ["add", "fresh", "--schedule", "* * * * *", "--cmd", "true"];

const USAGE_ERRORS: readonly Case[] = [
  ["bad schedule", [
    "add",
    "fresh",
    "--schedule",
    "61 * * * *",
    "--cmd",
    "true",
  ], "61 * * * *"],
  ["schedule that never matches", [
    "add",
    "fresh",
    "--schedule",
    "0 0 30 2 *",
    "--cmd",
    "true",
  ], "0 0 30 2 *"],
  ["bad duration", [...ADD, "--timeout", "5 parsecs"], "5 parsecs"],
  ["bad catch-up window", [...ADD, "--catchup-window", "soonish"], "soonish"],
  ["bad jitter", [...ADD, "--jitter", "3 jiffies"], "3 jiffies"],
  ["bad time zone", [...ADD, "--tz", "Mars/Olympus"], "Mars/Olympus"],
  ["bad id", [
    "add",
    "../x",
    "--schedule",
    "* * * * *",
    "--cmd",
    "true",
  ], "../x"],
  ["unknown flag", [...ADD, "--bogus"], "bogus"],
  ["unknown flag with a value", [...ADD, "--frequency=7"], "frequency"],
  ["missing --schedule", ["add", "fresh", "--cmd", "true"], /schedule/],
  ["missing target", ["add", "fresh", "--schedule", "* * * * *"], /cmd|module/],
  ["both --cmd and --module", [
    ...ADD,
    "--module",
    "job.ts",
  ], /cmd[\s\S]*module|module[\s\S]*cmd/],
  ["missing id", ["add", "--schedule", "* * * * *", "--cmd", "true"], /id/i],
  ["bad overlap", [...ADD, "--overlap", "sometimes"], "sometimes"],
  ["bad catch-up policy", [...ADD, "--catchup", "maybe"], "maybe"],
  ["bad recover policy", [...ADD, "--recover", "never"], "never"],
  ["non-numeric retries", [...ADD, "--retries", "abc"], "abc"],
  ["negative retries", [...ADD, "--retries=-1"], "-1"],
  ["non-numeric max runs", [...ADD, "--max-runs", "lots"], "lots"],
  ["bad --env", [...ADD, "--env", "NOEQUALS"], "NOEQUALS"],
  ["bad --start-at", [...ADD, "--start-at", "not-a-date"], "not-a-date"],
  ["unknown command", ["frobnicate"], "frobnicate"],
  ["update: bad schedule", [
    "update",
    "keep",
    "--schedule",
    "61 * * * *",
  ], "61 * * * *"],
  [
    "update: bad duration",
    ["update", "keep", "--timeout", "1 fortnight"],
    "1 fortnight",
  ],
  ["update: unknown flag", ["update", "keep", "--bogus"], "bogus"],
  ["update: bad id", ["update", "../x", "--retries", "1"], "../x"],
  ["remove: bad id", ["remove", "../x"], "../x"],
  ["pause: bad id", ["pause", "../x", "--note", "n"], "../x"],
  ["resume: bad id", ["resume", "../x"], "../x"],
  ["trigger: bad id", ["trigger", "../x"], "../x"],
  ["trigger: unknown flag", ["trigger", "keep", "--forcefully"], "forcefully"],
  ["show: bad id", ["show", "../x"], "../x"],
  ["show: missing id", ["show"], /id/i],
  ["logs: bad id", ["logs", "../x"], "../x"],
  ["history: bad --limit", ["history", "--limit", "abc"], "abc"],
  ["history: unknown flag", ["history", "--since", "1h"], "since"],
  ["backfill: bad --from", [
    "backfill",
    "keep",
    "--from",
    "not-a-date",
    "--to",
    "2026-01-02T00:00:00Z",
  ], "not-a-date"],
  ["backfill: missing --to", [
    "backfill",
    "keep",
    "--from",
    "2026-01-01T00:00:00Z",
  ], /to/],
  ["backfill: reversed range", [
    "backfill",
    "keep",
    "--from",
    "2026-01-02T00:00:00Z",
    "--to",
    "2026-01-01T00:00:00Z",
  ], /from|to|range/],
  ["next: bad schedule", ["next", "61 * * * *"], "61 * * * *"],
  [
    "next: bad zone",
    ["next", "* * * * *", "--tz", "Mars/Olympus"],
    "Mars/Olympus",
  ],
  ["next: bad --count", ["next", "* * * * *", "--count", "many"], "many"],
  ["start: bad --max-parallel", ["start", "--max-parallel", "zero"], "zero"],
  ["start: unknown flag", ["start", "--daemonize"], "daemonize"],
];

const UNKNOWN_JOB: readonly Case[] = [
  ["show", ["show", "nope"], "nope"],
  ["update", ["update", "nope", "--schedule", "* * * * *"], "nope"],
  ["remove", ["remove", "nope"], "nope"],
  ["pause", ["pause", "nope", "--note", "why"], "nope"],
  ["resume", ["resume", "nope"], "nope"],
  ["trigger", ["trigger", "nope"], "nope"],
  ["trigger --force", ["trigger", "nope", "--force"], "nope"],
  ["logs", ["logs", "nope"], "nope"],
  ["backfill", [
    "backfill",
    "nope",
    "--from",
    "2026-01-01T00:00:00Z",
    "--to",
    "2026-01-01T03:00:00Z",
  ], "nope"],
];

/** A store (under `dir`) holding one job, `keep`. */
async function storeWithKeep(dir: string): Promise<string> {
  const store = `${dir}/store`;
  succeeded(
    await tock(["add", "keep", "--schedule", "0 0 1 1 *", "--cmd", "true"], {
      store,
    }),
  );
  return store;
}

/**
 * One step per case: the command exits `code` with one line naming
 * `names`, and leaves the store as it was.
 *
 * @returns The store's files as they were (and still are).
 */
async function stepErrors(
  t: Deno.TestContext,
  store: string,
  cases: readonly Case[],
  code: number,
): Promise<Awaited<ReturnType<typeof snapshotDir>>> {
  const before = await snapshotDir(store);
  for (const [name, args, names] of cases) {
    await t.step(name, async () => {
      assertOneLineError(await tock(args, { store }), code, names);
      await assertUnchanged(store, before, `by ${name}`);
    });
  }
  return before;
}

Deno.test("tock: usage and validation errors exit 2 with one line and change nothing", async (t) => {
  await using tmp = await tempDir();
  const store = await storeWithKeep(tmp.path);
  await stepErrors(t, store, USAGE_ERRORS, 2);
});

Deno.test("tock: an unknown job is exit 1 with one line and changes nothing", async (t) => {
  await using tmp = await tempDir();
  const store = await storeWithKeep(tmp.path);
  const before = await stepErrors(t, store, UNKNOWN_JOB, 1);
  await t.step("add of an existing id", async () => {
    const result = await tock(
      ["add", "keep", "--schedule", "* * * * *", "--cmd", "false"],
      { store },
    );
    ok(result.code !== 0, "adding an existing id succeeded");
    assertOneLineError(result, result.code, "keep");
    await assertUnchanged(store, before, "by add of an existing id");
  });
  await t.step("logs of an unknown run", async () => {
    const result = await tock(["logs", "keep", "--run", "no-such-run"], {
      store,
    });
    // SPEC §8 does not say whether this is an error: a run may be running
    // or have printed nothing. Either way it names the run and changes
    // nothing.
    if (result.code === 0) ok(result.stdout.includes("no-such-run"));
    else assertOneLineError(result, result.code, "no-such-run");
    await assertUnchanged(store, before, "by logs --run");
  });
});

Deno.test("tock: bad input never creates a store", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/never`;
  assertOneLineError(
    await tock(
      ["add", "a", "--schedule", "61 * * * *", "--cmd", "true"],
      { store },
    ),
    2,
    "61 * * * *",
  );
  assertOneLineError(await tock(["add", "a", "--bogus"], { store }), 2);
  const jobs = `${tmp.path}/jobs.json`;
  await Deno.writeTextFile(jobs, "{ not json");
  assertOneLineError(await tock(["start", "--jobs", jobs], { store }), 2);
  equal(await exists(store), false, "the store directory was created");
});

Deno.test("tock start --jobs: a malformed jobs file exits 2 with one line and changes nothing", async (t) => {
  await using tmp = await tempDir();
  const store = await storeWithKeep(tmp.path);
  const before = await snapshotDir(store);
  const good = { id: "first", schedule: "* * * * * *", cmd: "true" };
  const files: readonly (readonly [string, string, (RegExp | string)?])[] = [
    ["bad JSON", '{"jobs": ['],
    ["not an object", "[1, 2]"],
    ["no jobs array", '{"jobz": []}', /jobz|jobs/],
    [
      "unknown field",
      JSON.stringify({ jobs: [good, { ...good, id: "x2", colour: "red" }] }),
      "colour",
    ],
    [
      "bad schedule in job 2",
      JSON.stringify({
        jobs: [good, { id: "second", schedule: "61 * * * *", cmd: "true" }],
      }),
      "61 * * * *",
    ],
    [
      "bad duration in job 2",
      JSON.stringify({
        jobs: [good, {
          id: "second",
          schedule: "@daily",
          cmd: "true",
          timeout: "3 aeons",
        }],
      }),
      "3 aeons",
    ],
    [
      "bad id in job 2",
      JSON.stringify({ jobs: [good, { ...good, id: "../x" }] }),
      "../x",
    ],
    [
      "missing target",
      JSON.stringify({ jobs: [{ id: "t", schedule: "@daily" }] }),
      /cmd|module/,
    ],
    [
      "duplicate ids",
      JSON.stringify({ jobs: [good, good] }),
      "first",
    ],
  ];
  for (const [name, text, names] of files) {
    await t.step(name, async () => {
      const path = `${tmp.path}/jobs-${name.replaceAll(" ", "-")}.json`;
      await Deno.writeTextFile(path, text);
      const result = await tock(["start", "--jobs", path], {
        store,
        timeoutMs: 15_000,
      });
      assertOneLineError(result, 2, names);
      await assertUnchanged(store, before, `by ${name}`);
    });
  }
  await t.step("missing jobs file", async () => {
    const result = await tock(
      ["start", "--jobs", `${tmp.path}/absent.json`],
      { store, timeoutMs: 15_000 },
    );
    ok(result.code === 1 || result.code === 2, `exit ${result.code}`);
    assertOneLineError(result, result.code, "absent.json");
    await assertUnchanged(store, before, "by a missing jobs file");
  });
});

Deno.test("tock: a corrupt store is refused with one line and never overwritten", async (t) => {
  await using tmp = await tempDir();
  const store = await storeWithKeep(tmp.path);
  const files = (await Array.fromAsync(Deno.readDir(store)))
    .filter((e) => e.isFile && e.name.endsWith(".json")).map((e) => e.name);
  const marker = files.includes("tock.json") ? "tock.json" : files[0];
  ok(marker, "no JSON file in a fresh store");
  await Deno.writeTextFile(`${store}/${marker}`, "{ garbage");
  const before = await snapshotDir(store);
  for (
    const args of [
      ["list"],
      ["show", "keep"],
      ["add", "other", "--schedule", "* * * * *", "--cmd", "true"],
      ["tick"],
    ]
  ) {
    await t.step(args.join(" "), async () => {
      const result = await tock(args, { store });
      assertOneLineError(result, 1);
      await assertUnchanged(store, before, `by ${args.join(" ")}`);
    });
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
