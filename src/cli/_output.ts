/**
 * Output of the read commands: aligned tables, readable times, and the JSON
 * shapes of jobs, ledger entries and run logs (times as ISO 8601 strings).
 *
 * @module
 */

import type { ActiveRun, JobRecord, LedgerEntry, Target } from "../types.ts";
import type { RunLog } from "../store/store.ts";
import { describeSchedule } from "../schedule/describe_schedule.ts";

/** An ISO 8601 instant, or `null`. */
export function iso(ms: number | undefined): string | null {
  return ms === undefined || !Number.isFinite(ms)
    ? null
    : new Date(ms).toISOString();
}

/** Prints a value as indented JSON. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/**
 * Formats rows as columns separated by two spaces; the last column is not
 * padded, so lines carry no trailing spaces.
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) =>
    Math.max(...all.map((row) => [...(row[i] ?? "")].length))
  );
  return all.map((row) =>
    row.map((cell, i) =>
      i === row.length - 1 ? cell : cell.padEnd(
        widths[i]! + (cell.length -
          [...cell].length),
      )
    ).join("  ").trimEnd()
  ).join("\n");
}

/** An instant for people: `2026-05-01 10:00:00Z` (milliseconds when set). */
export function time(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  const text = new Date(ms).toISOString().replace("T", " ");
  return text.endsWith(".000Z") ? text.slice(0, -5) + "Z" : text;
}

/** A duration for people: `850ms`, `1.2s`, `4m 12s`, `3h 5m`, `2d 4h`. */
export function duration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)}ms`;
  if (abs < 60_000) {
    const tenths = Math.round(abs / 100);
    return tenths % 10 === 0 || abs >= 10_000
      ? `${Math.round(abs / 1000)}s`
      : `${(tenths / 10).toFixed(1)}s`;
  }
  const units: [string, number][] = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ];
  const parts: string[] = [];
  let rest = abs;
  for (const [unit, size] of units) {
    if (parts.length === 2) break;
    const n = Math.floor(rest / size);
    if (n > 0 || parts.length > 0) {
      if (n > 0) parts.push(`${n}${unit}`);
      rest -= n * size;
    }
  }
  return parts.join(" ");
}

/** An instant relative to now: `in 4m 12s`, `3h 5m ago`, `now`. */
export function relative(ms: number | undefined, now: number): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  const delta = ms - now;
  if (Math.abs(delta) < 1000) return "now";
  return delta > 0 ? `in ${duration(delta)}` : `${duration(delta)} ago`;
}

/** An instant with its distance from now: `2026-05-01 10:00:00Z (in 4m)`. */
export function when(ms: number | undefined, now: number): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  return `${time(ms)} (${relative(ms, now)})`;
}

/** Hex digits of a run id's UUID that human output shows. */
const SHORT_RUN_ID = 8;

/**
 * A run id for people, shortened as git shortens hashes: `run-` and the
 * first 8 hex digits of its UUID (`run-3f2a9c1b`). `--json` keeps the
 * whole id, and `--run` takes any unique prefix of it.
 *
 * @param runId The run id.
 * @returns The short form (an id not minted by tock, unchanged).
 */
export function shortRunId(runId: string): string {
  const m =
    /^(run-)([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
      .exec(runId);
  return m ? `${m[1]}${m[2]!.slice(0, SHORT_RUN_ID)}` : runId;
}

/** Cuts text to `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length <= max ? flat : flat.slice(0, max - 1) + "…";
}

/** A target for people: `cmd: ./backup.sh`, `module: /srv/job.ts`. */
export function targetText(target: Target): string {
  switch (target.kind) {
    case "command":
      return `cmd: ${target.cmd}`;
    case "module":
      return `module: ${target.module}`;
    case "function":
      return `function: ${target.name}`;
  }
}

/**
 * The wall time of an instant in a zone, with its offset:
 * `2026-03-08 03:00:00 -04:00`.
 */
export function localTime(ms: number, tz: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      timeZoneName: "longOffset",
    }).formatToParts(ms).map((p) => [p.type, p.value]),
  );
  const offset = (parts.timeZoneName ?? "GMT").replace(/^GMT/, "") ||
    "+00:00";
  const millis = ((ms % 1000) + 1000) % 1000;
  const fraction = millis === 0 ? "" : `.${String(millis).padStart(3, "0")}`;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}${fraction} ${offset}`;
}

/** A claimed or running run as JSON (times ISO). */
export function runJson(run: ActiveRun): Record<string, unknown> {
  return {
    runId: run.runId,
    slot: iso(run.slot),
    trigger: run.trigger,
    instance: run.instance,
    claimedAt: iso(run.claimedAt),
    ...(run.cancelRequested ? { cancelRequested: true } : {}),
  };
}

/** Options for {@linkcode jobJson}. */
export interface JobJsonOptions {
  /**
   * Print the target's environment as `{ "NAME": "value" }` (as a jobs
   * file writes it); by default only its names, `["NAME"]`.
   */
  readonly showEnv?: boolean;
}

/**
 * A target as JSON: its `env` (if any) as an array of names, or with
 * `showEnv` as the object of names and values.
 */
export function targetJson(
  target: Target,
  options: JobJsonOptions = {},
): Record<string, unknown> {
  const env = (target as { env?: Readonly<Record<string, string>> }).env;
  if (env === undefined || options.showEnv) return { ...target };
  return { ...target, env: Object.keys(env) };
}

/**
 * A job as `list --json` and `show --json` print it. Environment values
 * are left out (names only) unless `showEnv`: they often hold secrets.
 */
export function jobJson(
  record: JobRecord,
  options: JobJsonOptions = {},
): Record<string, unknown> {
  const { spec, state } = record;
  return {
    id: spec.id,
    schedule: spec.schedule,
    description: describeSchedule(spec.schedule, {
      tz: spec.tz,
      ...(spec.domAndDow ? { domAndDow: true } : {}),
    }),
    tz: spec.tz,
    ...(spec.domAndDow ? { domAndDow: true } : {}),
    enabled: !state.paused,
    paused: state.paused,
    pauseNote: state.pauseNote ?? null,
    nextSlot: iso(state.nextSlot),
    nextDueAt: iso(state.nextDueAt),
    target: targetJson(spec.target, options),
    overlap: spec.overlap,
    catchup: spec.catchup,
    catchupWindowMs: spec.catchupWindowMs,
    catchupMax: spec.catchupMax,
    timeoutMs: spec.timeoutMs ?? null,
    retries: spec.retries,
    backoffMs: spec.backoffMs,
    backoffMaxMs: spec.backoffMaxMs,
    ...(spec.backoffSchedule ? { backoffSchedule: spec.backoffSchedule } : {}),
    recover: spec.recover,
    jitterMs: spec.jitterMs,
    maxRuns: spec.maxRuns ?? null,
    startAt: iso(spec.startAt),
    endAt: iso(spec.endAt),
    source: spec.source ?? null,
    createdAt: iso(state.createdAt),
    updatedAt: iso(state.updatedAt),
    cursor: iso(state.cursor),
    runCount: state.runCount,
    running: state.runs.map(runJson),
    queued: state.backlog.map((pending) => ({
      slot: iso(pending.slot),
      trigger: pending.trigger,
      ...(pending.runId !== undefined ? { runId: pending.runId } : {}),
      ...(pending.force ? { force: true } : {}),
      ...(pending.note !== undefined ? { note: pending.note } : {}),
    })),
    last: lastJson(record),
    lastOutcome: lastJson(record)?.outcome ?? null,
    counters: { ...state.counters },
  };
}

/**
 * The last recorded slot of a job: `{ slot, outcome, at }` or `null`. A
 * still-growing range of skipped/missed slots counts (as the store records
 * it when the range closes: `at` is its last slot).
 */
export function lastJson(
  record: JobRecord,
): { slot: string | null; outcome: string; at: string | null } | null {
  const { last, openRange } = record.state;
  if (openRange && (!last || openRange.last >= last.slot)) {
    return {
      slot: iso(openRange.last),
      outcome: openRange.outcome,
      at: iso(openRange.last),
    };
  }
  return last
    ? { slot: iso(last.slot), outcome: last.outcome, at: iso(last.at) }
    : null;
}

/**
 * A ledger entry as `history --json` prints it. Range entries (skipped or
 * missed scheduled slots) carry no trigger in the store; every slot in them
 * came from the schedule, so they print `trigger: "schedule"`.
 */
export function ledgerJson(entry: LedgerEntry): Record<string, unknown> {
  return {
    job: entry.job,
    slot: iso(entry.slot),
    outcome: entry.outcome,
    trigger: entry.trigger ?? "schedule",
    ...(entry.runId !== undefined ? { runId: entry.runId } : {}),
    ...(entry.instance !== undefined ? { instance: entry.instance } : {}),
    ...(entry.attempt !== undefined ? { attempt: entry.attempt } : {}),
    // A run cancelled before it started (claimed ahead of a stop) has
    // `startedAt: null`: every run entry carries the key.
    ...(entry.startedAt !== undefined
      ? { startedAt: iso(entry.startedAt) }
      : entry.runId !== undefined
      ? { startedAt: null }
      : {}),
    ...(entry.finishedAt !== undefined
      ? { finishedAt: iso(entry.finishedAt) }
      : {}),
    ...(entry.startedAt !== undefined && entry.finishedAt !== undefined
      ? { durationMs: entry.finishedAt - entry.startedAt }
      : {}),
    ...(entry.error !== undefined ? { error: entry.error } : {}),
    ...(entry.until !== undefined ? { until: iso(entry.until) } : {}),
    ...(entry.count !== undefined ? { count: entry.count } : {}),
    ...(entry.note !== undefined ? { note: entry.note } : {}),
  };
}

/** A run log as `logs --json` prints it. */
export function logJson(log: RunLog): Record<string, unknown> {
  return {
    ...log,
    slot: iso(log.slot),
    startedAt: iso(log.startedAt),
    finishedAt: iso(log.finishedAt),
    durationMs: log.finishedAt - log.startedAt,
  };
}
