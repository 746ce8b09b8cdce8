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
 * The directory is taken by its real path (the module is imported from
 * there too), because Deno checks paths as written: a path through a
 * symbolic link would otherwise reach what the denials below name by its
 * real path. A module whose directory is the filesystem root is refused
 * (it would read everything). Deno checks a dynamic import like any read,
 * so imports from outside that directory need permissions too. A remote
 * module (`https:`) gets `--allow-import` for its own host plus Deno's
 * default import hosts (`deno.land`, `jsr.io`, `esm.sh`,
 * `cdn.jsdelivr.net`, `raw.githubusercontent.com`,
 * `user.githubusercontent.com`) and no read access. Anything more
 * (network, environment, writes, subprocesses) is granted per job, with
 * the job's `permissions` (`tock add --allow-write=…`), or to every module
 * with {@linkcode ModuleRunnerOptions.permissions}; they add up, one flag
 * per kind (an import list always keeps Deno's default hosts). The
 * store's own files (`JobStore.protectedPaths`, e.g. `./.tock`,
 * which often lies inside the module's directory) are denied to every
 * child with `--deny-read` and `--deny-write`, which no grant overrides,
 * not even `-A`: a module never reads another job's secrets from the
 * journal through Deno's file APIs. Deno checks those denials by path as
 * written, so they do not hold against a grant that reaches past its
 * sandbox: `--allow-run` and `--allow-ffi` (a subprocess or native code
 * reads anything), unscoped `--allow-read` with `--allow-write` (which
 * lets `Deno.symlink` make a path around them), or a symbolic link to the
 * store inside a granted path. When Deno refuses the module something (`NotCapable`), the
 * run's error names the flag that would grant it
 * (`grant it with --allow-write=/out/x.txt (tock update report
 * --allow-write=/out/x.txt)`), or says that no flag can.
 *
 * **Environment.** The child gets a clean environment (readable with
 * `--allow-env`): the scheduler's `PATH`, `HOME`, `USER`, `LOGNAME`,
 * `SHELL`, `LANG`, `LC_*`, `TZ` and `TMPDIR`, Deno's own settings
 * (`DENO_DIR`, `DENO_CERT`, `DENO_TLS_CA_STORE`, `NPM_CONFIG_REGISTRY`,
 * `HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY` and their lower-case forms),
 * those that are set, and the `TOCK_*` variables; never `TOCK_STORE` or
 * `PG*`. A job with `inheritEnv` gets the scheduler's whole environment.
 * Like a command, the child runs under a supervisor that kills it if the
 * scheduler dies.
 *
 * @module
 */

import type { CommandRunnerOptions } from "./run_command.ts";
import type { JobContext, TargetRunner } from "./run_handler.ts";
import type { ModulePermissions, Target } from "../types.ts";
import { parsePermissionFlags } from "../jobs/permission_flags.ts";
import {
  childRunnerSettings,
  lastLine,
  runAttempt,
  runChild,
  tockEnv,
} from "./_child_process.ts";
import { jobEnv } from "./_job_env.ts";
import { moduleFlags } from "./_module_flags.ts";

const BOOTSTRAP = new URL("./_module_child.ts", import.meta.url).href;

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
   * `["--allow-net=api.example.com", "--allow-env"]`, as `deno run` takes
   * them (`--allow-<kind>[=…]`, `--deny-<kind>[=…]`, `-A`); each job's own
   * `permissions` add to them.
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
 * @throws {TypeError} If a permission flag is not a `deno run` permission
 * flag.
 *
 * @example Run a module job
 * ```ts
 * import { createModuleRunner } from "./run_module.ts";
 * import { createScheduler } from "../runtime/scheduler.ts";
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
  const runner = runnerPermissions(options.permissions);
  const { store } = options;
  return async (target: Target, context: JobContext): Promise<void> => {
    if (target.kind !== "module") {
      throw new TypeError(
        `Cannot run a ${target.kind} target: the module runner runs module targets only`,
      );
    }
    const url = await realUrl(moduleUrl(target.module));
    const protectedPaths = store.protectedPaths ?? [];
    const args = [
      "run",
      "--no-prompt",
      "--quiet",
      ...moduleFlags({
        module: target.module,
        url,
        runner,
        job: target.permissions,
        protectedPaths,
      }),
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
      // For the hint of a refused permission (the bootstrap's last line).
      JSON.stringify({ permissions: target.permissions, protectedPaths }),
    ];
    await runAttempt({
      store,
      clock: settings.clock,
      context,
      start: async () => {
        try {
          return await runChild(options.denoPath ?? Deno.execPath(), {
            args,
            env: jobEnv({
              inherit: target.inheritEnv === true,
              deno: true,
              add: [tockEnv(context)],
            }),
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

/**
 * A file URL whose directory is resolved to its real path (symbolic links
 * followed); as given when the directory cannot be resolved (the load then
 * fails and says why).
 */
async function realUrl(url: URL): Promise<URL> {
  if (url.protocol !== "file:") return url;
  const path = decodeURIComponent(url.pathname);
  const at = path.lastIndexOf("/");
  let dir: string;
  try {
    dir = await Deno.realPath(path.slice(0, at) || "/");
  } catch {
    return url;
  }
  const parts = [...dir.split("/"), path.slice(at + 1)].filter((p) => p);
  return new URL(`file:///${parts.map(encodeURIComponent).join("/")}`);
}

/** The runner's own extra flags, read once. */
function runnerPermissions(
  flags: readonly string[] | undefined,
): ModulePermissions | undefined {
  const given = [...(flags ?? [])];
  const bad = given.find((flag) => typeof flag !== "string");
  try {
    if (bad !== undefined) {
      throw new TypeError(`expected strings: received ${JSON.stringify(bad)}`);
    }
    return parsePermissionFlags(given);
  } catch (error) {
    throw new TypeError(
      `Cannot create module runner as 'permissions' must hold deno run permission flags (${
        (error as Error).message
      })`,
      { cause: error },
    );
  }
}
