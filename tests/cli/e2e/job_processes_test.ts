// A job's processes die with their scheduler (SPEC §7): after SIGKILL of
// `tock start` or `tock tick`, the command's or module's whole process tree
// is gone within about a second, including processes that ignore SIGTERM.
import { ok } from "node:assert/strict";
import {
  assertNoProcessesLeft,
  lines,
  spawnTock,
  succeeded,
  tempDir,
  tock,
  type TockProcess,
  uniqueSleep,
  waitFor,
} from "./_cli.ts";

/** The pids, among `pids`, of processes still alive (zombies are not). */
async function alive(pids: readonly number[]): Promise<number[]> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["-eo", "pid=,stat="],
    stdout: "piped",
    stderr: "null",
  }).output();
  const live = new Set<number>();
  for (const row of new TextDecoder().decode(stdout).split("\n")) {
    const [pid, stat] = row.trim().split(/\s+/);
    if (pid && stat && !stat.startsWith("Z")) live.add(Number(pid));
  }
  return pids.filter((pid) => live.has(pid));
}

/** Processes whose command line has `marker`: pid and executable name. */
async function processesNamed(
  marker: string,
): Promise<{ pid: number; comm: string }[]> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["-eo", "pid=,stat=,comm=,args="],
    stdout: "piped",
    stderr: "null",
  }).output();
  const found = [];
  for (const row of new TextDecoder().decode(stdout).split("\n")) {
    const match = /^\s*(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(row);
    if (!match || match[2]!.startsWith("Z") || !match[4]!.includes(marker)) {
      continue;
    }
    found.push({ pid: Number(match[1]), comm: match[3]! });
  }
  return found;
}

/**
 * SIGKILLs the scheduler, then asserts that every pid is gone within
 * `withinMs` of its death. Leftovers are killed before it throws.
 */
async function killSchedulerAndAssertGone(
  scheduler: TockProcess,
  pids: readonly number[],
  withinMs = 3000,
): Promise<void> {
  ok((await alive(pids)).length === pids.length, `not all of ${pids} run`);
  scheduler.kill("SIGKILL");
  await scheduler.done;
  const deadline = performance.now() + withinMs;
  let left = await alive(pids);
  while (left.length > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = await alive(pids);
  }
  for (const pid of left) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
  ok(
    left.length === 0,
    `${left.length} job process(es) outlived their scheduler by ${withinMs} ms (pids ${left}, now killed)`,
  );
}

/** A command that records its shell's pid and a child's, then waits. */
function recording(file: string, seconds: string, ignoreTerm: boolean) {
  const trap = ignoreTerm ? "trap '' TERM; " : "";
  return `${trap}echo $$ > ${file}; (${trap}sleep ${seconds}) & ` +
    `echo $! >> ${file}; wait`;
}

/** The two pids a {@linkcode recording} command wrote. */
function recorded(path: string): Promise<number[]> {
  return waitFor(async () => {
    const got = await lines(path);
    return got.length === 2 ? got.map(Number) : undefined;
  }, { what: `two pids in ${path}` });
}

async function addTriggered(store: string, id: string, target: string[]) {
  succeeded(
    await tock(["add", id, "--schedule", "0 0 1 1 *", ...target], { store }),
  );
  succeeded(await tock(["trigger", id], { store }));
}

Deno.test("tock start: SIGKILL of the scheduler ends its command jobs' processes, even those that ignore SIGTERM", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const plain = uniqueSleep(60);
  const stubborn = uniqueSleep(60);
  const cwd = ["--cwd", tmp.path];
  await addTriggered(store, "plain", [
    "--cmd",
    recording("plain.pids", plain, false),
    ...cwd,
  ]);
  await addTriggered(store, "stubborn", [
    "--cmd",
    recording("stubborn.pids", stubborn, true),
    ...cwd,
  ]);
  await using daemon = spawnTock(["start", "--max-parallel", "2"], {
    store,
    timeoutMs: 60_000,
  });
  const pids = [
    ...await recorded(`${tmp.path}/plain.pids`),
    ...await recorded(`${tmp.path}/stubborn.pids`),
  ];
  await killSchedulerAndAssertGone(daemon, pids);
  // The supervisors and their watchers too.
  await assertNoProcessesLeft(`sleep ${plain}`, { timeoutMs: 3000 });
  await assertNoProcessesLeft(`sleep ${stubborn}`, { timeoutMs: 3000 });
});

Deno.test("tock start: SIGKILL of the scheduler ends a module job's process", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const module = `${tmp.path}/forever_${uniqueSleep(1)}.ts`;
  // Ignores its abort signal: only SIGKILL ends it.
  await Deno.writeTextFile(
    module,
    "export default () => new Promise(() => {});\n",
  );
  await addTriggered(store, "forever", ["--module", module]);
  await using daemon = spawnTock(["start"], { store, timeoutMs: 60_000 });
  const processes = await waitFor(async () => {
    const found = await processesNamed(module);
    return found.some((p) => p.comm === "deno") ? found : undefined;
  }, { what: "the module's deno process" });
  await killSchedulerAndAssertGone(daemon, processes.map((p) => p.pid));
});

Deno.test("tock tick: SIGKILL of the tick ends its command job's processes", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const seconds = uniqueSleep(60);
  await addTriggered(store, "long", [
    "--cmd",
    recording("long.pids", seconds, false),
    "--cwd",
    tmp.path,
  ]);
  await using tick = spawnTock(["tick"], { store, timeoutMs: 60_000 });
  const pids = await recorded(`${tmp.path}/long.pids`);
  await killSchedulerAndAssertGone(tick, pids);
  await assertNoProcessesLeft(`sleep ${seconds}`, { timeoutMs: 3000 });
});
