// Builders for job records in runtime tests.
import type { ActiveRun, JobRecord, JobState } from "../../src/types.ts";
import { defineJob, type JobInput } from "../../src/jobs/define_job.ts";
import { initialState } from "../../src/jobs/job_state.ts";
import type { AdvanceContext } from "../../src/jobs/advance_job.ts";

export const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);
export const MIN = 60_000;

export function record(
  input: Partial<JobInput> & { id?: string },
  created = T0,
  state: Partial<JobState> = {},
): JobRecord {
  const spec = defineJob({
    id: "job",
    schedule: "*/5 * * * *",
    run: "job",
    ...input,
  } as JobInput, created);
  return { spec, state: { ...initialState(spec, created), ...state } };
}

let counter = 0;
export function context(
  now: number,
  over: Partial<AdvanceContext> = {},
): AdvanceContext {
  return {
    now,
    instance: "me",
    canRun: true,
    budget: { left: 10 },
    isDead: () => false,
    newRunId: () => `run-${++counter}`,
    ...over,
  };
}

export function running(
  slot: number,
  over: Partial<ActiveRun> = {},
): ActiveRun {
  return {
    runId: `run-old-${slot}`,
    slot,
    trigger: "schedule",
    instance: "other",
    claimedAt: slot,
    ...over,
  };
}
