/**
 * The status object of a store: instances and their heartbeats, the runs in
 * progress, every job's next slot, and lock hold-time statistics; what
 * `status --json` prints and `GET /api/status` returns.
 *
 * @module
 */

import type { InstanceRecord, JobRecord } from "../types.ts";
import { iso, lastJson, runJson } from "./_output.ts";

/**
 * An instance whose heartbeat (wall time, for display) is older than this
 * looks dead. Schedulers judge liveness on their own monotonic clocks; this
 * is only what `status` shows.
 */
export const LOOKS_DEAD_MS = 10_000;

/** Lock hold statistics of one instance or all. */
export type LockHold = NonNullable<InstanceRecord["lockHold"]>;

/** The `status --json` object. */
export interface StatusJson {
  readonly store: string;
  readonly instances: readonly Record<string, unknown>[];
  readonly running: readonly Record<string, unknown>[];
  readonly jobs: readonly Record<string, unknown>[];
  readonly lockHold: LockHold;
}

/** Builds the status of a store at `now`. */
export function statusJson(
  store: string,
  instances: readonly InstanceRecord[],
  jobs: readonly JobRecord[],
  now: number,
): StatusJson {
  const sorted = [...jobs].sort((a, b) => a.spec.id.localeCompare(b.spec.id));
  return {
    store,
    instances: [...instances].sort((a, b) => a.startedAt - b.startedAt).map((
      i,
    ) => {
      const looksDead = now - i.heartbeatAt > LOOKS_DEAD_MS;
      return {
        id: i.id,
        pid: i.pid ?? null,
        host: i.host ?? null,
        startedAt: iso(i.startedAt),
        heartbeatAt: iso(i.heartbeatAt),
        heartbeatAgeMs: Math.max(0, now - i.heartbeatAt),
        alive: !looksDead,
        looksDead,
        lockHold: i.lockHold ?? null,
      };
    }),
    running: sorted.flatMap((job) =>
      job.state.runs.map((run) => ({ job: job.spec.id, ...runJson(run) }))
    ),
    jobs: sorted.map((job) => ({
      id: job.spec.id,
      enabled: !job.state.paused,
      nextSlot: iso(job.state.nextSlot),
      running: job.state.runs.length,
      queued: job.state.backlog.length,
      last: lastJson(job),
    })),
    lockHold: combine(instances.flatMap((i) => i.lockHold ? [i.lockHold] : [])),
  };
}

/**
 * Lock hold statistics over every instance: the total count, and for the
 * percentiles and the maximum the worst instance's value (percentiles of
 * different instances cannot be merged exactly).
 */
function combine(holds: readonly LockHold[]): LockHold {
  const max = (pick: (h: LockHold) => number) =>
    holds.reduce((m, h) => Math.max(m, pick(h)), 0);
  return {
    count: holds.reduce((n, h) => n + h.count, 0),
    p50Ms: max((h) => h.p50Ms),
    p99Ms: max((h) => h.p99Ms),
    maxMs: max((h) => h.maxMs),
  };
}
