/**
 * The writes of the HTTP API: `POST /api/jobs/:id/run|pause|resume|backfill`,
 * through the same job operations (and result shapes) as `tock trigger`,
 * `pause`, `resume` and `backfill`.
 *
 * @module
 */

import type { JobStore } from "../../store/store.ts";
import { JobNotFoundError } from "../../errors.ts";
import {
  backfillJob,
  pauseJob,
  resumeJob,
  triggerJob,
} from "../../turns/job_controls.ts";
import { instantValue } from "../_args.ts";
import { UsageError } from "../_errors.ts";
import { jobJson } from "../_output.ts";
import { backfillResultJson, triggerResultJson } from "../views.ts";

/** The actions of `POST /api/jobs/:id/<action>`. */
export const JOB_ACTIONS: readonly string[] = [
  "run",
  "pause",
  "resume",
  "backfill",
];

/**
 * Runs one action on one job.
 *
 * @param body The request's JSON body (`{ note }` for pause, `{ from, to }`
 * for backfill), or `undefined` when it had none.
 * @returns What the matching command prints with `--json`.
 * @throws {JobNotFoundError} When the job does not exist.
 * @throws {UsageError} For a body the action cannot use.
 */
export async function jobAction(
  store: JobStore,
  id: string,
  action: string,
  body: unknown,
  now: number,
): Promise<unknown> {
  const record = await store.job(id);
  if (!record) throw new JobNotFoundError(id);
  const fields = (body ?? {}) as Record<string, unknown>;
  if (typeof fields !== "object" || Array.isArray(fields)) {
    throw new UsageError("Invalid body: expected a JSON object");
  }
  switch (action) {
    case "run":
      return triggerResultJson(id, await triggerJob(store, id, { now }));
    case "pause": {
      const note = fields.note;
      if (note !== undefined && typeof note !== "string") {
        throw new UsageError("Invalid body: 'note' must be a string");
      }
      return jobJson(
        await pauseJob(store, id, { now, ...(note ? { note } : {}) }),
      );
    }
    case "resume":
      return jobJson(await resumeJob(store, id, { now }));
    case "backfill": {
      const instant = (name: "from" | "to") => {
        const value = fields[name];
        if (typeof value !== "string") {
          throw new UsageError(`Invalid body: '${name}' must be an instant`);
        }
        return instantValue(name, value, record.spec.tz, now);
      };
      const from = instant("from");
      const to = instant("to");
      if (to < from || to > now) {
        throw new UsageError(
          `Cannot backfill '${id}': the range must be in the past, 'to' not before 'from'`,
        );
      }
      return backfillResultJson(
        id,
        await backfillJob(store, id, { now, from, to }),
      );
    }
    default:
      throw new UsageError(`Unknown action: "${action}"`);
  }
}
