// The chaos harness's verdict: what the side-effect file, `history --json`
// and `list --json` must agree on after a run (SPEC §4 G1, G3, and what a
// killed or frozen instance must leave behind). Pure, so that
// check_test.ts can feed it broken worlds and see each one caught.
import type { HistoryEntry } from "../cli/e2e/_cli.ts";
import { type Effect, readEffects } from "./_effects.ts";
import { gridOf, onGrid, slotsIn } from "./_grid.ts";

/** A job as the checker needs it. */
export interface CheckJob {
  readonly id: string;
  readonly schedule: string;
  readonly recover: "abandon" | "rerun";
  /** Whether its command appends an `end` line after sleeping. */
  readonly sleeper: boolean;
}

/** The part of a `list --json` job the checker reads. */
export interface ListedJob {
  readonly id: string;
  readonly createdAt: string;
  readonly cursor: string;
  readonly running: readonly {
    readonly runId: string;
    readonly slot: string;
    readonly instance: string;
    readonly trigger: string;
  }[];
  readonly queued: readonly {
    readonly slot: string;
    readonly trigger: string;
  }[];
  readonly counters: Readonly<Record<string, number>>;
}

/** Everything a run left, and what the harness did to its instances. */
export interface CheckInput {
  readonly jobs: readonly CheckJob[];
  /** Lines of the side-effect file (see `_effects.ts`). */
  readonly effects: readonly string[];
  readonly history: readonly HistoryEntry[];
  readonly listed: readonly ListedJob[];
  /**
   * SIGKILLed instance ids, with the wall-clock times of the kills, oldest
   * first (an id reused by a restart may be killed again).
   */
  readonly killed: ReadonlyMap<string, readonly number[]>;
  /** Instances that were SIGSTOPped (frozen past the lease). */
  readonly stopped: ReadonlySet<string>;
  /**
   * Frozen instances with the wall-clock time of their last SIGCONT. Unless
   * the id was killed since, that process is alive from then on: it starts
   * no attempt of a run given away while it was stopped, and no run of its
   * whose slot came after the SIGCONT may be recovered as if it had died.
   */
  readonly resumed?: ReadonlyMap<string, number>;
  /**
   * Whether instances' wall clocks were moved: their slots cannot be
   * compared to a SIGCONT then (start lines still can: `date` is not moved).
   * @default {false}
   */
  readonly skewedClocks?: boolean;
  /** Instances that received SIGTERM (the final one included). */
  readonly termed: ReadonlySet<string>;
  /** Wall-clock time of the final SIGTERM. */
  readonly endedAt: number;
  /** The instances' lease. @default {10_000} */
  readonly leaseMs?: number;
}

/** The checker's counts and findings. */
export interface CheckResult {
  /** Scheduled slots checked for exactly one outcome (G3). */
  slots: number;
  /** Executions that began (attempt-1 `start` lines). */
  runs: number;
  /** (job, slot) pairs executed more often than allowed (G1). */
  duplicates: number;
  /** Slots with more than one outcome in the ledger (G3). */
  doubled: number;
  /** Executions with no outcome that explains them. */
  unaccounted: number;
  /** Slots up to a job's cursor with no outcome and not pending (G3). */
  dropped: number;
  /** Executions recorded `abandoned` (their instance was killed or frozen). */
  abandoned: number;
  /** Executions of `recover: rerun` jobs run again as a recovery. */
  reruns: number;
  /** Executions recorded `cancelled` (their instance got SIGTERM). */
  cancelled: number;
  /** Executions of a killed instance still waiting for recovery at the end. */
  unsettled: number;
  readonly violations: string[];
}

/** At most this many examples per finding, so a report stays readable. */
const EXAMPLES = 5;
/**
 * A command started just before its instance was SIGKILLed may write its
 * start line just after the kill; a restart under the same id starts no
 * command this soon (it waits ≥ 200 ms, then starts Deno).
 */
const KILL_SLACK_MS = 500;

/** Checks one chaos run; see {@linkcode CheckResult}. */
export function checkChaos(input: CheckInput): CheckResult {
  const leaseMs = input.leaseMs ?? 10_000;
  const result: CheckResult = {
    slots: 0,
    runs: 0,
    duplicates: 0,
    doubled: 0,
    unaccounted: 0,
    dropped: 0,
    abandoned: 0,
    reruns: 0,
    cancelled: 0,
    unsettled: 0,
    violations: [],
  };
  const v = result.violations;
  const jobs = new Map(input.jobs.map((job) => [job.id, job]));
  const listed = new Map(input.listed.map((job) => [job.id, job]));
  const kills = (instance: string) => input.killed.get(instance) ?? [];
  // An id killed once counts as dead for its runs, whichever process held it.
  const died = (instance: string) =>
    kills(instance).length > 0 || input.stopped.has(instance);
  /** The last SIGCONT of an id not killed since: alive from then on. */
  const aliveSince = (instance: string) => {
    const at = input.resumed?.get(instance);
    return at !== undefined && !kills(instance).some((k) => k >= at)
      ? at
      : undefined;
  };
  /** A run claimed after its frozen instance was resumed for good. */
  const late = (instance: string, slot: string) => {
    const at = aliveSince(instance);
    return !input.skewedClocks && at !== undefined && Date.parse(slot) >= at;
  };

  // The side-effect file: executions are attempt-1 start lines.
  const effects = readEffects(input.effects, new Set(jobs.keys()));
  v.push(...effects.violations);
  const starts = effects.executions;
  for (const list of starts.values()) result.runs += list.length;

  // G1: at most once, or at most twice with the second a recovery.
  for (const [key, list] of starts) {
    const job = jobs.get(list[0]!.job);
    const recoveries = list.filter((e) => e.trigger === "recovery").length;
    const allowed = job?.recover === "rerun" && list.length === 2 &&
      recoveries === 1;
    if (list.length > 1 && !allowed) {
      result.duplicates += 1;
      v.push(
        `G1: ${key} executed ${list.length} times: ${
          list.map((e) => `${e.runId}@${e.instance} (${e.trigger})`).join(", ")
        }`,
      );
    }
  }

  // The ledger: single entries by (job, slot) and by run id.
  const singles = new Map<string, HistoryEntry[]>();
  const byRun = new Map<string, HistoryEntry>();
  for (const e of input.history) {
    if (e.count !== undefined) continue;
    const key = `${e.job} ${e.slot}`;
    singles.set(key, [...singles.get(key) ?? [], e]);
    if (e.runId !== undefined) {
      if (byRun.has(e.runId)) v.push(`ledger: run ${e.runId} recorded twice`);
      byRun.set(e.runId, e);
    }
  }

  /** Another run of the same slot, as a recovery (of `runId`'s run). */
  const recoveryOf = (job: string, slot: string, runId: string) =>
    (singles.get(`${job} ${slot}`) ?? []).find((e) =>
      e.trigger === "recovery" && e.runId !== runId
    ) ?? [
      ...listed.get(job)?.running ?? [],
      ...listed.get(job)?.queued ?? [],
    ].find((r) =>
      r.slot === slot && r.trigger === "recovery" &&
      (!("runId" in r) || r.runId !== runId)
    );

  // G3: every slot of every job up to its cursor has exactly one outcome or
  // is the pending/running one, and the counters agree with the ledger.
  for (const job of input.jobs) {
    checkSlots(job, listed.get(job.id), input, result);
  }

  // Every execution is explained by an outcome.
  for (const [key, list] of starts) {
    for (const s of list) {
      const job = jobs.get(s.job);
      const what = `${key} run ${s.runId}@${s.instance} (${s.trigger})`;
      const own = byRun.get(s.runId);
      if (own) {
        if (own.job !== s.job || own.slot !== s.slot) {
          v.push(`${what}: ledger puts this run at ${own.job} ${own.slot}`);
        }
        if (own.instance !== undefined && own.instance !== s.instance) {
          v.push(`${what}: ledger says instance ${own.instance}`);
        }
        switch (own.outcome) {
          case "succeeded": {
            const last = own.attempt ??
              effects.attempts.get(s.runId)?.length ?? 1;
            if (job?.sleeper && !effects.ends.get(s.runId)?.has(last)) {
              v.push(
                `${what}: recorded succeeded but attempt ${last} never appended "end"`,
              );
            }
            break;
          }
          case "abandoned":
            result.abandoned += 1;
            break;
          case "cancelled":
            result.cancelled += 1;
            if (!input.termed.has(s.instance)) {
              v.push(`${what}: cancelled, but its instance got no SIGTERM`);
            }
            break;
          default:
            v.push(`${what}: unexpected outcome ${own.outcome}`);
        }
        continue;
      }
      const recovery = recoveryOf(s.job, s.slot, s.runId);
      if (job?.recover === "rerun" && recovery && s.trigger !== "recovery") {
        result.reruns += 1;
        if (!died(s.instance)) {
          v.push(`${what}: re-run although its instance was never killed`);
        }
        if (late(s.instance, s.slot)) {
          v.push(
            `${what}: re-run although its slot came after its instance was resumed`,
          );
        }
        continue;
      }
      const running = listed.get(s.job)?.running.find((r) =>
        r.runId === s.runId
      );
      // The kill of the process that ran it (the id may have been reused).
      const killedAt = kills(s.instance).find((k) =>
        k >= s.at - KILL_SLACK_MS
      ) ?? kills(s.instance).at(-1);
      if (running && killedAt !== undefined) {
        if (input.endedAt - killedAt > leaseMs + 5_000) {
          result.unaccounted += 1;
          v.push(
            `${what}: its instance was killed ${
              Math.round((input.endedAt - killedAt) / 1000)
            } s before the end and the run was never recovered`,
          );
        } else result.unsettled += 1;
        continue;
      }
      result.unaccounted += 1;
      v.push(
        `${what}: executed, but no outcome explains it (${
          (singles.get(key) ?? []).map((e) => `${e.outcome}/${e.runId}`).join(
            ", ",
          ) || "no ledger entry"
        })`,
      );
    }
  }

  // Outcomes that imply an execution, or a death.
  for (const e of input.history) {
    if (e.count !== undefined || e.runId === undefined) continue;
    const what = `ledger ${e.job} ${e.slot} ${e.outcome} run ${e.runId}@${
      e.instance ?? "?"
    }`;
    const started = effects.attempts.get(e.runId)?.length ?? 0;
    if (e.outcome === "succeeded" && started === 0) {
      v.push(`${what}: recorded succeeded but never executed`);
    }
    if (e.outcome === "succeeded" && started > 0 && e.attempt !== started) {
      v.push(
        `${what}: recorded succeeded at attempt ${e.attempt}, but it started ${started} time(s)`,
      );
    }
    if (e.outcome === "abandoned" && !died(e.instance ?? "")) {
      v.push(`${what}: abandoned, but its instance was never killed or frozen`);
    }
    if (e.outcome === "abandoned" && late(e.instance ?? "", e.slot)) {
      v.push(
        `${what}: abandoned, but its slot came after its instance was resumed`,
      );
    }
  }

  // Self-fencing: a process frozen past the lease whose run was given away
  // meanwhile (abandoned, or its slot re-run as a recovery) must not start
  // an attempt of it once resumed (SIGCONT). Start lines carry the true
  // time, so this holds with moved wall clocks too.
  const givenAway = (s: Effect) => {
    const own = byRun.get(s.runId);
    if (own) return own.outcome === "abandoned";
    const first = effects.attempts.get(s.runId)?.[0];
    return first?.trigger !== "recovery" &&
      recoveryOf(s.job, s.slot, s.runId) !== undefined;
  };
  for (const s of effects.starts) {
    const resumedAt = aliveSince(s.instance);
    if (resumedAt === undefined || s.at < resumedAt || !givenAway(s)) continue;
    v.push(
      `attempt ${s.attempt} of ${s.runId} (${s.job} ${s.slot}) started after SIGCONT although the run was given away while ${s.instance} was stopped (${
        s.at - resumedAt
      } ms after it)`,
    );
  }
  return result;
}

function checkSlots(
  job: CheckJob,
  listedJob: ListedJob | undefined,
  input: CheckInput,
  result: CheckResult,
) {
  const v = result.violations;
  if (!listedJob) {
    v.push(`G3: job ${job.id} missing from list --json`);
    return;
  }
  const createdAt = Date.parse(listedJob.createdAt);
  const cursor = Date.parse(listedJob.cursor);
  const grid = gridOf(job.schedule, createdAt);
  const outcomes = new Map<number, string[]>();
  const counts: Record<string, number> = {};
  const bad: string[] = [];
  for (const e of input.history) {
    if (e.job !== job.id) continue;
    const first = Date.parse(e.slot);
    let slots = [first];
    if (e.count !== undefined) {
      slots = slotsIn(grid, first, Date.parse(e.until ?? e.slot));
      if (slots.length !== e.count || slots[0] !== first) {
        bad.push(
          `range ${e.slot}..${e.until} count ${e.count} spans ${slots.length} slots`,
        );
      }
    }
    counts[e.outcome] = (counts[e.outcome] ?? 0) + (e.count ?? 1);
    for (const slot of slots) {
      if (!onGrid(grid, slot) || slot > cursor) {
        bad.push(
          `${e.outcome} at ${
            new Date(slot).toISOString()
          } is not a slot up to the cursor`,
        );
      }
      outcomes.set(slot, [...outcomes.get(slot) ?? [], e.outcome]);
    }
  }
  const pending = new Map<number, number>();
  for (const p of [...listedJob.running, ...listedJob.queued]) {
    const slot = Date.parse(p.slot);
    pending.set(slot, (pending.get(slot) ?? 0) + 1);
  }
  const dropped: string[] = [];
  const doubled: string[] = [];
  const grid_ = slotsIn(grid, grid.first, cursor);
  result.slots += grid_.length;
  for (const slot of grid_) {
    const n = (outcomes.get(slot)?.length ?? 0) + (pending.get(slot) ?? 0);
    const at = new Date(slot).toISOString();
    if (n === 0) dropped.push(at);
    if (n > 1) {
      doubled.push(
        `${at} (${(outcomes.get(slot) ?? []).join("+")}${
          pending.has(slot) ? "+pending" : ""
        })`,
      );
    }
  }
  result.dropped += dropped.length;
  if (dropped.length > 0) {
    v.push(
      `G3: ${job.id}: ${dropped.length} slot(s) with no outcome: ${
        dropped.slice(0, EXAMPLES).join(", ")
      }`,
    );
  }
  if (doubled.length > 0) {
    result.doubled += doubled.length;
    v.push(
      `G3: ${job.id}: ${doubled.length} slot(s) with several outcomes: ${
        doubled.slice(0, EXAMPLES).join(", ")
      }`,
    );
  }
  if (bad.length > 0) {
    v.push(
      `G3: ${job.id}: ${bad.length} bad ledger entr(ies): ${
        bad.slice(0, EXAMPLES).join("; ")
      }`,
    );
  }
  for (const [outcome, n] of Object.entries(listedJob.counters)) {
    if ((counts[outcome] ?? 0) !== n) {
      v.push(
        `G3: ${job.id}: counter ${outcome} is ${n}, the ledger has ${
          counts[outcome] ?? 0
        }`,
      );
    }
  }
  for (const outcome of Object.keys(counts)) {
    if (!(outcome in listedJob.counters)) {
      v.push(`G3: ${job.id}: no counter for outcome ${outcome}`);
    }
  }
  if (cursor < input.endedAt - 10_000) {
    v.push(
      `${job.id}: stalled, its cursor is ${
        Math.round((input.endedAt - cursor) / 1000)
      } s behind the end`,
    );
  }
}
