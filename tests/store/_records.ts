// Realistic job records and ledger entries for the store tests.
import type {
  InstanceRecord,
  JobRecord,
  JobSpec,
  JobState,
  LedgerEntry,
  Outcome,
} from "../../src/types.ts";
import { OUTCOMES } from "../../src/types.ts";
import type { RunLog, StoreChange } from "../../src/store/store.ts";

export const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);
export const MIN = 60_000;

export function counters(
  over: Partial<Record<Outcome, number>> = {},
): Record<Outcome, number> {
  const zero = Object.fromEntries(OUTCOMES.map((o) => [o, 0]));
  return { ...zero, ...over } as Record<Outcome, number>;
}

type Overrides<T> = { [K in keyof T]?: T[K] | undefined };

/** Applies overrides; a key set to `undefined` is removed. */
function override<T extends object>(base: T, changes: Overrides<T> = {}): T {
  const result = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete result[key];
    else result[key] = value;
  }
  return result as T;
}

/**
 * A job created at T0 that runs `echo <id>` every 5 minutes. An override set
 * to `undefined` removes the field.
 */
export function makeJob(
  id: string,
  overrides: { spec?: Overrides<JobSpec>; state?: Overrides<JobState> } = {},
): JobRecord {
  const spec = {
    id,
    schedule: "*/5 * * * *",
    tz: "UTC",
    target: { kind: "command", cmd: `echo ${id}`, env: { GREETING: "hi" } },
    overlap: "skip",
    catchup: "latest",
    catchupWindowMs: 24 * 60 * MIN,
    catchupMax: 100,
    timeoutMs: 10 * MIN,
    retries: 0,
    backoffMs: 1000,
    backoffMaxMs: 60_000,
    recover: "abandon",
    jitterMs: 0,
    source: "api",
  } as JobSpec;
  const state = {
    version: 1,
    createdAt: T0,
    updatedAt: T0,
    paused: false,
    cursor: T0,
    nextSlot: T0 + 5 * MIN,
    nextDueAt: T0 + 5 * MIN,
    runs: [],
    backlog: [],
    runCount: 0,
    counters: counters(),
  } as JobState;
  return {
    spec: override(spec, overrides.spec),
    state: override(state, overrides.state),
  };
}

/** The job's state advanced by one claim: version + 1, one active run. */
export function claimed(job: JobRecord, runId = "run-1"): JobState {
  const slot = job.state.nextSlot ?? T0;
  return {
    ...job.state,
    version: job.state.version + 1,
    updatedAt: slot,
    cursor: slot,
    nextSlot: slot + 5 * MIN,
    nextDueAt: slot + 5 * MIN,
    runCount: job.state.runCount + 1,
    runs: [{
      runId,
      slot,
      trigger: "schedule",
      instance: "alpha",
      claimedAt: slot,
    }],
  };
}

/** A succeeded ledger entry for one slot. */
export function succeeded(job: string, slot: number, runId = `r-${slot}`) {
  return {
    job,
    slot,
    outcome: "succeeded",
    trigger: "schedule",
    runId,
    instance: "alpha",
    attempt: 1,
    startedAt: slot + 5,
    finishedAt: slot + 905,
  } satisfies LedgerEntry;
}

export function create(job: JobRecord): StoreChange {
  return { type: "job.create", job };
}

export function append(entry: LedgerEntry): StoreChange {
  return { type: "ledger.append", entry };
}

export function setState(id: string, state: JobState): StoreChange {
  return { type: "job.state", id, state };
}

export function instance(
  id: string,
  over: Partial<InstanceRecord> = {},
): InstanceRecord {
  return {
    id,
    startedAt: T0,
    heartbeatAt: T0 + 1000,
    beat: 1,
    pid: 4242,
    host: "box",
    lockHold: { count: 3, p50Ms: 0.5, p99Ms: 2, maxMs: 3 },
    ...over,
  };
}

/** A run log of one attempt, started `n` seconds after T0. */
export function runLog(
  job: string,
  n: number,
  over: Partial<RunLog> = {},
): RunLog {
  return {
    job,
    runId: `run-${n}`,
    attempt: 1,
    slot: T0 + n * 1000,
    instance: "alpha",
    startedAt: T0 + n * 1000 + 5,
    finishedAt: T0 + n * 1000 + 905,
    exitCode: 0,
    stdout: `out ${n}\n`,
    stderr: "",
    truncated: false,
    ...over,
  };
}
