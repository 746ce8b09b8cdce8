/**
 * The protocol between the orchestrator and a scenario child: the child is a
 * fresh Deno process (`--v8-flags=--expose-gc`) that gets its arguments as
 * one JSON text in `Deno.args[0]`, writes progress to stderr and prints its
 * result as one JSON line on stdout. A fresh process per repeat keeps the
 * heap, the JIT and the GC of one measurement out of the next.
 *
 * This is the only bench module that writes to the console.
 *
 * @module
 */
// deno-lint-ignore-file no-console

/** Options for {@linkcode runChild}. */
export interface RunChildOptions {
  /** Kill the child after this many ms (it then fails). */
  readonly timeoutMs: number;
  /** A label for progress and error messages. */
  readonly label?: string;
}

const BENCH_DIR = new URL(".", import.meta.url);

/**
 * Runs a bench script in a fresh process and returns its JSON result.
 *
 * @param script The script, relative to `bench/` (`scenarios/idle.ts`).
 * @param args Its arguments (serialised to JSON).
 * @param options The time limit.
 * @returns The parsed last line of the child's stdout.
 * @throws {Error} When the child exits non-zero, times out or prints no JSON.
 */
export async function runChild<T>(
  script: string,
  args: unknown,
  options: RunChildOptions,
): Promise<T> {
  const path = new URL(script, BENCH_DIR).pathname;
  const label = options.label ?? script;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      path,
      JSON.stringify(args),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, options.timeoutMs);
  try {
    const { code, stdout } = await child.output();
    if (timedOut) {
      throw new Error(
        `Cannot run ${label}: no result within ${options.timeoutMs} ms`,
      );
    }
    const lines = new TextDecoder().decode(stdout).trim().split("\n");
    if (code !== 0) {
      throw new Error(`Cannot run ${label}: exit code ${code}`);
    }
    const last = lines[lines.length - 1] ?? "";
    try {
      return JSON.parse(last) as T;
    } catch (error) {
      throw new Error(
        `Cannot run ${label}: its last line is not JSON: ${last.slice(0, 200)}`,
        { cause: error },
      );
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The child side: parses the arguments, runs the scenario, prints its result
 * as one JSON line and exits (timers a scenario leaves behind, such as a
 * scheduler that is slow to stop, do not keep the process alive).
 *
 * @param main The scenario, given the parsed arguments.
 * @returns Never resolves: the process exits.
 */
export async function childMain<A, R>(
  main: (args: A) => Promise<R>,
): Promise<never> {
  try {
    const args = JSON.parse(Deno.args[0] ?? "{}") as A;
    const result = await main(args);
    console.log(JSON.stringify(result));
    Deno.exit(0);
  } catch (error) {
    console.error(error instanceof Error ? error.stack : String(error));
    Deno.exit(1);
  }
}

/**
 * Writes one progress line to stderr.
 *
 * @param message What is happening.
 */
export function progress(message: string): void {
  console.error(`[bench] ${message}`);
}
