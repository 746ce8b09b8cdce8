/**
 * `tock add` and `tock update`: create a job, or change some of its
 * options (its state and history stay).
 *
 * @module
 */

import type { JobRecord } from "../../types.ts";
import { defineJob, validateJobId } from "../../jobs/define_job.ts";
import type { JobInput } from "../../jobs/define_job.ts";
import { addJob, inputOf, updateJob } from "../../turns/manage_jobs.ts";
import { pauseJob } from "../../turns/job_controls.ts";
import { overridePermissions } from "../../jobs/permissions.ts";
import { booleanFlag, positionals } from "../_args.ts";
import type { ParsedArgs } from "../_args.ts";
import {
  type CliContext,
  type Command,
  GLOBAL_HELP,
  JSON_FLAG,
} from "../_command.ts";
import { CliFailure, UsageError, validating } from "../_errors.ts";
import { jobFlags } from "../_job_fields.ts";
import { jobJson, json, targetText, when } from "../_output.ts";
import { openStore, storeRef } from "../_store.ts";
import {
  JOB_FLAGS_HELP,
  type JobPatch,
  jobPatch,
  permissionFlagsGiven,
} from "./_job_input.ts";

/** `tock add ID --schedule SPEC (--cmd CMD | --module PATH) [flags]`. */
export const addCommand: Command = {
  name: "add",
  summary: "create a job",
  usage: `Usage: tock add ID --schedule SPEC (--cmd CMD | --module PATH) [flags]

Creates a job (an error if the id exists). Relative --cwd, --module and
permission paths are resolved against the current directory.

${JOB_FLAGS_HELP}

  --json                   print the job as JSON
${GLOBAL_HELP}

Example:
  tock add backup --schedule "30 2 * * *" --tz Europe/Berlin --cmd ./backup.sh
  tock add report --schedule "0 6 * * *" --module ./report.ts \
    --allow-write=./reports --allow-net=api.example.com:443 --allow-env=API_TOKEN`,
  flags: { ...jobFlags(), ...JSON_FLAG },
  async run(parsed, ctx) {
    const [rawId] = positionals("add", parsed, ["ID"]);
    const id = validating(() => validateJobId(rawId));
    const now = ctx.now();
    const patch = jobPatch(parsed, { now, cwd: ctx.cwd(), tz: "UTC" });
    if (patch.schedule === undefined) {
      throw new UsageError(`Missing --schedule for 'tock add ${id}'`);
    }
    if (patch.cmd === undefined && patch.module === undefined) {
      throw new UsageError(`Missing --cmd or --module for 'tock add ${id}'`);
    }
    checkCommandOnly(patch, patch.module !== undefined);
    checkModuleOnly(parsed, patch.module !== undefined);
    const input = { ...patch, id } as JobInput;
    validating(() => defineJob(input, now));
    await using store = await openStore(storeRef(parsed, ctx), {
      create: true,
    });
    if (await store.job(id)) {
      throw new CliFailure(
        `Cannot add job '${id}': it already exists (change it with 'tock update')`,
      );
    }
    const record = await addJob(store, input, { now });
    print(ctx, parsed, record, "Added");
  },
};

/** `tock update ID [flags as add]`. */
export const updateCommand: Command = {
  name: "update",
  summary: "change a job; its state and history stay",
  usage: `Usage: tock update ID [flags as add]

Changes only the options given; the job's state and history stay. --env
replaces the command's whole environment. --cmd or --module replaces the
target (a new --cmd drops the module's permissions); --paused also pauses
the job. A permission flag replaces what the job had for that kind
(--allow-write=/a then --allow-write=/b leaves /b only; the other kinds
stay); --no-permissions drops them all first, so the job keeps only the
flags given with it.

${JOB_FLAGS_HELP}

  --json                   print the job as JSON
${GLOBAL_HELP}

Example:
  tock update backup --schedule "0 3 * * *" --retries 2`,
  flags: { ...jobFlags(), ...JSON_FLAG },
  async run(parsed, ctx) {
    const [rawId] = positionals("update", parsed, ["ID"]);
    const id = validating(() => validateJobId(rawId));
    const now = ctx.now();
    const given = jobPatch(parsed, { now, cwd: ctx.cwd(), tz: "UTC" });
    if (Object.keys(given).length === 0) {
      throw new UsageError(
        `Nothing to change for 'tock update ${id}' (see 'tock update --help')`,
      );
    }
    await using store = await openStore(storeRef(parsed, ctx), {
      create: false,
    });
    const old = await store.job(id);
    if (!old) throw new CliFailure(`Cannot find job: '${id}' does not exist`);
    // Instants without offset are read in the job's zone (or the new one).
    const patch = given.tz === undefined && old.spec.tz !== "UTC"
      ? jobPatch(parsed, { now, cwd: ctx.cwd(), tz: old.spec.tz })
      : given;
    const { paused, ...changes } = patch;
    const merged = mergeTarget(
      inputOf(old),
      changes,
      booleanFlag(parsed, "no-permissions"),
    );
    checkCommandOnly(changes, merged.module !== undefined);
    checkModuleOnly(parsed, merged.module !== undefined);
    validating(() => defineJob(merged as JobInput, old.state.createdAt));
    let record = await updateJob(store, id, replacing(merged, old), { now });
    if (paused && !record.state.paused) {
      record = await pauseJob(store, id, { now });
    }
    print(ctx, parsed, record, "Updated");
  },
};

/** `--cwd` and `--env` make sense for commands only. */
function checkCommandOnly(patch: JobPatch, isModule: boolean) {
  if (!isModule) return;
  for (const key of ["cwd", "env"] as const) {
    if (patch[key] !== undefined) {
      throw new UsageError(
        `Cannot use --${key}: it applies to --cmd jobs only`,
      );
    }
  }
}

/** Permission flags make sense for modules only. */
function checkModuleOnly(parsed: ParsedArgs, isModule: boolean) {
  const [flag] = permissionFlagsGiven(parsed);
  if (isModule || flag === undefined) return;
  throw new UsageError(
    `Cannot use ${flag}: permissions apply to --module jobs only`,
  );
}

/**
 * Applies a patch; a new target kind drops the old target's fields. The
 * permission kinds given replace those kinds (all of them with `clear`).
 */
function mergeTarget(
  base: JobInput,
  patch: JobPatch,
  clear: boolean,
): JobPatch {
  const merged: JobPatch = { ...base };
  if (patch.cmd !== undefined || patch.module !== undefined) {
    delete merged.cmd;
    delete merged.module;
    delete merged.run;
    if (patch.module !== undefined) {
      delete merged.cwd;
      delete merged.env;
    } else delete merged.permissions;
  }
  const { permissions: change, ...rest } = patch;
  const permissions = overridePermissions(
    clear ? undefined : merged.permissions,
    change,
  );
  delete merged.permissions;
  return { ...merged, ...rest, ...(permissions ? { permissions } : {}) };
}

/**
 * The patch for `updateJob`, which spreads it over the stored input: the
 * target fields the merge dropped are given as `undefined`.
 */
function replacing(merged: JobPatch, old: JobRecord): Partial<JobInput> {
  const patch: Record<string, unknown> = { ...merged };
  for (const key of ["cmd", "module", "run", "cwd", "env", "permissions"]) {
    if (!(key in merged) && key in inputOf(old)) patch[key] = undefined;
  }
  return patch as Partial<JobInput>;
}

function print(
  ctx: CliContext,
  parsed: ParsedArgs,
  record: JobRecord,
  verb: string,
) {
  if (booleanFlag(parsed, "json")) {
    ctx.out(json(jobJson(record)));
    return;
  }
  const { spec, state } = record;
  const next = state.nextSlot === undefined
    ? "no next slot"
    : `next slot ${when(state.nextSlot, ctx.now())}`;
  ctx.out(
    `${verb} job '${spec.id}': ${spec.schedule} (${spec.tz}), ${
      targetText(spec.target)
    }; ${next}${state.paused ? "; paused" : ""}`,
  );
}
