/**
 * The claim-and-advance step: the only runtime code that holds the store's
 * lock for scheduling. It takes the lock, reads the due jobs, advances them
 * with the pure {@linkcode advanceJob}, commits the result durably, and
 * releases the lock before returning. Nothing runs while it holds the lock;
 * the caller starts the claimed runs afterwards.
 *
 * @module
 */

import type {
  ActiveRun,
  ClaimedRun,
  JobRecord,
  JobSpec,
  JobState,
} from "../types.ts";
import type { JobStore, StoreChange } from "../store/store.ts";
import type { LockLease } from "../lock/lock.ts";
import { withStoreLock } from "../store/with_store_lock.ts";
import { newRunId } from "../jobs/run_id.ts";
import { type Clock, type Instant, instantOf } from "../clock.ts";
import { advanceJob, isOwn } from "../jobs/advance_job.ts";
import type { RecordedSlot } from "../jobs/job_state.ts";

/**
 * How many jobs one claim advances at most (about 50 ms of claim on the
 * file store): a burst of 10,000 slots due at one instant is claimed in
 * several steps, the earliest first, and runs start after the first.
 */
export const MAX_JOBS_PER_CLAIM = 1000;

/** Options for {@linkcode claimDueJobs}. */
export interface ClaimDueJobsOptions {
  readonly store: JobStore;
  readonly clock: Clock;
  readonly instance: string;
  /** This process's incarnation (see `AdvanceContext.incarnation`). */
  readonly incarnation?: string;
  /** How many runs this instance may still start. */
  readonly capacity: number;
  /** Whether this instance can run a job's target. */
  readonly canRun: (spec: JobSpec) => boolean;
  /** Whether an instance is dead, as judged before the lock was taken. */
  readonly isDead: (instance: string) => boolean;
  /**
   * Judges again, under the lock (reading the instances afresh); called
   * only when a due job has runs of an instance `isDead` calls dead. A
   * verdict made before the lock may be stale by the time the lock is
   * held: the instance may have renewed its heartbeat and confirmed its
   * runs under the lock in between (self-fencing), and recovering them now
   * would run a slot twice.
   */
  readonly recheck?: () => Promise<(instance: string) => boolean>;
  /**
   * The runs this instance holds, run id → job id (see
   * `AdvanceContext.ownRuns`). Their jobs are read at each claim, to learn
   * which were cancelled or taken away.
   */
  readonly ownRuns?: ReadonlyMap<string, string>;
  /**
   * Read every job with active runs, not only due ones: on a first claim,
   * own runs left by an earlier process with this instance id are found.
   * When such a claim says `more`, it has not advanced every job it read:
   * the next claim must be full too.
   */
  readonly full?: boolean;
  /** Mints run ids (tests inject their own). @default {newRunId} */
  readonly newRunId?: () => string;
  /**
   * Claim slots due within this many ms ahead (see
   * `AdvanceContext.lookaheadUntil`); their runs carry `startAt`.
   * @default {0}
   */
  readonly lookaheadMs?: number;
  /**
   * The most jobs one claim changes; when more are due, the earliest go
   * first and the claim says `more`, so that a burst's first runs start
   * while later claims take the rest. A job the claim reads but cannot
   * change (its backlog waits for a run to end) does not count, so jobs
   * that wait never starve jobs that are due.
   * @default {MAX_JOBS_PER_CLAIM}
   */
  readonly maxJobs?: number;
  /** Aborts waiting for the lock. */
  readonly signal?: AbortSignal;
  /** Told when the lock is taken and released (for events and statistics). */
  readonly onLock?: (event: "acquired" | "released", holdMs: number) => void;
}

/** What one claim step did. */
export interface ClaimResult {
  /** Runs claimed (the lock is already released); each starts at its `startAt`, or now. */
  readonly started: readonly ClaimedRun[];
  /** Own runs that someone asked to cancel (overlap `replace`). */
  readonly cancel: readonly string[];
  /**
   * The own runs the store still lists, among `ownRuns` and the runs this
   * claim started: an own run missing here was recovered by another
   * instance, or its job was removed.
   */
  readonly active: ReadonlySet<string>;
  /** Slots that received an outcome at this step. */
  readonly recorded: readonly ({ readonly job: string } & RecordedSlot)[];
  /** More is due than one step handles: claim again at once. */
  readonly more: boolean;
  /** How many jobs the step read under the lock. */
  readonly read: number;
  /** The wall time the claim used. */
  readonly now: number;
  /** The verdict the claim used: runs of these instances were recovered. */
  readonly isDead: (instance: string) => boolean;
  /**
   * When the lock was taken, on the clock's monotonic and wall time: every
   * run in `active` was this process's as of then.
   */
  readonly lockedAt: Instant;
}

/**
 * Runs one claim-and-advance step.
 *
 * @param options The store, clock, instance and capacity.
 * @returns What was claimed; the lock is released when it resolves.
 */
export async function claimDueJobs(
  options: ClaimDueJobsOptions,
): Promise<ClaimResult> {
  const { store, clock, onLock } = options;
  let lockedAt: Instant | undefined;
  try {
    return await withStoreLock(store, options, async (lease) => {
      lockedAt = instantOf(clock);
      onLock?.("acquired", 0);
      return await claimLocked(options, lease, lockedAt);
    });
  } finally {
    if (lockedAt) onLock?.("released", clock.monotonic() - lockedAt.monotonic);
  }
}

/** The claim step's work while the lock is held. */
async function claimLocked(
  options: ClaimDueJobsOptions,
  lease: LockLease,
  lockedAt: Instant,
): Promise<ClaimResult> {
  const { store } = options;
  const now = lockedAt.wall;
  const self = {
    instance: options.instance,
    ...(options.incarnation !== undefined
      ? { incarnation: options.incarnation }
      : {}),
  };
  const lookaheadUntil = now + Math.max(0, options.lookaheadMs ?? 0);
  let isDead = options.isDead;
  const maxJobs = Math.max(1, options.maxJobs ?? MAX_JOBS_PER_CLAIM);
  const due = await store.due(lease, lookaheadUntil, {
    isDead,
    limit: maxJobs,
    ...(options.full ? { all: true } : {}),
  });
  const suspect = (run: ActiveRun) =>
    run.instance !== options.instance && isDead(run.instance);
  if (
    options.recheck && due.some((r) => r.state.runs.some(suspect))
  ) {
    isDead = await options.recheck();
  }
  const ownRuns = options.ownRuns ? new Set(options.ownRuns.keys()) : undefined;
  const budget = { left: Math.max(0, options.capacity) };
  const changes: StoreChange[] = [];
  const started: ClaimedRun[] = [];
  const cancel: string[] = [];
  const active = new Set<string>();
  const recorded: ({ readonly job: string } & RecordedSlot)[] = [];
  // A burst: the earliest due first; the rest wait for the next claim. A
  // store that returned as many due jobs as asked may hold more.
  const order = due.length > maxJobs ? earliestFirst(due) : due;
  let more =
    due.filter(({ state }) =>
      state.nextDueAt !== undefined && state.nextDueAt <= lookaheadUntil
    ).length >= maxJobs;
  let changed = 0;
  const own = ({ state }: { readonly state: JobState }) => {
    for (const run of state.runs) {
      if (!isOwn(run, self)) continue;
      active.add(run.runId);
      if (run.cancelRequested) cancel.push(run.runId);
    }
  };
  for (const record of order) {
    if (changed >= maxJobs) {
      // Left for the next claim; its own runs are still this process's.
      own(record);
      more = true;
      continue;
    }
    const result = advanceJob(record, {
      now,
      ...self,
      canRun: options.canRun(record.spec),
      budget,
      isDead,
      ...(ownRuns ? { ownRuns } : {}),
      newRunId: options.newRunId ?? newRunId,
      lookaheadUntil,
    });
    more ||= result.more;
    for (const r of result.recorded) {
      recorded.push({ job: record.spec.id, ...r });
    }
    own(result);
    for (const run of result.started) {
      started.push({ run, spec: record.spec });
    }
    if (!result.changed) continue;
    changed += 1;
    changes.push({
      type: "job.state",
      id: record.spec.id,
      state: result.state,
    });
    for (const entry of result.entries) {
      changes.push({ type: "ledger.append", entry });
    }
  }
  // Own runs of jobs the claim did not need: still ours, or cancelled?
  const read = new Set(due.map((r) => r.spec.id));
  const rest = [...new Set(options.ownRuns?.values())].filter((id) =>
    !read.has(id)
  );
  // Only looked at: read without holding them (another instance's turn on
  // them need not wait for this claim, nor this claim for it).
  const others = rest.length > 0
    ? await store.read(lease, rest, { lock: false })
    : [];
  for (const record of others) own(record);
  if (changes.length > 0) await store.commit(lease, changes);
  return {
    started,
    cancel,
    active,
    recorded,
    more,
    read: due.length,
    now,
    lockedAt,
    isDead,
  };
}

/**
 * Earliest due first: by the oldest slot a job could start now (its first
 * waiting slot, when no run of it is active) or else its next due time; a
 * job read for its runs alone, or with no next slot, comes last. Each key
 * is computed once (a burst sorts tens of thousands of jobs).
 */
function earliestFirst(due: readonly JobRecord[]): JobRecord[] {
  const keyed = due.map((record) => ({ record, key: dueKey(record) }));
  keyed.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  return keyed.map(({ record }) => record);
}

function dueKey({ state }: JobRecord): number {
  const next = state.nextDueAt ?? state.nextSlot ?? Infinity;
  const waiting = state.runs.length === 0 ? state.backlog[0]?.slot : undefined;
  return waiting === undefined ? next : Math.min(waiting, next);
}
