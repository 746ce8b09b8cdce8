/**
 * Settles a long run of due slots in one claim, counting the slots instead
 * of listing them. Without it the claim step walks due slots one chunk at a
 * time, so a per-second job after a year-long wall-clock jump (or a job
 * whose `startAt` is years back) needs tens of thousands of claims, each a
 * store commit, before it is on time again.
 *
 * Only slots whose fate does not depend on anything but their age are
 * collapsed, each part into one range that grows the open range exactly as
 * recording its slots one by one would:
 *
 * - a paused job: every due slot is `skipped` (`paused`);
 * - every slot older than the catch-up window is `missed` (`window`),
 *   whatever the policy;
 * - inside the window, the late slots the catch-up policy cannot run (all
 *   but the newest `catchupMax` under `all`, all but the newest one under
 *   `latest` and `none`) are `missed` (`catchup`).
 *
 * The slots left (the newest late ones and those due in the last few
 * seconds) go through the claim step's usual rules: catch-up, overlap,
 * bounds, backlog. Pure, like `advanceJob()`.
 *
 * @module
 */

import type { JobSpec, RangeEntry } from "../types.ts";
import {
  countSlotsBetween,
  lastSlotBetween,
} from "../schedule/slots_between.ts";
import type { Schedule } from "../schedule/schedule.ts";
import { refreshNextSlot, scheduleOf, type StateDraft } from "./job_state.ts";

/** What {@linkcode collapseGap} needs besides the job. */
export interface CollapseGapOptions {
  /** Wall-clock time of the claim. */
  readonly now: number;
  /**
   * Collapse only when at least this many slots are due: fewer are
   * settled by the usual walk in one claim (and keep one event per slot).
   */
  readonly limit: number;
  /** A slot at most this late is on time (never collapsed). */
  readonly onTimeMs: number;
}

/**
 * Records the due slots of a job that one claim step cannot walk, in at
 * most two ranges, and moves its cursor past them.
 *
 * @param spec The job.
 * @param draft Its state, changed in place.
 * @param options The claim's time, the walk's limit, the on-time margin.
 */
export function collapseGap(
  spec: JobSpec,
  draft: StateDraft,
  options: CollapseGapOptions,
): void {
  const { now, limit, onTimeMs } = options;
  const first = draft.state.nextSlot;
  if (first === undefined || now - first <= onTimeMs) return;
  const end = spec.endAt ?? Infinity;
  // A slot is due at most `jitterMs` after it: these are due for sure.
  const due = Math.min(Math.floor(now - spec.jitterMs), end);
  const schedule = scheduleOf(spec, draft.state.createdAt);
  if (countSlotsBetween(schedule, first - 1, due, limit) < limit) return;
  if (draft.state.paused) {
    settle(spec, draft, schedule, due, ["skipped", "paused"]);
    return;
  }
  // Slots are whole milliseconds: `slot < windowStart` is `slot <= this`.
  const beforeWindow = Math.ceil(now - spec.catchupWindowMs) - 1;
  settle(spec, draft, schedule, Math.min(due, beforeWindow), [
    "missed",
    "window",
  ]);
  const next = draft.state.nextSlot;
  if (next === undefined || next <= beforeWindow) return;
  if (countSlotsBetween(schedule, next - 1, due, limit) < limit) return;
  // Slots at or before `late` are late whatever their jitter; keep the
  // newest `keep` of them for the catch-up policy to choose from.
  const late = Math.min(Math.ceil(now - onTimeMs - spec.jitterMs) - 1, end);
  const keep = spec.catchup === "all" ? spec.catchupMax : 1;
  const cut = cutKeeping(schedule, next - 1, late, keep);
  if (cut !== undefined) {
    settle(spec, draft, schedule, cut, ["missed", "catchup"]);
  }
}

/** Records every slot from the next one to `to` as one range. */
function settle(
  spec: JobSpec,
  draft: StateDraft,
  schedule: Schedule,
  to: number,
  [outcome, note]: [RangeEntry["outcome"], string],
) {
  const first = draft.state.nextSlot;
  if (first === undefined || first > to) return;
  const count = countSlotsBetween(schedule, first - 1, to, Infinity);
  const last = lastSlotBetween(schedule, first - 1, to)!;
  draft.recordSpan(outcome, { first, last, count }, note);
  draft.state.cursor = last;
  refreshNextSlot(spec, draft.state);
}

/**
 * The slot in `(from, to]` with exactly `keep` slots after it up to `to`,
 * or `undefined` when the range holds no more than `keep`. Bisects on the
 * instant: the count of slots after an instant only falls as it grows.
 */
function cutKeeping(
  schedule: Schedule,
  from: number,
  to: number,
  keep: number,
): number | undefined {
  const after = (t: number) => countSlotsBetween(schedule, t, to, keep + 1);
  if (from >= to || after(from) <= keep) return undefined;
  let lo = from;
  let hi = to;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (after(mid) <= keep) hi = mid;
    else lo = mid;
  }
  // `(lo, hi]` holds one slot, and `keep` follow it.
  return lastSlotBetween(schedule, lo, hi);
}
