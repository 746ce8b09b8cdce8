// One `tock start` (or `tock tick`) process under the harness's control: its
// output is read line by line as it comes (to kill it right after a run
// starts, or to freeze it right after an attempt failed into a retry), and it
// can be signalled and awaited.

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/** How one instance ended. */
export interface InstanceExit {
  readonly code: number;
  readonly signal: Deno.Signal | null;
}

/** Options of the {@linkcode ChaosInstance} constructor. */
export interface SpawnInstanceOptions {
  readonly name: string;
  readonly store: string;
  /** Monotonic origin of the timestamps in `output`. */
  readonly origin: number;
  /** Its wall-clock offset file (`TOCK_TEST_CLOCK_FILE`), if any. */
  readonly clockFile?: string;
  /** The command: a daemon, or one claim. @default {"start"} */
  readonly command?: "start" | "tick";
  /** Its name in `output` (a twin shares its id with another). @default {name} */
  readonly label?: string;
}

/** A running `tock start|tick --instance NAME --grace 1s`. */
export class ChaosInstance {
  readonly name: string;
  readonly command: "start" | "tick";
  readonly pid: number;
  /**
   * Every line it printed, `+12.345s LABEL out|err text`, and the signals
   * the harness sent it and its exit, `+12.345s LABEL --- text`.
   */
  readonly output: string[] = [];
  /** The lines it printed on stderr, as printed. */
  readonly stderr: string[] = [];
  /** Resolves when it has exited and its output is read to the end. */
  readonly exited: Promise<InstanceExit>;
  /** The signals the harness sent it, in order. */
  readonly signals: Deno.Signal[] = [];
  #exit: InstanceExit | undefined;
  readonly #child: Deno.ChildProcess;
  readonly #origin: number;
  readonly #label: string;
  readonly #watchers = new Set<(line: string) => void>();

  /** Starts the process. */
  constructor(options: SpawnInstanceOptions) {
    this.name = options.name;
    this.command = options.command ?? "start";
    this.#label = options.label ?? options.name;
    this.#origin = options.origin;
    const env = Deno.env.toObject();
    delete env.TOCK_STORE;
    env.NO_COLOR = "1";
    if (options.clockFile) env.TOCK_TEST_CLOCK_FILE = options.clockFile;
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--config",
        CONFIG,
        MAIN,
        this.command,
        "--store",
        options.store,
        "--instance",
        options.name,
        "--grace",
        "1s",
      ],
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.#child.pid;
    const reading = Promise.all([
      this.#read(this.#child.stdout, "out"),
      this.#read(this.#child.stderr, "err"),
    ]);
    this.exited = Promise.all([this.#child.status, reading]).then(
      ([status]) => {
        this.#exit = { code: status.code, signal: status.signal };
        // In instances.log too: how a process ended is the first question
        // when it vanished.
        this.#note(
          `exited ${status.code}${status.signal ? ` (${status.signal})` : ""}`,
        );
        return this.#exit;
      },
    );
  }

  /** The exit, once it has happened. */
  get exit(): InstanceExit | undefined {
    return this.#exit;
  }

  /** Sends a signal, unless it has exited. */
  signal(signal: Deno.Signal): void {
    if (this.#exit) return;
    this.signals.push(signal);
    this.#note(`harness sends ${signal}`);
    try {
      this.#child.kill(signal);
    } catch {
      // It exited between the check and the signal.
    }
  }

  /**
   * Resolves true at the next line matching `pattern` (printed from now on),
   * false after `timeoutMs` or when the process exits first.
   */
  waitForLine(
    pattern: RegExp,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const { promise, resolve } = Promise.withResolvers<boolean>();
    const done = (value: boolean) => {
      clearTimeout(timer);
      unwatch();
      signal?.removeEventListener("abort", onAbort);
      resolve(value);
    };
    const unwatch = this.watch((line) => {
      if (pattern.test(line)) done(true);
    });
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    void this.exited.then(() => done(false));
    return promise;
  }

  /**
   * Calls `listener` with every line printed from now on, synchronously as
   * it is read (so that a signal sent from it follows the line at once).
   *
   * @returns A function that stops the calls.
   */
  watch(listener: (line: string) => void): () => void {
    const own = (line: string) => listener(line);
    this.#watchers.add(own);
    return () => this.#watchers.delete(own);
  }

  /** The last lines of its output, for a report. */
  tail(count = 8): string {
    return this.output.slice(-count).join("\n");
  }

  /** A line of the harness's own about this process (`---`). */
  #note(text: string) {
    this.output.push(`${this.#stamp()} --- ${text}`);
  }

  #stamp(): string {
    const at = ((performance.now() - this.#origin) / 1000).toFixed(3);
    return `+${at}s ${this.#label}`;
  }

  async #read(stream: ReadableStream<Uint8Array>, name: "out" | "err") {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const line of parts) this.#line(name, line);
    }
    if (rest !== "") this.#line(name, rest);
  }

  #line(stream: "out" | "err", line: string) {
    this.output.push(`${this.#stamp()} ${stream} ${line}`);
    if (stream === "err") this.stderr.push(line);
    for (const watch of [...this.#watchers]) watch(line);
  }
}
