/**
 * Run logs of the file store: `logs/<job>/<runId>-<attempt>.json`, one file
 * per attempt, each written atomically by the instance that ran it (no lock
 * needed, no two writers share a file).
 *
 * The cap is applied with some slack: a save trims the directory back to
 * {@linkcode LOG_LIMIT} files only once it holds {@linkcode LOG_SLACK} more,
 * so most saves read no other log; reads return only the newest
 * {@linkcode LOG_LIMIT}.
 *
 * @module
 */

import type { JobId } from "../../types.ts";
import type { RunLog } from "../store.ts";
import { checkLogJob, compareLogs, LOG_LIMIT } from "../_logs.ts";
import {
  atomicWrite,
  ensureDir,
  join,
  removeIfExists,
  syncDir,
} from "./_fs.ts";

/** The logs directory's name, inside the store directory. */
export const LOGS_DIR = "logs";

/** Files a job's log directory may hold beyond the cap before a trim. */
export const LOG_SLACK = 20;

const LOG_FILE = /^(.+)-([1-9][0-9]*)\.json$/;

/**
 * Writes one log (the caller has validated it), then trims the job's logs.
 *
 * @param dir The store directory.
 * @param log The log.
 */
export async function writeLog(dir: string, log: RunLog): Promise<void> {
  const logsDir = join(dir, LOGS_DIR);
  const jobDir = join(logsDir, log.job);
  const newLogsDir = await ensureDir(logsDir);
  if (await ensureDir(jobDir)) await syncDir(logsDir);
  if (newLogsDir) await syncDir(dir);
  await atomicWrite(
    join(jobDir, `${log.runId}-${log.attempt}.json`),
    JSON.stringify(log) + "\n",
    { file: "log" },
  );
  const names = await logNames(jobDir);
  if (names.length > LOG_LIMIT + LOG_SLACK) {
    const logs = await readAll(jobDir, log.job, names);
    for (const old of logs.slice(0, logs.length - LOG_LIMIT)) {
      await removeIfExists(join(jobDir, old.name));
    }
  }
}

/**
 * Reads a job's logs, oldest first (every file on disk, possibly a few more
 * than the cap). A file that vanishes while read, or cannot be parsed, is
 * skipped.
 *
 * @param dir The store directory.
 * @param job The job id.
 * @returns The logs.
 * @throws {TypeError} If the job id is invalid.
 */
export async function readLogs(dir: string, job: JobId): Promise<RunLog[]> {
  checkLogJob(job);
  const jobDir = join(dir, LOGS_DIR, job);
  const logs = await readAll(jobDir, job, await logNames(jobDir));
  return logs.map((entry) => entry.log);
}

/**
 * Deletes a job's logs; a missing directory is not an error.
 *
 * @param dir The store directory.
 * @param job The job id (already validated by the commit).
 */
export async function deleteLogs(dir: string, job: JobId): Promise<void> {
  checkLogJob(job);
  try {
    await Deno.remove(join(dir, LOGS_DIR, job), { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

async function logNames(jobDir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(jobDir)) {
      if (entry.isFile && LOG_FILE.test(entry.name)) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return names;
}

async function readAll(
  jobDir: string,
  job: JobId,
  names: readonly string[],
): Promise<{ name: string; log: RunLog }[]> {
  const logs: { name: string; log: RunLog }[] = [];
  for (const name of names) {
    const match = LOG_FILE.exec(name);
    let log: RunLog;
    try {
      log = JSON.parse(await Deno.readTextFile(join(jobDir, name)));
    } catch (error) {
      if (error instanceof SyntaxError) continue;
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    // A file whose content does not match its name is not ours to show.
    if (
      log?.job !== job || log.runId !== match?.[1] ||
      String(log.attempt) !== match[2]
    ) continue;
    logs.push({ name, log });
  }
  return logs.sort((a, b) => compareLogs(a.log, b.log));
}
