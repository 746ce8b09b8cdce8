/**
 * `tock next SPEC|ID`: the next slots of a schedule or a job, with the
 * slots a DST change moved or doubled marked.
 *
 * @module
 */

import type { JobRecord } from "../../types.ts";
import { validateJobId } from "../../jobs/define_job.ts";
import { scheduleOf } from "../../jobs/job_state.ts";
import { nextSlot } from "../../schedule/next_slot.ts";
import { parseSchedule } from "../../schedule/parse_schedule.ts";
import type { Schedule } from "../../schedule/schedule.ts";
import {
  booleanFlag,
  instantValue,
  integerValue,
  positionals,
  stringFlag,
  zoneValue,
} from "../_args.ts";
import { type Command, GLOBAL_HELP, JSON_FLAG } from "../_command.ts";
import { UsageError } from "../_errors.ts";
import { json, table, time } from "../_output.ts";
import { jobSlots, nextSlotsJson } from "../views.ts";
import { openStore, storeRef } from "../_store.ts";

/**
 * `tock next SPEC|ID [--count N] [--from T] [--tz TZ] [--json]
 * [--dom-and-dow]`.
 */
export const nextCommand: Command = {
  name: "next",
  summary: "the next slots of a schedule or job, with DST notes",
  usage: `Usage: tock next SPEC|ID [--count N] [--from T] [--tz TZ] [--json]
                         [--dom-and-dow]

Prints the next slots of a job (its schedule, zone and bounds) or of a
schedule, and marks the slots a DST change moved (a wall time in a gap) or
doubled (a wall time that occurs twice).

  --count N  how many slots (default 5, at most 1000)
  --from T   list the slots at or after T instead of after now (ISO 8601,
             "2027-03-28 00:00" read in the zone, or "in 90d"); for a job,
             its next slot when T is earlier
  --tz TZ    the zone a SPEC (and T) is read in (default UTC); for a job,
             only the zone wall times are shown in
  --dom-and-dow
             a cron SPEC's day of month and day of week must both match (as
             "+" before the day of week); a job keeps its own setting
  --json     print an array of { slot, local, dst? }
${GLOBAL_HELP}

Examples:
  tock next "30 2 * * *" --tz America/New_York --count 3
  tock next "*/30 * * * *" --tz Europe/Berlin --from 2027-03-28T00:00:00Z
  tock next backup`,
  flags: {
    count: { type: "string" },
    from: { type: "string" },
    tz: { type: "string" },
    "dom-and-dow": { type: "boolean" },
    ...JSON_FLAG,
  },
  async run(parsed, ctx) {
    const [arg] = positionals("next", parsed, ["SPEC|ID"]) as [string];
    const countText = stringFlag(parsed, "count");
    const count = countText === undefined
      ? 5
      : integerValue("--count", countText, 1, 1000);
    const tzText = stringFlag(parsed, "tz");
    const tz = tzText === undefined ? undefined : zoneValue("--tz", tzText);
    const now = ctx.now();
    const fromText = stringFlag(parsed, "from");
    const job = await findJob(arg, parsed, ctx);
    const from = fromText === undefined ? undefined : instantValue(
      "--from",
      fromText,
      tz ?? job?.spec.tz ?? "UTC",
      now,
    );
    let schedule: Schedule;
    let slots: number[];
    let title: string;
    if (job) {
      schedule = scheduleOf(job.spec, job.state.createdAt);
      slots = jobSlots(job, count, from);
      title = `job '${job.spec.id}' (${job.spec.schedule}, ${job.spec.tz})`;
    } else {
      schedule = parseSpec(
        arg,
        tz ?? "UTC",
        now,
        booleanFlag(parsed, "dom-and-dow"),
      );
      slots = [];
      let after = from === undefined ? now : from - 1;
      while (slots.length < count) {
        const slot = nextSlot(schedule, after);
        if (slot === undefined) break;
        slots.push(slot);
        after = slot;
      }
      title = `"${schedule.text}" (${schedule.tz})`;
    }
    const zone = tz ?? schedule.tz;
    const out = nextSlotsJson(schedule, slots, zone);
    if (booleanFlag(parsed, "json")) {
      ctx.out(json(out));
      return;
    }
    if (out.length === 0) {
      ctx.out(`No upcoming slots of ${title}`);
      return;
    }
    ctx.out(
      `Next ${out.length} slot${out.length === 1 ? "" : "s"} of ${title}:`,
    );
    ctx.out(table(
      ["SLOT (UTC)", `LOCAL (${zone})`, "DST"],
      out.map((s) => [
        time(Date.parse(s.slot)),
        s.local,
        s.dst?.message ?? "",
      ]),
    ));
  },
};

/** The job the argument names, if it is an id and the job exists. */
async function findJob(
  arg: string,
  parsed: Parameters<Command["run"]>[0],
  ctx: Parameters<Command["run"]>[1],
): Promise<JobRecord | undefined> {
  try {
    validateJobId(arg);
  } catch {
    return undefined;
  }
  await using store = await openStore(storeRef(parsed, ctx), {
    create: false,
    readOnly: true,
  });
  return await store.job(arg);
}

function parseSpec(
  arg: string,
  tz: string,
  now: number,
  domAndDow: boolean,
): Schedule {
  try {
    return parseSchedule(arg, { tz, now, domAndDow });
  } catch (error) {
    const message = (error as Error).message;
    let isId = true;
    try {
      validateJobId(arg);
    } catch {
      isId = false;
    }
    throw new UsageError(
      isId
        ? `Cannot find job '${arg}', and it is not a schedule: ${message}`
        : message,
      { cause: error },
    );
  }
}
