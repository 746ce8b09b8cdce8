/**
 * Builds a scenario's job set in a separate process, so that the garbage
 * and caches of building (parsed schedules of every job, for instance) are
 * not in the heap of the process that measures. Run as a child, it creates
 * the jobs and prints `{ jobs, ms }`. A PostgreSQL store is built in bulk
 * (`_pg_bulk.ts`).
 *
 * @module
 */

import { childMain, runChild } from "./_child.ts";
import { type JobGroup, seedJobs } from "./_jobs.ts";
import { bulkBuild } from "./_pg_bulk.ts";
import { openStore, type StoreSpec } from "./_stores.ts";
import { preciseNow } from "./_time.ts";

/** Arguments of the build child. */
export interface BuildArgs {
  readonly store: StoreSpec;
  readonly groups: readonly JobGroup[];
}

/** What the build child reports. */
export interface BuildResult {
  /** Jobs created. */
  readonly jobs: number;
  /** Wall time of opening the store and creating them, in ms. */
  readonly ms: number;
}

/**
 * Creates the groups' jobs in the store, in a child process.
 *
 * @param store The store (opened, filled and closed by the child).
 * @param groups The jobs to create.
 * @returns How many and how long it took.
 */
export function buildStore(
  store: StoreSpec,
  groups: readonly JobGroup[],
): Promise<BuildResult> {
  const jobs = groups.reduce((n, g) => n + g.count, 0);
  return runChild<BuildResult>("_build_store.ts", { store, groups }, {
    timeoutMs: 120_000 + jobs,
    label: `building ${jobs} jobs`,
  });
}

async function build(args: BuildArgs): Promise<BuildResult> {
  const started = preciseNow();
  if (args.store.kind === "postgres") {
    const jobs = await bulkBuild(args.store, args.groups, Date.now());
    return { jobs, ms: Math.round(preciseNow() - started) };
  }
  await using store = await openStore(args.store);
  const jobs = await seedJobs(store, args.groups, Date.now());
  return { jobs, ms: Math.round(preciseNow() - started) };
}

if (import.meta.main) await childMain(build);
