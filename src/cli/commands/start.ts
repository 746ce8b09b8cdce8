/**
 * `tock start` (run a scheduler until SIGINT/SIGTERM) and `tock tick` (one
 * claim, run what was claimed, wait, exit; for system cron).
 *
 * @module
 */

import type { JobStore } from "../../store/store.ts";
import { syncJobs } from "../../turns/sync_jobs.ts";
import { createScheduler } from "../../runtime/scheduler.ts";
import type { Scheduler } from "../../runtime/scheduler_api.ts";
import type { TockEvent } from "../../runtime/events.ts";
import { createCommandRunner } from "../../executors/run_command.ts";
import { createModuleRunner } from "../../executors/run_module.ts";
import {
  durationValue,
  instanceValue,
  integerValue,
  type ParsedArgs,
  positionals,
  stringFlag,
} from "../_args.ts";
import { type CliContext, type Command, GLOBAL_HELP } from "../_command.ts";
import { CliFailure } from "../_errors.ts";
import { duration } from "../_output.ts";
import { openStore, redact, storeRef } from "../_store.ts";
import { type JobsFile, readJobsFile } from "../jobs_file.ts";
import { eventLine, PRINTED_EVENTS } from "./_events.ts";
import {
  accessText,
  HTTP_FLAGS,
  HTTP_HELP,
  httpFlags,
} from "../http/http_flags.ts";
import { createMetrics } from "../http/metrics.ts";
import { type HttpServer, serveHttp } from "../http/serve_http.ts";

const DEFAULT_GRACE_MS = 10_000;
const MAX_PARALLEL = 1000;

const SCHEDULER_FLAGS = {
  instance: { type: "string" },
  jobs: { type: "string" },
  "max-parallel": { type: "string" },
  grace: { type: "string" },
} as const;

const SCHEDULER_HELP =
  `  --instance NAME    this instance's id (default <host>-<pid>-<random>)
  --jobs FILE        upsert the jobs of this JSON file first; jobs that came
                     from it and are no longer in it are removed
  --max-parallel N   most runs at once in this instance (default 8)
  --grace DUR        on SIGINT/SIGTERM, how long running jobs may finish
                     before they are cancelled (default 10s)`;

/** `tock start [--instance NAME] [--jobs FILE] [--max-parallel N] [--grace DUR]`. */
export const startCommand: Command = {
  name: "start",
  summary: "run a scheduler until SIGINT/SIGTERM",
  usage:
    `Usage: tock start [--instance NAME] [--jobs FILE] [--max-parallel N] [--grace DUR]
                  [--http ADDR [--http-token TOKEN]]

Runs a scheduler instance on the store and prints one line per run and per
skipped or missed slot. Any number of instances may share a store. On SIGINT
or SIGTERM it stops claiming, lets running jobs finish within the grace,
records the rest cancelled, and exits 0. With --http it also serves the status
page, the JSON API and /metrics (see 'tock serve') and prints the URL.

${SCHEDULER_HELP}
${HTTP_HELP}
${GLOBAL_HELP}

Examples:
  tock start --jobs examples/jobs.json --max-parallel 4
  tock start --jobs examples/jobs.json --http 8787   # page: http://127.0.0.1:8787/`,
  flags: { ...SCHEDULER_FLAGS, ...HTTP_FLAGS },
  run(parsed, ctx) {
    return runScheduler("start", parsed, ctx);
  },
};

/** `tock tick [flags as start]`. */
export const tickCommand: Command = {
  name: "tick",
  summary: "claim once, run what was claimed, wait, exit (for system cron)",
  usage:
    `Usage: tock tick [--instance NAME] [--jobs FILE] [--max-parallel N] [--grace DUR]

Runs one claim-and-advance, runs what it claimed (with retries), waits for
those runs, and exits: for use from system cron, e.g.
  * * * * *  cd /srv/app && deno task tock tick
Exits 0 when the claim worked, whatever the jobs' outcomes (see history);
1 when the store could not be used.

${SCHEDULER_HELP}
${GLOBAL_HELP}

Example:
  tock tick --store /var/lib/tock`,
  flags: SCHEDULER_FLAGS,
  run(parsed, ctx) {
    return runScheduler("tick", parsed, ctx);
  },
};

interface SchedulerFlags {
  readonly instance?: string;
  readonly jobs?: string;
  readonly maxParallel?: number;
  readonly graceMs: number;
}

function schedulerFlags(command: string, parsed: ParsedArgs): SchedulerFlags {
  positionals(command, parsed, []);
  const instance = stringFlag(parsed, "instance");
  const jobs = stringFlag(parsed, "jobs");
  const maxText = stringFlag(parsed, "max-parallel");
  const graceText = stringFlag(parsed, "grace");
  return {
    ...(instance !== undefined ? { instance: instanceValue(instance) } : {}),
    ...(jobs !== undefined ? { jobs } : {}),
    ...(maxText !== undefined
      ? {
        maxParallel: integerValue("--max-parallel", maxText, 1, MAX_PARALLEL),
      }
      : {}),
    graceMs: graceText === undefined
      ? DEFAULT_GRACE_MS
      : durationValue(graceText),
  };
}

async function runScheduler(
  command: "start" | "tick",
  parsed: ParsedArgs,
  ctx: CliContext,
): Promise<void> {
  const flags = schedulerFlags(command, parsed);
  const http = command === "start" ? httpFlags(parsed, ctx) : undefined;
  const ref = storeRef(parsed, ctx);
  const file = flags.jobs === undefined
    ? undefined
    : await checkJobsFile(ref, flags.jobs, ctx);
  // Listen from here until the very end (the runners' kills included): a
  // signal that arrived after the listeners were removed would kill this
  // process with its children's kill timers still pending.
  const stop = stopRequest(ctx);
  try {
    await using store = await openStore(ref, { create: true });
    const synced = file
      ? await applyJobsFile(store, file, ctx.now())
      : undefined;
    const scheduler = await createScheduler({
      store,
      clock: ctx.clock,
      ...(flags.instance !== undefined ? { instance: flags.instance } : {}),
      ...(flags.maxParallel !== undefined
        ? { maxParallel: flags.maxParallel }
        : {}),
      gracePeriodMs: flags.graceMs,
      // A tick claims once (until nothing more is due), then runs that.
      once: command === "tick",
      runners: {
        command: createCommandRunner({ store, clock: ctx.clock }),
        module: createModuleRunner({ store, clock: ctx.clock }),
      },
    });
    const metrics = http ? createMetrics(ctx.now) : undefined;
    const unobserve = metrics?.observe(scheduler);
    const httpStop = new AbortController();
    let server: HttpServer | undefined;
    try {
      const errors = printEvents(scheduler, command, ctx);
      const stopped = once(scheduler, "scheduler.stopped");
      // The instance is registered (its heartbeat is in the store) once it
      // has started; stopping it before then could race the registration.
      await Promise.race([once(scheduler, "scheduler.started"), stopped]);
      if (command === "start") {
        const jobs = (await store.jobs()).length;
        ctx.out(
          `${stamp(ctx)} instance ${scheduler.instance} started (store ${
            redact(ref)
          }, pid ${Deno.pid}, ${jobs} job${jobs === 1 ? "" : "s"}${
            synced ? `; ${synced}` : ""
          })`,
        );
      }
      if (http && metrics) {
        // The server reads the store without its lock and writes through
        // the job operations: nothing it does can hold up a claim.
        server = serveHttp({
          store,
          storeName: redact(ref),
          http,
          signal: httpStop.signal,
          now: ctx.now,
          metrics,
        });
        ctx.out(
          `${stamp(ctx)} http: serving ${server.url}/ (the status page; ${
            accessText(http)
          })`,
        );
      }
      const why = await Promise.race([
        stop.requested,
        stopped,
        ...(command === "tick"
          ? [scheduler.idle().then(() => "idle" as const)]
          : []),
      ]);
      if (why.startsWith("SIG")) {
        ctx.out(
          `${stamp(ctx)} received ${why}: stopping (grace ${
            duration(flags.graceMs)
          })`,
        );
      }
      await scheduler.stop({ graceMs: flags.graceMs });
      if (why === "stopped") {
        throw new CliFailure(
          `Instance ${scheduler.instance} stopped by itself${
            errors.length > 0 ? `: ${errors[errors.length - 1]}` : ""
          }`,
        );
      }
      if (command === "tick" && errors.length > 0) {
        throw new CliFailure(`Tick failed: ${errors[errors.length - 1]}`);
      }
    } finally {
      // stop() also waits for runners still killing a timed-out or
      // cancelled run's process group, so no child outlives this command.
      await scheduler.stop();
      httpStop.abort();
      await server?.finished;
      unobserve?.();
    }
  } finally {
    stop.dispose();
  }
}

/** Resolves with the event's type when the scheduler dispatches it. */
function once<T extends "scheduler.started" | "scheduler.stopped">(
  scheduler: Scheduler,
  type: T,
): Promise<T> {
  return new Promise((resolve) =>
    scheduler.addEventListener(type, () => resolve(type), { once: true })
  );
}

/**
 * Checks the whole jobs file before anything is written. Jobs that exist
 * are checked against their creation time (a one-shot that already ran is
 * not "in the past" for its own definition).
 */
async function checkJobsFile(
  ref: string,
  path: string,
  ctx: CliContext,
): Promise<JobsFile> {
  const existing = new Map<string, number>();
  {
    await using peek = await openStore(ref, { create: false });
    for (const job of await peek.jobs()) {
      existing.set(job.spec.id, job.state.createdAt);
    }
  }
  return await readJobsFile(path, ctx.cwd(), {
    now: ctx.now(),
    createdAt: (id) => existing.get(id),
  });
}

/**
 * Prints a line per event that matters (`tick` leaves out the instance's
 * own lifecycle) and collects the scheduler's errors.
 */
function printEvents(
  scheduler: Scheduler,
  command: "start" | "tick",
  ctx: CliContext,
): string[] {
  const errors: string[] = [];
  const print = (event: Event) => {
    const e = event as TockEvent;
    if (e.type === "scheduler.error") {
      errors.push(e.detail.error?.message ?? "unknown error");
    } else if (command === "tick" && e.type.startsWith("scheduler.")) return;
    const line = eventLine(e, ctx.now());
    if (line) ctx[line.stream](line.text);
  };
  for (const type of PRINTED_EVENTS) {
    // `start` prints its own first line, with the store and the jobs file.
    if (type !== "scheduler.started") scheduler.addEventListener(type, print);
  }
  return errors;
}

function stamp(ctx: CliContext): string {
  return new Date(ctx.now()).toISOString().replace("T", " ");
}

/**
 * Applies the jobs file in one commit, whole or not at all: upserts its
 * jobs (`source` = the file's path) and removes the jobs that came from
 * this file and are no longer in it. Jobs created by `tock add` or another
 * file are never removed here.
 */
async function applyJobsFile(
  store: JobStore,
  file: JobsFile,
  now: number,
): Promise<string> {
  const { added, changed, removed } = await syncJobs(store, file.jobs, {
    source: file.path,
    now,
  });
  return `jobs file ${file.path}: ${added.length} added, ${changed.length} changed, ${removed.length} removed`;
}

interface StopRequest {
  /** Resolves with the signal's name (or `abort`) on the first request. */
  readonly requested: Promise<string>;
  /** Removes the signal listeners. */
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM (and the context's abort signal). Every
 * request after the first is ignored: `deno task` forwards SIGTERM and a
 * process-group signal reaches the child too, so one stop arrives twice.
 */
function stopRequest(ctx: CliContext): StopRequest {
  const { promise, resolve } = Promise.withResolvers<string>();
  const listeners: [Deno.Signal, () => void][] = [];
  if (ctx.signals) {
    for (const name of ["SIGINT", "SIGTERM"] as const) {
      const listener = () => resolve(name);
      try {
        Deno.addSignalListener(name, listener);
        listeners.push([name, listener]);
      } catch {
        // Not every platform has every signal (Windows has no SIGTERM).
      }
    }
  }
  const onAbort = () => resolve("abort");
  if (ctx.signal?.aborted) resolve("abort");
  ctx.signal?.addEventListener("abort", onAbort, { once: true });
  return {
    requested: promise,
    dispose() {
      ctx.signal?.removeEventListener("abort", onAbort);
      for (const [name, listener] of listeners) {
        try {
          Deno.removeSignalListener(name, listener);
        } catch { /* already gone */ }
      }
    },
  };
}
