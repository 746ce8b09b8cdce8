/**
 * `tock list` and `tock show ID`: the jobs, and one job in full.
 *
 * @module
 */

import { describeSchedule } from "../../schedule/describe_schedule.ts";
import type { JobRecord } from "../../types.ts";
import { OUTCOMES } from "../../types.ts";
import { validateJobId } from "../../jobs/define_job.ts";
import { permissionFlags } from "../../jobs/permission_flags.ts";
import { reachesPastDenial } from "../../jobs/permissions.ts";
import { booleanFlag, positionals } from "../_args.ts";
import { type Command, GLOBAL_HELP, JSON_FLAG } from "../_command.ts";
import { validating } from "../_errors.ts";
import {
  clip,
  duration,
  json,
  lastJson,
  relative,
  shortRunId,
  table,
  targetText,
  time,
  when,
} from "../_output.ts";
import { openStore, storeRef } from "../_store.ts";
import { jobsView, jobView } from "../views.ts";
import { JobNotFoundError } from "../../errors.ts";

/** `--show-env` of `list` and `show`. */
const SHOW_ENV_FLAG = { "show-env": { type: "boolean" } } as const;

/** `tock list [--json] [--show-env]`. */
export const listCommand: Command = {
  name: "list",
  summary: "list the jobs",
  usage: `Usage: tock list [--json] [--show-env]

Lists every job: schedule, zone, next slot, last outcome, state and target.
Reads the store only (it works on a store directory it may not write).

  --json      print an array of jobs (id, schedule, enabled, nextSlot, tz,
              target, pauseNote, last, counters, …); a command's
              environment is target.env, an array of its names
  --show-env  with --json, print target.env with its values, as an object
              { "NAME": "value" } (values often hold secrets)
${GLOBAL_HELP}

Example:
  tock list --json`,
  flags: { ...JSON_FLAG, ...SHOW_ENV_FLAG },
  async run(parsed, ctx) {
    positionals("list", parsed, []);
    await using store = await openStore(storeRef(parsed, ctx), {
      create: false,
      readOnly: true,
    });
    if (booleanFlag(parsed, "json")) {
      const showEnv = booleanFlag(parsed, "show-env");
      ctx.out(json(await jobsView(store, { showEnv })));
      return;
    }
    const jobs = (await store.jobs()).sort((a, b) =>
      a.spec.id < b.spec.id ? -1 : a.spec.id > b.spec.id ? 1 : 0
    );
    if (jobs.length === 0) {
      ctx.out("No jobs (add one with 'tock add' or 'tock start --jobs FILE')");
      return;
    }
    const now = ctx.now();
    ctx.out(table(
      ["ID", "SCHEDULE", "TZ", "NEXT", "LAST", "STATE", "TARGET"],
      jobs.map((job) => [
        job.spec.id,
        job.spec.schedule,
        job.spec.tz,
        job.state.nextSlot === undefined
          ? "-"
          : `${time(job.state.nextSlot)} (${
            relative(job.state.nextSlot, now)
          })`,
        lastText(job, now),
        stateText(job),
        clip(targetText(job.spec.target), 40),
      ]),
    ));
  },
};

/** The last outcome and when: `succeeded 3m ago` (with the slot if `full`). */
function lastText(job: JobRecord, now: number, full = false): string {
  const last = lastJson(job);
  if (!last) return "-";
  const at = last.at === null ? undefined : Date.parse(last.at);
  if (!full) return `${last.outcome} ${relative(at, now)}`;
  const slot = last.slot === null ? undefined : Date.parse(last.slot);
  return `${last.outcome}, slot ${time(slot)} (${relative(at, now)})`;
}

/** `paused`, `running`, `done`, or `enabled`. */
function stateText(job: JobRecord): string {
  if (job.state.paused) return "paused";
  if (job.state.runs.length > 0) return "running";
  if (job.state.nextSlot === undefined && job.state.backlog.length === 0) {
    return "done";
  }
  return "enabled";
}

/** `tock show ID [--json] [--show-env]`. */
export const showCommand: Command = {
  name: "show",
  summary: "show one job: definition and state",
  usage: `Usage: tock show ID [--json] [--show-env]

Shows a job's definition, state, counters and active runs. Environment
values are not printed, only their names, unless --show-env is given.
Reads the store only (it works on a store directory it may not write).

  --json      print the job as one JSON object (target.env: an array of
              the environment's names; target.permissions: a module's
              permissions, as a jobs file writes them)
  --show-env  print the environment's values too (with --json, target.env
              is an object { "NAME": "value" }); they often hold secrets
${GLOBAL_HELP}

Example:
  tock show backup`,
  flags: { ...JSON_FLAG, ...SHOW_ENV_FLAG },
  async run(parsed, ctx) {
    const [rawId] = positionals("show", parsed, ["ID"]);
    const id = validating(() => validateJobId(rawId));
    await using store = await openStore(storeRef(parsed, ctx), {
      create: false,
      readOnly: true,
    });
    const showEnv = booleanFlag(parsed, "show-env");
    if (booleanFlag(parsed, "json")) {
      ctx.out(json(await jobView(store, id, { showEnv })));
      return;
    }
    const job = await store.job(id);
    if (!job) throw new JobNotFoundError(id);
    ctx.out(showText(job, ctx.now(), { showEnv }));
  },
};

/**
 * A job for people, one `name: value` per line; the environment's values
 * only with `showEnv` (one `env` line per variable).
 */
export function showText(
  job: JobRecord,
  now: number,
  options: { readonly showEnv?: boolean } = {},
): string {
  const { spec, state } = job;
  const t = spec.target;
  const rows: [string, string][] = [
    ["id", spec.id],
    [
      "schedule",
      `${spec.schedule} (${spec.tz}${
        spec.domAndDow ? ", day of month AND day of week" : ""
      })`,
    ],
    [
      "in words",
      describeSchedule(spec.schedule, {
        tz: spec.tz,
        ...(spec.domAndDow ? { domAndDow: true } : {}),
      }),
    ],
    ["target", targetText(t)],
  ];
  if (t.kind === "command" && t.cwd) rows.push(["cwd", t.cwd]);
  if (t.kind === "command" && t.env) {
    if (options.showEnv) {
      for (const [name, value] of Object.entries(t.env)) {
        rows.push(["env", `${name}=${JSON.stringify(value)}`]);
      }
    } else {
      rows.push(["env", Object.keys(t.env).join(", ") + " (values hidden)"]);
    }
  }
  if (t.kind !== "function" && t.inheritEnv) {
    rows.push(["inherit env", "yes (the scheduler's whole environment)"]);
  }
  if (t.kind === "module") {
    const flags = permissionFlags(t.permissions, { allowAll: true });
    rows.push([
      "permissions",
      `${
        flags.join(" ") || "none but the default"
      } (it reads its own directory; ${
        reachesPastDenial(t.permissions)
          ? "the store is denied to its file access, but run, ffi or unscoped read and write reach past that"
          : "the store is always denied"
      })`,
    ]);
  }
  rows.push(
    [
      "state",
      state.paused
        ? `paused${state.pauseNote ? ` (${state.pauseNote})` : ""}`
        : "enabled",
    ],
    ["next slot", when(state.nextSlot, now)],
    [
      "last",
      lastText(job, now, true),
    ],
  );
  for (const run of state.runs) {
    rows.push([
      "running",
      `${shortRunId(run.runId)} slot ${
        time(run.slot)
      } (${run.trigger}) on ${run.instance} since ${
        relative(run.claimedAt, now)
      }${run.cancelRequested ? ", cancelling" : ""}`,
    ]);
  }
  if (state.backlog.length > 0) {
    const first = state.backlog[0]!;
    rows.push([
      "queued",
      `${state.backlog.length} slot(s), first ${time(first.slot)} (${
        first.note ?? first.trigger
      })`,
    ]);
  }
  rows.push(
    ["overlap", spec.overlap],
    [
      "catchup",
      `${spec.catchup} (window ${
        duration(spec.catchupWindowMs)
      }, max ${spec.catchupMax})`,
    ],
    [
      "timeout",
      spec.timeoutMs === undefined ? "none" : duration(spec.timeoutMs),
    ],
    [
      "retries",
      spec.backoffSchedule && spec.backoffSchedule.length > 0
        ? `${spec.retries} (backoff ${
          spec.backoffSchedule.map(duration).join(", ")
        }, the last repeating)`
        : `${spec.retries} (backoff ${duration(spec.backoffMs)}, max ${
          duration(spec.backoffMaxMs)
        })`,
    ],
    ["recover", spec.recover],
    ["jitter", spec.jitterMs > 0 ? duration(spec.jitterMs) : "none"],
  );
  if (spec.startAt !== undefined) rows.push(["start at", time(spec.startAt)]);
  if (spec.endAt !== undefined) rows.push(["end at", time(spec.endAt)]);
  if (spec.maxRuns !== undefined) {
    rows.push(["max runs", `${state.runCount} of ${spec.maxRuns} made`]);
  }
  rows.push(
    [
      "counters",
      OUTCOMES.map((o) => `${o} ${state.counters[o]}`).join(", "),
    ],
    ["created", time(state.createdAt)],
    ["updated", time(state.updatedAt)],
    ["source", spec.source ?? "api (tock add or the library)"],
  );
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  return rows.map(([k, v]) => `${(k + ":").padEnd(width)}  ${v}`).join("\n");
}
