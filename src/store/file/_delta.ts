/**
 * Journal lines that carry what changed. A job's new state is written as
 * the fields that differ from the state it replaces (`job.patch`), not as
 * the whole state: a claim writes a job's new cursor, next slot, version
 * and the runs it added; an outcome the runs removed, the counters that
 * moved and the last outcome. A claim of 10,000 jobs was a 5 MB line of
 * whole states; as patches it is about a fifth of that, and the journal
 * fills (and is compacted) that much less often.
 *
 * Fields are compared by identity: the pure job functions build a new state
 * by spreading the old one, so an unchanged field is the very same value.
 * A field that is new but equal is written again, which is only longer.
 * Readers and the writer decode the same parsed line against the same
 * model, so they apply the same states (see `prepareBatch`).
 *
 * @module
 */

import { StoreError } from "../../errors.ts";
import type { ActiveRun, JobId, JobState, Outcome } from "../../types.ts";
import type { StoreChange } from "../store.ts";

/** A job's new state, as the fields that differ from its state before. */
export interface JobPatch {
  readonly type: "job.patch";
  readonly id: JobId;
  /** Fields with a new value (whole). */
  readonly set?: Readonly<Record<string, unknown>>;
  /** Fields the new state does not have. */
  readonly unset?: readonly string[];
  /** The counters that changed, with their new values. */
  readonly counters?: Readonly<Partial<Record<Outcome, number>>>;
  /**
   * Runs removed (by run id), then runs appended: `add` whole, or `claim`
   * without the fields the batch's `claimedBy` gives them.
   */
  readonly runs?: {
    readonly drop?: readonly string[];
    readonly add?: readonly ActiveRun[];
    readonly claim?: readonly Omit<ActiveRun, ClaimField>[];
  };
}

/**
 * A job's claim of its next scheduled slot, the commonest change of all,
 * in its shortest form (format version 3): the new state is the one
 * before with the version bumped, `updatedAt` the claim's time, the cursor
 * at `slot`, one more run counted, `nextSlot` and `nextDueAt` at `next`
 * (or unset), and the run `{ runId, slot, trigger: "schedule", startAt:
 * slot }` with the batch's `claimedBy` appended. It is written only when it
 * decodes to exactly the state it stands for; any other claim is a patch.
 */
export interface JobClaim {
  readonly type: "job.claim";
  readonly id: JobId;
  readonly runId: string;
  readonly slot: number;
  readonly next?: number;
}

/** The fields every run of one claim shares. */
type ClaimField = "instance" | "incarnation" | "claimedAt";

/** What the runs of a batch's claim share (see `JobPatch.runs.claim`). */
export type ClaimedBy = Pick<ActiveRun, ClaimField>;

/** A change as a journal line holds it. */
export type JournalChange = StoreChange | JobPatch | JobClaim;

/** A job's state as of the changes before it in the same batch. */
type StateOf = (id: JobId) => JobState | undefined;

/** A batch as a journal line holds it. */
export interface EncodedBatch {
  readonly changes: JournalChange[];
  /** What the runs its patches `claim` share. */
  readonly claimedBy?: ClaimedBy;
}

/**
 * Writes each `job.state` change as a patch against the job's state before
 * it (the model's, or an earlier change's in the same batch).
 *
 * @param stored A job's stored state.
 * @param changes The batch.
 * @returns The changes as the journal holds them.
 */
export function encodeChanges(
  stored: StateOf,
  changes: readonly StoreChange[],
): EncodedBatch {
  const before = batchStates(stored);
  const context: { claimedBy?: ClaimedBy } = {};
  const encoded = changes.map((change) => {
    const previous = change.type === "job.state"
      ? before.get(change.id)
      : undefined;
    before.note(change);
    if (change.type !== "job.state" || previous === undefined) return change;
    return claimFormOf(change.id, previous, change.state, context) ??
      patchOf(change.id, previous, change.state, context);
  });
  return { changes: encoded, ...context };
}

/**
 * Turns each patch back into the `job.state` change it was made from.
 *
 * @param stored A job's stored state.
 * @param batch A journal line's changes.
 * @returns The store changes.
 * @throws {StoreError} When a patch names a job that does not exist.
 */
export function decodeChanges(
  stored: StateOf,
  batch: EncodedBatch,
): StoreChange[] {
  const before = batchStates(stored);
  return batch.changes.map((change) => {
    const decoded = change.type === "job.patch"
      ? applyPatch(change, before.get(change.id), batch.claimedBy)
      : change.type === "job.claim"
      ? applyClaim(change, before.get(change.id), batch.claimedBy)
      : change;
    before.note(decoded);
    return decoded;
  });
}

function batchStates(stored: StateOf) {
  const changed = new Map<JobId, JobState | undefined>();
  return {
    get: (id: JobId) => changed.has(id) ? changed.get(id) : stored(id),
    note(change: StoreChange): void {
      switch (change.type) {
        case "job.create":
          changed.set(change.job.spec.id, change.job.state);
          break;
        case "job.define":
          changed.set(change.spec.id, change.state);
          break;
        case "job.state":
          changed.set(change.id, change.state);
          break;
        case "job.delete":
          changed.set(change.id, undefined);
      }
    },
  };
}

/**
 * The claim form of a change, when it decodes to exactly `after` (see
 * {@linkcode JobClaim}); the batch's `claimedBy` is set by the first claim.
 */
function claimFormOf(
  id: JobId,
  before: JobState,
  after: JobState,
  context: { claimedBy?: ClaimedBy },
): JobClaim | undefined {
  const n = before.runs.length;
  const run = after.runs[n];
  if (
    run === undefined || after.runs.length !== n + 1 ||
    run.trigger !== "schedule" || run.startAt !== run.slot ||
    after.nextDueAt !== after.nextSlot
  ) return undefined;
  const claim: JobClaim = {
    type: "job.claim",
    id,
    runId: run.runId,
    slot: run.slot,
    ...(after.nextSlot !== undefined ? { next: after.nextSlot } : {}),
  };
  const by = context.claimedBy ?? claimedByOf(run);
  if (!sameState(decodeClaim(claim, before, by), after)) return undefined;
  context.claimedBy ??= by;
  return claim;
}

function claimedByOf(run: ActiveRun): ClaimedBy {
  return {
    instance: run.instance,
    ...(run.incarnation !== undefined ? { incarnation: run.incarnation } : {}),
    claimedAt: run.claimedAt,
  };
}

function decodeClaim(
  claim: JobClaim,
  before: JobState,
  by: ClaimedBy,
): JobState {
  const { nextSlot: _, nextDueAt: __, ...rest } = before;
  const run: ActiveRun = {
    runId: claim.runId,
    slot: claim.slot,
    trigger: "schedule",
    startAt: claim.slot,
    ...by,
  };
  return {
    ...rest,
    version: before.version + 1,
    updatedAt: by.claimedAt,
    cursor: claim.slot,
    ...(claim.next !== undefined
      ? { nextSlot: claim.next, nextDueAt: claim.next }
      : {}),
    runCount: before.runCount + 1,
    runs: [...before.runs, run],
  };
}

/**
 * Whether two states are the same: the same fields with the same values,
 * the runs they share the same objects, and the last run equal field by
 * field (what a claim form needs to stand for a state). The job functions
 * copy some values they do not change (the counters, an empty backlog), so
 * a value also matches an equal copy one level deep.
 */
function sameState(a: JobState, b: JobState): boolean {
  if (!sameFields(a, b, ["runs"], 1)) return false;
  const n = a.runs.length;
  if (b.runs.length !== n) return false;
  for (let i = 0; i < n - 1; i++) if (a.runs[i] !== b.runs[i]) return false;
  return n === 0 || sameFields(a.runs[n - 1]!, b.runs[n - 1]!, [], 0);
}

function sameFields(
  a: object,
  b: object,
  skip: readonly string[],
  depth: number,
): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const defined = (o: Record<string, unknown>) =>
    Object.keys(o).filter((k) => o[k] !== undefined && !skip.includes(k));
  const keys = defined(x);
  if (keys.length !== defined(y).length) return false;
  return keys.every((key) => {
    const [u, v] = [x[key], y[key]];
    if (Object.is(u, v)) return true;
    if (depth === 0 || typeof u !== "object" || typeof v !== "object") {
      return false;
    }
    if (u === null || v === null || Array.isArray(u) !== Array.isArray(v)) {
      return false;
    }
    return sameFields(u, v, [], depth - 1);
  });
}

function patchOf(
  id: JobId,
  before: JobState,
  after: JobState,
  context: { claimedBy?: ClaimedBy },
): JobPatch {
  const old = before as unknown as Record<string, unknown>;
  const now = after as unknown as Record<string, unknown>;
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  let counters: Partial<Record<Outcome, number>> | undefined;
  let runs: JobPatch["runs"];
  for (const key of Object.keys(now)) {
    const value = now[key];
    if (value === undefined || Object.is(value, old[key])) continue;
    if (key === "counters" && typeof old.counters === "object") {
      counters = countersDiff(before.counters, after.counters);
      if (Object.keys(counters).length === 0) counters = undefined;
    } else if (key === "runs" && (runs = runsDiff(before.runs, after.runs))) {
      runs = claimOf(runs, context);
    } else if (!isEmptyArray(value) || !isEmptyArray(old[key])) {
      set[key] = value;
    }
  }
  for (const key of Object.keys(old)) {
    if (old[key] !== undefined && now[key] === undefined) unset.push(key);
  }
  return {
    type: "job.patch",
    id,
    ...(Object.keys(set).length > 0 ? { set } : {}),
    ...(unset.length > 0 ? { unset } : {}),
    ...(counters ? { counters } : {}),
    ...(runs ? { runs } : {}),
  };
}

function isEmptyArray(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

/**
 * Appended runs that share the batch's claim fields (the first such run
 * sets them) are written without them, as `claim`.
 */
function claimOf(
  runs: NonNullable<JobPatch["runs"]>,
  context: { claimedBy?: ClaimedBy },
): JobPatch["runs"] {
  const { add, ...rest } = runs;
  const first = add?.[0];
  if (!add || !first) return runs;
  const by = context.claimedBy ??= claimedByOf(first);
  const shared = add.every((run) =>
    run.instance === by.instance && run.incarnation === by.incarnation &&
    run.claimedAt === by.claimedAt
  );
  if (!shared) return runs;
  return {
    ...rest,
    claim: add.map(({ instance: _, incarnation: __, claimedAt: ___, ...run }) =>
      run
    ),
  };
}

function countersDiff(
  before: JobState["counters"],
  after: JobState["counters"],
): Partial<Record<Outcome, number>> {
  const diff: Partial<Record<Outcome, number>> = {};
  for (const [outcome, count] of Object.entries(after)) {
    if (before[outcome as Outcome] !== count) diff[outcome as Outcome] = count;
  }
  return diff;
}

/**
 * The runs `after` holds as `before` minus some, plus some appended; or
 * `undefined` when it is not that shape (the whole array is written).
 */
function runsDiff(
  before: readonly ActiveRun[],
  after: readonly ActiveRun[],
): JobPatch["runs"] | undefined {
  const kept = new Set(after);
  const rest = before.filter((run) => kept.has(run));
  if (rest.some((run, i) => after[i] !== run)) return undefined;
  const drop = before.filter((run) => !kept.has(run)).map((run) => run.runId);
  const add = after.slice(rest.length);
  return {
    ...(drop.length > 0 ? { drop } : {}),
    ...(add.length > 0 ? { add } : {}),
  };
}

function applyClaim(
  claim: JobClaim,
  before: JobState | undefined,
  claimedBy: ClaimedBy | undefined,
): StoreChange {
  if (before === undefined) {
    throw new StoreError(`job ${JSON.stringify(claim.id)} does not exist`);
  }
  if (!claimedBy) {
    throw new StoreError(
      `job ${JSON.stringify(claim.id)}'s claim has no claimer`,
    );
  }
  return {
    type: "job.state",
    id: claim.id,
    state: decodeClaim(claim, before, claimedBy),
  };
}

function applyPatch(
  patch: JobPatch,
  before: JobState | undefined,
  claimedBy: ClaimedBy | undefined,
): StoreChange {
  if (before === undefined) {
    throw new StoreError(`job ${JSON.stringify(patch.id)} does not exist`);
  }
  const state: Record<string, unknown> = { ...before, ...patch.set };
  for (const key of patch.unset ?? []) delete state[key];
  if (patch.counters) {
    state.counters = { ...before.counters, ...patch.counters };
  }
  if (patch.runs) {
    const drop = new Set(patch.runs.drop);
    const runs = drop.size > 0
      ? before.runs.filter((run) => !drop.has(run.runId))
      : before.runs;
    const { add, claim } = patch.runs;
    if (claim && !claimedBy) {
      throw new StoreError(
        `job ${JSON.stringify(patch.id)}'s claim has no claimer`,
      );
    }
    const added = add ??
      claim?.map((run): ActiveRun => ({ ...run, ...claimedBy! }));
    state.runs = added ? runs.concat(added) : runs;
  }
  return {
    type: "job.state",
    id: patch.id,
    state: state as unknown as JobState,
  };
}
