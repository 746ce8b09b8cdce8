/**
 * `tock start --jobs FILE` with many jobs on a fresh file store: how long
 * from spawning the daemon until its first claim.
 *
 * The jobs file (written here, see {@linkcode startJobsFile}) holds one job
 * due every second, `first` (`sleep 60`: its run stays in the store, with
 * its claim's time, while it is read), and `jobs − 1` command jobs (`true`)
 * due once an hour, at the minute half an hour from now, so that none of
 * them is due while the scenario runs. The daemon (the flags of `deno task
 * tock`, and `--grace 1s`) is spawned on a directory that does not exist
 * yet. Its own records give the times, on this host's wall clock, each
 * from the spawn:
 *
 * - the sync began: the jobs' `createdAt`, the sync's `now`, taken once
 *   the file was read and checked;
 * - the instance registered: its record's `startedAt`, after the sync's
 *   commit (one line, one `fdatasync`) and the instance's hold of its id;
 *   the difference is the sync's time (the registration is a few files);
 * - the first claim: the `claimedAt` of `first`'s run, the time the claim
 *   step took the lock. The first claim step comes right after the
 *   registration; it claims `first` when its first slot (the first whole
 *   second after the sync began) is due by then, a lookahead early, which
 *   `firstSlotDue` says. Otherwise the claim waited for the slot.
 *
 * Once `first`'s run has started (its line on the daemon's stdout), the
 * store is opened read-only to read them; then the daemon is stopped.
 *
 * Run as a child: `deno run -A --v8-flags=--expose-gc
 * bench/scenarios/jobs_file_start.ts '<JobsFileStartArgs JSON>'`.
 *
 * @module
 */

import { createFileStore } from "../../src/store/file/file_store.ts";
import { childMain, progress } from "../_child.ts";
import { Daemon } from "../_daemon.ts";
import { round } from "../_stats.ts";

/** Arguments of the jobs file start child. */
export interface JobsFileStartArgs {
  /** Jobs in the file. */
  readonly jobs: number;
}

/** What one start measured; times in ms from the daemon's spawn. */
export interface JobsFileStartResult {
  readonly jobs: number;
  /** The jobs file's size, bytes. */
  readonly fileBytes: number;
  /** Until the sync began (the file read and checked). */
  readonly syncStartMs: number;
  /** From the sync's start to the instance's registration. */
  readonly syncMs: number;
  /** Until the instance registered. */
  readonly registeredMs: number;
  /** Until the first claim (its time under the lock). */
  readonly firstClaimMs: number;
  /** Until the daemon's `instance … started` line arrived. */
  readonly startedLineMs: number | null;
  /** Until the line of `first`'s run arrived. */
  readonly firstRunLineMs: number;
  /**
   * Whether `first`'s first slot was due (a lookahead early) when the
   * instance registered: then the first claim step claimed it.
   */
  readonly firstSlotDue: boolean;
}

/** The job whose claim is timed. */
const FIRST = "first";
/** The scheduler's default lookahead (`lookaheadMs`). */
const LOOKAHEAD_MS = 250;
/** How long the daemon has to start `first`'s run. */
const START_LIMIT_MS = 180_000;

/** One job of the file. */
export interface StartJob {
  readonly id: string;
  readonly schedule: string;
  readonly cmd: string;
}

/**
 * The jobs file: `first`, due every second, then `jobs − 1` hourly jobs
 * `job-1` … due at the minute half an hour after `now`.
 *
 * @param jobs How many jobs in all.
 * @param now The current time, epoch ms.
 * @returns The file's JSON value.
 * @throws {RangeError} When `jobs` is not a positive integer.
 */
export function startJobsFile(
  jobs: number,
  now: number,
): { readonly jobs: readonly StartJob[] } {
  if (!Number.isSafeInteger(jobs) || jobs < 1) {
    throw new RangeError(
      `Cannot write the start's jobs as 'jobs' must be a positive integer: received ${jobs}`,
    );
  }
  const minute = (new Date(now).getUTCMinutes() + 30) % 60;
  return {
    jobs: [
      { id: FIRST, schedule: "* * * * * *", cmd: "sleep 60" },
      ...Array.from({ length: jobs - 1 }, (_, i) => ({
        id: `job-${i + 1}`,
        schedule: `${minute} * * * *`,
        cmd: "true",
      })),
    ],
  };
}

/**
 * Runs one start.
 *
 * @param args The number of jobs.
 * @returns The times from the spawn.
 */
export async function jobsFileStart(
  args: JobsFileStartArgs,
): Promise<JobsFileStartResult> {
  const root = await Deno.makeTempDir({ prefix: "tock-bench-start-" });
  const dir = `${root}/store`;
  const jobsFile = `${root}/jobs.json`;
  let daemon: Daemon | undefined;
  try {
    const text = JSON.stringify(startJobsFile(args.jobs, Date.now()));
    await Deno.writeTextFile(jobsFile, text);
    const fileBytes = (await Deno.stat(jobsFile)).size;
    progress(`jobsFileStart: ${args.jobs} jobs (${fileBytes} bytes)`);
    let startedLine: number | undefined;
    const firstRun = Promise.withResolvers<number>();
    const spawnedAt = Date.now();
    const spawned = performance.now();
    daemon = new Daemon({
      store: dir,
      jobsFile,
      flags: ["--grace", "1s"],
      onLine: (line, at) => {
        if (/ instance \S+ started /.test(line)) startedLine ??= at;
        if (line.includes(` ${FIRST}: run `) && line.includes(" started ")) {
          firstRun.resolve(at);
        }
      },
    });
    const running = daemon;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const firstRunAt = await Promise.race([
      firstRun.promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `Cannot time the start: no run of '${FIRST}' within ${START_LIMIT_MS} ms${running.stderrTail()}`,
              ),
            ),
          START_LIMIT_MS,
        );
      }),
      running.exited.then((status) => {
        throw new Error(
          `Cannot time the start: the daemon exited with code ${status.code}${running.stderrTail()}`,
        );
      }),
    ]).finally(() => clearTimeout(timer));

    await using store = await createFileStore({ dir, readOnly: true });
    const record = await store.job(FIRST);
    const run = record?.state.runs[0];
    const instance = (await store.instances()).find((r) =>
      r.pid === running.pid
    );
    if (!record || !run || !instance) {
      throw new Error(
        `Cannot time the start: no ${
          !instance ? "instance record" : `run of '${FIRST}'`
        } in the store`,
      );
    }
    const createdAt = record.state.createdAt;
    const status = await daemon.stop();
    daemon = undefined;
    if (!status.success) {
      throw new Error(
        `Cannot time the start: the daemon exited with code ${status.code} on SIGTERM`,
      );
    }
    const ms = (at: number) => round(at - spawnedAt)!;
    return {
      jobs: args.jobs,
      fileBytes,
      syncStartMs: ms(createdAt),
      syncMs: round(instance.startedAt - createdAt)!,
      registeredMs: ms(instance.startedAt),
      firstClaimMs: ms(run.claimedAt),
      startedLineMs: startedLine === undefined
        ? null
        : round(startedLine - spawned),
      firstRunLineMs: round(firstRunAt - spawned)!,
      // Its first slot, the first whole second after its creation.
      firstSlotDue: Math.floor(createdAt / 1000) * 1000 + 1000 -
          LOOKAHEAD_MS <= instance.startedAt,
    };
  } finally {
    await daemon?.stop().catch(() => {});
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await childMain(jobsFileStart);
