/**
 * The runner of module targets: the module's default export runs in a child
 * Deno process, because a timed-out module must be stoppable. In Deno 2.9.6
 * `Worker.terminate()` cannot stop a worker stuck in a synchronous loop (it
 * keeps a core busy and the process alive); a process can always be killed.
 *
 * **Permissions of the child.** `deno run --no-prompt` with
 * `--allow-read=<the module's directory>` and nothing else: a job can read
 * the files next to it (its own code, its data), and a missing permission
 * fails the run at once instead of waiting on a prompt nobody answers.
 * Deno checks a dynamic import like any read, so imports from outside that
 * directory need `permissions` too. A remote module (`https:`) gets
 * `--allow-import` for its own host plus Deno's default import hosts
 * (`deno.land`, `jsr.io`, `esm.sh`, `cdn.jsdelivr.net`,
 * `raw.githubusercontent.com`, `user.githubusercontent.com`) and no read
 * access. Anything more (network, environment, writes, subprocesses) is
 * opted into with {@linkcode ModuleRunnerOptions.permissions}: a job
 * definition cannot widen its own permissions. The child inherits the
 * scheduler's environment plus the `TOCK_*` variables (readable with
 * `--allow-env`), so Deno's own settings (`DENO_DIR`, proxies) apply.
 *
 * @module
 */

import type { CommandRunnerOptions } from "./run_command.ts";
import type { JobContext, TargetRunner } from "./run_handler.ts";
import type { Target } from "../types.ts";
import {
  childRunnerSettings,
  lastLine,
  runAttempt,
  runChild,
  tockEnv,
} from "./_child_process.ts";

const BOOTSTRAP = new URL("./_module_child.ts", import.meta.url).href;

const DEFAULT_IMPORT_HOSTS = [
  "deno.land:443",
  "jsr.io:443",
  "esm.sh:443",
  "cdn.jsdelivr.net:443",
  "raw.githubusercontent.com:443",
  "user.githubusercontent.com:443",
];

/** Options for {@linkcode createModuleRunner}. */
export interface ModuleRunnerOptions extends CommandRunnerOptions {
  /**
   * The Deno executable that runs the module.
   *
   * @default {Deno.execPath()}
   */
  readonly denoPath?: string;
  /**
   * Extra permission flags for every module's child process, such as
   * `["--allow-net=api.example.com", "--allow-env"]`; each starts with
   * `--allow-` or `--deny-`.
   *
   * @default {[]}
   */
  readonly permissions?: readonly string[];
}

/**
 * Creates the runner of module targets. Each attempt starts a child Deno
 * process that imports the module (a path, relative to the scheduler's
 * working directory, or a `file:`/`https:` URL) and calls its default
 * export with the attempt's context (`jobId`, `slot`, `runId`, `attempt`,
 * `trigger`, `catchup`, `instance`, and a `signal` that aborts on
 * SIGTERM). See the module doc for the child's permissions.
 *
 * The attempt succeeds when the default export resolves. A throw, a module
 * that cannot be loaded or has no default function rejects with that error
 * (`name` and one-line `message`). When the context's signal aborts, the
 * child's process group gets SIGTERM, then SIGKILL after `killGraceMs` (a
 * module stuck in a synchronous loop never sees the first); the promise
 * rejects with the signal's reason once the child is gone. Every attempt
 * saves a {@linkcode RunLog} of the child's output.
 *
 * @param options See {@linkcode ModuleRunnerOptions}.
 * @returns The runner, for `createScheduler({ runners: { module } })`.
 * @throws {RangeError} If `killGraceMs` or `maxLogBytes` is invalid.
 * @throws {TypeError} If a permission flag is not an `--allow-`/`--deny-` flag.
 *
 * @example Run a module job
 * ```ts
 * import { createModuleRunner } from "./run_module.ts";
 * import { createScheduler } from "./scheduler.ts";
 * import { createMemoryStore } from "../store/memory_store.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(
 *   `${dir}/job.ts`,
 *   "export default ({ jobId }) => console.log(`hello from ${jobId}`);",
 * );
 * {
 *   await using store = createMemoryStore();
 *   const module = createModuleRunner({ store });
 *   await using scheduler = await createScheduler({
 *     store,
 *     runners: { module },
 *   });
 *   await scheduler.add({
 *     id: "hello",
 *     schedule: "every 1h",
 *     module: `${dir}/job.ts`,
 *   });
 *   await scheduler.trigger("hello");
 *   await scheduler.idle();
 *   const [log] = await store.logs("hello");
 *   console.log(log?.stdout); // "hello from hello\n"
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function createModuleRunner(
  options: ModuleRunnerOptions,
): TargetRunner {
  const settings = childRunnerSettings("module runner", options);
  const permissions = [...(options.permissions ?? [])];
  for (const flag of permissions) {
    if (typeof flag !== "string" || !/^--(allow|deny)-[a-z-]+/.test(flag)) {
      throw new TypeError(
        `Cannot create module runner as 'permissions' must hold --allow-* or --deny-* flags: received ${
          JSON.stringify(flag)
        }`,
      );
    }
  }
  const { store } = options;
  return async (target: Target, context: JobContext): Promise<void> => {
    if (target.kind !== "module") {
      throw new TypeError(
        `Cannot run a ${target.kind} target: the module runner runs module targets only`,
      );
    }
    const url = moduleUrl(target.module);
    const args = [
      "run",
      "--no-prompt",
      "--quiet",
      ...accessFlags(target.module, url),
      ...permissions,
      BOOTSTRAP,
      url.href,
      JSON.stringify({
        jobId: context.jobId,
        slot: context.slot.toISOString(),
        runId: context.runId,
        attempt: context.attempt,
        trigger: context.trigger,
        catchup: context.catchup,
        instance: context.instance,
      }),
    ];
    await runAttempt({
      store,
      clock: settings.clock,
      context,
      start: async () => {
        try {
          return await runChild(options.denoPath ?? Deno.execPath(), {
            args,
            env: tockEnv(context),
            signal: context.signal,
            killGraceMs: settings.killGraceMs,
            maxLogBytes: settings.maxLogBytes,
          });
        } catch (error) {
          throw new Error(
            `Cannot start module "${target.module}": ${
              (error as Error).message
            }`,
            { cause: error },
          );
        }
      },
      failure: (result) => {
        const line = lastLine(result.stderr, 1000);
        // The bootstrap's last line on exit 1 is `Name: message`.
        const thrown = result.exitCode === 1 && line
          ? /^([A-Za-z_$][\w$]*): (.+)$/.exec(line)
          : null;
        if (thrown) {
          const error = new Error(thrown[2]);
          error.name = thrown[1]!;
          return error;
        }
        const how = result.exitCode === null
          ? `was killed by ${result.signal}`
          : `exited with code ${result.exitCode}`;
        return new Error(`Module ${how}${line ? `: ${line}` : ""}`);
      },
    });
  };
}

/** The module's URL: a URL as given, a path against the working directory. */
function moduleUrl(module: string): URL {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(module)) {
    let url: URL | undefined;
    try {
      url = new URL(module);
    } catch {
      // Reported below.
    }
    if (url && ["file:", "http:", "https:"].includes(url.protocol)) return url;
    throw new TypeError(
      `Cannot run module "${module}": it must be a path or a file:, http: or https: URL`,
    );
  }
  const path = module.startsWith("/") ? module : `${Deno.cwd()}/${module}`;
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return new URL(`file:///${parts.map(encodeURIComponent).join("/")}`);
}

/** The read or import permission a module needs to load itself. */
function accessFlags(module: string, url: URL): string[] {
  if (url.protocol !== "file:") {
    return [`--allow-import=${[url.host, ...DEFAULT_IMPORT_HOSTS].join(",")}`];
  }
  const path = decodeURIComponent(url.pathname);
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  if (dir.includes(",")) {
    // Deno's permission lists are comma-separated, with no escape.
    throw new TypeError(
      `Cannot run module "${module}": its directory contains a comma, which --allow-read cannot name`,
    );
  }
  return [`--allow-read=${dir}`];
}
