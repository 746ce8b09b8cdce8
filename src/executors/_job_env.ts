/**
 * The environment of a job's process. By default it is clean: a short
 * allow-list of the scheduler's variables, the job's own `env` and the
 * `TOCK_*` run variables, never the scheduler's secrets (`TOCK_STORE`, which
 * may hold a database password, `PG*`, tokens). A job with `inheritEnv`
 * gets the scheduler's whole environment instead.
 *
 * @module
 */

/** The scheduler's variables every job process gets (when set). */
export const PASSED_VARIABLES: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "TZ",
  "TMPDIR",
];

/**
 * Deno's own settings, also given to a module job's child Deno process:
 * its cache, certificates and proxies, the npm registry.
 */
export const DENO_VARIABLES: readonly string[] = [
  "DENO_DIR",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "NPM_CONFIG_REGISTRY",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
];

/** The environment of a child process. */
export interface ChildEnv {
  /** Its variables: all of them, or added to the scheduler's (`inherit`). */
  readonly env: Record<string, string>;
  /** Whether the scheduler's environment is passed too. */
  readonly inherit: boolean;
}

/** What a job's environment is made of. */
export interface JobEnvOptions {
  /** Pass the scheduler's whole environment. */
  readonly inherit: boolean;
  /** Also pass Deno's settings ({@linkcode DENO_VARIABLES}). */
  readonly deno: boolean;
  /** The job's variables, then the run's (later ones win). */
  readonly add: readonly Readonly<Record<string, string>>[];
}

/**
 * Builds a job's environment: the allow-list (`LC_*` too), Deno's settings
 * for a module, then the job's and the run's variables; or, with `inherit`,
 * only the added variables, on top of the scheduler's environment.
 *
 * @param options See {@linkcode JobEnvOptions}.
 * @returns The environment to start the child with.
 */
export function jobEnv(options: JobEnvOptions): ChildEnv {
  const added = Object.assign({}, ...options.add) as Record<string, string>;
  if (options.inherit) return { env: added, inherit: true };
  const names = options.deno
    ? [...PASSED_VARIABLES, ...DENO_VARIABLES]
    : PASSED_VARIABLES;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(schedulerEnv(names))) {
    if (names.includes(name) || name.startsWith("LC_")) env[name] = value;
  }
  return { env: { ...env, ...added }, inherit: false };
}

/**
 * The scheduler's variables: all of them when it may read its whole
 * environment, else those of `names` it may read.
 */
function schedulerEnv(names: readonly string[]): Record<string, string> {
  try {
    return Deno.env.toObject();
  } catch {
    const env: Record<string, string> = {};
    for (const name of names) {
      try {
        const value = Deno.env.get(name);
        if (value !== undefined) env[name] = value;
      } catch {
        // Not allowed to read it: it does not pass.
      }
    }
    return env;
  }
}
