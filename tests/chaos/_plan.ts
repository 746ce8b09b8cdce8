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
  /**
   * Extra attempts after a failure (`--retries`, 0–2). A job with retries
   * fails its first attempt on purpose (after its `start` line), so that
   * its runs spend a backoff in the `retrying` state.
   */
  readonly retries: number;
  /** Delay before its first retry (`--backoff`, 3000–5000), ms; 0 without. */
  readonly backoffMs: number;
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
    /**
     * Restart under the killed instance's id (free again once its holder
     * is dead), so the new process must recover its predecessor's runs.
     */
    readonly reuseName: boolean;
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
    /**
     * SIGSTOP whichever instance first prints `…attempt 1 failed…;
     * retrying` within `waitMs` (the slot `target`'s instance if none
     * does), for `forMs`: its run is given away during the backoff, and it
     * must not start the retry after SIGCONT.
     */
    readonly kind: "backoff-stop";
    readonly target: number;
    readonly waitMs: number;
    readonly forMs: number;
  }
  | {
    readonly at: number;
    /**
     * A second `tock start --instance <the slot's instance id>` while that
     * instance runs: must be refused (exit 1, one stderr line).
     */
    readonly kind: "twin";
    readonly target: number;
  }
  | {
    readonly at: number;
    /**
     * A `tock tick --instance tick-N`: claims once, runs what it claimed,
     * exits 0. With `pause` it is started while every daemon is paused for
     * a moment, so that it finds due slots they did not claim ahead. With
     * `kill` (always paused) it is SIGKILLed `delayMs` after it printed `run
     * … started`, leaving its runs to be recovered.
     */
    readonly kind: "tick";
    readonly pause: boolean;
    readonly kill: boolean;
    readonly delayMs: number;
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
  }
  | {
    readonly at: number;
    /**
     * On a database: cuts the slot's instance off from it (every
     * connection closed, new ones refused) for `forMs`, some past the
     * lease, then lets it reconnect.
     */
    readonly kind: "cut";
    readonly target: number;
    readonly forMs: number;
  }
  | {
    readonly at: number;
    /**
     * On a database: `pg_terminate_backend` of the session holding the
     * claim lock, whichever instance's it is, when one holds it within
     * `waitMs`.
     */
    readonly kind: "terminate";
    readonly waitMs: number;
  }
  | {
    readonly at: number;
    /** On a database: a restart of the PostgreSQL server. */
    readonly kind: "db-restart";
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
/** How long a backoff stop waits for an attempt to fail into a retry, ms. */
export const BACKOFF_WAIT_MS = 8_000;
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
  /**
   * The store is a database: also cut instances off from it and terminate
   * the lock holder's session; with `"restart"`, also restart the server.
   * @default {undefined}
   */
  readonly database?: "faults" | "restart";
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
      retries: 0,
      backoffMs: 0,
    };
  });
  // Jobs that fail into a retry; at least one, for the backoff stops.
  const retrying = jobs.map(() => prng.chance(0.3));
  if (!retrying.includes(true)) retrying[prng.int(0, jobs.length - 1)] = true;
  for (const [i, job] of jobs.entries()) {
    if (!retrying[i]) continue;
    jobs[i] = {
      ...job,
      id: `${job.id}-retry`,
      retries: prng.int(1, 2),
      backoffMs: prng.int(30, 50) * 100,
    };
  }

  const n = options.instances;
  const actions: ChaosAction[] = [];
  const last = options.durationMs - CALM_MS;
  // Stops, one at a time, each over before the end; plain stops and stops
  // during a retry's backoff alternate, the first drawn.
  let at = prng.int(WARMUP_MS, WARMUP_MS + 7_000);
  let backoff = prng.chance(0.5);
  for (;;) {
    const forMs = prng.int(11_000, 15_000);
    const waitMs = backoff ? BACKOFF_WAIT_MS : 0;
    const target = prng.int(0, n - 1);
    if (
      at + waitMs > last || at + waitMs + forMs > options.durationMs - 2_000
    ) break;
    actions.push(
      backoff
        ? { at, kind: "backoff-stop", target, waitMs, forMs }
        : { at, kind: "stop", target, forMs },
    );
    at += waitMs + forMs + prng.int(2_000, 15_000);
    backoff = !backoff;
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
        reuseName: prng.chance(0.5),
      });
    }
    at += prng.int(1_500, 5_000);
  }
  // Twins: a second process asking for a running instance's id.
  for (at = WARMUP_MS + prng.int(0, 4_000); at <= last;) {
    actions.push({ at, kind: "twin", target: prng.int(0, n - 1) });
    at += prng.int(5_000, 15_000);
  }
  // Ticks, the first one killed mid-run; none killed in the calm end.
  at = WARMUP_MS + prng.int(0, 3_000);
  for (let i = 0; at <= last; i++) {
    const kill = i === 0 || prng.chance(0.5);
    actions.push({
      at,
      kind: "tick",
      pause: kill || prng.chance(0.5),
      kill,
      delayMs: kill && prng.chance(0.5) ? prng.int(0, 300) : 0,
    });
    at += prng.int(3_000, 8_000);
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
  // Drawn last, so that a plan on files replays as it did before.
  if (options.database) {
    for (at = WARMUP_MS + prng.int(0, 4_000); at <= last;) {
      const forMs = prng.chance(0.5)
        ? prng.int(1_000, 5_000)
        : prng.int(11_000, 15_000);
      if (at + forMs > options.durationMs - 2_000) break;
      actions.push({ at, kind: "cut", target: prng.int(0, n - 1), forMs });
      at += forMs + prng.int(2_000, 10_000);
    }
    for (at = WARMUP_MS + prng.int(0, 2_000); at <= last;) {
      actions.push({ at, kind: "terminate", waitMs: 2_000 });
      at += prng.int(2_000, 6_000);
    }
    if (options.database === "restart") {
      at = WARMUP_MS + prng.int(2_000, Math.max(2_000, last - WARMUP_MS));
      if (at <= last) actions.push({ at, kind: "db-restart" });
    }
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
      }${
        j.retries > 0
          ? ` retries ${j.retries} (backoff ${j.backoffMs} ms), attempt 1 fails`
          : ""
      }`
    ),
    ...plan.actions.map((a) =>
      `  +${(a.at / 1000).toFixed(1)}s ${a.kind}${
        "target" in a ? ` slot ${a.target}` : ""
      }${describeAction(a)}`
    ),
  ];
}

function describeAction(a: ChaosAction): string {
  switch (a.kind) {
    case "jump":
      return ` by ${a.deltaMs / 1000} s`;
    case "stop":
    case "cut":
      return ` for ${(a.forMs / 1000).toFixed(1)}s`;
    case "backoff-stop":
      return ` for ${
        (a.forMs / 1000).toFixed(1)
      }s, the first instance to fail into a retry within ${a.waitMs} ms`;
    case "kill":
      return `${
        a.afterStart ? ` after a run starts (+${a.delayMs} ms)` : " anywhere"
      }${a.reuseName ? ", restart under the same id" : ""}`;
    case "tick":
      return a.kill
        ? ` killed after a run starts (+${a.delayMs} ms)`
        : a.pause
        ? " while the daemons pause"
        : "";
    default:
      return "";
  }
}
