/**
 * The `tock start` daemon as a child process of a scenario (the command
 * soak, the jobs file start): the CLI with the flags of `deno task tock`,
 * on a file store and a jobs file, with no `TOCK_` variable of the
 * scenario's environment.
 *
 * @module
 */

import { parseProcStat, type ProcStat, TOCK_RUN_FLAGS } from "./_soak.ts";

const REPO_DIR = new URL("../", import.meta.url).pathname;
const CLI = new URL("../src/cli/main.ts", import.meta.url).pathname;
/** How long the daemon has to exit on SIGTERM. */
const STOP_LIMIT_MS = 20_000;

/** Options for {@linkcode Daemon}. */
export interface DaemonOptions {
  /** The file store's directory. */
  readonly store: string;
  /** The jobs file (`--jobs`). */
  readonly jobsFile: string;
  /** More flags of `tock start` (`--grace 1s`). */
  readonly flags?: readonly string[];
  /**
   * Told each line of its stdout as it arrives, with `performance.now()`
   * then; without it, stdout is discarded.
   */
  readonly onLine?: (line: string, at: number) => void;
}

/**
 * Reads a stream to its end, discarding it.
 *
 * @param stream The stream.
 */
export async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  while (!(await reader.read()).done) { /* discard */ }
}

/**
 * Reads a stream to its end, line by line.
 *
 * @param stream The stream (UTF-8 text).
 * @param onLine Told each line (without its newline) as it arrives, with
 * `performance.now()` then; a last line without a newline too.
 */
export async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string, at: number) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    const at = performance.now();
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) onLine(line, at);
  }
  if (rest !== "") onLine(rest, performance.now());
}

/** The daemon: its stdout read or discarded, the end of its stderr kept. */
export class Daemon {
  readonly #child: Deno.ChildProcess;
  #stderr = "";
  /** Resolves with its exit status once its output is read too. */
  readonly exited: Promise<Deno.CommandStatus>;

  /** @param options The store, the jobs file, more flags, the stdout reader. */
  constructor(options: DaemonOptions) {
    // No TOCK_ variable (a test clock, another store) reaches the daemon.
    const env = Object.fromEntries(
      Object.entries(Deno.env.toObject()).filter(([name]) =>
        !name.startsWith("TOCK_")
      ),
    );
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...TOCK_RUN_FLAGS,
        CLI,
        "start",
        "--store",
        options.store,
        "--jobs",
        options.jobsFile,
        ...(options.flags ?? []),
      ],
      cwd: REPO_DIR,
      clearEnv: true,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const out = options.onLine
      ? readLines(this.#child.stdout, options.onLine)
      : drain(this.#child.stdout);
    const err = this.#keepStderr(this.#child.stderr);
    this.exited = Promise.all([this.#child.status, out, err]).then(([s]) => s);
  }

  /** Its process id. */
  get pid(): number {
    return this.#child.pid;
  }

  async #keepStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.#stderr = (this.#stderr + decoder.decode(chunk, { stream: true }))
        .slice(-2_000);
    }
  }

  /**
   * The end of its stderr, for error messages.
   *
   * @returns `: <last lines>`, or nothing.
   */
  stderrTail(): string {
    const tail = this.#stderr.trim();
    return tail === "" ? "" : `: ${tail.split("\n").slice(-5).join(" / ")}`;
  }

  /**
   * Its CPU times now.
   *
   * @returns Its `/proc/<pid>/stat` fields.
   */
  stat(): ProcStat {
    return parseProcStat(Deno.readTextFileSync(`/proc/${this.pid}/stat`));
  }

  /**
   * Stops it with SIGTERM and waits for it to exit (SIGKILL after 20 s).
   *
   * @returns Its exit status.
   * @throws {Error} When it had to be killed.
   */
  async stop(): Promise<Deno.CommandStatus> {
    try {
      this.#child.kill("SIGTERM");
    } catch { /* already gone */ }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), STOP_LIMIT_MS);
    });
    const status = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (status) return status;
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.exited;
    throw new Error(
      `Cannot stop the daemon: still running ${STOP_LIMIT_MS} ms after SIGTERM`,
    );
  }
}
