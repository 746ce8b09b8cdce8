/**
 * The lines `tock start` and `tock tick` print: one per event that matters
 * (runs starting and ending, retries, skipped/missed/abandoned slots, the
 * instance starting and stopping). Lock events are summarised by `status`,
 * not printed.
 *
 * @module
 */

import type { TockEvent, TockEventType } from "../../runtime/events.ts";
import { duration, shortRunId, time } from "../_output.ts";

/** The events the printer listens to. */
export const PRINTED_EVENTS: readonly TockEventType[] = [
  "scheduler.started",
  "scheduler.stopping",
  "scheduler.stopped",
  "scheduler.error",
  "store.error",
  "run.started",
  "run.retrying",
  "run.succeeded",
  "run.failed",
  "run.timed_out",
  "run.cancelled",
  "run.fenced",
  "slot.skipped",
  "slot.missed",
  "slot.abandoned",
  "instance.dead",
];

/** A printed line and where it goes. */
export interface EventLine {
  readonly stream: "out" | "err";
  readonly text: string;
}

/**
 * The line for one event, prefixed with the time it was printed.
 *
 * @param event The event.
 * @param now Wall-clock time, epoch ms.
 * @returns The line, or `undefined` for events that are not printed.
 */
export function eventLine(
  event: TockEvent,
  now: number,
): EventLine | undefined {
  const d = event.detail;
  const job = d.job ?? "?";
  const slot = d.slot ? time(d.slot.getTime()) : "?";
  const took = d.durationMs !== undefined
    ? ` in ${duration(d.durationMs)}`
    : "";
  const error = d.error ? `: ${d.error.name}: ${d.error.message}` : "";
  const attempt = d.attempt !== undefined && d.attempt > 1
    ? ` after ${d.attempt} attempts`
    : "";
  let text: string | undefined;
  let stream: "out" | "err" = "out";
  const run = d.runId === undefined ? "" : shortRunId(d.runId);
  switch (event.type) {
    case "scheduler.started":
      text = `instance ${d.instance} started`;
      break;
    case "scheduler.stopping":
      text = `instance ${d.instance} stopping: no new claims; waiting for runs`;
      break;
    case "scheduler.stopped":
      text = `instance ${d.instance} stopped`;
      break;
    case "scheduler.error":
      stream = "err";
      text = `error in instance ${d.instance}${error}`;
      break;
    case "store.error":
      stream = "err";
      text =
        `store maintenance failed in instance ${d.instance}${error} (it is tried again)`;
      break;
    case "run.started":
      text = d.attempt !== undefined && d.attempt > 1
        ? `${job}: run ${run} attempt ${d.attempt} started`
        : `${job}: run ${run} started for slot ${slot} (${d.trigger})`;
      break;
    case "run.retrying":
      text = `${job}: run ${run} attempt ${d.attempt} failed${error}; retrying`;
      break;
    case "run.succeeded":
      text = `${job}: run ${run} succeeded${took}${attempt}`;
      break;
    case "run.failed":
      text = `${job}: run ${run} failed${took}${attempt}${error}`;
      break;
    case "run.timed_out":
      text = `${job}: run ${run} timed out${took}${attempt}`;
      break;
    case "run.cancelled":
      text = `${job}: run ${run} cancelled${took}`;
      break;
    case "run.fenced":
      text = d.note === "unstarted"
        ? `${job}: run ${run} attempt ${d.attempt} not started: another instance took it while this one could not heartbeat (fenced)`
        : `${job}: run ${run} ended, but another instance had recovered it; its outcome is not recorded (fenced)`;
      break;
    case "slot.skipped":
      text = `${job}: slot ${slot} skipped${d.note ? ` (${d.note})` : ""}`;
      break;
    case "slot.missed":
      text = `${job}: slot ${slot} missed${d.note ? ` (${d.note})` : ""}`;
      break;
    case "slot.abandoned":
      text = `${job}: slot ${slot} abandoned (its instance died)`;
      break;
    case "instance.dead":
      text =
        `instance ${d.other} looks dead (no heartbeat); its runs are recovered`;
      break;
    default:
      return undefined;
  }
  return { stream, text: `${time(now)} ${text}` };
}
