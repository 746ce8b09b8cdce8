// The chaos harness: real `tock start` processes on one store (a file store,
// or a PostgreSQL database with its own faults), killed, frozen, stopped and
// restarted at seeded random moments while per-second jobs run; then the
// side effects, the ledger and the jobs must agree (SPEC §4 G1, G3, G4). See
// tests/chaos/README.md.
import { lines, processesWith, tock } from "../cli/e2e/_cli.ts";
import type { HistoryEntry } from "../cli/e2e/_cli.ts";
import { checkChaos, type ListedJob } from "./_check.ts";
import { Fleet } from "./_fleet.ts";
import { delay } from "./_wait.ts";
import { type ChaosJob, describePlan, planChaos } from "./_plan.ts";
import { ChaosDatabase } from "./_database.ts";

/** Options of {@linkcode runChaos}. */
export interface ChaosOptions {
  /** Seeds the plan: the jobs and every action (see `_plan.ts`). */
  readonly seed: number;
  /** `tock start` processes at any time (3–5). */
  readonly instances: number;
  /** Jobs added before the instances start. */
  readonly jobs: number;
  /** How long the chaos lasts, from the instances' start, ms. */
  readonly durationMs: number;
  /** Work in this directory (kept) instead of a removed temporary one. */
  readonly dir?: string;
  /** Keep the temporary directory when the run finds a violation. */
  readonly keepOnFailure?: boolean;
  /**
   * Also make the instances' wall clocks jump (see `PlanChaosOptions`).
   * Needs the test-only `TOCK_TEST_CLOCK_FILE` of the command line.
   * @default {false}
   */
  readonly clockJumps?: boolean;
  /**
   * Run on this PostgreSQL database (`postgres://…/db`) instead of a file
   * store: in a schema of the run's own (dropped afterwards unless kept),
   * each instance through a proxy that cuts it off at times, with the lock
   * holder's session terminated at times.
   */
  readonly database?: string;
  /** On a database, also restart the server once. @default {false} */
  readonly databaseRestart?: boolean;
  /** Receives progress lines. */
  readonly log?: (line: string) => void;
}

/** What one chaos run did and found. */
export interface ChaosReport {
  readonly seed: number;
  /** Instances started, restarts included. */
  readonly instances: number;
  readonly kills: number;
  readonly stops: number;
  readonly terms: number;
  readonly restarts: number;
  /** Wall-clock jumps made. */
  readonly clockJumps: number;
  /** Planned actions dropped because no instance could take them. */
  readonly skipped: number;
  /** Twins (a second `tock start` under a live id) refused as expected. */
  readonly twins: number;
  /** `tock tick` processes started. */
  readonly ticks: number;
  /** Ticks SIGKILLed right after a run started in them. */
  readonly tickKills: number;
  /** SIGSTOPs sent right after an attempt failed into a retry. */
  readonly retryStops: number;
  /** Instances cut off from the database. */
  readonly cuts: number;
  /** Sessions holding the claim lock terminated. */
  readonly terminations: number;
  /** Restarts of the database server. */
  readonly dbRestarts: number;
  /** `run.fenced` lines the instances printed. */
  readonly fenced: number;
  /** Scheduled slots checked for exactly one outcome. */
  readonly slots: number;
  /** Executions (attempt-1 side-effect `start` lines). */
  readonly runs: number;
  readonly duplicates: number;
  readonly doubled: number;
  readonly unaccounted: number;
  readonly dropped: number;
  readonly abandoned: number;
  readonly reruns: number;
  readonly cancelled: number;
  readonly unsettled: number;
  readonly elapsedMs: number;
  /** Where the run's files are, when they were kept. */
  readonly dir?: string;
  readonly violations: readonly string[];
}

const EFFECT_FIELDS =
  "$TOCK_JOB_ID $TOCK_SLOT $TOCK_INSTANCE $TOCK_RUN_ID $TOCK_TRIGGER $TOCK_ATTEMPT";

/** Runs one chaos run; see {@linkcode ChaosOptions}. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const origin = performance.now();
  const { seed, instances, jobs, durationMs } = options;
  if (!Number.isInteger(instances) || instances < 1) {
    throw new RangeError(
      `Cannot run chaos as 'instances' must be a positive integer: received ${instances}`,
    );
  }
  const clockJumps = options.clockJumps ?? false;
  const plan = planChaos(seed, {
    instances,
    jobs,
    durationMs,
    clockJumps,
    ...(options.database
      ? { database: options.databaseRestart ? "restart" : "faults" }
      : {}),
  });
  const database = options.database
    ? ChaosDatabase.open(options.database, instances)
    : undefined;
  log(
    `chaos seed ${seed} (replay with CHAOS_SEED=${seed}): ${instances} instances, ${jobs} jobs, ${
      durationMs / 1000
    } s${clockJumps ? ", clock jumps" : ""}${
      database ? `, PostgreSQL schema ${database.schema}` : ""
    }`,
  );
  for (const line of describePlan(plan)) log(line);
  const dir = options.dir ??
    await Deno.makeTempDir({ prefix: "tock-chaos-" });
  const store = database?.url ?? `${dir}/store`;
  const effects = `${dir}/effects.log`;
  let keep = options.dir !== undefined;
  try {
    await addJobs(plan.jobs, store, effects);
    const fleet = new Fleet({
      store,
      instances,
      origin,
      log,
      ...(clockJumps ? { clockDir: dir } : {}),
      ...(database ? { database } : {}),
    });
    let endedAt: number;
    try {
      await fleet.start();
      const begin = performance.now();
      for (const action of plan.actions) {
        await delay(begin + action.at - performance.now());
        await fleet.act(action);
      }
      await delay(begin + durationMs - performance.now());
      endedAt = await fleet.shutdown();
    } finally {
      await fleet.close();
      await Deno.writeTextFile(`${dir}/instances.log`, fleet.output());
      // What was done to whom (wall-clock ms), to re-check a kept run.
      await Deno.writeTextFile(
        `${dir}/actions.json`,
        JSON.stringify(
          {
            plan,
            killed: Object.fromEntries(fleet.killed),
            ticks: fleet.ticks.map((t) => t.name),
            stopped: [...fleet.stopped],
            resumed: Object.fromEntries(fleet.resumed),
            termed: [...fleet.termed],
          },
          null,
          2,
        ) + "\n",
      );
    }
    await reapOrphans(dir, log);
    const world = await readWorld(plan.jobs, store);
    const check = world.listed && world.history
      ? checkChaos({
        jobs: plan.jobs,
        effects: await lines(effects),
        history: world.history,
        listed: world.listed,
        killed: fleet.killed,
        stopped: fleet.stopped,
        resumed: fleet.resumed,
        skewedClocks: fleet.counts.clockJumps > 0,
        termed: fleet.termed,
        endedAt,
      })
      : undefined;
    const violations = [
      ...fleet.violations,
      ...world.violations,
      ...check?.violations ?? [],
    ];
    if (violations.length > 0 && options.keepOnFailure) keep = true;
    const report: ChaosReport = {
      seed,
      instances: fleet.all.length,
      ...fleet.counts,
      fenced: fleet.fenced(),
      slots: check?.slots ?? 0,
      runs: check?.runs ?? 0,
      duplicates: check?.duplicates ?? 0,
      doubled: check?.doubled ?? 0,
      unaccounted: check?.unaccounted ?? 0,
      dropped: check?.dropped ?? 0,
      abandoned: check?.abandoned ?? 0,
      reruns: check?.reruns ?? 0,
      cancelled: check?.cancelled ?? 0,
      unsettled: check?.unsettled ?? 0,
      elapsedMs: Math.round(performance.now() - origin),
      ...(keep ? { dir } : {}),
      violations,
    };
    log(summaryLine(report));
    for (const violation of violations) log(`VIOLATION ${violation}`);
    return report;
  } catch (error) {
    if (options.keepOnFailure) {
      keep = true;
      log(`harness error; files kept in ${dir}`);
    }
    throw error;
  } finally {
    // On every path: commands of killed instances may still be running.
    await reapOrphans(dir, log).catch(() => {});
    if (!keep) await Deno.remove(dir, { recursive: true });
    if (database && keep) await database.closeProxies();
    else await database?.close();
  }
}

/** One line per run, for logs and `long.ts`. */
export function summaryLine(r: ChaosReport): string {
  return `seed ${r.seed}: ${r.instances} instances, ${r.kills} kills, ${r.stops} stops (${r.retryStops} in a backoff), ${r.terms} terms, ${r.restarts} restarts, ${r.twins} twins refused, ${r.ticks} ticks (${r.tickKills} killed), ${r.fenced} fenced;${
    r.cuts + r.terminations + r.dbRestarts > 0
      ? ` ${r.cuts} cut off, ${r.terminations} lock sessions terminated, ${r.dbRestarts} database restarts;`
      : ""
  } ${r.slots} slots, ${r.runs} runs, ${r.abandoned} abandoned, ${r.reruns} reruns, ${r.cancelled} cancelled, ${r.unsettled} unsettled; ${r.duplicates} duplicates, ${r.doubled} doubled, ${r.unaccounted} unaccounted, ${r.dropped} dropped; ${
    (r.elapsedMs / 1000).toFixed(1)
  } s; ${
    r.violations.length === 0 ? "OK" : `${r.violations.length} VIOLATIONS`
  }`;
}

/**
 * The command of a job: append a `start` line (with the wall time, ms, to
 * compare with the harness's SIGCONTs), fail a retry job's first attempt,
 * maybe sleep and append an `end`.
 */
export function jobCommand(job: ChaosJob, effects: string): string {
  const parts = [
    `echo "start ${EFFECT_FIELDS} $(date +%s%3N)" >> '${effects}'`,
  ];
  if (job.retries > 0) parts.push(`[ "$TOCK_ATTEMPT" -gt 1 ] || exit 1`);
  if (job.sleeper) {
    parts.push(
      `sleep ${(job.sleepMs / 1000).toFixed(1)}`,
      `echo "end ${EFFECT_FIELDS}" >> '${effects}'`,
    );
  }
  return parts.join("; ");
}

/**
 * Adds the jobs with `tock add` (the first alone: it may create the store;
 * the others race for its lock). Throws naming the job that failed.
 */
export async function addJobs(
  jobs: readonly ChaosJob[],
  store: string,
  effects: string,
) {
  const add = async (job: ChaosJob) => {
    const result = await tock([
      "add",
      job.id,
      "--schedule",
      job.schedule,
      "--cmd",
      jobCommand(job, effects),
      "--overlap",
      job.overlap,
      "--recover",
      job.recover,
      ...(job.retries > 0
        ? ["--retries", `${job.retries}`, "--backoff", `${job.backoffMs}ms`]
        : []),
    ], { store });
    if (result.code !== 0) {
      throw new Error(`Cannot add chaos job ${job.id}: ${result.stderr}`);
    }
  };
  // The first add creates the store; the others race for its lock.
  await add(jobs[0]!);
  await Promise.all(jobs.slice(1).map(add));
}

/**
 * Waits until no process mentions the run's directory any more: commands
 * of SIGKILLed instances live on in their own process groups (by design)
 * and may still append to the side-effect file.
 */
async function reapOrphans(dir: string, log: (line: string) => void) {
  const deadline = performance.now() + 8_000;
  let pids = await processesWith(dir);
  while (pids.length > 0 && performance.now() < deadline) {
    await delay(200);
    pids = await processesWith(dir);
  }
  for (const pid of pids) {
    log(`orphan process ${pid} still running after 8 s: killed`);
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

interface World {
  readonly listed?: ListedJob[];
  readonly history?: HistoryEntry[];
  readonly violations: string[];
}

/** G4: after all the kills, every read command opens the store. */
async function readWorld(
  jobs: readonly ChaosJob[],
  store: string,
): Promise<World> {
  const violations: string[] = [];
  const read = async <T>(args: string[]): Promise<T | undefined> => {
    const result = await tock([...args, "--json"], { store });
    if (result.code !== 0) {
      violations.push(
        `G4: tock ${
          args.join(" ")
        } --json exited ${result.code}: ${result.stderr.trim()}`,
      );
      return undefined;
    }
    try {
      return JSON.parse(result.stdout) as T;
    } catch (error) {
      violations.push(
        `G4: tock ${args.join(" ")} --json printed no JSON: ${error}`,
      );
      return undefined;
    }
  };
  const others = Promise.all([
    read(["status"]),
    ...jobs.map((job) => read(["show", job.id])),
    read(["logs", jobs[0]!.id, "--limit", "5"]),
  ]);
  const listed = await read<ListedJob[]>(["list"]);
  const history = await read<HistoryEntry[]>(["history", "--limit", "1000000"]);
  await others;
  return {
    ...(listed ? { listed } : {}),
    ...(history ? { history } : {}),
    violations,
  };
}
