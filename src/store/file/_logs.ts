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
const LOG_SLACK = 20;

const LOG_FILE = /^(.+)-([1-9][0-9]*)\.json$/;

/**
 * Writes the logs of one store object. A log is written atomically (a
 * temporary file renamed into place, so a reader never sees half of one)
 * but not flushed to disk on its own: at hundreds of runs a second, two
 * `fsync`s per run were most of a command run's cost, and the ledger, not
 * the log, is the durable record of a run. After a power loss the newest
 * logs may be missing; never a ledger entry.
 *
 * It remembers which job directories exist and how many files each holds
 * (counted once, then by its own writes), so most saves are one file
 * write and one rename; the trim back to {@linkcode LOG_LIMIT} reads the
 * directory once every {@linkcode LOG_SLACK} saves.
 */
export class LogWriter {
  readonly #dir: string;
  /** Job directories known to exist → files counted in each. */
  readonly #counts = new Map<JobId, number>();
  /** Per job: its writes in flight, one after another. */
  readonly #pending = new Map<JobId, Promise<void>>();

  /** @param dir The store directory. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /**
   * Writes one log (the caller has validated it), then trims the job's
   * logs when they are over the cap. A job's writes run one after another;
   * the write is in flight (for {@linkcode LogWriter.delete} and
   * {@linkcode LogWriter.settled}) from the call, before it resolves.
   *
   * @param log The log.
   */
  write(log: RunLog): Promise<void> {
    const job = log.job;
    const run = (this.#pending.get(job) ?? Promise.resolve())
      .then(() => this.#write(log));
    const pending = run.catch(() => {});
    this.#pending.set(job, pending);
    void pending.then(() => {
      if (this.#pending.get(job) === pending) this.#pending.delete(job);
    });
    return run;
  }

  /** Resolves once no write is in flight. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending.values());
  }

  async #write(log: RunLog): Promise<void> {
    const jobDir = join(this.#dir, LOGS_DIR, log.job);
    const path = join(jobDir, `${log.runId}-${log.attempt}.json`);
    const text = JSON.stringify(log) + "\n";
    let count = this.#counts.get(log.job);
    if (count === undefined) {
      await this.#ensure(log.job);
      count = (await logNames(jobDir)).length;
    }
    try {
      await atomicWrite(path, text, { file: "log", sync: false });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      // Another process removed the job's directory (its job was deleted
      // and made again): make it again.
      await this.#ensure(log.job);
      count = 0;
      await atomicWrite(path, text, { file: "log", sync: false });
    }
    count += 1;
    if (count > LOG_LIMIT + LOG_SLACK) count = await trim(jobDir, log.job);
    this.#counts.set(log.job, count);
  }

  /**
   * Deletes the logs of jobs (deleted, or created again); a missing
   * directory is not an error. More than a few jobs (a jobs file applied
   * in one commit) cost one listing of the logs directory, not one removal
   * per job.
   *
   * @param jobs The job ids (already validated by the commit).
   */
  async delete(jobs: readonly JobId[]): Promise<void> {
    // A write that began before the job was deleted ends first.
    await Promise.all(jobs.map((job) => this.#pending.get(job)));
    for (const job of jobs) {
      checkLogJob(job);
      this.#counts.delete(job);
    }
    const logsDir = join(this.#dir, LOGS_DIR);
    let present = jobs;
    if (jobs.length > FEW_JOBS) {
      const existing = await directories(logsDir);
      present = jobs.filter((job) => existing.has(job));
    }
    for (const job of present) {
      try {
        await Deno.remove(join(logsDir, job), { recursive: true });
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
  }

  /** Makes the job's log directory (durably: directories are rare). */
  async #ensure(job: JobId): Promise<void> {
    const logsDir = join(this.#dir, LOGS_DIR);
    const newLogsDir = await ensureDir(logsDir);
    if (await ensureDir(join(logsDir, job))) await syncDir(logsDir);
    if (newLogsDir) await syncDir(this.#dir);
  }
}

/** Up to this many jobs' logs are deleted without listing the directory. */
const FEW_JOBS = 8;

/** The names of the directories in `dir` (none if it does not exist). */
async function directories(dir: string): Promise<Set<string>> {
  const names = new Set<string>();
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory) names.add(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names;
}

/** Removes a job's oldest logs beyond the cap; returns how many are left. */
async function trim(jobDir: string, job: JobId): Promise<number> {
  const logs = await readAll(jobDir, job, await logNames(jobDir));
  const old = logs.slice(0, Math.max(0, logs.length - LOG_LIMIT));
  for (const entry of old) await removeIfExists(join(jobDir, entry.name));
  return logs.length - old.length;
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
