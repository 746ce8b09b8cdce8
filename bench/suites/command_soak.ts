/**
 * The command-job soak suite: the `tock start` daemon with command jobs
 * due every second, each repeat a fresh child (which starts a fresh daemon
 * on a fresh file store), one after the other. It measures CPU, so it must
 * not run beside another suite.
 *
 * @module
 */

import type { BenchConfig } from "../_config.ts";
import type { CommandSoakResults } from "../_results.ts";
import { runChild } from "../_child.ts";
import { spread, spreadsOf } from "../_stats.ts";
import type {
  CommandSoakArgs,
  CommandSoakResult,
} from "../scenarios/command_soak.ts";

/** The jobs' command. */
const CMD = "true";

/**
 * Runs the command soak suite (file store only).
 *
 * @param config The benchmark configuration.
 * @param step Reports the step about to run.
 * @returns The medians over the repeats.
 */
export async function runCommandSoak(
  config: BenchConfig,
  step: (label: string) => void,
): Promise<CommandSoakResults> {
  const c = config.commandSoak;
  const args: CommandSoakArgs = {
    jobs: c.jobs,
    cmd: CMD,
    warmMs: c.warmMs,
    windowMs: c.windowMs,
    spawns: c.spawns,
  };
  const results: CommandSoakResult[] = [];
  for (let i = 0; i < c.repeats; i++) {
    step(
      `commandSoak: ${c.jobs} per-second command jobs, ${
        c.windowMs / 1000
      } s window, repeat ${i + 1}/${c.repeats}`,
    );
    results.push(
      await runChild<CommandSoakResult>("scenarios/command_soak.ts", args, {
        timeoutMs: 180_000 + c.warmMs + c.windowMs,
        label: "commandSoak",
      }),
    );
  }
  return commandSoakRow(config, results);
}

/**
 * The suite's row from its repeats' results.
 *
 * @param config The benchmark configuration.
 * @param results One result per repeat.
 * @returns The medians, with each figure's spread in `detail`.
 */
export function commandSoakRow(
  config: BenchConfig,
  results: readonly CommandSoakResult[],
): CommandSoakResults {
  const c = config.commandSoak;
  const detail = {
    ...spreadsOf(results, [
      "runs",
      "expectedRuns",
      "windowMs",
      "cpuMs",
      "cpuMsPerRun",
      "childCpuMsPerRun",
      "cpuPercent",
      "spawnFloorMsPerRun",
      "clockTicks",
    ]),
    lockHoldCount: spread(results.map((r) => r.lockHold.count)),
    lockHoldP50Ms: spread(results.map((r) => r.lockHold.p50Ms)),
    lockHoldP99Ms: spread(results.map((r) => r.lockHold.p99Ms)),
    lockHoldMaxMs: spread(results.map((r) => r.lockHold.maxMs)),
  };
  return {
    store: "file",
    jobs: c.jobs,
    cmd: CMD,
    warmMs: c.warmMs,
    windowMs: c.windowMs,
    repeats: results.length,
    runs: detail.runs.median,
    expectedRuns: detail.expectedRuns.median,
    cpuMsPerRun: detail.cpuMsPerRun.median,
    spawnFloorMsPerRun: detail.spawnFloorMsPerRun.median,
    cpuPercent: detail.cpuPercent.median,
    lockHold: {
      count: detail.lockHoldCount.median,
      p50Ms: detail.lockHoldP50Ms.median,
      p99Ms: detail.lockHoldP99Ms.median,
      maxMs: detail.lockHoldMaxMs.median,
    },
    detail,
  };
}
