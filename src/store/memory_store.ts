/**
 * The reference backend: everything in memory, shared only through the
 * store object (several in-process schedulers may share one).
 *
 * @module
 */

import { StoreError } from "../errors.ts";
import type { LockLease } from "../lock/lock.ts";
import { createMemoryLock } from "../lock/memory_lock.ts";
import type {
  InstanceRecord,
  JobId,
  JobRecord,
  LedgerEntry,
} from "../types.ts";
import type {
  Capabilities,
  DueOptions,
  HistoryQuery,
  InstanceHold,
  InstanceHolder,
  JobStore,
  LogQuery,
  NextDueOptions,
  RunLog,
  StoreChange,
} from "./store.ts";
import { assertInstanceId } from "./_ids.ts";
import {
  checkLog,
  checkLogJob,
  compareLogs,
  LOG_LIMIT,
  selectLogs,
} from "./_logs.ts";
import { type TrackedLock, trackLeases } from "./_leases.ts";
import { instanceHold, takenError } from "./_instance_hold.ts";
import {
  allRecords,
  applyChanges,
  createModel,
  deepFreeze,
  dueRecords,
  finishHistory,
  memoryItems,
  nextDueAt,
  readRecords,
  type StoreModel,
} from "./_state.ts";

/** Options for {@linkcode createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Ledger entries kept per job; older ones are dropped (the counters in the
   * job state keep counting).
   *
   * @default {10000}
   */
  readonly historyLimit?: number;
}

/**
 * Creates an empty in-memory store. Records are copied on the way in and
 * frozen, so callers cannot change stored state through them.
 *
 * @param options See {@linkcode MemoryStoreOptions}.
 * @returns The store; its lock is an in-process mutex.
 *
 * @example Create a job
 * ```ts
 * import { createMemoryStore } from "./memory_store.ts";
 *
 * await using store = createMemoryStore();
 * console.assert((await store.jobs()).length === 0);
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): JobStore {
  return new MemoryStore(options.historyLimit ?? 10_000);
}

class MemoryStore implements JobStore {
  #model: StoreModel = createModel();
  #instances = new Map<string, InstanceRecord>();
  /** Instance ids held, with their holders. */
  #holds = new Map<string, InstanceHolder>();
  #logs = new Map<JobId, RunLog[]>();
  #events = new EventTarget();
  #leases: TrackedLock = trackLeases(createMemoryLock());
  #historyLimit: number;
  #closed = false;

  constructor(historyLimit: number) {
    this.#historyLimit = historyLimit;
  }

  get lock() {
    return this.#leases.lock;
  }

  due(
    lease: LockLease,
    until: number,
    options?: DueOptions,
  ): Promise<JobRecord[]> {
    return attempt(() => {
      this.#locked(lease, "read due jobs");
      return dueRecords(this.#model, until, options);
    });
  }

  read(lease: LockLease, ids: readonly JobId[]): Promise<JobRecord[]> {
    return attempt(() => {
      this.#locked(lease, "read jobs");
      return readRecords(this.#model, ids);
    });
  }

  commit(lease: LockLease, changes: readonly StoreChange[]): Promise<void> {
    return attempt(() => {
      this.#locked(lease, "commit");
      const { deleted } = applyChanges(this.#model, structuredClone(changes));
      for (const id of deleted) this.#logs.delete(id);
      this.#trim(changes);
      this.#events.dispatchEvent(new Event("change"));
    });
  }

  nextDueAt(
    capabilities: Capabilities,
    options: NextDueOptions = {},
  ): Promise<number | undefined> {
    return attempt(() => {
      this.#open("read due times");
      return nextDueAt(this.#model, capabilities, options.backlog ?? true);
    });
  }

  jobs(): Promise<JobRecord[]> {
    return attempt(() => {
      this.#open("list jobs");
      return allRecords(this.#model);
    });
  }

  job(id: JobId): Promise<JobRecord | undefined> {
    return attempt(() => {
      this.#open("read job");
      return this.#model.jobs.get(id);
    });
  }

  history(query: HistoryQuery = {}): Promise<LedgerEntry[]> {
    return attempt(() => {
      this.#open("read history");
      const items = memoryItems(this.#model, query.job);
      return finishHistory(this.#model, items.map((i) => i.entry), query);
    });
  }

  saveLog(log: RunLog): Promise<void> {
    return attempt(() => {
      this.#open("save run log");
      checkLog(log);
      // A run may end right after its job was removed: drop its log.
      if (!this.#model.jobs.has(log.job)) return;
      const copy = deepFreeze(structuredClone(log));
      const list = (this.#logs.get(log.job) ?? []).filter((old) =>
        old.runId !== log.runId || old.attempt !== log.attempt
      );
      list.push(copy);
      list.sort(compareLogs);
      if (list.length > LOG_LIMIT) list.splice(0, list.length - LOG_LIMIT);
      this.#logs.set(log.job, list);
    });
  }

  logs(job: JobId, query: LogQuery = {}): Promise<RunLog[]> {
    return attempt(() => {
      this.#open("read run logs");
      checkLogJob(job);
      return selectLogs(this.#logs.get(job) ?? [], query);
    });
  }

  holdInstance(id: string, holder: InstanceHolder): Promise<InstanceHold> {
    return attempt(() => {
      this.#open("take instance id");
      assertInstanceId(id, "take instance id");
      const current = this.#holds.get(id);
      if (current) throw takenError(id, current);
      const mine = { ...holder };
      this.#holds.set(id, mine);
      const held = () => this.#holds.get(id) === mine;
      return instanceHold(id, {
        check: () => Promise.resolve(held()),
        release: () => {
          if (held()) this.#holds.delete(id);
          return Promise.resolve();
        },
      });
    });
  }

  heartbeat(instance: InstanceRecord): Promise<void> {
    return attempt(() => {
      this.#open("write heartbeat");
      assertInstanceId(instance?.id, "write heartbeat");
      this.#instances.set(instance.id, deepFreeze(structuredClone(instance)));
    });
  }

  removeInstance(id: string): Promise<void> {
    return attempt(() => {
      this.#open("remove instance");
      assertInstanceId(id, "remove instance");
      this.#instances.delete(id);
    });
  }

  instances(): Promise<InstanceRecord[]> {
    return attempt(() => {
      this.#open("list instances");
      return [...this.#instances.values()].sort((a, b) => a.id < b.id ? -1 : 1);
    });
  }

  changed(signal: AbortSignal): Promise<void> {
    try {
      this.#open("watch for changes");
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const events = this.#events;
      function done(): void {
        events.removeEventListener("change", onChange);
        events.removeEventListener("close", onClose);
        signal.removeEventListener("abort", onAbort);
      }
      function onChange(): void {
        done();
        resolve();
      }
      function onClose(): void {
        done();
        reject(
          new StoreError("Cannot watch for changes: the store was closed"),
        );
      }
      function onAbort(): void {
        done();
        reject(signal.reason);
      }
      events.addEventListener("change", onChange);
      events.addEventListener("close", onClose);
      signal.addEventListener("abort", onAbort);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#holds.clear();
    this.#events.dispatchEvent(new Event("close"));
    await this.#leases.close(
      new StoreError("Cannot acquire the lock: the store was closed"),
    );
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #open(action: string): void {
    if (this.#closed) {
      throw new StoreError(`Cannot ${action}: the store is closed`);
    }
  }

  #locked(lease: LockLease, action: string): void {
    this.#open(action);
    this.#leases.check(lease, action);
  }

  #trim(changes: readonly StoreChange[]): void {
    const limit = this.#historyLimit;
    // Trimming in steps keeps the cost per append constant.
    const slack = Math.max(16, Math.floor(limit / 4));
    for (const change of changes) {
      if (change.type !== "ledger.append") continue;
      const list = this.#model.ledgers.get(change.entry.job);
      if (list && list.length > limit + slack) {
        list.splice(0, list.length - limit);
      }
    }
  }
}

/** Runs `fn` and turns its result or throw into a promise. */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}
