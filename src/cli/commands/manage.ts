/**
 * `tock remove`, `pause`, `resume`, `trigger` and `backfill`: one short
 * change to one job, under the store lock.
 *
 * @module
 */

import type { JobStore } from "../../store/store.ts";
import type { JobRecord } from "../../types.ts";
import { validateJobId } from "../../jobs/define_job.ts";
import {
  backfillJob,
  pauseJob,
  resumeJob,
  triggerJob,
} from "../../turns/job_controls.ts";
import { removeJob } from "../../turns/manage_jobs.ts";
import {
  booleanFlag,
  instantValue,
  type ParsedArgs,
  positionals,
  stringFlag,
} from "../_args.ts";
import {
  type CliContext,
  type Command,
  GLOBAL_HELP,
  JSON_FLAG,
} from "../_command.ts";
import { CliFailure, UsageError, validating } from "../_errors.ts";
import { jobJson, json, shortRunId, time, when } from "../_output.ts";
import { openStore, storeRef } from "../_store.ts";
import { backfillResultJson, triggerResultJson } from "../views.ts";

/** Opens the store and reads the job named by the one positional ID. */
async function withJob<T>(
  command: string,
  parsed: ParsedArgs,
  ctx: CliContext,
  fn: (store: JobStore, record: JobRecord) => Promise<T>,
): Promise<T> {
  const [rawId] = positionals(command, parsed, ["ID"]);
  const id = validating(() => validateJobId(rawId));
  await using store = await openStore(storeRef(parsed, ctx), {
    create: false,
  });
  const record = await store.job(id);
  if (!record) throw new CliFailure(`Cannot find job: '${id}' does not exist`);
  return await fn(store, record);
}

function help(synopsis: string, text: string, example: string, flags = "") {
  return `Usage: tock ${synopsis}\n\n${text}\n\n${flags}  --json  print the result as JSON\n${GLOBAL_HELP}\n\nExample:\n  ${example}`;
}

/** `tock remove ID`. */
export const removeCommand: Command = {
  name: "remove",
  summary: "delete a job and its history",
  usage: help(
    "remove ID",
    "Deletes a job, its history and its logs. Runs in progress finish; their\noutcomes are dropped.",
    "tock remove backup",
  ),
  flags: { ...JSON_FLAG },
  run(parsed, ctx) {
    return withJob("remove", parsed, ctx, async (store, record) => {
      const id = record.spec.id;
      await removeJob(store, id, { now: ctx.now() });
      ctx.out(
        booleanFlag(parsed, "json")
          ? json({ id, removed: true })
          : `Removed job '${id}'`,
      );
    });
  },
};

/** `tock pause ID [--note TEXT]`. */
export const pauseCommand: Command = {
  name: "pause",
  summary: "pause a job (its slots are recorded skipped)",
  usage: help(
    "pause ID [--note TEXT]",
    "Pauses a job: its slots are recorded `skipped` until it is resumed.",
    'tock pause backup --note "disk replacement"',
    "  --note TEXT  why (shown by list and show)\n",
  ),
  flags: { note: { type: "string" }, ...JSON_FLAG },
  run(parsed, ctx) {
    return withJob("pause", parsed, ctx, async (store, record) => {
      const note = stringFlag(parsed, "note");
      const job = await pauseJob(store, record.spec.id, {
        now: ctx.now(),
        ...(note !== undefined ? { note } : {}),
      });
      ctx.out(
        booleanFlag(parsed, "json")
          ? json(jobJson(job))
          : `Paused job '${job.spec.id}'${note ? ` (${note})` : ""}`,
      );
    });
  },
};

/** `tock resume ID`. */
export const resumeCommand: Command = {
  name: "resume",
  summary: "resume a paused job (skipped slots are not replayed)",
  usage: help(
    "resume ID",
    "Resumes a paused job; the slots it skipped are not replayed.",
    "tock resume backup",
  ),
  flags: { ...JSON_FLAG },
  run(parsed, ctx) {
    return withJob("resume", parsed, ctx, async (store, record) => {
      const now = ctx.now();
      const job = await resumeJob(store, record.spec.id, { now });
      if (booleanFlag(parsed, "json")) return ctx.out(json(jobJson(job)));
      const was = record.state.paused ? "Resumed" : "Not paused:";
      ctx.out(
        `${was} job '${job.spec.id}'; next slot ${
          when(job.state.nextSlot, now)
        }`,
      );
    });
  },
};

/** `tock trigger ID [--force]`. */
export const triggerCommand: Command = {
  name: "trigger",
  summary: "run a job now (subject to its overlap policy unless --force)",
  usage: help(
    "trigger ID [--force]",
    "Asks for a run now: a manual slot, run by a running `tock start` (or the\nnext `tock tick`). It follows the job's overlap policy unless --force; a\nsecond trigger while one is pending returns the first.",
    "tock trigger backup",
    "  --force  run even if the job is running\n",
  ),
  flags: { force: { type: "boolean" }, ...JSON_FLAG },
  run(parsed, ctx) {
    return withJob("trigger", parsed, ctx, async (store, record) => {
      const result = await triggerJob(store, record.spec.id, {
        now: ctx.now(),
        force: booleanFlag(parsed, "force"),
      });
      if (booleanFlag(parsed, "json")) {
        return ctx.out(json(triggerResultJson(record.spec.id, result)));
      }
      const id = record.spec.id;
      ctx.out(
        result.status === "queued"
          ? `Triggered job '${id}': run ${
            shortRunId(result.runId!)
          } queued for slot ${time(result.slot.getTime())}`
          : result.status === "duplicate"
          ? `Job '${id}' already has a pending trigger: run ${
            shortRunId(result.runId!)
          }`
          : `Trigger of job '${id}' skipped: the job is running and its overlap policy is ${record.spec.overlap} (use --force)`,
      );
    });
  },
};

/** `tock backfill ID --from T --to T`. */
export const backfillCommand: Command = {
  name: "backfill",
  summary: "run the slots in a past range, oldest first",
  usage: help(
    "backfill ID --from T --to T",
    "Queues the job's slots in [--from, --to] to run again, oldest first, one at\na time (trigger manual, note backfill); a running `tock start` or the next\n`tock tick` runs them. Instants without an offset are read in the job's\nzone. At most 1000 slots are queued per call.",
    "tock backfill report --from 2026-05-01T00:00Z --to 2026-05-03T00:00Z",
    "  --from T  first instant of the range\n  --to T    last instant of the range (in the past)\n",
  ),
  flags: { from: { type: "string" }, to: { type: "string" }, ...JSON_FLAG },
  run(parsed, ctx) {
    positionals("backfill", parsed, ["ID"]);
    const fromText = stringFlag(parsed, "from");
    const toText = stringFlag(parsed, "to");
    if (fromText === undefined) throw new UsageError("Missing --from");
    if (toText === undefined) throw new UsageError("Missing --to");
    return withJob("backfill", parsed, ctx, async (store, record) => {
      const now = ctx.now();
      const tz = record.spec.tz;
      const from = instantValue("--from", fromText, tz, now);
      const to = instantValue("--to", toText, tz, now);
      if (to < from) {
        throw new UsageError(
          `Cannot backfill '${record.spec.id}': --to (${
            time(to)
          }) is before --from (${time(from)})`,
        );
      }
      if (to > now) {
        throw new UsageError(
          `Cannot backfill '${record.spec.id}': --to (${
            time(to)
          }) is in the future`,
        );
      }
      const result = await backfillJob(store, record.spec.id, {
        now,
        from,
        to,
      });
      if (booleanFlag(parsed, "json")) {
        return ctx.out(json(backfillResultJson(record.spec.id, result)));
      }
      const n = result.slots.length;
      const first = result.slots[0];
      const last = result.slots[n - 1];
      ctx.out(
        n === 0
          ? `No slots of job '${record.spec.id}' between ${time(from)} and ${
            time(to)
          }`
          : `Queued ${n} slot${
            n === 1 ? "" : "s"
          } of job '${record.spec.id}' from ${time(first!.getTime())} to ${
            time(last!.getTime())
          }${
            result.more
              ? " (more remain: backfill again from the next one)"
              : ""
          }; a running 'tock start' or the next 'tock tick' runs them`,
      );
    });
  },
};
