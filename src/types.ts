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

/**
 * The outcomes a claimed run ends with; the others are a slot's fate
 * without a run.
 */
export type RunOutcome = Extract<
  Outcome,
  "succeeded" | "failed" | "timed_out" | "cancelled"
>;

/** A failure as the ledger and events keep it. */
export interface ErrorInfo {
  /** The error's class name (`Error`, `JobTimeoutError`, …). */
  readonly name: string;
  /** Its message. */
  readonly message: string;
}

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

/**
 * What a job runs. A command or module job's process gets a clean
 * environment unless `inheritEnv` (only set when true) passes the
 * scheduler's whole environment.
 */
export type Target =
  | { readonly kind: "function"; readonly name: string }
  | {
    readonly kind: "command";
    readonly cmd: string;
    readonly cwd?: string;
    readonly env?: Readonly<Record<string, string>>;
    readonly inheritEnv?: boolean;
  }
  | {
    readonly kind: "module";
    readonly module: string;
    readonly inheritEnv?: boolean;
    /**
     * What the module's process may do beyond its defaults; set only when
     * it grants or denies something.
     */
    readonly permissions?: ModulePermissions;
  };

/**
 * A kind of access Deno grants with `--allow-<kind>` and refuses with
 * `--deny-<kind>`.
 */
export type PermissionKind =
  | "read"
  | "write"
  | "net"
  | "env"
  | "run"
  | "sys"
  | "ffi"
  | "import";

/**
 * Access of some kinds, as Deno's permission descriptors write it: `true`
 * for everything of a kind, or a list of what: paths for `read`, `write`
 * and `ffi`; `host[:port]` for `net` and `import`; variable names for
 * `env`; program names or paths for `run`; API names for `sys`.
 */
export type PermissionGrants = {
  readonly [K in PermissionKind]?: true | readonly string[];
};

/**
 * What a module job's process may do beyond its defaults (reading its own
 * directory): the grants of `deno run --allow-<kind>`, and under `deny`
 * what `--deny-<kind>` refuses even where granted. The store's files are
 * denied whatever this says.
 */
export interface ModulePermissions extends PermissionGrants {
  /** Access refused even where a grant covers it. */
  readonly deny?: PermissionGrants;
}

/** A validated, normalised job definition (every default filled in). */
export interface JobSpec {
  /** Unique id of the job within its store. */
  readonly id: JobId;
  /** The schedule text, as the user wrote it. */
  readonly schedule: string;
  /** IANA time zone the schedule is read in. */
  readonly tz: string;
  /**
   * A cron schedule's restricted day of month and day of week must both
   * match (as its `+` modifier asks); set only when true.
   */
  readonly domAndDow?: boolean;
  /** What a run executes: a registered function, a command or a module. */
  readonly target: Target;
  /** What a slot does when it comes due while a run of this job is active. */
  readonly overlap: OverlapPolicy;
  /** How slots that came due while no instance ran are handled. */
  readonly catchup: CatchupPolicy;
  /** Missed slots older than this many ms before now are recorded `missed`, never run. */
  readonly catchupWindowMs: number;
  /** Most missed slots one catch-up runs under `catchup: "all"`. */
  readonly catchupMax: number;
  /** Abort each attempt after this many ms; `undefined` means never. */
  readonly timeoutMs?: number;
  /** Extra attempts after an attempt fails (throws), within the same slot. */
  readonly retries: number;
  /** Delay before the first retry, in ms; it doubles for each later retry. */
  readonly backoffMs: number;
  /** Upper bound of the retry delay, in ms. */
  readonly backoffMaxMs: number;
  /**
   * The delay before each retry, in ms, in order (`Deno.cron`'s
   * `backoffSchedule`); past its end its last delay repeats. When set it
   * replaces `backoffMs` and `backoffMaxMs`. Never empty.
   */
  readonly backoffSchedule?: readonly number[];
  /** What happens to a run whose instance died: recorded `abandoned`, or re-run once. */
  readonly recover: RecoverPolicy;
  /** Upper bound of the deterministic per-slot delay, in ms (0: none). */
  readonly jitterMs: number;
  /**
   * Most scheduled runs the job makes (manual triggers excluded); after that
   * it has no next slot.
   */
  readonly maxRuns?: number;
  /** Earliest slot, epoch ms (also anchors interval schedules). */
  readonly startAt?: number;
  /** Latest slot, epoch ms; no slot after it is scheduled. */
  readonly endAt?: number;
  /** Where the job came from (`"api"`, or a jobs file path). */
  readonly source?: string;
}

/** A slot waiting to run (queued by overlap, catch-up, a trigger or recovery). */
export interface PendingSlot {
  /** The slot's scheduled instant, epoch ms. */
  readonly slot: number;
  /** Why the slot will run. */
  readonly trigger: Trigger;
  /** Run even if the job is running (a forced trigger). */
  readonly force?: boolean;
  /** A run id reserved for this slot (manual triggers return it at once). */
  readonly runId?: string;
  /** Why it was asked for (`backfill`), carried to the ledger entry. */
  readonly note?: string;
}

/** A slot that has been claimed by an instance and not yet finished. */
export interface ActiveRun {
  /** Unique id of this run, also written to its ledger entry. */
  readonly runId: string;
  /** The slot's scheduled instant, epoch ms. */
  readonly slot: number;
  /** Why the slot runs. */
  readonly trigger: Trigger;
  /** Id of the instance that claimed the run and is executing it. */
  readonly instance: string;
  /**
   * The incarnation (a per-process nonce) of the instance that claimed the
   * run: an instance id outlives its processes, so a run is a process's own
   * only when both its id and its incarnation match.
   */
  readonly incarnation?: string;
  /** Wall time of the claim on that instance's clock, epoch ms. */
  readonly claimedAt: number;
  /**
   * When the run is to start, epoch ms: set when the slot was claimed ahead
   * of its due time (lookahead), so that the durable claim is done before
   * the slot arrives. A claim whose instance dies before then is abandoned
   * like any other.
   */
  readonly startAt?: number;
  /** Set when another slot's `replace` policy, or a user, asks it to stop. */
  readonly cancelRequested?: boolean;
  /** Carried from the pending slot (`backfill`) to the ledger entry. */
  readonly note?: string;
}

/** A run the claim step gave an instance, with the job it belongs to. */
export interface ClaimedRun {
  readonly run: ActiveRun;
  readonly spec: JobSpec;
}

/** Consecutive slots with one outcome, kept as one ledger entry. */
export interface RangeEntry {
  /** The outcome shared by every slot in the range. */
  readonly outcome: "skipped" | "missed";
  /** The earliest slot in the range, epoch ms. */
  readonly first: number;
  /** The latest slot in the range, epoch ms. */
  readonly last: number;
  /** How many slots the range holds (at least 1). */
  readonly count: number;
  /** Why the slots were not run (`paused`, `overlap`, `catchup`, …). */
  readonly note?: string;
}

/** The mutable part of a job, rewritten at every claim and outcome. */
export interface JobState {
  /** Bumped at every change; stores use it as a compare-and-set token. */
  readonly version: number;
  /** When the job was first created, epoch ms; kept across redefinitions. */
  readonly createdAt: number;
  /** When the state last changed, epoch ms. */
  readonly updatedAt: number;
  /** True while slots are recorded `skipped` instead of run. */
  readonly paused: boolean;
  /** The note given when the job was paused. */
  readonly pauseNote?: string;
  /** Every scheduled slot at or before this instant is accounted for. */
  readonly cursor: number;
  /** The next scheduled slot after `cursor`, if the schedule has one. */
  readonly nextSlot?: number;
  /** `nextSlot` plus its jitter: when the slot becomes due. */
  readonly nextDueAt?: number;
  /** Runs claimed and not yet finished, in any instance. */
  readonly runs: readonly ActiveRun[];
  /** Slots admitted to run but not yet claimed, oldest first. */
  readonly backlog: readonly PendingSlot[];
  /** Scheduled slots that were started (for `maxRuns`). */
  readonly runCount: number;
  /** Slots recorded per outcome since creation; pruning never lowers them. */
  readonly counters: Readonly<Record<Outcome, number>>;
  /** A skipped/missed range still growing; part of the ledger when read. */
  readonly openRange?: RangeEntry;
  /**
   * The most recently recorded slot (epoch ms), its outcome, and when it was
   * recorded (epoch ms).
   */
  readonly last?: {
    readonly slot: number;
    readonly outcome: Outcome;
    readonly at: number;
  };
}

/** A job as stored: its definition and its state. */
export interface JobRecord {
  /** The job's definition. */
  readonly spec: JobSpec;
  /** The job's current state. */
  readonly state: JobState;
}

/** One ledger entry: the outcome of one slot, or of a range of slots. */
export interface LedgerEntry {
  /** The job's id. */
  readonly job: JobId;
  /** The slot's scheduled instant (a range's first slot), epoch ms. */
  readonly slot: number;
  /** What became of the slot (or of every slot in the range). */
  readonly outcome: Outcome;
  /** Why the slot ran or was considered; absent on range entries. */
  readonly trigger?: Trigger;
  /** Runs: the run's id. */
  readonly runId?: string;
  /** Runs: id of the instance that executed it. */
  readonly instance?: string;
  /** Runs: the 1-based number of the last attempt made. */
  readonly attempt?: number;
  /** Runs: when the first attempt started, epoch ms. */
  readonly startedAt?: number;
  /** Runs: when the outcome was reached, epoch ms. */
  readonly finishedAt?: number;
  /** Runs: the error of the last failed attempt, if any. */
  readonly error?: ErrorInfo;
  /** Range entries: the last slot of the range. */
  readonly until?: number;
  /** Range entries: how many slots the range holds. */
  readonly count?: number;
  /** Why the slot was skipped or missed (`paused`, `overlap`, …). */
  readonly note?: string;
}

/** A scheduler instance as other instances see it. */
export interface InstanceRecord {
  /** The instance's id (`TOCK_INSTANCE` of its runs). */
  readonly id: string;
  /** When the instance registered, epoch ms on its own clock. */
  readonly startedAt: number;
  /** Wall time of the last heartbeat (for display only). */
  readonly heartbeatAt: number;
  /**
   * Heartbeat counter. Observers judge liveness by whether it changes,
   * timed on their own monotonic clock, so wall-clock jumps and skew
   * between hosts cannot expire a live instance.
   */
  readonly beat: number;
  /** The process's incarnation: a nonce drawn when it started. */
  readonly incarnation?: string;
  /** Process id of the instance. */
  readonly pid?: number;
  /**
   * When the process started, in the kernel's units (Linux: clock ticks
   * since boot), so that a reused pid is not taken for this process.
   */
  readonly pidStart?: number;
  /** Host name of the instance, for `status`. */
  readonly host?: string;
  /**
   * The machine and pid namespace the process runs in (Linux: the boot id
   * and the pid namespace), so that an observer knows when `pid` is a pid
   * it can look up itself.
   */
  readonly machine?: string;
  /**
   * Set by the store when it reads the record (never written): how long
   * ago the heartbeat was written, in ms, on the store's own clock
   * (PostgreSQL's `clock_timestamp()`), so that hosts' clocks do not matter.
   */
  readonly ageMs?: number;
  /**
   * Set by the store when it reads the record (never written): when the
   * heartbeat was written, epoch ms, on the clock of the machine that holds
   * the store (the file store: the file's modification time).
   */
  readonly storedAt?: number;
  /** Lock hold statistics of this instance, for `status`. */
  readonly lockHold?: {
    /** Lock holds since the instance started. */
    readonly count: number;
    /** Median hold time of recent holds, in ms. */
    readonly p50Ms: number;
    /** 99th-percentile hold time of recent holds, in ms. */
    readonly p99Ms: number;
    /** Longest recent hold, in ms. */
    readonly maxMs: number;
  };
  /**
   * The latest lock holds, oldest first, as `[start, ms]`: when the hold
   * began (epoch ms, this instance's wall clock) and how long it lasted.
   * What the status page's lock strip draws.
   */
  readonly recentHolds?: readonly (readonly [number, number])[];
}
