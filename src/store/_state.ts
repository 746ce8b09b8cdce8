/**
 * The in-memory model both stores keep: job records, the ledger entries held
 * in memory, and a due index. `applyChanges` is the one place that decides
 * whether a commit is valid, so every backend fails the same way.
 *
 * @module
 */

import { StoreError } from "../errors.ts";
import type { JobId, JobRecord, LedgerEntry } from "../types.ts";
import {
  canRun,
  type Capabilities,
  type DueOptions,
  type HistoryQuery,
  type StoreChange,
} from "./store.ts";
import { DueIndex } from "./_due_index.ts";
import { ID_SYNTAX, isValidId } from "./_ids.ts";

/** A ledger entry with its store-wide sequence number (commit order). */
export interface LedgerItem {
  /** Its position in commit order, store-wide. */
  readonly seq: number;
  /** The entry. */
  readonly entry: LedgerEntry;
}

/** The in-memory model of a store. */
export interface StoreModel {
  /** Every job, frozen. */
  readonly jobs: Map<JobId, JobRecord>;
  /** Ledger entries held in memory, per job, oldest first. */
  readonly ledgers: Map<JobId, LedgerItem[]>;
  /** `ledgerSeq` when each job was created: older entries are not its own. */
  readonly born: Map<JobId, number>;
  /** Number of committed batches. */
  seq: number;
  /** Sequence number of the newest ledger entry. */
  ledgerSeq: number;
  /** Due times, for `due` and `nextDueAt`. */
  readonly index: DueIndex;
}

/** Ids a commit created or deleted (the file store tidies their archives). */
export interface AppliedChanges {
  /** Jobs the commit created. */
  readonly created: readonly JobId[];
  /** Jobs the commit deleted. */
  readonly deleted: readonly JobId[];
}

/**
 * Creates an empty model, or one holding the given jobs.
 *
 * @param init Jobs and counters to start from (a file store snapshot).
 * @returns The model.
 */
export function createModel(
  init?: {
    jobs: readonly JobRecord[];
    born: Readonly<Record<JobId, number>>;
    seq: number;
    ledgerSeq: number;
  },
): StoreModel {
  const model: StoreModel = {
    jobs: new Map(),
    ledgers: new Map(),
    born: new Map(),
    seq: init?.seq ?? 0,
    ledgerSeq: init?.ledgerSeq ?? 0,
    index: new DueIndex(),
  };
  for (const job of init?.jobs ?? []) {
    const id = job.spec.id;
    model.jobs.set(id, deepFreeze(job));
    model.born.set(id, init?.born[id] ?? 0);
    model.index.set(id, job.state);
  }
  return model;
}

/**
 * Validates every change against the model (in order, as if applied), then
 * applies them all. On any error nothing changes. The changes must be owned
 * by the model (already copied); they are frozen here.
 *
 * @param model The model to change.
 * @param changes The batch.
 * @param options `checked`: the caller has just run `checkChanges` on it.
 * @returns The ids created and deleted.
 * @throws {StoreError} On an existing id (create), a missing id, an invalid
 * id, or a version that is not the stored version + 1.
 */
export function applyChanges(
  model: StoreModel,
  changes: readonly StoreChange[],
  options: { readonly checked?: boolean } = {},
): AppliedChanges {
  if (!options.checked) checkChanges(model, changes);
  const created: JobId[] = [];
  const deleted: JobId[] = [];
  for (const change of deepFreeze(changes)) {
    switch (change.type) {
      case "job.create": {
        const id = change.job.spec.id;
        model.jobs.set(id, change.job);
        model.born.set(id, model.ledgerSeq);
        model.ledgers.delete(id);
        model.index.set(id, change.job.state);
        created.push(id);
        break;
      }
      case "job.define":
        put(model, { spec: change.spec, state: change.state });
        break;
      case "job.state": {
        const spec = model.jobs.get(change.id)!.spec;
        put(model, { spec, state: change.state });
        break;
      }
      case "job.delete":
        model.jobs.delete(change.id);
        model.born.delete(change.id);
        model.ledgers.delete(change.id);
        model.index.set(change.id, undefined);
        deleted.push(change.id);
        break;
      case "ledger.append": {
        const seq = ++model.ledgerSeq;
        const list = model.ledgers.get(change.entry.job);
        if (list) list.push({ seq, entry: change.entry });
        else {model.ledgers.set(change.entry.job, [{
            seq,
            entry: change.entry,
          }]);}
        break;
      }
    }
  }
  model.seq++;
  return { created, deleted };
}

function put(model: StoreModel, record: JobRecord): void {
  model.jobs.set(record.spec.id, record);
  model.index.set(record.spec.id, record.state);
}

/**
 * Checks a batch as {@linkcode applyChanges} would, without changing anything.
 *
 * @param model The model, or at least the jobs the batch names.
 * @param changes The batch.
 * @throws {StoreError} As `applyChanges` does.
 */
export function checkChanges(
  model: { readonly jobs: ReadonlyMap<JobId, JobRecord> },
  changes: readonly StoreChange[],
): void {
  const view = new Map<JobId, JobRecord | null>();
  const get = (id: JobId) =>
    view.has(id) ? view.get(id) ?? undefined : model.jobs.get(id);
  for (const change of changes) {
    switch (change?.type) {
      case "job.create": {
        const id = change.job?.spec?.id;
        if (!isValidId(id)) {
          fail("create", id, `id must match ${ID_SYNTAX}`);
        }
        if (get(id)) fail("create", id, "it already exists");
        checkVersion("create", id, change.job.state?.version);
        view.set(id, change.job);
        break;
      }
      case "job.define":
      case "job.state": {
        const id = change.type === "job.state" ? change.id : change.spec?.id;
        const current = get(id);
        if (!current) fail("update", id, "it does not exist");
        const version = change.state?.version;
        checkVersion("update", id, version);
        if (version !== current.state.version + 1) {
          fail(
            "update",
            id,
            `version ${version} expected ${
              current.state.version + 1
            } (changed by another instance)`,
          );
        }
        const spec = change.type === "job.define" ? change.spec : current.spec;
        view.set(id, { spec, state: change.state });
        break;
      }
      case "job.delete":
        if (!get(change.id)) fail("delete", change.id, "it does not exist");
        view.set(change.id, null);
        break;
      case "ledger.append": {
        const id = change.entry?.job;
        if (!get(id)) {
          fail("append to the ledger of", id, "it does not exist");
        }
        break;
      }
      default:
        throw new StoreError(
          `Cannot commit: unknown change type ${
            JSON.stringify((change as { type?: unknown })?.type)
          }`,
        );
    }
  }
}

function checkVersion(action: string, id: JobId, version: unknown): void {
  if (typeof version !== "number" || !Number.isSafeInteger(version)) {
    fail(action, id, `state.version must be an integer: received ${version}`);
  }
}

function fail(action: string, id: unknown, detail: string): never {
  throw new StoreError(`Cannot ${action} job '${String(id)}': ${detail}`);
}

/**
 * The jobs that need the claim step by `until`; see `JobStore.due`.
 *
 * @param model The model.
 * @param until The instant, epoch milliseconds.
 * @param options Which jobs with active runs to include.
 * @returns Their records, earliest due first.
 */
export function dueRecords(
  model: StoreModel,
  until: number,
  options?: DueOptions,
): JobRecord[] {
  return model.index.due(until, options).map((id) => model.jobs.get(id)!);
}

/**
 * When the next claim step is needed for jobs an instance can run; see
 * `JobStore.nextDueAt`. A runnable backlog makes it `0` (any past instant).
 *
 * @param model The model.
 * @param capabilities What the instance can run.
 * @returns The instant, or `undefined`.
 */
export function nextDueAt(
  model: StoreModel,
  capabilities: Capabilities,
  backlog = true,
): number | undefined {
  const runnable = (id: JobId) =>
    canRun(capabilities, model.jobs.get(id)!.spec.target);
  for (const id of backlog ? model.index.active() : []) {
    const { state } = model.jobs.get(id)!;
    if (state.backlog.length > 0 && state.runs.length === 0 && runnable(id)) {
      return 0;
    }
  }
  return model.index.earliest(runnable);
}

/**
 * The records of the given ids that exist, in the order asked.
 *
 * @param model The model.
 * @param ids The ids.
 * @returns The records found.
 */
export function readRecords(
  model: StoreModel,
  ids: readonly JobId[],
): JobRecord[] {
  const found: JobRecord[] = [];
  for (const id of new Set(ids)) {
    const record = model.jobs.get(id);
    if (record) found.push(record);
  }
  return found;
}

/**
 * Every job, ordered by id.
 *
 * @param model The model.
 * @returns The records.
 */
export function allRecords(model: StoreModel): JobRecord[] {
  return [...model.jobs.values()].sort((a, b) =>
    a.spec.id < b.spec.id ? -1 : a.spec.id > b.spec.id ? 1 : 0
  );
}

/**
 * The ledger items held in memory, oldest first.
 *
 * @param model The model.
 * @param job Only this job's items.
 * @returns The items.
 */
export function memoryItems(model: StoreModel, job?: JobId): LedgerItem[] {
  if (job !== undefined) return [...(model.ledgers.get(job) ?? [])];
  const items: LedgerItem[] = [];
  for (const list of model.ledgers.values()) items.push(...list);
  return items.sort((a, b) => a.seq - b.seq);
}

/**
 * Finishes a history query: appends each job's open range (newest last) to
 * the committed entries and keeps the newest `limit`.
 *
 * @param model The model (for open ranges).
 * @param entries Committed entries, oldest first.
 * @param query The query.
 * @returns The entries to return.
 */
export function finishHistory(
  model: StoreModel,
  entries: LedgerEntry[],
  query: HistoryQuery,
): LedgerEntry[] {
  const records = query.job === undefined
    ? [...model.jobs.values()]
    : [model.jobs.get(query.job)].filter((r) => r !== undefined);
  const open = records
    .filter((r) => r.state.openRange !== undefined)
    .map((r): LedgerEntry => {
      const range = r.state.openRange!;
      return Object.freeze({
        job: r.spec.id,
        slot: range.first,
        until: range.last,
        count: range.count,
        outcome: range.outcome,
        ...(range.note !== undefined ? { note: range.note } : {}),
      });
    })
    .sort((a, b) => a.until! - b.until! || (a.job < b.job ? -1 : 1));
  const all = entries.concat(open);
  const limit = query.limit;
  if (limit === undefined || limit >= all.length) return all;
  return limit <= 0 ? [] : all.slice(all.length - limit);
}

/**
 * Freezes a value and everything reachable from it.
 *
 * @param value A plain JSON-like value.
 * @returns The same value, frozen.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) {
      deepFreeze((value as Record<string, unknown>)[key]);
    }
  }
  return value;
}
