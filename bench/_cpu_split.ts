/**
 * Where a tock process's CPU goes, by part of a run's life: the samples of
 * a V8 CPU profile (`_profile.ts` takes it) attributed to the claim, the
 * start or the outcome of runs, or to what is none of them.
 *
 * A sample's stack is walked from the leaf to the root, and the first frame
 * that a rule names decides ({@linkcode PART_RULES}): the claim step
 * (`claims.ts`, `claim_due_jobs.ts`, `advance_job.ts`), the start (creating
 * job actors, the start timer, calling the handler), the outcome (the
 * actor's transitions after the handler returned, the outcome batch) and
 * the store's own upkeep (compaction; heartbeats, liveness and its change
 * watch). Store code resumed after an `await` has no caller on its stack (a
 * commit's serialisation, its write, applying it): such a sample goes to
 * the lock turn it falls in, a claim's or an outcome batch's
 * ({@linkcode LockTurn}, recorded by `_profile.ts`); outside every turn it
 * is `unowned`. Garbage collection, V8's own work (`(program)`) and idle
 * time are listed as such.
 *
 * @module
 */

/** One node of a profile's call tree. */
export interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
  };
  readonly children?: readonly number[];
}

/** A V8 CPU profile, as the DevTools protocol's `Profiler.stop` gives it. */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** Microseconds, on V8's monotonic clock. */
  readonly startTime: number;
  readonly endTime: number;
  /** The leaf node of each sample. */
  readonly samples: readonly number[];
  /** Microseconds from the previous sample (the first: from `startTime`). */
  readonly timeDeltas: readonly number[];
}

/** What a sample is spent on. */
export const CPU_PARTS = [
  "claim",
  "start",
  "outcome",
  "compaction",
  "upkeep",
  "unowned",
  "gc",
  "program",
  "bench",
  "idle",
] as const;

/** One part. */
export type CpuPart = typeof CPU_PARTS[number];

/** A lock turn, on `performance.now()`'s clock. */
export interface LockTurn {
  readonly from: number;
  readonly to: number;
  /** Whose: `claim`, `outcome`, `start` (a confirmation), else `unowned`. */
  readonly part: CpuPart;
}

/** A profile's samples in a window, by part. */
export interface CpuSplit {
  /** Samples in the window. */
  readonly samples: number;
  /** Main-thread time per part, ms (each sample weighs until the next). */
  readonly ms: Readonly<Record<CpuPart, number>>;
  /**
   * The part of `ms` given by the lock turn a sample fell in (store code
   * with no caller on its stack), not by a frame.
   */
  readonly byTurnMs: Readonly<Record<CpuPart, number>>;
}

/** A frame's owner, or `split` (see `#runAttempt`). */
type Rule = CpuPart | "split";

/**
 * The rules, by file (repository-relative) and then function name; `*`
 * names every function of a file. Store and lock code has no rule: it
 * belongs to whoever called it, or to the lock turn it runs in.
 */
export const PART_RULES: Readonly<
  Record<string, Readonly<Record<string, Rule>>>
> = {
  "src/runtime/claims.ts": { "*": "claim" },
  "src/turns/claim_due_jobs.ts": { "*": "claim" },
  "src/jobs/advance_job.ts": { "*": "claim" },
  // When the next claim is due (the claim loop's wait).
  "src/store/_state.ts": { nextDueAt: "claim" },
  "src/runtime/scheduler.ts": {
    dispatch: "start",
    onEnded: "outcome",
  },
  "src/runtime/job_runs.ts": {
    dispatch: "start",
    "#startDue": "start",
    "#start": "start",
    "#arm": "start",
    "#disarm": "start",
    "#confirmThenStart": "start",
    // Before the handler returns: start; the actor's answer after: outcome.
    "#runAttempt": "split",
    "#recordOutcome": "outcome",
    "#end": "outcome",
    end: "outcome",
  },
  "src/executors/run_handler.ts": { "*": "start" },
  // The slow path of self-fencing, before a start.
  "src/turns/confirm_runs.ts": { "*": "start" },
  "src/turns/outcome_batch.ts": { "*": "outcome" },
  "src/jobs/finish_run.ts": { "*": "outcome" },
  "src/store/file/file_store.ts": {
    "#compact": "compaction",
    "#compactSoon": "compaction",
    "#compactionFailed": "compaction",
    heartbeat: "upkeep",
    instances: "upkeep",
    changed: "upkeep",
    moved: "upkeep",
    poll: "upkeep",
    settle: "upkeep",
    finish: "upkeep",
  },
  "src/store/file/_state.ts": {
    newJournal: "compaction",
    rotate: "compaction",
    writeCompaction: "compaction",
    worker: "compaction",
    adoptCompaction: "compaction",
    compactionFailed: "compaction",
    tidy: "compaction",
  },
  "src/store/file/_archive.ts": { archiveItems: "compaction" },
  "src/store/file/_snapshot.ts": { encodeSnapshot: "compaction" },
  // Heartbeats, and liveness: reading the instances' heartbeats (before
  // each claim step, and with each heartbeat).
  "src/store/file/_instances.ts": {
    writeInstance: "upkeep",
    readInstances: "upkeep",
  },
  "src/store/file/_watch.ts": { "*": "upkeep" },
  "src/runtime/heartbeat.ts": { "*": "upkeep" },
  "src/runtime/liveness.ts": { "*": "upkeep" },
  "src/runtime/presence.ts": {
    register: "upkeep",
    observe: "upkeep",
    "#beatNow": "upkeep",
    "#record": "upkeep",
    "#checkHold": "upkeep",
  },
  // The handler of the start lag jobs is the run itself.
  "bench/scenarios/start_lag.ts": { lagHandler: "start", "*": "bench" },
  "bench/_profile.ts": { "*": "bench" },
  "bench/_time.ts": { "*": "bench" },
};

const SPECIAL: Readonly<Record<string, CpuPart>> = {
  "(garbage collector)": "gc",
  "(program)": "program",
  "(idle)": "idle",
  "(root)": "program",
};

const REPO = new URL("../", import.meta.url).href;

/**
 * Splits a profile's samples in a window by part (see the module doc).
 *
 * @param profile The profile.
 * @param options The window and the lock turns, on `performance.now()`'s
 * clock, and how a profile time (µs) maps onto it.
 * @returns Main-thread time per part.
 */
export function splitProfile(
  profile: CpuProfile,
  options: {
    readonly from: number;
    readonly to: number;
    readonly turns: readonly LockTurn[];
    readonly toPerfMs: (us: number) => number;
    /** The repository's URL (`file:///…/`); default: this one. */
    readonly repo?: string;
  },
): CpuSplit {
  const repo = options.repo ?? REPO;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const memo = new Map<number, CpuPart | "turn">();
  const partOf = (leaf: number): CpuPart | "turn" => {
    let known = memo.get(leaf);
    if (known === undefined) {
      known = classify(leaf, byId, parent, repo);
      memo.set(leaf, known);
    }
    return known;
  };
  const turns = [...options.turns].sort((a, b) => a.from - b.from);
  const ms = zeroes();
  const byTurnMs = zeroes();
  let samples = 0;
  let at = profile.startTime;
  const n = profile.samples.length;
  for (let i = 0; i < n; i++) {
    at += profile.timeDeltas[i] ?? 0;
    const next = i + 1 < n
      ? at + (profile.timeDeltas[i + 1] ?? 0)
      : profile.endTime;
    const when = options.toPerfMs(at);
    if (when < options.from || when >= options.to) continue;
    samples++;
    const weight = Math.max(0, next - at) / 1000;
    const part = partOf(profile.samples[i]!);
    if (part === "turn") {
      const owner = turnAt(turns, when)?.part ?? "unowned";
      ms[owner] += weight;
      byTurnMs[owner] += weight;
    } else ms[part] += weight;
  }
  for (const p of CPU_PARTS) {
    ms[p] = Math.round(ms[p] * 1000) / 1000;
    byTurnMs[p] = Math.round(byTurnMs[p] * 1000) / 1000;
  }
  return { samples, ms, byTurnMs };
}

function zeroes(): Record<CpuPart, number> {
  return Object.fromEntries(CPU_PARTS.map((p) => [p, 0])) as Record<
    CpuPart,
    number
  >;
}

function classify(
  leaf: number,
  byId: ReadonlyMap<number, ProfileNode>,
  parent: ReadonlyMap<number, number>,
  repo: string,
): CpuPart | "turn" {
  const special = SPECIAL[byId.get(leaf)?.callFrame.functionName ?? ""];
  if (special) return special;
  let child: ProfileNode | undefined;
  for (let id: number | undefined = leaf; id !== undefined;) {
    const node: ProfileNode = byId.get(id)!;
    const { url, functionName } = node.callFrame;
    const rules = url.startsWith(repo)
      ? PART_RULES[url.slice(repo.length)]
      : undefined;
    const rule = rules?.[functionName] ?? rules?.["*"];
    if (rule === "split") {
      // The attempt's own frame and the handler's call are its start; its
      // answer to the actor (an xstate transition) is the outcome.
      return child && /\/xstate\//.test(child.callFrame.url)
        ? "outcome"
        : "start";
    }
    if (rule) return rule;
    child = node;
    id = parent.get(id);
  }
  // Store, lock, runtime or library code no rule names: whose lock turn?
  return "turn";
}

function turnAt(
  turns: readonly LockTurn[],
  at: number,
): LockTurn | undefined {
  let lo = 0;
  let hi = turns.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const turn = turns[mid]!;
    if (at < turn.from) hi = mid - 1;
    else if (at >= turn.to) lo = mid + 1;
    else return turn;
  }
  return undefined;
}
