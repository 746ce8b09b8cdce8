/**
 * Cross-layer domain types: what a job is, what its state is, and what the
 * ledger records. Times are UTC epoch milliseconds in records (they are
 * stored as JSON) and `Date` objects at the public edges.
 *
 * @module
 */

/** A job id: `[A-Za-z0-9][A-Za-z0-9._-]{0,127}`. */
export type JobId = string;

/** The recorded fate of one slot. */
export type Outcome =
  | "succeeded"
  | "failed"
  | "timed_out"
  | "cancelled"
  | "skipped"
  | "missed"
  | "abandoned";

/** Every outcome, in a stable order (for counters and tables). */
export const OUTCOMES: readonly Outcome[] = [
  "succeeded",
  "failed",
  "timed_out",
  "cancelled",
  "skipped",
  "missed",
  "abandoned",
];

/** Why a run started. */
export type Trigger = "schedule" | "catchup" | "manual" | "retry" | "recovery";

/** What happens when a slot comes due while the job is still running. */
export type OverlapPolicy = "skip" | "queue" | "allow" | "replace";

/** What happens to slots that came due while nothing was running. */
export type CatchupPolicy = "latest" | "all" | "none";

/** What happens to a run whose instance died. */
export type RecoverPolicy = "abandon" | "rerun";

/** What a job runs. */
export type Target =
  | { readonly kind: "function"; readonly name: string }
  | {
    readonly kind: "command";
    readonly cmd: string;
    readonly cwd?: string;
    readonly env?: Readonly<Record<string, string>>;
  }
  | { readonly kind: "module"; readonly module: string };

/** A validated, normalised job definition (every default filled in). */
export interface JobSpec {
  readonly id: JobId;
  /** The schedule text, as the user wrote it. */
  readonly schedule: string;
  /** IANA time zone the schedule is read in. */
  readonly tz: string;
  readonly target: Target;
  readonly overlap: OverlapPolicy;
  readonly catchup: CatchupPolicy;
  readonly catchupWindowMs: number;
  readonly catchupMax: number;
  /** Abort the run after this long; `undefined` means never. */
  readonly timeoutMs?: number;
  readonly retries: number;
  readonly backoffMs: number;
  readonly backoffMaxMs: number;
  readonly recover: RecoverPolicy;
  readonly jitterMs: number;
  readonly maxRuns?: number;
  readonly startAt?: number;
  readonly endAt?: number;
  /** Where the job came from (`"api"`, or a jobs file path). */
  readonly source?: string;
}

/** A slot waiting to run (queued by overlap, catch-up, a trigger or recovery). */
export interface PendingSlot {
  readonly slot: number;
  readonly trigger: Trigger;
  /** Run even if the job is running (a forced trigger). */
  readonly force?: boolean;
  /** A run id reserved for this slot (manual triggers return it at once). */
  readonly runId?: string;
}

/** A slot that has been claimed by an instance and not yet finished. */
export interface ActiveRun {
  readonly runId: string;
  readonly slot: number;
  readonly trigger: Trigger;
  readonly instance: string;
  readonly claimedAt: number;
  /** Set when another slot's `replace` policy, or a user, asks it to stop. */
  readonly cancelRequested?: boolean;
}

/** Consecutive slots with one outcome, kept as one ledger entry. */
export interface RangeEntry {
  readonly outcome: "skipped" | "missed";
  readonly first: number;
  readonly last: number;
  readonly count: number;
  readonly note?: string;
}

/** The mutable part of a job, rewritten at every claim and outcome. */
export interface JobState {
  /** Bumped at every change; stores use it as a compare-and-set token. */
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly paused: boolean;
  readonly pauseNote?: string;
  /** Every scheduled slot at or before this instant is accounted for. */
  readonly cursor: number;
  /** The next scheduled slot after `cursor`, if the schedule has one. */
  readonly nextSlot?: number;
  /** `nextSlot` plus its jitter: when the slot becomes due. */
  readonly nextDueAt?: number;
  readonly runs: readonly ActiveRun[];
  readonly backlog: readonly PendingSlot[];
  /** Scheduled slots that were started (for `maxRuns`). */
  readonly runCount: number;
  readonly counters: Readonly<Record<Outcome, number>>;
  /** A skipped/missed range still growing; part of the ledger when read. */
  readonly openRange?: RangeEntry;
  readonly last?: {
    readonly slot: number;
    readonly outcome: Outcome;
    readonly at: number;
  };
}

/** A job as stored: its definition and its state. */
export interface JobRecord {
  readonly spec: JobSpec;
  readonly state: JobState;
}

/** One ledger entry: the outcome of one slot, or of a range of slots. */
export interface LedgerEntry {
  readonly job: JobId;
  readonly slot: number;
  readonly outcome: Outcome;
  readonly trigger?: Trigger;
  readonly runId?: string;
  readonly instance?: string;
  readonly attempt?: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly error?: { readonly name: string; readonly message: string };
  /** Range entries: the last slot of the range. */
  readonly until?: number;
  /** Range entries: how many slots the range holds. */
  readonly count?: number;
  readonly note?: string;
}

/** A scheduler instance as other instances see it. */
export interface InstanceRecord {
  readonly id: string;
  readonly startedAt: number;
  /** Wall time of the last heartbeat (for display only). */
  readonly heartbeatAt: number;
  /**
   * Heartbeat counter. Observers judge liveness by whether it changes,
   * timed on their own monotonic clock, so wall-clock jumps and skew
   * between hosts cannot expire a live instance.
   */
  readonly beat: number;
  readonly pid?: number;
  readonly host?: string;
  /** Lock hold statistics of this instance, for `status`. */
  readonly lockHold?: {
    readonly count: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
  };
}
