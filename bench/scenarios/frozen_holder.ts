/**
 * A frozen holder (issue #13): one process (`_holder.ts`) starts a claim
 * on a PostgreSQL store, holding the earliest due jobs (`held-*`), and is
 * stopped by SIGSTOP as soon as it holds them; this process is another
 * instance (a store object of its own) that runs the claim step
 * (`claimDueJobs`, real clock, unlimited capacity, starting none of its
 * runs) every `claimEveryMs` meanwhile. The held jobs stay locked until the
 * server ends the frozen claim's idle transaction (`lockIdleTimeoutMs`,
 * the store's default); the other jobs (`other-*`, due every second,
 * overlap `allow`) are the other instance's to claim all along.
 *
 * Reports the stall, from SIGSTOP to the end of the other instance's claim
 * step that took the last held job, and the other instance's claim steps
 * before it (how many, their durations, the slots of other jobs they
 * claimed): they pass over the held jobs rather than wait for them.
 *
 * Run as a child: `deno run -A --v8-flags=--expose-gc
 * bench/scenarios/frozen_holder.ts '<FrozenHolderArgs JSON>'`.
 *
 * @module
 */

import { claimDueJobs } from "../../src/turns/claim_due_jobs.ts";
import { systemClock } from "../../src/clock.ts";
import { childMain } from "../_child.ts";
import { readLines } from "../_daemon.ts";
import type { JobGroup } from "../_jobs.ts";
import { round, summarize } from "../_stats.ts";
import { openStore, type StoreSpec } from "../_stores.ts";
import { preciseNow, sleepUntil } from "../_time.ts";
import type { HolderArgs, HolderLine } from "./_holder.ts";

/** Arguments of the frozen holder child. */
export interface FrozenHolderArgs {
  /** A store holding {@linkcode frozenHolderJobs}`(…, dueAt)`. */
  readonly store: StoreSpec;
  readonly heldJobs: number;
  readonly otherJobs: number;
  /** The jobs' first slot, epoch ms. */
  readonly dueAt: number;
  /** How often the other instance claims, ms. */
  readonly claimEveryMs: number;
  /** Give up when the held jobs are not claimed this long after SIGSTOP. */
  readonly giveUpMs: number;
}

/** What one frozen holder run measured. */
export interface FrozenHolderResult {
  readonly store: StoreSpec["kind"];
  readonly heldJobs: number;
  readonly otherJobs: number;
  /** The holder's read answered → SIGSTOP sent, ms. */
  readonly stopDelayMs: number;
  /**
   * SIGSTOP → the end of the claim step that took the last held job, ms
   * (`null`: not within `giveUpMs`).
   */
  readonly stallMs: number | null;
  /** That claim step's duration, ms. */
  readonly releaseClaimMs: number | null;
  /** The other instance's claim steps while the jobs were held. */
  readonly otherClaims: number;
  /** The slots of other jobs those claim steps took. */
  readonly otherSlots: number;
  readonly otherClaimP50Ms: number | null;
  readonly otherClaimMaxMs: number | null;
}

/** The handler name the jobs name (no run starts). */
export const FROZEN_HANDLER = "frozen";

const HOLDER = new URL("./_holder.ts", import.meta.url).pathname;

/** How long the holder has to start, open its store and hold the jobs. */
const HOLD_LIMIT_MS = 60_000;

/**
 * The job set of a frozen holder run: the held jobs sort before the others
 * (by id, at the same due time), so a claim limited to `heldJobs` takes
 * them.
 *
 * @param heldJobs Jobs the frozen claim holds (due every second).
 * @param otherJobs Jobs due every second (overlap `allow`).
 * @param dueAt Their first slot, epoch ms (after the build).
 * @returns The groups.
 */
export function frozenHolderJobs(
  heldJobs: number,
  otherJobs: number,
  dueAt: number,
): JobGroup[] {
  return [
    {
      count: heldJobs,
      prefix: "held",
      schedule: "* * * * * *",
      run: FROZEN_HANDLER,
      startAt: dueAt,
    },
    {
      count: otherJobs,
      prefix: "other",
      schedule: "* * * * * *",
      run: FROZEN_HANDLER,
      overlap: "allow",
      startAt: dueAt,
    },
  ];
}

/**
 * Starts the holder, stops it, and claims beside it until the held jobs
 * are claimed.
 *
 * @param args The store, the jobs and the pace.
 * @returns The stall and the other instance's claim steps.
 * @throws {Error} When the holder holds other jobs than the held ones.
 */
export async function frozenHolder(
  args: FrozenHolderArgs,
): Promise<FrozenHolderResult> {
  // Opened first: the other instance claims the moment the holder stops.
  await using other = await openStore(args.store);
  const holderArgs: HolderArgs = {
    store: args.store,
    dueAt: args.dueAt,
    limit: args.heldJobs,
  };
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", HOLDER, JSON.stringify(holderArgs)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const first = Promise.withResolvers<HolderLine>();
  const reading = readLines(child.stdout, (line) => {
    if (line.trim() !== "") first.resolve(JSON.parse(line) as HolderLine);
  });
  child.status.then((status) =>
    first.reject(
      new Error(`Cannot hold jobs: the holder exited (${status.code})`),
    )
  );
  const limit = setTimeout(
    () =>
      first.reject(new Error(`Cannot hold jobs within ${HOLD_LIMIT_MS} ms`)),
    HOLD_LIMIT_MS,
  );
  try {
    const line = await first.promise;
    child.kill("SIGSTOP");
    const stoppedAt = preciseNow();
    clearTimeout(limit);
    const held = new Set(line.held);
    if (
      held.size !== args.heldJobs ||
      line.held.some((id) => !id.startsWith("held-"))
    ) {
      throw new Error(
        `Cannot measure a frozen holder: it holds ${line.held.join(", ")}`,
      );
    }
    const during: number[] = [];
    let otherSlots = 0;
    let stallMs: number | null = null;
    let releaseClaimMs: number | null = null;
    while (preciseNow() < stoppedAt + args.giveUpMs) {
      const start = preciseNow();
      const { started } = await claimDueJobs({
        store: other,
        clock: systemClock,
        instance: "bench-other",
        capacity: Number.MAX_SAFE_INTEGER,
        canRun: () => true,
        isDead: () => false,
      });
      const end = preciseNow();
      let others = 0;
      for (const { spec } of started) {
        if (!held.delete(spec.id)) others += 1;
      }
      if (held.size === 0) {
        stallMs = end - stoppedAt;
        releaseClaimMs = end - start;
        break;
      }
      during.push(end - start);
      otherSlots += others;
      await sleepUntil(start + args.claimEveryMs);
    }
    const claims = summarize(during);
    return {
      store: args.store.kind,
      heldJobs: args.heldJobs,
      otherJobs: args.otherJobs,
      stopDelayMs: round(stoppedAt - line.at)!,
      stallMs: round(stallMs),
      releaseClaimMs: round(releaseClaimMs),
      otherClaims: claims.count,
      otherSlots,
      otherClaimP50Ms: claims.p50Ms,
      otherClaimMaxMs: claims.maxMs,
    };
  } finally {
    clearTimeout(limit);
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.stdin.close().catch(() => {});
    await child.status;
    await reading.catch(() => {});
  }
}

if (import.meta.main) await childMain(frozenHolder);
