/**
 * The frozen holder suite (issue #13), on each PostgreSQL store kind of the
 * run: each repeat on a fresh store whose jobs fall due a few seconds
 * ahead; then one row, judged on its longest stall.
 *
 * @module
 */

import type { BenchConfig } from "../_config.ts";
import type { FrozenHolderRow } from "../_results.ts";
import { runChild } from "../_child.ts";
import { buildStore } from "../_build_store.ts";
import { prepareStore } from "../_stores.ts";
import { spreadsOf } from "../_stats.ts";
import { wholeSecondAfter } from "../_time.ts";
import {
  type FrozenHolderArgs,
  frozenHolderJobs,
  type FrozenHolderResult,
} from "../scenarios/frozen_holder.ts";

/** Time from building the store to the jobs' first slot. */
const LEAD_MS = 3_000;

/**
 * Runs the frozen holder suite (nothing without a PostgreSQL store).
 *
 * @param config The benchmark configuration.
 * @param step Reports the step about to run.
 * @returns One row per store kind.
 */
export async function runFrozenHolder(
  config: BenchConfig,
  step: (label: string) => void,
): Promise<FrozenHolderRow[]> {
  const c = config.frozenHolder;
  const rows: FrozenHolderRow[] = [];
  for (const kind of config.stores.filter((k) => k === "postgres")) {
    const runs: FrozenHolderResult[] = [];
    for (let r = 0; r < config.repeats; r++) {
      step(
        `frozen holder (${kind}): ${c.heldJobs} held, ${c.otherJobs} others, repeat ${
          r + 1
        }`,
      );
      const store = await prepareStore(kind);
      try {
        const dueAt = wholeSecondAfter(LEAD_MS);
        await buildStore(
          store.spec,
          frozenHolderJobs(c.heldJobs, c.otherJobs, dueAt),
        );
        const args: FrozenHolderArgs = {
          store: store.spec,
          heldJobs: c.heldJobs,
          otherJobs: c.otherJobs,
          dueAt,
          claimEveryMs: c.claimEveryMs,
          giveUpMs: c.giveUpMs,
        };
        runs.push(
          await runChild<FrozenHolderResult>(
            "scenarios/frozen_holder.ts",
            args,
            {
              timeoutMs: dueAt - Date.now() + c.giveUpMs + 90_000,
              label: "frozen holder",
            },
          ),
        );
      } finally {
        await store.dispose();
      }
    }
    rows.push(frozenRow(kind, c, runs));
  }
  return rows;
}

/**
 * Aggregates the repeats into a row: the longest stall and claim decide.
 *
 * @param store The store kind.
 * @param c The configuration measured.
 * @param runs The repeats.
 * @returns The row.
 */
export function frozenRow(
  store: string,
  c: BenchConfig["frozenHolder"],
  runs: readonly FrozenHolderResult[],
): FrozenHolderRow {
  const detail = spreadsOf(runs, [
    "stallMs",
    "stopDelayMs",
    "releaseClaimMs",
    "otherClaims",
    "otherSlots",
    "otherClaimP50Ms",
    "otherClaimMaxMs",
  ]);
  const unclaimed = runs.filter((run) => run.stallMs === null).length;
  return {
    store,
    heldJobs: c.heldJobs,
    otherJobs: c.otherJobs,
    claimEveryMs: c.claimEveryMs,
    repeats: runs.length,
    stallMs: unclaimed > 0 ? null : detail.stallMs.max,
    otherClaimMaxMs: detail.otherClaimMaxMs.max,
    unclaimed,
    detail,
  };
}
