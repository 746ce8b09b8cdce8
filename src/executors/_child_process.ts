/**
 * What the command and module runners share: start a child in its own
 * process group, keep the tail of its output, stop the whole group on abort,
 * and save a {@linkcode RunLog} for every attempt.
 *
 * **Process group.** The child runs under a small `sh` supervisor (see
 * `_supervisor.ts`) started through `setsid` (or with `detached: true`):
 * it leads a new session and process group whose id is its pid, and the child and everything it starts stay in that group unless
 * they move themselves out (`setsid`, a daemonising tool). Signals go to the
 * group (`kill(-pgid)`), so `sh -c "sleep 100; echo"` loses its `sleep`
 * too. Being in its own session also keeps a terminal's Ctrl-C away from
 * jobs: the scheduler handles SIGINT and stops them itself.
 *
 * **Scheduler death.** The supervisor's stdin is a pipe that the scheduler
 * holds open until the attempt is over: when the scheduler dies, whatever
 * killed it, the kernel closes it and the supervisor kills the group
 * (SIGTERM, then SIGKILL 1 s later).
 *
 * **Stopping.** On abort: SIGTERM to the group, then SIGKILL to the group if
 * the tree has not ended within the grace. "Ended" means the child exited
 * and both output pipes reached end of file, i.e. no process of the tree
 * still holds them. When the child exits by itself but something it left
 * behind still holds its output open (`sleep 100 &`), the group gets the
 * same SIGTERM-then-SIGKILL: a run owns its processes, as a systemd service
 * does. A leftover that closed its output and ignores SIGTERM is not found.
 *
 * Over 400 lines on purpose: starting, supervising, killing and logging a
 * child process are one protocol shared by command and module jobs.
 *
 * @module
 */

import type { JobContext } from "./run_handler.ts";
import type { Clock } from "../clock.ts";
import { delay, systemClock } from "../clock.ts";
import type { JobStore, RunLog } from "../store/store.ts";
import type { ChildEnv } from "./_job_env.ts";
import { spawnSupervised } from "./_supervisor.ts";

/** How long the output may stay open after the child exited. */
const DRAIN_MS = 100;

/** The validated options both runners share. */
export interface ChildRunnerSettings {
  /** Time source. */
  readonly clock: Clock;
  /** Grace between SIGTERM and SIGKILL, ms. */
  readonly killGraceMs: number;
  /** Bytes kept per stream. */
  readonly maxLogBytes: number;
}

/** What one child process did. */
export interface ChildResult {
  /** Its exit code, or `null` when a signal ended it. */
  readonly exitCode: number | null;
  /** The signal that ended it. */
  readonly signal?: string;
  /** The last bytes of standard output. */
  readonly stdout: string;
  /** The last bytes of standard error. */
  readonly stderr: string;
  /** Whether stdout or stderr was cut. */
  readonly truncated: boolean;
  /** Whether the abort signal fired while it ran. */
  readonly aborted: boolean;
}

/** How to run one child. */
export interface ChildOptions {
  /** Its arguments. */
  readonly args: readonly string[];
  /** Its working directory (the caller's when unset). */
  readonly cwd?: string | undefined;
  /**
   * The child's environment: only `env.env`, or `env.env` added to the
   * caller's environment when `env.inherit` (for the child only).
   */
  readonly env: ChildEnv;
  /** Stops the child's process group. */
  readonly signal: AbortSignal;
  /** Grace between SIGTERM and SIGKILL, ms. */
  readonly killGraceMs: number;
  /** Bytes of each output stream kept (the last ones). */
  readonly maxLogBytes: number;
}

/**
 * Runs a program under a supervisor in a new process group and waits until
 * it and its group are done.
 *
 * @param program The executable.
 * @param options See {@linkcode ChildOptions}.
 * @returns What it did.
 * @throws {Error} A one-line error when it cannot be started.
 */
export async function runChild(
  program: string,
  options: ChildOptions,
): Promise<ChildResult> {
  let child: Deno.ChildProcess;
  try {
    child = spawnSupervised(program, options.args, {
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      env: { ...options.env.env },
      clearEnv: !options.env.inherit,
      // Never written; held open until the attempt is over (see above).
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    });
  } catch (error) {
    throw new Error(oneLine((error as Error)?.message ?? String(error)), {
      cause: error,
    });
  }
  const group = child.pid;
  const stdout = capture(child.stdout, options.maxLogBytes);
  const stderr = capture(child.stderr, options.maxLogBytes);
  const drained = Promise.all([stdout.done, stderr.done]);
  const status = child.status;
  const ended = Promise.all([status, drained]);
  let stopping: Promise<void> | undefined;
  const stop = () => stopping ??= terminate(group, ended, options.killGraceMs);
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    stop();
  };
  options.signal.addEventListener("abort", onAbort, { once: true });
  if (options.signal.aborted) onAbort();
  let exit: Deno.CommandStatus;
  try {
    try {
      exit = await status;
    } finally {
      // Once the child is reaped its pid may be reused: from here on the
      // group is signalled only while its output is still held open (below).
      options.signal.removeEventListener("abort", onAbort);
    }
    if (!(await settles(drained, DRAIN_MS))) await stop();
    await stopping;
    // Only a process that left the group can still hold the output now.
    if (!(await settles(drained, DRAIN_MS))) {
      stdout.cancel();
      stderr.cancel();
      await drained;
    }
  } finally {
    // The supervisor has exited and stopped its watcher; a watcher left
    // behind (its supervisor was killed alone) now ends the group.
    await child.stdin.close().catch(() => {});
  }
  return {
    exitCode: exit.signal === null ? exit.code : null,
    ...(exit.signal !== null ? { signal: exit.signal } : {}),
    stdout: stdout.tail.text(),
    stderr: stderr.tail.text(),
    truncated: stdout.tail.truncated || stderr.tail.truncated,
    aborted,
  };
}

/** How a runner turns a finished child into the attempt's outcome. */
export interface AttemptOptions {
  /** Where the log goes. */
  readonly store: JobStore;
  /** Timestamps of the log. */
  readonly clock: Clock;
  /** The attempt. */
  readonly context: JobContext;
  /** Starts the child. */
  readonly start: () => Promise<ChildResult>;
  /** The error for a child that exited non-zero (or by a signal). */
  readonly failure: (result: ChildResult) => Error;
}

/**
 * Runs one attempt, saves its log and settles like a handler would:
 * resolves on exit 0, rejects with the signal's reason after an abort, or
 * with the runner's error otherwise.
 *
 * @param options See {@linkcode AttemptOptions}.
 */
export async function runAttempt(options: AttemptOptions): Promise<void> {
  const { context, clock } = options;
  context.signal.throwIfAborted();
  const startedAt = clock.now();
  let result: ChildResult;
  try {
    result = await options.start();
  } catch (error) {
    await saveLog(options, {
      startedAt,
      exitCode: null,
      error: oneLine(String((error as Error)?.message ?? error)),
      stdout: "",
      stderr: "",
      truncated: false,
    });
    throw error;
  }
  await saveLog(options, {
    startedAt,
    exitCode: result.exitCode,
    ...(result.signal !== undefined ? { signal: result.signal } : {}),
    stdout: result.stdout,
    stderr: result.stderr,
    truncated: result.truncated,
  });
  if (result.aborted || context.signal.aborted) throw context.signal.reason;
  if (result.exitCode !== 0) throw options.failure(result);
}

/**
 * The last non-empty line of a text, when short enough for an error
 * message.
 *
 * @param text Output of a child.
 * @param maxLength The longest line returned.
 * @returns The line, or `undefined`.
 */
export function lastLine(text: string, maxLength = 200): string | undefined {
  const line = text.trimEnd().split("\n").at(-1)?.trim();
  return line && line.length <= maxLength ? line : undefined;
}

/**
 * The `TOCK_*` variables a job's process receives.
 *
 * @param context The attempt.
 * @returns The variables.
 */
export function tockEnv(context: JobContext): Record<string, string> {
  return {
    TOCK_JOB_ID: context.jobId,
    TOCK_SLOT: context.slot.toISOString(),
    TOCK_RUN_ID: context.runId,
    TOCK_ATTEMPT: String(context.attempt),
    TOCK_INSTANCE: context.instance,
    TOCK_TRIGGER: context.trigger,
  };
}

/**
 * Validates the options the command and module runners share.
 *
 * @param what The runner, for messages (`command runner`).
 * @param options The options as given.
 * @returns The settings with defaults.
 * @throws {RangeError} If `killGraceMs` or `maxLogBytes` is invalid.
 */
export function childRunnerSettings(
  what: string,
  options: {
    readonly clock?: Clock;
    readonly killGraceMs?: number;
    readonly maxLogBytes?: number;
  },
): ChildRunnerSettings {
  const killGraceMs = options.killGraceMs ?? 5000;
  if (!Number.isFinite(killGraceMs) || killGraceMs < 0) {
    throw new RangeError(
      `Cannot create ${what} as 'killGraceMs' must be a non-negative number: received ${killGraceMs}`,
    );
  }
  const maxLogBytes = options.maxLogBytes ?? 65_536;
  if (!Number.isSafeInteger(maxLogBytes) || maxLogBytes < 0) {
    throw new RangeError(
      `Cannot create ${what} as 'maxLogBytes' must be a non-negative integer: received ${maxLogBytes}`,
    );
  }
  return { clock: options.clock ?? systemClock, killGraceMs, maxLogBytes };
}

/** Collapses a message to its first line. */
function oneLine(message: string): string {
  return message.split("\n")[0]!.trim();
}

async function saveLog(
  options: AttemptOptions,
  fields: Omit<
    RunLog,
    "job" | "runId" | "attempt" | "slot" | "instance" | "finishedAt"
  >,
): Promise<void> {
  const { context } = options;
  try {
    await options.store.saveLog({
      job: context.jobId,
      runId: context.runId,
      attempt: context.attempt,
      slot: context.slot.getTime(),
      instance: context.instance,
      ...fields,
      finishedAt: options.clock.now(),
    });
  } catch {
    // A lost log must not change the run's outcome, which is recorded in the
    // ledger. (A `log.failed` event could report it once the runner gets the
    // scheduler's event target.)
  }
}

/** SIGTERM to the group; SIGKILL when the tree outlives the grace. */
async function terminate(
  group: number,
  ended: Promise<unknown>,
  graceMs: number,
): Promise<void> {
  signalGroup(group, "SIGTERM");
  if (!(await settles(ended, graceMs))) signalGroup(group, "SIGKILL");
}

function signalGroup(group: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-group, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

/** Whether `promise` settles within `ms` (the timer is always cleared). */
async function settles(
  promise: Promise<unknown>,
  ms: number,
): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise.then(() => true, () => true),
      delay(ms, timer.signal).then(() => false),
    ]);
  } finally {
    timer.abort();
  }
}

interface Capture {
  readonly tail: Tail;
  /** Resolves at end of file, on a read error, or once cancelled. */
  readonly done: Promise<void>;
  readonly cancel: () => void;
}

function capture(stream: ReadableStream<Uint8Array>, max: number): Capture {
  const reader = stream.getReader();
  const tail = new Tail(max);
  const done = (async () => {
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) return;
        tail.push(value);
      }
    } catch {
      // A broken pipe ends the capture; what was read is kept.
    }
  })();
  return { tail, done, cancel: () => void reader.cancel().catch(() => {}) };
}

/** Keeps the last `max` bytes written to it. */
class Tail {
  #max: number;
  #chunks: Uint8Array[] = [];
  #size = 0;
  truncated = false;

  constructor(max: number) {
    this.#max = max;
  }

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    // Drop whole chunks that lie entirely before the last `max` bytes.
    while (this.#size - this.#chunks[0]!.length >= this.#max) {
      this.#size -= this.#chunks.shift()!.length;
      this.truncated = true;
      if (this.#chunks.length === 0) break;
    }
  }

  text(): string {
    const all = new Uint8Array(this.#size);
    let at = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    let start = Math.max(0, all.length - this.#max);
    if (start > 0) this.truncated = true;
    // A cut may split a UTF-8 sequence: skip its continuation bytes.
    if (this.truncated) {
      while (start < all.length && (all[start]! & 0xc0) === 0x80) start++;
    }
    return new TextDecoder().decode(all.subarray(start));
  }
}
