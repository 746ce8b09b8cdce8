/**
 * The jobs file start suite: `tock start --jobs FILE` with many jobs on a
 * fresh file store, each repeat a fresh child (a fresh daemon, a fresh
 * store), one after the other. It times a start, so it must not run beside
 * another suite.
 *
 * @module
 */

import type { BenchConfig } from "../_config.ts";
import type { JobsFileStartResults } from "../_results.ts";
import { runChild } from "../_child.ts";
import { spreadsOf } from "../_stats.ts";
import type {
  JobsFileStartArgs,
  JobsFileStartResult,
} from "../scenarios/jobs_file_start.ts";

/**
 * Runs the jobs file start suite (file store only).
 *
 * @param config The benchmark configuration.
 * @param step Reports the step about to run.
 * @returns The medians over the repeats.
 */
export async function runJobsFileStart(
  config: BenchConfig,
  step: (label: string) => void,
): Promise<JobsFileStartResults> {
  const c = config.jobsFileStart;
  const args: JobsFileStartArgs = { jobs: c.jobs };
  const results: JobsFileStartResult[] = [];
  for (let i = 0; i < c.repeats; i++) {
    step(
      `jobsFileStart: tock start --jobs, ${c.jobs} jobs, repeat ${
        i + 1
      }/${c.repeats}`,
    );
    results.push(
      await runChild<JobsFileStartResult>(
        "scenarios/jobs_file_start.ts",
        args,
        {
          timeoutMs: 300_000,
          label: "jobsFileStart",
        },
      ),
    );
  }
  return jobsFileStartRow(results);
}

/**
 * The suite's row from its repeats' results.
 *
 * @param results One result per repeat.
 * @returns The medians, with each figure's spread in `detail`.
 */
export function jobsFileStartRow(
  results: readonly JobsFileStartResult[],
): JobsFileStartResults {
  const detail = spreadsOf(
    results.map((r) => ({ ...r, firstSlotDue: r.firstSlotDue ? 1 : 0 })),
    [
      "fileBytes",
      "syncStartMs",
      "syncMs",
      "registeredMs",
      "firstClaimMs",
      "startedLineMs",
      "firstRunLineMs",
      "firstSlotDue",
    ],
  );
  return {
    store: "file",
    jobs: results[0]?.jobs ?? 0,
    repeats: results.length,
    fileBytes: detail.fileBytes.median,
    syncStartMs: detail.syncStartMs.median,
    syncMs: detail.syncMs.median,
    firstClaimMs: detail.firstClaimMs.median,
    detail,
  };
}
