/**
 * Turns the job flags of `add` and `update` into a `JobInput` patch: only
 * the flags given appear, every value checked (usage errors name the flag).
 *
 * @module
 */

import type { JobInput } from "../../jobs/define_job.ts";
import type { ModulePermissions } from "../../types.ts";
import { parsePermissionFlags } from "../../jobs/permission_flags.ts";
import { resolvePermissionPaths } from "../../jobs/permissions.ts";
import {
  booleanFlag,
  durationValue,
  envPairs,
  instantValue,
  integerValue,
  listFlag,
  optionalFlag,
  type ParsedArgs,
  stringFlag,
  zoneValue,
} from "../_args.ts";
import { UsageError } from "../_errors.ts";
import { flagName, JOB_FIELDS, permissionFlagSpecs } from "../_job_fields.ts";
import { isUrl, resolvePath } from "../_paths.ts";

/** What the flag values are read against. */
export interface FlagContext {
  /** Wall-clock time, epoch ms (for `--start-at "in 10m"`). */
  readonly now: number;
  /**
   * Relative `--cwd`, `--module` and permission paths are resolved against
   * it.
   */
  readonly cwd: string;
  /** The zone instants without offset are read in, unless `--tz` is given. */
  readonly tz: string;
}

/** A job patch built from flags (mutable while it is built). */
export type JobPatch = { -readonly [K in keyof JobInput]?: JobInput[K] };

/**
 * Reads the job flags that were given.
 *
 * @throws {UsageError} Naming the flag and the bad value.
 */
export function jobPatch(parsed: ParsedArgs, context: FlagContext): JobPatch {
  const patch: Record<string, unknown> = {};
  const tzText = stringFlag(parsed, "tz");
  const tz = tzText === undefined ? context.tz : zoneValue("--tz", tzText);
  if (tzText !== undefined) patch.tz = tz;
  for (const [field, spec] of Object.entries(JOB_FIELDS)) {
    const flag = `--${flagName(field)}`;
    if (field === "tz") continue;
    if (spec.kind === "boolean") {
      const on = booleanFlag(parsed, flagName(field));
      const off = spec.negatable === true &&
        booleanFlag(parsed, `no-${flagName(field)}`);
      if (on && off) {
        throw new UsageError(`Give ${flag} or --no-${flag.slice(2)}, not both`);
      }
      if (on || off) patch[field] = on;
      continue;
    }
    if (spec.kind === "permissions") {
      const permissions = permissionPatch(parsed, context.cwd);
      if (permissions !== undefined) patch[field] = permissions;
      continue;
    }
    if (spec.kind === "env") {
      const pairs = listFlag(parsed, flagName(field));
      if (pairs.length > 0) patch[field] = envPairs(pairs);
      continue;
    }
    const text = stringFlag(parsed, flagName(field));
    if (text === undefined) continue;
    switch (spec.kind) {
      case "string":
        if (text.trim() === "") {
          throw new UsageError(`Cannot use ${flag}: it is empty`);
        }
        patch[field] = text;
        break;
      case "choice":
        if (!spec.values!.includes(text)) {
          throw new UsageError(
            `Cannot use ${flag} "${text}": expected one of ${
              spec.values!.join(", ")
            }`,
          );
        }
        patch[field] = text;
        break;
      case "duration":
        patch[field] = durationValue(text);
        break;
      case "integer":
        patch[field] = integerValue(flag, text, spec.min!, spec.max!);
        break;
      case "instant":
        patch[field] = instantValue(flag, text, tz, context.now);
        break;
    }
  }
  if (patch.cmd !== undefined && patch.module !== undefined) {
    throw new UsageError("Give --cmd or --module, not both");
  }
  if (typeof patch.module === "string" && !isUrl(patch.module)) {
    patch.module = resolvePath(context.cwd, patch.module);
  }
  if (typeof patch.cwd === "string") {
    patch.cwd = resolvePath(context.cwd, patch.cwd);
  }
  return patch as JobPatch;
}

/**
 * The permission flags given, as `deno run` flags (`--allow-write=/out`,
 * `--allow-all`, `--no-permissions`), in the order of their names.
 */
export function permissionFlagsGiven(parsed: ParsedArgs): string[] {
  return Object.entries(permissionFlagSpecs()).flatMap(([name, spec]) =>
    spec.optionalValue
      ? optionalFlag(parsed, name).map((v) =>
        v === true ? `--${name}` : `--${name}=${v}`
      )
      : booleanFlag(parsed, name)
      ? [`--${name}`]
      : []
  );
}

/**
 * The permissions the flags grant and deny, relative paths resolved
 * against `cwd`; `{}` for `--no-permissions` alone; `undefined` when no
 * permission flag is given.
 */
function permissionPatch(
  parsed: ParsedArgs,
  cwd: string,
): ModulePermissions | undefined {
  const flags = permissionFlagsGiven(parsed);
  if (flags.length === 0) return undefined;
  let permissions: ModulePermissions | undefined;
  try {
    permissions = parsePermissionFlags(
      flags.filter((flag) => flag !== "--no-permissions"),
    );
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  return permissions
    ? resolvePermissionPaths(permissions, (path) => resolvePath(cwd, path))
    : {};
}

/** The help lines of the job flags, shared by `add` and `update`. */
export const JOB_FLAGS_HELP = `Job flags:
  --schedule SPEC          cron (5, 6 or 7 fields, @daily…), "every 30s", "in 10m"
                           or an instant ("2026-12-01T09:00:00Z")
  --cmd CMD                shell command, run with sh -c
  --module PATH            module whose default export is the handler
  --tz TZ                  IANA time zone of the schedule (default UTC)
  --dom-and-dow            cron: day of month AND day of week must both match,
                           as "+" before the day of week does (--no-… undoes)
  --cwd DIR                working directory of the command
  --env K=V                environment of the command (repeatable)
  --inherit-env            give the job the scheduler's whole environment
                           (default: a clean one; --no-inherit-env undoes)
  --allow-read[=PATH,…]    module jobs: grant as deno run does; likewise
  --allow-write[=PATH,…]   --allow-net[=HOST,…], --allow-env[=NAME,…],
                           --allow-run[=PROG,…], --allow-sys[=API,…],
                           --allow-ffi[=PATH,…], --allow-import[=HOST,…],
                           -A/--allow-all and --deny-KIND[=…]; without "="
                           all of that kind (default: read the module's
                           directory only; the store is denied, but run,
                           ffi or unscoped read and write reach past that)
  --no-permissions         update: drop the job's permissions, then apply
                           the flags given (without it, a flag replaces only
                           its own kind)
  --overlap P              skip (default), queue, allow or replace
  --catchup M              latest (default), all or none
  --catchup-window DUR     missed slots older than this are not run (default 24h)
  --catchup-max N          most missed slots one catch-up runs (default 100)
  --timeout DUR            abort each attempt after this long
  --retries N              extra attempts after a failure (default 0)
  --backoff DUR            delay before the first retry, doubling (default 1s)
  --backoff-max DUR        longest retry delay (default 5m)
  --jitter DUR             deterministic per-slot delay, at most this
  --max-runs N             stop after this many scheduled runs
  --start-at T             no slot before this instant
  --end-at T               no slot after this instant
  --recover abandon|rerun  runs whose instance died: record or run again once
  --paused                 pause the job`;
