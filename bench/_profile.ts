/**
 * A V8 CPU profile of this process, taken in the process itself
 * (`node:inspector`'s Profiler) and mapped onto `performance.now()`'s clock,
 * and the scheduler's lock turns recorded beside it: what `_cpu_split.ts`
 * splits by part of a run's life.
 *
 * A profile sees the main thread only; `process.cpuUsage()` counts every
 * thread (V8's background compilers and GC helpers, Deno's I/O threads).
 *
 * @module
 */

import { Session } from "node:inspector";
import type { JobStore } from "../src/store/store.ts";
import type { Lock, LockAcquireOptions, LockLease } from "../src/lock/lock.ts";
import type { CpuPart, CpuProfile, LockTurn } from "./_cpu_split.ts";

/** Whose lock turn a lease is, from the stack that asked for it. */
function turnOwner(stack: string): CpuPart {
  if (/\bclaimDueJobs\b/.test(stack)) return "claim";
  if (/OutcomeBatch|#flush/.test(stack)) return "outcome";
  if (/\bconfirmRuns\b/.test(stack)) return "start";
  return "unowned";
}

/**
 * The store as the scheduler should see it, with its lock turns recorded:
 * when each lease of its lock was taken and released, and whose it was (by
 * the function that asked for it: a claim step, an outcome batch, a
 * confirmation of runs). The lease objects are the store's own (it checks
 * them by identity); only their `release` is wrapped. Every other property
 * is the store's, its methods bound to it.
 *
 * @param store The store.
 * @param turns Where the turns are appended as they end.
 * @returns The store to hand to the scheduler.
 */
export function recordLockTurns(store: JobStore, turns: LockTurn[]): JobStore {
  const lock: Lock = {
    async acquire(options?: LockAcquireOptions): Promise<LockLease> {
      const part = turnOwner(new Error().stack ?? "");
      const lease = await store.lock.acquire(options);
      const from = performance.now();
      const release = lease.release.bind(lease);
      let ended = false;
      (lease as { release: () => Promise<void> }).release = async () => {
        try {
          await release();
        } finally {
          if (!ended) turns.push({ from, to: performance.now(), part });
          ended = true;
        }
      };
      return lease;
    },
    tryAcquire: () => store.lock.tryAcquire(),
  };
  return new Proxy(store, {
    get(target, key) {
      if (key === "lock") return lock;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * A busy loop of `ms`, the profile's clock mark: its samples, timed on the
 * profile's clock, and the loop's bounds on `performance.now()`'s give the
 * offset between the two.
 */
function calibrationMark(ms: number): number {
  const end = performance.now() + ms;
  let spins = 0;
  while (performance.now() < end) spins++;
  return spins;
}

/** A running profile of this process; see {@linkcode startProfile}. */
export interface RunningProfile {
  /**
   * Stops it.
   *
   * @returns The profile, and how its times (µs) map onto
   * `performance.now()`.
   */
  stop(): Promise<{
    readonly profile: CpuProfile;
    readonly toPerfMs: (us: number) => number;
  }>;
}

/**
 * Starts a CPU profile of this process (`node:inspector`), then marks its
 * clock with a 5 ms busy loop.
 *
 * @param intervalUs The sampling interval.
 * @returns The running profile.
 */
export async function startProfile(
  intervalUs: number,
): Promise<RunningProfile> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) =>
      session.post(
        method,
        params,
        (error: unknown, result: unknown) =>
          error ? reject(error) : resolve(result as T),
      )
    );
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: intervalUs });
  await post("Profiler.start");
  const markFrom = performance.now();
  calibrationMark(5);
  const markTo = performance.now();
  return {
    async stop() {
      const { profile } = await post<{ profile: CpuProfile }>("Profiler.stop");
      session.disconnect();
      const marks = markSamples(profile);
      if (marks.length === 0) {
        throw new Error("Cannot read the CPU profile: no sample of its mark");
      }
      const offsetMs = (marks[0]! + marks.at(-1)!) / 2 / 1000 -
        (markFrom + markTo) / 2;
      return { profile, toPerfMs: (us: number) => us / 1000 - offsetMs };
    },
  };
}

/** The times (µs) of the samples with the clock mark on their stack. */
function markSamples(profile: CpuProfile): number[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const marked = new Set<number>();
  const below = profile.nodes
    .filter((node) => node.callFrame.functionName === calibrationMark.name)
    .map((node) => node.id);
  while (below.length > 0) {
    const id = below.pop()!;
    marked.add(id);
    below.push(...(byId.get(id)?.children ?? []));
  }
  const times: number[] = [];
  let at = profile.startTime;
  profile.samples.forEach((leaf, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (marked.has(leaf)) times.push(at);
  });
  return times;
}
