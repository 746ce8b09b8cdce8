// Real `tock start` processes for the seed scenario.
const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;
// Explicit, so the child resolves the project's import map from any cwd.
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/** What a `tock start` process left when it exited. */
export interface DaemonResult {
  readonly code: number;
  readonly signal: Deno.Signal | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running `tock start --instance NAME`. */
export interface Daemon extends AsyncDisposable {
  readonly name: string;
  /** Sends a signal; ignored once the process has exited. */
  kill(signal: Deno.Signal): void;
  /** Resolves when the process has exited. */
  readonly done: Promise<DaemonResult>;
}

/**
 * Starts `tock start --instance NAME --store DIR …flags` and returns at
 * once (its output is read from the start). `await using` kills it
 * (SIGKILL) if it still runs, and waits for it.
 */
export function startDaemon(
  store: string,
  name: string,
  flags: readonly string[] = [],
): Daemon {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      CONFIG,
      MAIN,
      "start",
      "--instance",
      name,
      "--store",
      store,
      ...flags,
    ],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const done = child.output().then((out) => {
    exited = true;
    const text = new TextDecoder();
    return {
      code: out.code,
      signal: out.signal,
      stdout: text.decode(out.stdout),
      stderr: text.decode(out.stderr),
    };
  });
  function kill(signal: Deno.Signal) {
    if (exited) return;
    try {
      child.kill(signal);
    } catch {
      // It exited between the check and the signal.
    }
  }
  return {
    name,
    kill,
    done,
    async [Symbol.asyncDispose]() {
      kill("SIGKILL");
      await done;
    },
  };
}

/** Describes an exit for assertion messages. */
export function describeExit(name: string, result: DaemonResult): string {
  return `instance ${name}: exit ${result.code}` +
    `${result.signal ? ` (${result.signal})` : ""}\n--- stdout ---\n` +
    `${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

/** Polls `probe` every 50 ms until it is truthy; throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (performance.now() > deadline) {
      throw new Error(`Gave up after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(50);
  }
}

/** A real wait, only where real processes must run for a while. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
