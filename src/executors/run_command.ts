/**
 * The runner of command targets: `sh -c <cmd>` in its own process group,
 * under a supervisor that kills the group if the scheduler dies, with the
 * job's `cwd` and a clean environment given to the child only.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { JobContext, TargetRunner } from "./run_handler.ts";
import type { JobStore } from "../store/store.ts";
import type { Target } from "../types.ts";
import {
  childRunnerSettings,
  lastLine,
  runAttempt,
  runChild,
  tockEnv,
} from "./_child_process.ts";
import { jobEnv } from "./_job_env.ts";

/** Options for {@linkcode createCommandRunner}. */
export interface CommandRunnerOptions {
  /** Where each attempt's {@linkcode RunLog} is saved. */
  readonly store: JobStore;
  /**
   * Time source of the logs' timestamps.
   *
   * @default {systemClock}
   */
  readonly clock?: Clock;
  /**
   * After an abort, how long the process group has between SIGTERM and
   * SIGKILL, in ms.
   *
   * @default {5000}
   */
  readonly killGraceMs?: number;
  /**
   * Bytes of stdout and of stderr kept per attempt (the last ones).
   *
   * @default {65536}
   */
  readonly maxLogBytes?: number;
}

/**
 * Creates the runner of command targets. Each attempt runs `sh -c <cmd>`:
 *
 * - in `target.cwd` (default: the scheduler's working directory);
 * - with a clean environment: the scheduler's `PATH`, `HOME`, `USER`,
 *   `LOGNAME`, `SHELL`, `LANG`, `LC_*`, `TZ` and `TMPDIR` (those set), then
 *   `target.env`, then `TOCK_JOB_ID`, `TOCK_SLOT` (ISO 8601 UTC with
 *   milliseconds), `TOCK_RUN_ID`, `TOCK_ATTEMPT` (1-based), `TOCK_INSTANCE`
 *   and `TOCK_TRIGGER`; nothing else of the scheduler's (`TOCK_STORE`,
 *   `PG*`), unless `target.inheritEnv` passes its whole environment. It is
 *   given to the child only (the scheduler's own environment never changes,
 *   so jobs run in parallel safely);
 * - with stdin closed and the last `maxLogBytes` of stdout and stderr kept;
 * - under a supervisor: if the scheduler dies (even by SIGKILL), the
 *   command's process group gets SIGTERM, then SIGKILL 1 s later.
 *
 * Exit 0 resolves. Any other exit rejects with
 * `Command exited with code 3` (plus the last line of stderr when short);
 * a command that cannot be started rejects with a one-line error (its log
 * has `exitCode: null` and the message as `error`). When the
 * context's signal aborts, the command's whole process group gets SIGTERM,
 * then SIGKILL after `killGraceMs`; the promise rejects with the signal's
 * reason once the group is gone. Every attempt that started saves a
 * {@linkcode RunLog}; a failure to save it does not change the outcome.
 *
 * @param options See {@linkcode CommandRunnerOptions}.
 * @returns The runner, for `createScheduler({ runners: { command } })`.
 * @throws {RangeError} If `killGraceMs` or `maxLogBytes` is invalid.
 *
 * @example Run a command job and read its output
 * ```ts
 * import { createCommandRunner } from "./run_command.ts";
 * import { createScheduler } from "../runtime/scheduler.ts";
 * import { createMemoryStore } from "../store/memory_store.ts";
 *
 * await using store = createMemoryStore();
 * const command = createCommandRunner({ store });
 * await using scheduler = await createScheduler({
 *   store,
 *   runners: { command },
 * });
 * await scheduler.add({
 *   id: "hello",
 *   schedule: "every 1h",
 *   cmd: 'echo "hello from $TOCK_JOB_ID"',
 * });
 * await scheduler.trigger("hello");
 * await scheduler.idle();
 * const [log] = await store.logs("hello");
 * console.log(log?.stdout); // "hello from hello\n"
 * ```
 */
export function createCommandRunner(
  options: CommandRunnerOptions,
): TargetRunner {
  const settings = childRunnerSettings("command runner", options);
  const { store } = options;
  return async (target: Target, context: JobContext): Promise<void> => {
    if (target.kind !== "command") {
      throw new TypeError(
        `Cannot run a ${target.kind} target: the command runner runs command targets only`,
      );
    }
    const cwd = target.cwd;
    await runAttempt({
      store,
      clock: settings.clock,
      context,
      start: async () => {
        try {
          return await runChild("sh", {
            args: ["-c", target.cmd],
            cwd,
            env: jobEnv({
              inherit: target.inheritEnv === true,
              deno: false,
              add: [target.env ?? {}, tockEnv(context)],
            }),
            signal: context.signal,
            killGraceMs: settings.killGraceMs,
            maxLogBytes: settings.maxLogBytes,
          });
        } catch (error) {
          const where = cwd === undefined ? "" : ` in "${cwd}"`;
          throw new Error(
            `Cannot start command${where}: ${(error as Error).message}`,
            { cause: error },
          );
        }
      },
      failure: (result) => {
        const how = result.exitCode === null
          ? `was killed by ${result.signal}`
          : `exited with code ${result.exitCode}`;
        const line = lastLine(result.stderr);
        return new Error(`Command ${how}${line ? `: ${line}` : ""}`);
      },
    });
  };
}
