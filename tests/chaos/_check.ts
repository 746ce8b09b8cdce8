// The chaos harness's verdict: what the side-effect file, `history --json`
// and `list --json` must agree on after a run (SPEC §4 G1, G3, and what a
// killed or frozen instance must leave behind). Pure, so that
// check_test.ts can feed it broken worlds and see each one caught.
import type { HistoryEntry } from "../cli/e2e/_cli.ts";
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
  /** Lines of the side-effect file. */
  readonly effects: readonly string[];
  readonly history: readonly HistoryEntry[];
  readonly listed: readonly ListedJob[];
  /** SIGKILLed instances, with the wall-clock time of the kill. */
  readonly killed: ReadonlyMap<string, number>;
  /** Instances that were SIGSTOPped (frozen past the lease). */
  readonly stopped: ReadonlySet<string>;
  /**
   * Frozen instances that were never killed, with the wall-clock time of
   * their last SIGCONT: alive from then on, so no run of theirs whose slot
   * came after it may be recovered as if they had died.
   */
  readonly resumed?: ReadonlyMap<string, number>;
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
  /** `start` lines: executions that began. */
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

interface Effect {
  readonly kind: "start" | "end";
  readonly job: string;
  readonly slot: string;
  readonly instance: string;
  readonly runId: string;
  readonly trigger: string;
}

const EFFECT = /^(start|end) (\S+) (\S+) (\S+) (\S+) (\S+)$/;
/** At most this many examples per finding, so a report stays readable. */
const EXAMPLES = 5;

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
  const died = (instance: string) =>
    input.killed.has(instance) || input.stopped.has(instance);
  /** A run claimed after its frozen instance was resumed for good. */
  const late = (instance: string, slot: string) => {
    const at = input.resumed?.get(instance);
    return at !== undefined && !input.killed.has(instance) &&
      Date.parse(slot) >= at;
  };

  // The side-effect file.
  const starts = new Map<string, Effect[]>();
  const startByRun = new Map<string, Effect>();
  const ends = new Set<string>();
  const endEffects: Effect[] = [];
  for (const line of input.effects) {
    const m = EFFECT.exec(line);
    if (!m) {
      v.push(`side-effect file: unreadable line ${JSON.stringify(line)}`);
      continue;
    }
    const [, kind, job, slot, instance, runId, trigger] = m;
    const e = { kind, job, slot, instance, runId, trigger } as Effect;
    if (!jobs.has(e.job)) v.push(`side-effect file: unknown job in "${line}"`);
    if (e.kind === "end") {
      ends.add(e.runId);
      endEffects.push(e);
      continue;
    }
    result.runs += 1;
    if (startByRun.has(e.runId)) {
      v.push(`run ${e.runId} started twice ("${line}")`);
    }
    startByRun.set(e.runId, e);
    const key = `${e.job} ${e.slot}`;
    starts.set(key, [...starts.get(key) ?? [], e]);
  }
  for (const e of endEffects) {
    if (!startByRun.has(e.runId)) {
      v.push(`run ${e.runId} (${e.job} ${e.slot}) ended but never started`);
    }
  }

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
          case "succeeded":
            if (job?.sleeper && !ends.has(s.runId)) {
              v.push(`${what}: recorded succeeded but never appended "end"`);
            }
            break;
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
      const recovery = (singles.get(key) ?? []).find((e) =>
        e.trigger === "recovery"
      ) ?? listed.get(s.job)?.queued.find((q) =>
        q.slot === s.slot && q.trigger === "recovery"
      );
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
      const killedAt = input.killed.get(s.instance);
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
    if (e.outcome === "succeeded" && !startByRun.has(e.runId)) {
      v.push(`${what}: recorded succeeded but never executed`);
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
