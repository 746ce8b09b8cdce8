/**
 * The run timeline of the status page (`GET /api/timeline`): the runs,
 * marks and lock holds of a window of time, read from the store without
 * its lock. A run is a bar from its first attempt's start to its end, cut
 * into one segment per attempt when it was retried; skipped, missed and
 * abandoned slots are marks (a range of skipped or missed slots one mark
 * spanning them); runs still in progress end at `now`; lock holds come from
 * the instances' heartbeats, which carry each instance's latest holds.
 *
 * @module
 */

import type { JobStore, RunLog } from "../store/store.ts";
import type { LedgerEntry } from "../types.ts";
import { iso } from "./_output.ts";

/** The longest window the timeline shows: a day. */
export const TIMELINE_MAX_MS = 24 * 60 * 60 * 1000;

/** The newest ledger entries the timeline reads, at most. */
const TIMELINE_ENTRIES = 5000;

/**
 * One attempt of a run on the timeline; every attempt but the last ended in
 * a failure or a timeout (that is why it was tried again).
 */
export interface TimelineSegment {
  readonly attempt: number;
  readonly start: string;
  readonly end: string;
}

/** A run bar: one slot's run from its start to its end. */
export interface TimelineRun {
  readonly job: string;
  readonly slot: string;
  readonly runId: string;
  /** The final outcome, or `running`. */
  readonly outcome: string;
  readonly trigger: string;
  readonly instance: string | null;
  readonly start: string;
  readonly end: string;
  /** Present when the run took more than one attempt. */
  readonly segments?: readonly TimelineSegment[];
}

/** A slot that did not run: skipped, missed (a range) or abandoned. */
export interface TimelineMark {
  readonly job: string;
  readonly outcome: string;
  readonly first: string;
  readonly last: string;
  readonly count: number;
  readonly note?: string;
}

/** One lock hold of one instance. */
export interface TimelineHold {
  readonly instance: string;
  readonly start: string;
  readonly ms: number;
}

/** What `GET /api/timeline` returns. */
export interface TimelineJson {
  readonly from: string;
  readonly to: string;
  readonly jobs: readonly string[];
  readonly runs: readonly TimelineRun[];
  readonly marks: readonly TimelineMark[];
  readonly holds: readonly TimelineHold[];
  /** True when older entries of the window were not read (the cap). */
  readonly truncated: boolean;
}

/** What {@linkcode timelineView} shows. */
export interface TimelineOptions {
  /** The end of the window (usually now), epoch ms. */
  readonly to: number;
  /** Its length, ms (at most a day). */
  readonly spanMs: number;
  /** Now, epoch ms: where runs in progress end. */
  readonly now: number;
}

/** The timeline of `[to − spanMs, to]`. */
export async function timelineView(
  store: JobStore,
  options: TimelineOptions,
): Promise<TimelineJson> {
  const { to, now } = options;
  const from = to - Math.min(options.spanMs, TIMELINE_MAX_MS);
  const [jobs, instances, entries] = await Promise.all([
    store.jobs(),
    store.instances(),
    store.history({ limit: TIMELINE_ENTRIES }),
  ]);
  const inWindow = (start: number, end: number) => end >= from && start <= to;
  const runs: TimelineRun[] = [];
  const marks: TimelineMark[] = [];
  const retried = new Set<string>();
  const inProgress: { job: string; runId: string }[] = [];
  for (const entry of entries) {
    if (entry.runId !== undefined && entry.startedAt !== undefined) {
      const end = entry.finishedAt ?? entry.startedAt;
      if (!inWindow(entry.startedAt, end)) continue;
      runs.push(runBar(entry, entry.startedAt, end));
      if ((entry.attempt ?? 1) > 1) retried.add(entry.job);
    } else {
      const last = entry.until ?? entry.slot;
      if (!inWindow(entry.slot, last)) continue;
      marks.push({
        job: entry.job,
        outcome: entry.outcome,
        first: iso(entry.slot)!,
        last: iso(last)!,
        count: entry.count ?? 1,
        ...(entry.note !== undefined ? { note: entry.note } : {}),
      });
    }
  }
  for (const job of jobs) {
    for (const run of job.state.runs) {
      const start = Math.max(run.claimedAt, run.startAt ?? run.claimedAt);
      if (!inWindow(start, now)) continue;
      runs.push({
        job: job.spec.id,
        slot: iso(run.slot)!,
        runId: run.runId,
        outcome: "running",
        trigger: run.trigger,
        instance: run.instance,
        start: iso(start)!,
        end: iso(Math.max(start, now))!,
      });
      inProgress.push({ job: job.spec.id, runId: run.runId });
    }
  }
  const attempts = await attemptsOf(store, [
    ...[...retried].map((job) => ({ job })),
    ...inProgress,
  ]);
  return {
    from: iso(from)!,
    to: iso(to)!,
    jobs: jobs.map((job) => job.spec.id).sort(),
    runs: runs.map((run) => withSegments(run, attempts.get(run.runId))),
    marks,
    holds: instances.flatMap((instance) =>
      (instance.recentHolds ?? []).filter(([start, ms]) =>
        inWindow(start, start + ms)
      ).map(([start, ms]) => ({
        instance: instance.id,
        start: iso(start)!,
        ms,
      }))
    ),
    truncated: entries.length >= TIMELINE_ENTRIES &&
      (entries[0]?.slot ?? 0) > from,
  };
}

function runBar(entry: LedgerEntry, start: number, end: number): TimelineRun {
  return {
    job: entry.job,
    slot: iso(entry.slot)!,
    runId: entry.runId!,
    outcome: entry.outcome,
    trigger: entry.trigger ?? "schedule",
    instance: entry.instance ?? null,
    start: iso(start)!,
    end: iso(end)!,
  };
}

/** The most log reads one timeline makes. */
const LOG_READS = 100;

/**
 * The logged attempts of some runs (a job's, or one run's): run id →
 * attempts. Past {@linkcode LOG_READS} reads, runs show as one bar.
 */
async function attemptsOf(
  store: JobStore,
  reads: readonly { readonly job: string; readonly runId?: string }[],
): Promise<Map<string, RunLog[]>> {
  const byRun = new Map<string, RunLog[]>();
  const logs = await Promise.all(
    reads.slice(0, LOG_READS).map(({ job, runId }) =>
      store.logs(job, runId !== undefined ? { runId } : {})
    ),
  );
  for (const log of logs.flat()) {
    const list = byRun.get(log.runId) ?? [];
    list.push(log);
    byRun.set(log.runId, list);
  }
  return byRun;
}

function withSegments(
  run: TimelineRun,
  logs: readonly RunLog[] | undefined,
): TimelineRun {
  if (!logs || logs.length === 0) return run;
  const sorted = [...logs].sort((a, b) => a.attempt - b.attempt);
  const segments: TimelineSegment[] = sorted.map((log) => ({
    attempt: log.attempt,
    start: iso(log.startedAt)!,
    end: iso(log.finishedAt)!,
  }));
  const last = sorted[sorted.length - 1]!;
  if (run.outcome === "running") {
    // The attempt in progress has no log yet.
    segments.push({
      attempt: last.attempt + 1,
      start: iso(last.finishedAt)!,
      end: run.end,
    });
  }
  return segments.length > 1 ? { ...run, segments } : run;
}
