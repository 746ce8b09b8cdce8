/**
 * Jobs files (`tock start --jobs FILE`): JSON of the form
 * `{"jobs": [{"id": …, "schedule": …, "cmd": …}, …]}`, with the option
 * names of the flags in camelCase. A module job's `permissions` take
 * Deno's permission-descriptor shape (`{"read": ["./data"], "write": true,
 * "deny": {"write": ["./data/keep"]}}`). Every error names the job (index
 * and id) and the field; unknown fields are errors.
 *
 * @module
 */

import type { JobInput } from "../jobs/define_job.ts";
import { defineJob, validateJobId } from "../jobs/define_job.ts";
import { resolvePermissionPaths } from "../jobs/permissions.ts";
import type { ModulePermissions } from "../types.ts";
import { oneLine, UsageError } from "./_errors.ts";
import { checkJsonValue, closestField, JOB_FIELDS } from "./_job_fields.ts";
import { dirname, isAbsolute, isUrl, resolvePath } from "./_paths.ts";

/** A checked jobs file. */
export interface JobsFile {
  /** The file's absolute path (the `source` of its jobs in the store). */
  readonly path: string;
  /**
   * Its jobs, in file order; relative paths (`module`, `cwd`, and paths in
   * `permissions`) resolved against the file's directory.
   */
  readonly jobs: readonly JobInput[];
}

/** Options for {@linkcode parseJobsFile}. */
export interface ParseJobsFileOptions {
  /**
   * Creation instant to check each job against (one-shots in the past are
   * refused): by id, for jobs that already exist; `now` for the others.
   */
  readonly createdAt?: (id: string) => number | undefined;
  /** Wall-clock time, epoch ms. */
  readonly now: number;
}

/**
 * Reads and checks a jobs file.
 *
 * @param path The file, absolute or relative to `cwd`.
 * @param cwd The current directory.
 * @param options The time to check one-shots against.
 * @returns The checked file.
 * @throws {UsageError} One line naming the file, the job and the field.
 */
export async function readJobsFile(
  path: string,
  cwd: string,
  options: ParseJobsFileOptions,
): Promise<JobsFile> {
  const absolute = resolvePath(cwd, path);
  let text: string;
  try {
    text = await Deno.readTextFile(absolute);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "it does not exist"
      : error instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : oneLine((error as Error).message);
    throw new UsageError(`Cannot load jobs file "${path}": ${reason}`, {
      cause: error,
    });
  }
  return parseJobsFile(text, absolute, options, path);
}

/**
 * Parses and checks the text of a jobs file.
 *
 * @param text The file's content.
 * @param path The file's absolute path.
 * @param options The time to check one-shots against.
 * @param shown How to name the file in messages (default `path`).
 * @returns The checked file.
 * @throws {UsageError} One line naming the file, the job and the field.
 */
export function parseJobsFile(
  text: string,
  path: string,
  options: ParseJobsFileOptions,
  shown: string = path,
): JobsFile {
  const fail = (detail: string): never => {
    throw new UsageError(
      `Cannot load jobs file "${shown}": ${oneLine(detail)}`,
    );
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    fail(`not valid JSON: ${(error as Error).message}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    fail(`expected an object {"jobs": [...]}`);
  }
  for (const key of Object.keys(data as object)) {
    // JSON text: a key may hold any character (a line break, a quote).
    if (key !== "jobs") fail(`unknown top-level field ${JSON.stringify(key)}`);
  }
  const list = (data as { jobs?: unknown }).jobs;
  if (!Array.isArray(list)) fail(`"jobs" must be an array of jobs`);
  const base = dirname(path);
  const seen = new Map<string, number>();
  const jobs = (list as unknown[]).map((item, index) => {
    const job = checkJob(item, index, base, options, fail);
    const first = seen.get(job.id);
    if (first !== undefined) {
      fail(`jobs[${index}] ("${job.id}"): duplicate id (also jobs[${first}])`);
    }
    seen.set(job.id, index);
    return job;
  });
  return { path, jobs };
}

function checkJob(
  item: unknown,
  index: number,
  base: string,
  options: ParseJobsFileOptions,
  fail: (detail: string) => never,
): JobInput {
  let where = `jobs[${index}]`;
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    return fail(`${where}: expected an object`);
  }
  const raw = item as Record<string, unknown>;
  if (raw.id === undefined) fail(`${where}: missing field "id"`);
  try {
    validateJobId(raw.id);
  } catch (error) {
    fail(`${where}: "id": ${(error as Error).message}`);
  }
  const id = raw.id as string;
  where = `jobs[${index}] ("${id}")`;
  const input: Record<string, unknown> = { id };
  for (const [key, value] of Object.entries(raw)) {
    if (key === "id") continue;
    if (key === "run") {
      fail(
        `${where}: field "run" names a function handler, which only the library can run; use "cmd" or "module"`,
      );
    }
    if (!(key in JOB_FIELDS)) {
      const near = closestField(key);
      fail(
        `${where}: unknown field ${JSON.stringify(key)}${
          near ? ` (did you mean "${near}"?)` : ""
        }`,
      );
    }
    try {
      input[key] = checkJsonValue(key, value);
    } catch (error) {
      fail(`${where}: "${key}": ${(error as Error).message}`);
    }
  }
  if (input.schedule === undefined) fail(`${where}: missing field "schedule"`);
  const targets = ["cmd", "module"].filter((k) => input[k] !== undefined);
  if (targets.length !== 1) {
    fail(
      targets.length === 0
        ? `${where}: missing field "cmd" or "module"`
        : `${where}: give "cmd" or "module", not both`,
    );
  }
  if (input.module !== undefined) {
    for (const key of ["cwd", "env"]) {
      if (input[key] !== undefined) {
        fail(`${where}: "${key}" applies only to "cmd" jobs`);
      }
    }
    const module = input.module as string;
    if (!isUrl(module)) input.module = resolvePath(base, module);
    if (input.permissions !== undefined) {
      input.permissions = resolvePermissionPaths(
        input.permissions as ModulePermissions,
        (path) => resolvePath(base, path),
      );
    }
  } else if (input.permissions !== undefined) {
    fail(`${where}: "permissions" applies only to "module" jobs`);
  }
  if (typeof input.cwd === "string" && !isAbsolute(input.cwd)) {
    input.cwd = resolvePath(base, input.cwd);
  }
  const job = input as unknown as JobInput;
  try {
    defineJob(job, options.createdAt?.(id) ?? options.now);
  } catch (error) {
    const message = (error as Error).message.replace(
      /^Cannot define job '[^']*': /,
      "",
    );
    const field = /^Cannot parse schedule/.test(message) ? `"schedule": ` : "";
    fail(`${where}: ${field}${message}`);
  }
  return job;
}
