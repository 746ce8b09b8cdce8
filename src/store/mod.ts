/**
 * For authors of store backends (`@tock/tock/store`): the
 * {@linkcode JobStore} contract in full, with the types a backend takes and
 * returns, the lock it must offer, and {@linkcode withStoreLock}, the one
 * way tock takes that lock.
 *
 * Users of tock need none of this: they pick a store (`createFileStore`,
 * `createMemoryStore` from `@tock/tock`, `createPostgresStore` from
 * `@tock/tock/postgres`) and pass it to `createScheduler`. A new backend
 * implements `JobStore` and passes the shared contract suite that the three
 * built-in ones pass (`tests/store/_store_contract.ts`), and its writes
 * must be atomic and durable before `commit` resolves.
 *
 * @example A read under the store's lock
 * ```ts
 * import { createMemoryStore } from "../../mod.ts";
 * import { type JobStore, withStoreLock } from "./mod.ts";
 *
 * await using store: JobStore = createMemoryStore();
 * const due = await withStoreLock(store, {}, (lease) => store.due(lease, Date.now()));
 * console.log(due.length); // 0
 * ```
 *
 * @module
 */

export {
  canRun,
  type Capabilities,
  type DueOptions,
  type HistoryQuery,
  type InstanceHold,
  type InstanceHolder,
  type JobStore,
  type LogQuery,
  type NextDueOptions,
  type ReadOptions,
  type RunLog,
  type StoreChange,
} from "./store.ts";
export type { Lock, LockAcquireOptions, LockLease } from "../lock/lock.ts";
export { type StoreLockOptions, withStoreLock } from "./with_store_lock.ts";
