/**
 * Three `tock start` processes share one store: every (job, slot) runs once,
 * in whichever instance claimed it. Three per-second jobs append
 * `$TOCK_JOB_ID $TOCK_SLOT $TOCK_INSTANCE` to a file for about six seconds;
 * then the instances get SIGTERM, and the script counts the runs per
 * instance, looks for a (job, slot) that ran twice, and checks that
 * `tock history --json` agrees with the file. Exits 1 if anything ran twice.
 *
 *     deno run -A examples/three_instances.ts
 *
 * @module
 */
// deno-lint-ignore-file no-console

const MAIN = new URL("../src/cli/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const JOBS = ["alpha", "beta", "gamma"];
const INSTANCES = ["a", "b", "c"];
const RUN_SECONDS = 6;

interface Entry {
  readonly job: string;
  readonly slot: string;
  readonly outcome: string;
  readonly instance?: string;
  readonly runId?: string;
}

function tockArgs(store: string, args: readonly string[]): string[] {
  return ["run", "-A", "--config", CONFIG, MAIN, ...args, "--store", store];
}

async function tock(store: string, ...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: tockArgs(store, args),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (code !== 0) {
    throw new Error(`tock ${args.join(" ")}: ${text.decode(stderr).trim()}`);
  }
  return text.decode(stdout);
}

const dir = await Deno.makeTempDir({ prefix: "tock-three-" });
try {
  const store = `${dir}/store`;
  for (const id of JOBS) {
    await tock(
      store,
      "add",
      id,
      "--schedule",
      "* * * * * *",
      "--cmd",
      'echo "$TOCK_JOB_ID $TOCK_SLOT $TOCK_INSTANCE" >> runs.txt',
      "--cwd",
      dir,
    );
  }
  console.log(
    `store ${store}: ${JOBS.length} per-second jobs, ` +
      `instances ${INSTANCES.join(", ")}, running ${RUN_SECONDS} s`,
  );

  const instances = INSTANCES.map((name) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: tockArgs(store, ["start", "--instance", name]),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return { name, child, done: child.output() };
  });
  await new Promise((resolve) => setTimeout(resolve, RUN_SECONDS * 1000));
  for (const { child } of instances) child.kill("SIGTERM");
  let failed = false;
  for (const { name, done } of instances) {
    const { code, stderr } = await done;
    if (code !== 0) {
      failed = true;
      console.log(`instance ${name} exited ${code}:`);
      console.log(new TextDecoder().decode(stderr));
    }
  }

  // What the commands themselves saw.
  const lines = (await Deno.readTextFile(`${dir}/runs.txt`).catch(() => ""))
    .split("\n").filter((line) => line !== "");
  const ranBy = new Map<string, string[]>();
  const perInstance = new Map(INSTANCES.map((name) => [name, 0]));
  for (const line of lines) {
    const [job, slot, instance] = line.split(" ");
    const key = `${job} ${slot}`;
    ranBy.set(key, [...ranBy.get(key) ?? [], instance!]);
    perInstance.set(instance!, (perInstance.get(instance!) ?? 0) + 1);
  }
  console.log(`\n${lines.length} runs:`);
  for (const [name, count] of perInstance) {
    console.log(`  instance ${name}: ${count} runs`);
  }
  const twice = [...ranBy].filter(([, by]) => by.length > 1);
  for (const [key, by] of twice) {
    console.log(`  DUPLICATE: ${key} ran in ${by.join(", ")}`);
  }

  // What the ledger recorded.
  const history = JSON.parse(
    await tock(store, "history", "--json", "--limit", "100000"),
  ) as Entry[];
  const runs = history.filter((e) => e.runId !== undefined);
  const recorded = new Map<string, Entry[]>();
  for (const entry of runs) {
    const key = `${entry.job} ${entry.slot}`;
    recorded.set(key, [...recorded.get(key) ?? [], entry]);
  }
  const recordedTwice = [...recorded].filter(([, es]) => es.length > 1);
  for (const [key] of recordedTwice) {
    console.log(`  DUPLICATE in history: ${key}`);
  }
  const unrecorded = [...ranBy].filter(([key, by]) =>
    !recorded.get(key)?.some((e) => e.instance === by[0])
  );
  for (const [key] of unrecorded) {
    console.log(`  ran but not in history: ${key}`);
  }
  const outcomes = new Map<string, number>();
  for (const entry of history) {
    outcomes.set(entry.outcome, (outcomes.get(entry.outcome) ?? 0) + 1);
  }
  console.log(
    `history: ${
      [...outcomes].map(([outcome, n]) => `${n} ${outcome}`).join(", ")
    }`,
  );

  if (twice.length > 0 || recordedTwice.length > 0) {
    console.log("\nFAIL: a (job, slot) ran more than once");
    Deno.exitCode = 1;
  } else if (failed || unrecorded.length > 0 || lines.length === 0) {
    console.log("\nFAIL: see above");
    Deno.exitCode = 1;
  } else {
    console.log(
      `\nOK: ${ranBy.size} (job, slot) pairs, each ran exactly once, ` +
        `and history agrees`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
