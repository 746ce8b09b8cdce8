/**
 * Command-job soak: what the `tock start` daemon costs per command run. A
 * file store, a jobs file of `jobs` command jobs due every second
 * (`"cmd": "true"`), and the real daemon started as a child process with
 * the flags of `deno task tock`. After a warm-up, over a window that
 * starts half a second past a whole second (so that the claim, the spawn
 * and the outcome of each of the window's slots fall inside it), it
 * measures:
 *
 * - the daemon's CPU time: user + system time of `/proc/<pid>/stat`
 *   (every thread of the daemon; its job processes, `setsid`, the
 *   supervisor's `sh` and `true`, are children and not counted), in clock
 *   ticks (`getconf CLK_TCK`, 100 if that fails);
 * - the runs: the window's slots the ledger records `succeeded` (the store
 *   opened read-only, as `tock history` does);
 * - the lock hold summary the instance publishes (`tock status`): the
 *   latest 1,024 claim-step holds, which is every hold of a daemon that has
 *   run a few minutes (start-up included), read from a heartbeat written
 *   after the window.
 *
 * Before the daemon starts, the same process measures the spawn floor:
 * `sh -c true` with stdin, stdout and stderr piped, spawned `spawns` times
 * one after the other, CPU per spawn of the spawning process
 * (`process.cpuUsage()`): the part of a command run's CPU that no
 * scheduler can avoid.
 *
 * The daemon stops with SIGTERM at the end (and on any failure); a child
 * killed by the orchestrator's time limit (SIGKILL) leaves it running.
 *
 * Run as a child: `deno run -A --v8-flags=--expose-gc
 * bench/scenarios/command_soak.ts '<CommandSoakArgs JSON>'`.
 *
 * @module
 */

import process from "node:process";
import { createFileStore } from "../../src/store/file/file_store.ts";
import type { JobStore } from "../../src/store/store.ts";
import type { InstanceRecord } from "../../src/types.ts";
import { delay } from "../../src/clock.ts";
import { childMain, progress } from "../_child.ts";
import {
  type ProcStat,
  slotsInWindow,
  soakJobsFile,
  tallyWindow,
  ticksToMs,
} from "../_soak.ts";
import { Daemon, drain } from "../_daemon.ts";
import { openStore } from "../_stores.ts";
import { round } from "../_stats.ts";
import { sleepUntil, wholeSecondAfter } from "../_time.ts";

/** Arguments of the command soak child. */
export interface CommandSoakArgs {
  /** How many command jobs, each due every second. */
  readonly jobs: number;
  /** Their command. @default {"true"} */
  readonly cmd?: string;
  /** Wait after the daemon registered before the window, in ms. */
  readonly warmMs: number;
  /** The window, in ms (a whole number of seconds counts slots evenly). */
  readonly windowMs: number;
  /** `sh -c true` spawns for the spawn floor. */
  readonly spawns: number;
}

/** The instance's lock hold summary (`tock status`). */
export interface SoakLockHold {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** What one soak measured. */
export interface CommandSoakResult {
  readonly jobs: number;
  /** The window's slots recorded `succeeded`. */
  readonly runs: number;
  /** The window's slots: jobs × whole seconds in it. */
  readonly expectedRuns: number;
  /** The window's slots by ledger outcome (`succeeded` included). */
  readonly outcomes: Readonly<Record<string, number>>;
  /** The window's wall time, ms. */
  readonly windowMs: number;
  /** The daemon's CPU time over the window, ms. */
  readonly cpuMs: number;
  /** `cpuMs / runs` (`null` without runs). */
  readonly cpuMsPerRun: number | null;
  /**
   * CPU of the daemon's children it reaped in the window (the supervisors,
   * with the `true` they waited for), per run.
   */
  readonly childCpuMsPerRun: number | null;
  /** `cpuMs` over the window's wall time, percent of one core. */
  readonly cpuPercent: number;
  /** CPU per `sh -c true` spawn (piped stdio) of the spawning process, ms. */
  readonly spawnFloorMsPerRun: number;
  readonly spawns: number;
  /** The instance's lock hold summary, read after the window. */
  readonly lockHold: SoakLockHold;
  /** `getconf CLK_TCK` (or 100, when it could not be read). */
  readonly clockTicks: number;
}

/** Spawns before the spawn floor's, not measured. */
const WARM_SPAWNS = 10;
/** How long the daemon has to register. */
const START_LIMIT_MS = 60_000;
/** After the window: the runs of its last slots have ended by then. */
const SETTLE_MS = 1_500;
/** The heartbeat is every 3 s: wait this long for one after the window. */
const HEARTBEAT_LIMIT_MS = 5_000;

async function clockTicks(): Promise<number> {
  try {
    const { success, stdout } = await new Deno.Command("getconf", {
      args: ["CLK_TCK"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const ticks = Number(new TextDecoder().decode(stdout).trim());
    if (success && Number.isSafeInteger(ticks) && ticks > 0) return ticks;
  } catch { /* no getconf */ }
  return 100;
}

/** One `sh -c true`, stdio piped as the command runner pipes it. */
async function spawnTrue(): Promise<void> {
  const child = new Deno.Command("sh", {
    args: ["-c", "true"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await child.stdin.close();
  const [status] = await Promise.all([
    child.status,
    drain(child.stdout),
    drain(child.stderr),
  ]);
  if (!status.success) {
    throw new Error(`Cannot measure the spawn floor: sh exited ${status.code}`);
  }
}

/** CPU per spawn of this process, in ms. */
async function spawnFloor(spawns: number): Promise<number> {
  for (let i = 0; i < WARM_SPAWNS; i++) await spawnTrue();
  const before = process.cpuUsage();
  for (let i = 0; i < spawns; i++) await spawnTrue();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / spawns;
}

/** The daemon's stdout discarded, the end of its stderr kept. */
/** The daemon's instance record, once it has one (polling the store). */
async function instanceOf(
  store: JobStore,
  daemon: Daemon,
  limitMs: number,
  accept: (record: InstanceRecord) => boolean = () => true,
): Promise<InstanceRecord | undefined> {
  const until = performance.now() + limitMs;
  let exited: Deno.CommandStatus | undefined;
  daemon.exited.then((status) => exited = status, () => {});
  while (performance.now() < until) {
    if (exited) {
      throw new Error(
        `Cannot soak: the daemon exited with code ${exited.code}${daemon.stderrTail()}`,
      );
    }
    const record = (await store.instances()).find((r) =>
      r.pid === daemon.pid && accept(r)
    );
    if (record) return record;
    await delay(100);
  }
  return undefined;
}

function cpuTicks(stat: ProcStat): number {
  return stat.utime + stat.stime;
}

function childTicks(stat: ProcStat): number {
  return stat.cutime + stat.cstime;
}

/**
 * Runs one soak.
 *
 * @param args The jobs, the warm-up, the window and the spawn count.
 * @returns The daemon's CPU per run, the spawn floor and its lock holds.
 */
export async function commandSoak(
  args: CommandSoakArgs,
): Promise<CommandSoakResult> {
  const ticks = await clockTicks();
  progress(`commandSoak: spawn floor, ${args.spawns} × sh -c true`);
  const floorMs = await spawnFloor(args.spawns);

  const root = await Deno.makeTempDir({ prefix: "tock-bench-soak-" });
  const dir = `${root}/store`;
  const jobsFile = `${root}/jobs.json`;
  let daemon: Daemon | undefined;
  let reader: JobStore | undefined;
  try {
    await Deno.writeTextFile(
      jobsFile,
      `${JSON.stringify(soakJobsFile(args.jobs, args.cmd), null, 2)}\n`,
    );
    // Created here, so that it can be opened read-only before the daemon
    // has opened it.
    await (await openStore({ kind: "file", dir })).close();
    reader = await createFileStore({ dir, readOnly: true });
    daemon = new Daemon({ store: dir, jobsFile });
    const registered = await instanceOf(reader, daemon, START_LIMIT_MS);
    if (!registered) {
      throw new Error(
        `Cannot soak: the daemon did not register within ${START_LIMIT_MS} ms${daemon.stderrTail()}`,
      );
    }
    progress(
      `commandSoak: daemon ${daemon.pid} up, ${
        args.warmMs / 1000
      } s warm-up, ` +
        `${args.windowMs / 1000} s window`,
    );
    await delay(args.warmMs);

    // Half a second past a whole second: the claims of the next slot come
    // at most a lookahead (250 ms) before it, its run ends well before the
    // slot after.
    const start = wholeSecondAfter(500) - 500;
    await sleepUntil(start);
    const before = daemon.stat();
    const from = Date.now();
    const wallStart = performance.now();
    await sleepUntil(start + args.windowMs);
    const after = daemon.stat();
    const to = Date.now();
    const wallMs = performance.now() - wallStart;

    // A heartbeat written after the window carries its lock holds.
    const atEnd = await instanceOf(reader, daemon, 1_000);
    const [beat] = await Promise.all([
      instanceOf(
        reader,
        daemon,
        HEARTBEAT_LIMIT_MS,
        (r) => r.beat > (atEnd?.beat ?? Infinity),
      ),
      delay(SETTLE_MS),
    ]);
    const record = beat ?? atEnd;
    if (!record?.lockHold) {
      throw new Error("Cannot soak: the daemon published no lock hold summary");
    }
    const outcomes = tallyWindow(await reader.history(), from, to);
    await reader.close();
    reader = undefined;

    const status = await daemon.stop();
    if (!status.success) {
      throw new Error(
        `Cannot soak: the daemon exited with code ${status.code} on SIGTERM${daemon.stderrTail()}`,
      );
    }
    daemon = undefined;

    const runs = outcomes.succeeded ?? 0;
    const cpuMs = ticksToMs(cpuTicks(after) - cpuTicks(before), ticks);
    const childMs = ticksToMs(childTicks(after) - childTicks(before), ticks);
    const { count, p50Ms, p99Ms, maxMs } = record.lockHold;
    return {
      jobs: args.jobs,
      runs,
      expectedRuns: args.jobs * slotsInWindow(from, to),
      outcomes,
      windowMs: Math.round(wallMs),
      cpuMs: round(cpuMs)!,
      cpuMsPerRun: runs > 0 ? round(cpuMs / runs) : null,
      childCpuMsPerRun: runs > 0 ? round(childMs / runs) : null,
      cpuPercent: round((cpuMs / wallMs) * 100)!,
      spawnFloorMsPerRun: round(floorMs)!,
      spawns: args.spawns,
      lockHold: { count, p50Ms, p99Ms, maxMs },
      clockTicks: ticks,
    };
  } finally {
    await reader?.close().catch(() => {});
    await daemon?.stop().catch(() => {});
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await childMain(commandSoak);
