/**
 * The few error classes callers catch. Argument problems use `TypeError` and
 * `RangeError`; handler failures are data (ledger entries), not exceptions.
 *
 * @module
 */

import type { ErrorInfo } from "./types.ts";

/** A schedule string that cannot be parsed, or that never matches. */
export class ScheduleSyntaxError extends SyntaxError {
  /** The schedule text that failed. */
  readonly expression: string;
  /**
   * Creates the error for one schedule string.
   *
   * @param expression The schedule text.
   * @param message What is wrong with it.
   * @param options `cause`: the underlying parser error.
   */
  constructor(expression: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ScheduleSyntaxError";
    this.expression = expression;
  }
}

/** A store that cannot be read or written safely (corrupt, foreign, newer). */
export class StoreError extends Error {
  /**
   * Creates the error for one unreadable or unsafe store.
   *
   * @param message What is wrong, naming the file or table.
   * @param options `cause`: the underlying error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreError";
  }
}

/** A job id that does not exist, or exists when it must not. */
export class JobNotFoundError extends Error {
  /** The id that was looked up. */
  readonly jobId: string;
  /**
   * Creates the error for one job id; the message names the id.
   *
   * @param jobId The id that was looked up.
   */
  constructor(jobId: string) {
    super(`Cannot find job: '${jobId}' does not exist`);
    this.name = "JobNotFoundError";
    this.jobId = jobId;
  }
}

/** Thrown by operations on a scheduler that has been stopped. */
export class SchedulerClosedError extends Error {
  /**
   * Creates the error for a call made after `stop()`.
   *
   * @param message What was attempted.
   */
  constructor(message = "Cannot use scheduler: it has been stopped") {
    super(message);
    this.name = "SchedulerClosedError";
  }
}

/** The reason a run's signal is aborted when its timeout expires. */
export class JobTimeoutError extends Error {
  /** The job that timed out. */
  readonly jobId: string;
  /**
   * Creates the abort reason for one timed-out run.
   *
   * @param jobId The job.
   * @param timeoutMs The timeout that expired, in ms.
   */
  constructor(jobId: string, timeoutMs: number) {
    super(`Job '${jobId}' timed out after ${timeoutMs} ms`);
    this.name = "JobTimeoutError";
    this.jobId = jobId;
  }
}

/**
 * Turns anything thrown into an `Error` (handlers may throw strings).
 *
 * @param value What was thrown.
 * @returns The value itself when it is an `Error`; otherwise a new `Error`
 * named `NonError` whose message is the string, or describes the value.
 * @example Normalise a thrown string
 * ```ts
 * import { toError } from "./errors.ts";
 * const error = toError("disk full");
 * console.log(error.name, error.message); // NonError disk full
 * ```
 */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  const error = new Error(
    typeof value === "string" ? value : `Non-error thrown: ${String(value)}`,
  );
  error.name = "NonError";
  return error;
}

/**
 * What the ledger and events keep of a thrown value: its name and message
 * (`Error` and the value as text for a non-error).
 *
 * @param value Anything thrown.
 * @returns Its name and message.
 * @example Usage
 * ```ts
 * import { errorInfo } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(errorInfo(new RangeError("too big")), {
 *   name: "RangeError",
 *   message: "too big",
 * });
 * assert.deepEqual(errorInfo(42), { name: "Error", message: "42" });
 * ```
 */
export function errorInfo(value: unknown): ErrorInfo {
  if (value instanceof Error) {
    return { name: value.name, message: value.message };
  }
  return { name: "Error", message: String(value) };
}
