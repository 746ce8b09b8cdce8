// A chaos run's plan, drawn from its seed before anything starts: the jobs,
// and what happens to which instance when. Drawing it up front keeps a
// replay (`CHAOS_SEED=…`) on the same schedule of actions even though the
// processes themselves run at their own pace.
import { createPrng } from "./_prng.ts";

/** One job of a chaos run. */
export interface ChaosJob {
  readonly id: string;
  readonly schedule: string;
  readonly overlap: "skip" | "allow" | "queue";
  readonly recover: "abandon" | "rerun";
  /** Whether the command sleeps, then appends an `end` line. */
  readonly sleeper: boolean;
  /** How long a sleeper sleeps, ms (0–3000). */
  readonly sleepMs: number;
}

/** One thing done to an instance (`target` is its slot, 0-based). */
export type ChaosAction =
  | {
    readonly at: number;
    readonly kind: "kill";
    readonly target: number;
    /** Wait for a run to start in that instance first (a kill mid-run). */
    readonly afterStart: boolean;
    /** Extra wait after that line, ms. */
    readonly delayMs: number;
    readonly restartAfterMs: number;
  }
  | {
    readonly at: number;
    readonly kind: "stop";
    readonly target: number;
    /** How long it stays stopped (past the 10 s lease), ms. */
    readonly forMs: number;
  }
  | {
    readonly at: number;
    readonly kind: "term";
    readonly target: number;
    readonly restartAfterMs: number;
  }
  | {
    readonly at: number;
    /**
     * Moves the wall clock of the slot's instances (this one and those that
     * replace it) by `deltaMs`, or (`reset`) every slot's back to true time.
     */
    readonly kind: "jump" | "reset";
    readonly target: number;
    readonly deltaMs: number;
  };

/** What a chaos run does, from start to end. */
export interface ChaosPlan {
  readonly seed: number;
  readonly jobs: readonly ChaosJob[];
  /** Ordered by `at` (ms after the chaos began). */
  readonly actions: readonly ChaosAction[];
}

/** How long the instances run before the first action, ms. */
export const WARMUP_MS = 3_000;
/**
 * No kill or stop in the last this many ms: a killed instance's runs are
 * recovered after the 10 s lease, plus a heartbeat and a claim.
 */
export const CALM_MS = 14_000;
const SCHEDULES = ["* * * * * *", "every 1s", "*/2 * * * * *", "every 2s"];

/** Options of {@linkcode planChaos}. */
export interface PlanChaosOptions {
  readonly instances: number;
  readonly jobs: number;
  readonly durationMs: number;
  /**
   * Also make instances' wall clocks jump (±2–90 s, ±1 h), through the
   * test-only `TOCK_TEST_CLOCK_FILE`; every clock is reset to true time
   * when the calm end begins. @default {false}
   */
  readonly clockJumps?: boolean;
}

/** Draws a chaos run's plan from its seed. */
export function planChaos(seed: number, options: PlanChaosOptions): ChaosPlan {
  const prng = createPrng(seed);
  const overlaps = prng.shuffle(
    Array.from(
      { length: options.jobs },
      (_, i) => (["skip", "allow", "queue"] as const)[i % 3]!,
    ),
  );
  const jobs: ChaosJob[] = overlaps.map((overlap, i) => {
    // The first job is a rerun sleeper, so a kill mid-run can re-run it.
    const recover = i === 0 || prng.chance(0.25) ? "rerun" : "abandon";
    const sleeper = recover === "rerun" || prng.chance(0.6);
    return {
      id: `j${i}-${overlap}${recover === "rerun" ? "-rerun" : ""}`,
      schedule: prng.pick(SCHEDULES),
      overlap,
      recover,
      sleeper,
      sleepMs: sleeper ? prng.int(recover === "rerun" ? 10 : 0, 30) * 100 : 0,
    };
  });

  const n = options.instances;
  const actions: ChaosAction[] = [];
  const last = options.durationMs - CALM_MS;
  // Stops, one at a time, each over before the end.
  let at = prng.int(WARMUP_MS, WARMUP_MS + 7_000);
  for (;;) {
    const forMs = prng.int(11_000, 15_000);
    if (at > last || at + forMs > options.durationMs - 2_000) break;
    actions.push({ at, kind: "stop", target: prng.int(0, n - 1), forMs });
    at += forMs + prng.int(2_000, 15_000);
  }
  // Kills and SIGTERMs: the first three are one kill mid-run, one kill at
  // a random instant (mid-claim, mid-startup…) and one SIGTERM.
  const first = prng.shuffle(["kill-run", "kill-any", "term"] as const);
  at = WARMUP_MS + prng.int(500, 2_500);
  for (let i = 0; at <= last; i++) {
    const kind = first[i] ??
      prng.pick(["kill-run", "kill-run", "kill-any", "kill-any", "term"]);
    const target = prng.int(0, n - 1);
    if (kind === "term") {
      actions.push({
        at,
        kind: "term",
        target,
        restartAfterMs: prng.int(200, 2_000),
      });
    } else {
      actions.push({
        at,
        kind: "kill",
        target,
        afterStart: kind === "kill-run",
        delayMs: kind === "kill-run" && prng.chance(0.5) ? prng.int(0, 300) : 0,
        restartAfterMs: prng.int(200, 3_000),
      });
    }
    at += prng.int(1_500, 5_000);
  }
  if (options.clockJumps) {
    at = WARMUP_MS + prng.int(0, 3_000);
    for (; at < last; at += prng.int(3_000, 9_000)) {
      const seconds = prng.chance(0.3) ? 3_600 : prng.int(2, 90);
      actions.push({
        at,
        kind: "jump",
        target: prng.int(0, n - 1),
        deltaMs: (prng.chance(0.5) ? 1 : -1) * seconds * 1000,
      });
    }
    actions.push({ at: last, kind: "reset", target: 0, deltaMs: 0 });
  }
  actions.sort((a, b) => a.at - b.at);
  return { seed, jobs, actions };
}

/** The plan in a few lines, for the log. */
export function describePlan(plan: ChaosPlan): string[] {
  return [
    ...plan.jobs.map((j) =>
      `  job ${j.id}: "${j.schedule}" overlap=${j.overlap} recover=${j.recover}${
        j.sleeper ? ` sleeps ${j.sleepMs} ms` : ""
      }`
    ),
    ...plan.actions.map((a) =>
      `  +${(a.at / 1000).toFixed(1)}s ${a.kind} slot ${a.target}${
        a.kind === "jump"
          ? ` by ${a.deltaMs / 1000} s`
          : a.kind === "stop"
          ? ` for ${(a.forMs / 1000).toFixed(1)}s`
          : a.kind === "kill"
          ? a.afterStart
            ? ` after a run starts (+${a.delayMs} ms)`
            : " anywhere"
          : ""
      }`
    ),
  ];
}
