// Shared helpers for the command-line end-to-end tests: real `tock`
// processes on real temporary stores.
import { deepEqual, equal, match, ok } from "node:assert/strict";

const MAIN = new URL("../../../src/cli/main.ts", import.meta.url).pathname;
// Passed explicitly so that a child started in a temporary working directory
// still resolves the project's import map.
const CONFIG = new URL("../../../deno.json", import.meta.url).pathname;

/** The repository root (for `--jobs examples/jobs.json` and the like). */
export const ROOT: string = new URL("../../../", import.meta.url).pathname;

/** How to run one `tock` command. */
export interface TockOptions {
  /** The store directory; passed as `--store` (or `TOCK_STORE`, see `storeVia`). */
  readonly store?: string;
  /** How the store reaches the child. @default {"flag"} */
  readonly storeVia?: "flag" | "env";
  /** Extra environment for the child. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory of the child. */
  readonly cwd?: string;
  /** Kill the child (SIGKILL) after this long. @default {30_000} */
  readonly timeoutMs?: number;
  /** Deno permission flags of the child, instead of `-A`. */
  readonly permissions?: readonly string[];
}

/** What a finished `tock` process left. */
export interface TockResult {
  readonly code: number;
  readonly signal: Deno.Signal | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the helper had to kill the child after `timeoutMs`. */
  readonly timedOut: boolean;
  /** Wall time from spawn to exit, ms. */
  readonly elapsedMs: number;
}

/** A running `tock` process. */
export interface TockProcess extends AsyncDisposable {
  readonly pid: number;
  /** Sends a signal (ignored when the process has already exited). */
  kill(signal?: Deno.Signal): void;
  /** Resolves when the process has exited, with everything it printed. */
  readonly done: Promise<TockResult>;
}

function childEnv(options: TockOptions): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.TOCK_STORE;
  env.NO_COLOR = "1";
  if (options.store !== undefined && options.storeVia === "env") {
    env.TOCK_STORE = options.store;
  }
  return { ...env, ...options.env };
}

function childArgs(args: readonly string[], options: TockOptions): string[] {
  const store = options.store !== undefined && options.storeVia !== "env"
    ? ["--store", options.store]
    : [];
  const permissions = options.permissions ?? ["-A"];
  return ["run", ...permissions, "--config", CONFIG, MAIN, ...args, ...store];
}

/**
 * Starts `deno run -A src/cli/main.ts ...args --store DIR` and returns at
 * once. Its output is read from the start, so a chatty child never blocks.
 * `await using` kills it (SIGKILL) if it is still running and awaits it.
 */
export function spawnTock(
  args: readonly string[],
  options: TockOptions = {},
): TockProcess {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: childArgs(args, options),
    env: childEnv(options),
    clearEnv: true,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    kill("SIGKILL");
  }, options.timeoutMs ?? 30_000);
  function kill(signal: Deno.Signal = "SIGTERM") {
    if (exited) return;
    try {
      child.kill(signal);
    } catch {
      // It exited between the check and the signal.
    }
  }
  const done = child.output().then((out) => {
    exited = true;
    clearTimeout(timer);
    const decoder = new TextDecoder();
    return {
      code: out.code,
      signal: out.signal,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      timedOut,
      elapsedMs: performance.now() - started,
    };
  });
  return {
    pid: child.pid,
    kill,
    done,
    async [Symbol.asyncDispose]() {
      kill("SIGKILL");
      await done;
    },
  };
}

/** Runs one `tock` command to its end. */
export function tock(
  args: readonly string[],
  options: TockOptions = {},
): Promise<TockResult> {
  return spawnTock(args, options).done;
}

/** Describes a result for assertion messages. */
export function describe(result: TockResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ""}` +
    `${result.timedOut ? " (killed after timeout)" : ""}\n` +
    `--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

/** Asserts exit 0 and returns stdout. */
export function succeeded(result: TockResult): string {
  equal(result.code, 0, describe(result));
  return result.stdout;
}

/** Runs a command with `--json`, asserts exit 0 and parses stdout. */
export async function tockJson<T = unknown>(
  args: readonly string[],
  options: TockOptions = {},
): Promise<T> {
  const result = await tock([...args, "--json"], options);
  succeeded(result);
  try {
    return JSON.parse(result.stdout) as T;
  } catch (error) {
    throw new Error(`stdout is not JSON: ${error}\n${describe(result)}`);
  }
}

/**
 * Asserts the failure contract of SPEC §8: the exit status, exactly one
 * line on stderr (no stack trace), naming what is wrong.
 */
export function assertOneLineError(
  result: TockResult,
  code: number,
  names?: RegExp | string,
): string {
  equal(result.timedOut, false, describe(result));
  equal(result.code, code, describe(result));
  const text = result.stderr.replace(/\n$/, "");
  ok(text.length > 0, `stderr is empty\n${describe(result)}`);
  equal(
    text.split("\n").length,
    1,
    `stderr is not exactly one line\n${describe(result)}`,
  );
  ok(!/^\s+at /m.test(result.stderr), `stack trace\n${describe(result)}`);
  if (names !== undefined) {
    if (typeof names === "string") {
      ok(text.includes(names), `stderr does not name ${names}\n${text}`);
    } else match(text, names);
  }
  return text;
}

/** One directory entry of a snapshot: file bytes, or `null` for a folder. */
export type Snapshot = Map<string, Uint8Array | null>;

/** Every file (bytes) and folder under `dir`, by relative path. */
export async function snapshotDir(dir: string): Promise<Snapshot> {
  const out: Snapshot = new Map();
  async function walk(rel: string) {
    for await (const entry of Deno.readDir(`${dir}${rel}`)) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory) {
        out.set(path, null);
        await walk(path);
      } else out.set(path, await Deno.readFile(`${dir}${path}`));
    }
  }
  try {
    await walk("");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    out.set("<missing>", null);
  }
  return new Map([...out].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
}

/** Asserts that `dir` holds exactly what `before` recorded. */
export async function assertUnchanged(
  dir: string,
  before: Snapshot,
  message = "",
): Promise<void> {
  deepEqual(await snapshotDir(dir), before, `store changed ${message}`);
}

/** A temporary directory removed at `await using` end. */
export async function tempDir(): Promise<
  { readonly path: string } & AsyncDisposable
> {
  const path = await Deno.makeTempDir({ prefix: "tock-e2e-" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

/** Polls `probe` until it returns something truthy. */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  { timeoutMs = 20_000, intervalMs = 100, what = "condition" } = {},
): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (performance.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(intervalMs);
  }
}

/** A real wait, only where a real process must run for a while. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A `history --json` entry as SPEC §8 describes it. */
export interface HistoryEntry {
  readonly job: string;
  readonly slot: string;
  readonly outcome: string;
  readonly trigger?: string;
  readonly runId?: string;
  readonly instance?: string;
  readonly startedAt?: string | number;
  readonly finishedAt?: string | number;
  readonly attempt?: number;
  readonly until?: string;
  readonly count?: number;
  readonly note?: string;
}

/** `tock history [job] --json`. */
export function history(
  store: string,
  job?: string,
): Promise<HistoryEntry[]> {
  return tockJson<HistoryEntry[]>(
    ["history", ...(job !== undefined ? [job] : []), "--limit", "10000"],
    { store },
  );
}

/** Outcomes of runs (as opposed to skipped/missed slots). */
export const RUN_OUTCOMES: readonly string[] = [
  "succeeded",
  "failed",
  "timed_out",
  "cancelled",
  "abandoned",
];

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Asserts a string is an ISO 8601 UTC instant with milliseconds. */
export function assertIso(value: unknown, what = "value"): void {
  ok(typeof value === "string" && ISO.test(value), `${what} not ISO: ${value}`);
}

/** Asserts the `history --json` shape of SPEC §8 on every entry. */
export function assertHistoryShape(entries: readonly HistoryEntry[]): void {
  ok(Array.isArray(entries), "history --json is not an array");
  for (const e of entries) {
    const show = JSON.stringify(e);
    equal(typeof e.job, "string", show);
    assertIso(e.slot, `slot of ${show}`);
    equal(typeof e.outcome, "string", show);
    if (e.count !== undefined || e.until !== undefined) {
      assertIso(e.until, `until of ${show}`);
      ok(Number.isInteger(e.count) && e.count! >= 1, `count of ${show}`);
      ok(e.until! >= e.slot, `until before slot: ${show}`);
      continue;
    }
    if (RUN_OUTCOMES.includes(e.outcome) && e.outcome !== "abandoned") {
      equal(typeof e.trigger, "string", `trigger of ${show}`);
      equal(typeof e.runId, "string", `runId of ${show}`);
      equal(typeof e.instance, "string", `instance of ${show}`);
      ok(e.startedAt !== undefined, `startedAt of ${show}`);
      ok(e.finishedAt !== undefined, `finishedAt of ${show}`);
      ok(Number.isInteger(e.attempt) && e.attempt! >= 1, `attempt of ${show}`);
    }
  }
}

/** Runs `tock tick` until `probe` holds (a per-second slot may not be due yet). */
export async function tickUntil<T>(
  store: string,
  probe: () => T | Promise<T>,
  { tries = 15, env, cwd }: {
    tries?: number;
    env?: Record<string, string>;
    cwd?: string;
  } = {},
): Promise<NonNullable<T>> {
  for (let i = 0; i < tries; i++) {
    const result = await tock(["tick"], {
      store,
      ...(env ? { env } : {}),
      ...(cwd ? { cwd } : {}),
    });
    succeeded(result);
    const value = await probe();
    if (value) return value as NonNullable<T>;
    await sleep(300);
  }
  throw new Error(`tick ${tries} times and the condition still fails`);
}

/**
 * Pids of live processes whose command line contains `marker` (read with
 * `ps`: Deno asks for --allow-all to read /proc).
 */
export async function processesWith(marker: string): Promise<number[]> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["-eo", "pid=,stat=,args="],
    stdout: "piped",
    stderr: "null",
  }).output();
  const pids: number[] = [];
  for (const row of new TextDecoder().decode(stdout).split("\n")) {
    const found = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(row);
    if (!found) continue;
    const [, pid, stat, args] = found;
    // A zombie has exited; its parent just has not reaped it yet.
    if (stat!.startsWith("Z")) continue;
    if (args!.includes(marker) && !args!.startsWith("ps ")) {
      pids.push(Number(pid));
    }
  }
  return pids;
}

/**
 * Waits until no live process has `marker` in its command line. Processes
 * still there at the deadline are killed (they are this test's own
 * leftovers, and a busy one would slow every other test), then it throws.
 */
export async function assertNoProcessesLeft(
  marker: string,
  { timeoutMs = 10_000 } = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let pids = await processesWith(marker);
  while (pids.length > 0 && performance.now() < deadline) {
    await sleep(200);
    pids = await processesWith(marker);
  }
  if (pids.length === 0) return;
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  throw new Error(
    `${pids.length} process(es) matching "${marker}" still alive ` +
      `${timeoutMs} ms later (pids ${pids.join(", ")}, now killed)`,
  );
}

/** Lines of a text file, or none when it does not exist. */
export async function lines(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter((l) => l !== "");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** A unique marker for `sleep` commands, to find leftover processes. */
export function uniqueSleep(seconds: number): string {
  return `${seconds}.${
    String(Math.floor(Math.random() * 1e6)).padStart(6, "1")
  }`;
}
