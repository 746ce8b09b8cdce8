// Shared by the store fault tests (crash points, write faults): the G1 and
// G3 checks a store must pass after any crash or failed write, and a way to
// drive a scheduler on a file store with a fake clock.
import type { JobStore } from "../../src/store/store.ts";
import { scheduleOf } from "../../src/jobs/job_state.ts";
import { slotsBetween } from "../../src/schedule/slots_between.ts";
import { OUTCOMES } from "../../src/types.ts";

/** One claimed run, as an instance reported it. */
export interface Claim {
  readonly job: string;
  readonly slot: number;
  readonly runId: string;
  readonly instance: string;
}

/**
 * G1: no (job, slot) was claimed twice (no job here opts into `rerun`, and
 * no manual slots are used).
 */
export function checkClaimedOnce(claims: readonly Claim[]): void {
  const seen = new Map<string, Claim>();
  for (const claim of claims) {
    const key = `${claim.job}@${claim.slot}`;
    const before = seen.get(key);
    if (before) {
      throw new Error(
        `G1: ${claim.job} slot ${
          new Date(claim.slot).toISOString()
        } claimed twice: ${before.runId} by ${before.instance}, ${claim.runId} by ${claim.instance}`,
      );
    }
    seen.set(key, claim);
  }
}

/**
 * G3: every scheduled slot of every job, from its creation to its cursor,
 * has exactly one ledger outcome or is the pending/running one, and the
 * counters equal the ledger's counts. A job with more outcomes than
 * `historyLimit` may have lost its oldest entries to pruning (never fewer
 * than `historyLimit` remain): its counters must still account for every
 * slot.
 *
 * @returns How many jobs lost entries to pruning.
 */
export async function checkLedger(
  store: JobStore,
  historyLimit = Infinity,
): Promise<number> {
  let pruned = 0;
  for (const { spec, state } of await store.jobs()) {
    const where = `G3: job ${spec.id}`;
    const history = await store.history({ job: spec.id });
    const schedule = scheduleOf(spec, state.createdAt);
    const from = spec.startAt !== undefined
      ? spec.startAt - 1
      : state.createdAt;
    const slots = slotsBetween(schedule, from, state.cursor, 1_000_000).slots;
    const index = new Map(slots.map((slot, i) => [slot, i]));
    const covered = new Map<number, string>();
    const cover = (slot: number, by: string) => {
      const at = new Date(slot).toISOString();
      if (!index.has(slot)) {
        throw new Error(
          `${where}: ${by} names ${at}, not a slot up to the cursor`,
        );
      }
      const before = covered.get(slot);
      if (before) {
        throw new Error(`${where}: slot ${at} has ${before} and ${by}`);
      }
      covered.set(slot, by);
    };
    const counts: Record<string, number> = {};
    for (const entry of history) {
      const count = entry.count ?? 1;
      counts[entry.outcome] = (counts[entry.outcome] ?? 0) + count;
      if (entry.until === undefined) {
        cover(entry.slot, `outcome ${entry.outcome}`);
        continue;
      }
      const first = index.get(entry.slot);
      const last = index.get(entry.until);
      if (
        first === undefined || last === undefined || last - first + 1 !== count
      ) {
        throw new Error(
          `${where}: range ${new Date(entry.slot).toISOString()}..${
            new Date(entry.until).toISOString()
          } of ${count} is not ${count} consecutive slots`,
        );
      }
      for (let i = first; i <= last; i++) {
        cover(slots[i]!, `range outcome ${entry.outcome}`);
      }
    }
    const pending = [...state.runs, ...state.backlog];
    for (const p of pending) cover(p.slot, "a pending run");
    const counted = OUTCOMES.reduce((sum, o) => sum + state.counters[o], 0);
    if (counted + pending.length !== slots.length) {
      throw new Error(
        `${where}: ${slots.length} slots up to the cursor, but counters hold ${counted} and ${pending.length} are pending`,
      );
    }
    const logged = Object.values(counts).reduce((a, b) => a + b, 0);
    if (logged < counted) {
      if (logged < historyLimit) {
        throw new Error(
          `${where}: ${counted} outcomes counted, the ledger holds ${logged} (limit ${historyLimit})`,
        );
      }
      pruned++;
      for (const outcome of OUTCOMES) {
        if ((counts[outcome] ?? 0) > state.counters[outcome]) {
          throw new Error(
            `${where}: counter ${outcome} is ${
              state.counters[outcome]
            }, the ledger holds ${counts[outcome]}`,
          );
        }
      }
      continue;
    }
    for (const outcome of OUTCOMES) {
      if ((counts[outcome] ?? 0) !== state.counters[outcome]) {
        throw new Error(
          `${where}: counter ${outcome} is ${
            state.counters[outcome]
          }, the ledger holds ${counts[outcome] ?? 0}`,
        );
      }
    }
    if (covered.size !== slots.length) {
      throw new Error(
        `${where}: ${slots.length - covered.size} slots have no outcome`,
      );
    }
  }
  return pruned;
}

/**
 * The store with every call counted while in flight (`changed` excepted: it
 * waits for other writers), so that a fake clock can let the file I/O a
 * timer started finish before moving on.
 */
export function tracked(
  store: JobStore,
): { store: JobStore; quiet: () => Promise<void> } {
  let busy = 0;
  const track = <T>(promise: Promise<T>): Promise<T> => {
    busy++;
    return promise.finally(() => busy--);
  };
  const lock = new Proxy(store.lock, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => track(value.apply(target, args));
    },
  });
  const proxy = new Proxy(store, {
    get(target, key) {
      if (key === "lock") return lock;
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      // `changed` waits for other writers; `onProblem` subscribes.
      if (key === "changed" || key === "onProblem") return value.bind(target);
      return (...args: unknown[]) => track(value.apply(target, args));
    },
  });
  const quiet = async () => {
    for (let calm = 0, turns = 0; calm < 3; turns++) {
      if (turns > 10_000) throw new Error("the store never went quiet");
      for (let i = 0; i < 50; i++) await Promise.resolve();
      await new Promise((resolve) => setTimeout(resolve, 0));
      calm = busy === 0 ? calm + 1 : 0;
    }
  };
  return { store: proxy, quiet };
}
