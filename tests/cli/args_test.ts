// Argument parsing and the exit status of usage errors, run in process.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { COMMANDS } from "../../src/cli/main.ts";
import { cli, cliJson, snapshot, tempDir } from "./_run.ts";

/** A usage error: exit 2, one line on stderr, nothing on stdout. */
function usageError(
  result: { code: number; stdout: string; stderr: string },
  pattern: RegExp,
) {
  equal(result.code, 2, result.stderr);
  equal(result.stdout, "");
  equal(result.stderr.split("\n").length, 1, result.stderr);
  match(result.stderr, /^tock: /);
  match(result.stderr, pattern);
}

Deno.test("runCli() --help lists every command and exits 0", async () => {
  for (const args of [["--help"], ["-h"], ["help"]]) {
    const result = await cli(args);
    equal(result.code, 0);
    for (const command of COMMANDS) {
      match(result.stdout, new RegExp(`^  ${command.name} `, "m"));
    }
  }
});

Deno.test("runCli() <command> --help prints that command's usage", async (t) => {
  for (const command of COMMANDS) {
    await t.step(command.name, async () => {
      for (const args of [[command.name, "--help"], ["help", command.name]]) {
        const result = await cli(args);
        equal(result.code, 0);
        equal(result.stderr, "");
        match(result.stdout, new RegExp(`^Usage: tock ${command.name}\\b`));
        match(result.stdout, /--store/);
      }
      // -h wins over a missing argument or an otherwise bad flag value.
      equal((await cli([command.name, "-h"])).code, 0);
    });
  }
});

Deno.test("runCli() exits 2 with one line for usage errors", async (t) => {
  await using dir = await tempDir();
  const store = `${dir.path}/store`;
  const cases: [string, string[], RegExp][] = [
    ["no command", [], /^tock: Missing command/],
    ["unknown command", ["lsit"], /Unknown command "lsit"/],
    [
      "unknown global flag",
      ["--verbose", "list"],
      /Unknown option '--verbose'/,
    ],
    [
      "unknown flag",
      ["list", "--bogus"],
      /Unknown option '--bogus' for 'tock list'/,
    ],
    ["unknown short flag", ["list", "-x"], /Unknown option '-x'/],
    [
      "flag without value",
      ["history", "--limit"],
      /'--limit' of 'tock history' needs a value/,
    ],
    [
      "boolean with value",
      ["list", "--json=yes"],
      /'--json' of 'tock list' takes no value/,
    ],
    ["missing ID", ["show"], /Missing argument ID for 'tock show'/],
    ["extra argument", ["show", "a", "b"], /Unexpected argument "b"/],
    [
      "unquoted schedule",
      ["add", "a", "--schedule", "*/5", "*", "*", "*", "*", "--cmd", "x"],
      /Unexpected argument "\*".*quote schedules/,
    ],
    ["bad id", ["show", "-bad-"], /Unknown option '-b'/],
    ["bad id text", ["show", "no/slash"], /Cannot use job id "no\/slash"/],
    [
      "bad duration",
      ["add", "a", "--schedule", "@daily", "--cmd", "x", "--timeout", "5x"],
      /^tock: Cannot parse duration "5x": unknown unit "x"$/,
    ],
    [
      "bad schedule",
      ["add", "a", "--schedule", "61 * * * *", "--cmd", "x"],
      /^tock: Cannot parse schedule "61 \* \* \* \*": minute must be 0-59/,
    ],
    [
      "never-matching schedule",
      ["add", "a", "--schedule", "0 0 30 2 *", "--cmd", "x"],
      /never matches/,
    ],
    [
      "bad zone",
      ["add", "a", "--schedule", "@daily", "--cmd", "x", "--tz", "Mars/Base"],
      /Cannot use --tz "Mars\/Base": not an IANA time zone/,
    ],
    [
      "bad integer",
      ["add", "a", "--schedule", "@daily", "--cmd", "x", "--retries", "two"],
      /Cannot use --retries "two": expected an integer from 0 to 100/,
    ],
    [
      "integer out of range",
      ["add", "a", "--schedule", "@daily", "--cmd", "x", "--max-runs", "0"],
      /Cannot use --max-runs "0"/,
    ],
    [
      "bad choice",
      ["add", "a", "--schedule", "@daily", "--cmd", "x", "--overlap", "wait"],
      /Cannot use --overlap "wait": expected one of skip, queue, allow, replace/,
    ],
    [
      "bad instant",
      ["add", "a", "--schedule", "@daily", "--cmd", "x", "--start-at", "soon"],
      /Cannot use --start-at "soon": expected an instant/,
    ],
    [
      "bad K=V",
      ["add", "a", "--schedule", "@daily", "--cmd", "x", "--env", "NOVALUE"],
      /Cannot use --env "NOVALUE": expected KEY=VALUE/,
    ],
    [
      "two targets",
      ["add", "a", "--schedule", "@daily", "--cmd", "x", "--module", "m.ts"],
      /Give --cmd or --module, not both/,
    ],
    [
      "no target",
      ["add", "a", "--schedule", "@daily"],
      /Missing --cmd or --module/,
    ],
    ["no schedule", ["add", "a", "--cmd", "x"], /Missing --schedule/],
    [
      "env on a module job",
      ["add", "a", "--schedule", "@daily", "--module", "m.ts", "--env", "A=1"],
      /--env: it applies to --cmd jobs only/,
    ],
    [
      "one-shot in the past",
      ["add", "a", "--schedule", "2020-01-01T00:00:00Z", "--cmd", "x"],
      /is in the past/,
    ],
    [
      "bad --count",
      ["next", "@daily", "--count", "0"],
      /Cannot use --count "0"/,
    ],
    ["bad next spec", ["next", "every"], /Cannot parse schedule "every"/],
    ["bad grace", ["start", "--grace", "soon"], /Cannot parse duration "soon"/],
    [
      "bad instance",
      ["start", "--instance", "a b"],
      /Cannot use --instance "a b"/,
    ],
    [
      "bad max-parallel",
      ["tick", "--max-parallel", "0"],
      /Cannot use --max-parallel "0"/,
    ],
    [
      "missing jobs file",
      ["start", "--jobs", `${dir.path}/none.json`],
      /Cannot load jobs file ".*none.json": it does not exist/,
    ],
    [
      "unknown store scheme",
      ["list", "--store", "mysql://h/db"],
      /unknown store URL scheme "mysql:"/,
    ],
    [
      "backfill without --from",
      ["backfill", "a", "--to", "2026-01-01T00:00Z"],
      /Missing --from/,
    ],
  ];
  for (const [name, args, pattern] of cases) {
    await t.step(name, async () => {
      const withStore = args.includes("--store")
        ? args
        : [...args, "--store", store];
      usageError(await cli(withStore), pattern);
    });
  }
  deepEqual(await snapshot(store), {}, "no store was created");
});

Deno.test("runCli() never echoes an --env value in an error", async () => {
  const result = await cli([
    "add",
    "a",
    "--schedule",
    "@daily",
    "--cmd",
    "x",
    "--env",
    "1BAD=hunter2",
    "--store",
    "/nonexistent",
  ]);
  equal(result.code, 2);
  ok(!result.stderr.includes("hunter2"), result.stderr);
});

Deno.test("runCli() reads the store from --store, before or after the command, or $TOCK_STORE", async () => {
  await using dir = await tempDir();
  const a = `${dir.path}/a`;
  const b = `${dir.path}/b`;
  const add = (
    id: string,
  ) => ["add", id, "--schedule", "@daily", "--cmd", "true"];
  equal((await cli([...add("one"), "--store", a])).code, 0);
  equal((await cli(["--store", a, ...add("two")])).code, 0);
  equal((await cli([`--store=${b}`, ...add("three")])).code, 0);
  equal((await cli(add("four"), { vars: { TOCK_STORE: b } })).code, 0);
  const ids = async (args: string[], vars = {}) =>
    (await cliJson<{ id: string }[]>(["list", ...args], { vars })).map((j) =>
      j.id
    );
  deepEqual(await ids(["--store", a]), ["one", "two"]);
  deepEqual(await ids([], { TOCK_STORE: b }), ["four", "three"]);
  // The flag wins over the environment.
  deepEqual(await ids(["--store", a], { TOCK_STORE: b }), ["one", "two"]);
});

Deno.test("tock with no --store and no $TOCK_STORE uses ./.tock", async () => {
  await using dir = await tempDir();
  const main = new URL("../../src/cli/main.ts", import.meta.url).pathname;
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const env = Deno.env.toObject();
  delete env.TOCK_STORE;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      config,
      main,
      "add",
      "a",
      "--schedule",
      "@daily",
      "--cmd",
      "true",
    ],
    cwd: dir.path,
    env,
    clearEnv: true,
    stdin: "null",
  }).output();
  equal(output.code, 0, new TextDecoder().decode(output.stderr));
  ok((await Deno.stat(`${dir.path}/.tock`)).isDirectory);
});
