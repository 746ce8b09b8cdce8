/**
 * The supervisor between a scheduler and a job's processes: a short POSIX
 * `sh` script that kills the job's process group when the scheduler dies,
 * whatever killed it (SIGKILL included).
 *
 * The scheduler starts `sh -c SUPERVISOR tock-supervisor PROGRAM ARGS…` in
 * a new session (so the supervisor leads the job's process group, and a
 * signal to the group still reaches every process of the job), with its
 * stdin a pipe the scheduler never writes and keeps open until the run is
 * over. The supervisor:
 *
 * 1. traps HUP, INT, QUIT and TERM, so that a signal to the group reaches
 *    the job while the supervisor stays to report the job's status (a trap
 *    is reset in the programs it starts; an ignored signal would not be);
 * 2. starts a watcher in the background, the only process that holds the
 *    pipe; it ignores those signals and blocks reading the pipe. At end of
 *    file, which the kernel gives once the scheduler's write end is closed
 *    (the scheduler exited or died), it sends SIGTERM to the group, waits
 *    1 s, then SIGKILL to the group, itself included;
 * 3. runs the job (`PROGRAM ARGS…`) in the foreground with stdin from
 *    `/dev/null` and the pipe closed, so the job never reads or holds it.
 *    The job gets the captured stderr; the supervisor's own is `/dev/null`,
 *    because a shell reports a child's death by a signal (`Terminated`)
 *    there;
 * 4. when the job exits, stops the watcher (with SIGPIPE, whose death no
 *    shell reports, and which the watcher ignores once it has started
 *    killing) and ends like the job did: with its exit code, or, for a
 *    status above 128, by raising that signal on itself (so `exit 143` is
 *    reported as SIGTERM, as shells report it), so the scheduler sees
 *    `killed by SIGTERM` or `exit 3` as before.
 *
 * The scheduler's end of the pipe is close-on-exec, so no other job's
 * processes hold it: each watcher sees its own scheduler die. A job that
 * leaves its process group (`setsid`, a daemonising tool) escapes, as it
 * escapes the group kill on timeout. Cost: one more `sh` and one more fork
 * per attempt, about 1.5 ms.
 *
 * **Starting it cheaply.** Deno's `detached: true` makes the new process
 * call `setsid()` between fork and exec, which rules out `posix_spawn` and
 * forks the whole scheduler: about 6 ms of the scheduler's CPU per attempt
 * once its heap is warm. So the supervisor is started as `setsid sh -c …`
 * with `posix_spawn` instead (util-linux `setsid` calls `setsid()` and
 * execs in place, keeping the pid, so the group id is still the child's
 * pid): about 1 ms. Where `setsid` is not installed or not allowed
 * (`--allow-run=sh`), the first attempt finds out and every attempt uses
 * `detached: true` from then on.
 *
 * @module
 */

/** The supervisor's script (`sh -c`); arguments: the job's program and args. */
const SUPERVISOR: string = "trap : HUP INT QUIT TERM; " +
  "exec 3<&0 </dev/null 4>&2 2>/dev/null; " +
  "(trap '' HUP INT QUIT TERM; read -r _; trap '' PIPE; kill -TERM 0; " +
  "sleep 1; kill -KILL 0) <&3 >/dev/null 4>&- & " +
  "exec 3<&-; " +
  '(exec "$@" 2>&4 4>&-); ' +
  "set -- $?; " +
  "kill -PIPE $!; wait $!; " +
  'if [ "$1" -gt 128 ]; then set -- "$1" "$(kill -l "$1" 2>/dev/null)"; ' +
  'case $2 in STOP|TSTP|TTIN|TTOU|"") ;; ' +
  '*) ulimit -c 0; trap - "$2"; kill -s "$2" $$ ;; esac; fi; ' +
  'exit "$1"';

/** The supervisor's `$0`, seen in `ps`. */
const SUPERVISOR_NAME = "tock-supervisor";

/**
 * The arguments of `sh` that run `program` under the supervisor.
 *
 * @param program The job's executable.
 * @param args Its arguments.
 * @returns The arguments for `sh`.
 */
function supervisedArgs(
  program: string,
  args: readonly string[],
): string[] {
  return ["-c", SUPERVISOR, SUPERVISOR_NAME, program, ...args];
}

/** Whether `setsid` can be started here; unknown until first tried. */
let setsidWorks: boolean | undefined;

/** Spawn options the supervisor's caller chooses. */
type SupervisorSpawnOptions = Omit<
  Deno.CommandOptions,
  "args" | "detached"
>;

/**
 * Starts `program` under the supervisor, leading a new session and process
 * group whose id is the returned child's pid.
 *
 * @param program The job's executable.
 * @param args Its arguments.
 * @param options Environment, working directory and pipes.
 * @returns The supervisor's process.
 * @throws {Error} What `spawn()` threw.
 */
export function spawnSupervised(
  program: string,
  args: readonly string[],
  options: SupervisorSpawnOptions,
): Deno.ChildProcess {
  const supervised = supervisedArgs(program, args);
  if (setsidWorks !== false) {
    try {
      const child = new Deno.Command("setsid", {
        ...options,
        args: ["sh", ...supervised],
      }).spawn();
      setsidWorks = true;
      return child;
    } catch (error) {
      if (setsidWorks || !setsidMissing(error)) throw error;
    }
  }
  const child = new Deno.Command("sh", {
    ...options,
    args: supervised,
    detached: true,
  }).spawn();
  // Only now is it setsid that failed, not this job's options (a missing
  // working directory fails both the same way).
  setsidWorks = false;
  return child;
}

/**
 * Whether a failed first `setsid` spawn means `setsid` itself cannot run
 * (absent, or not allowed), rather than a problem of the job's.
 */
function setsidMissing(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound ||
    error instanceof Deno.errors.NotCapable ||
    error instanceof Deno.errors.PermissionDenied;
}
