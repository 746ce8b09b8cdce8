/**
 * The few error classes callers catch. Argument problems use `TypeError` and
 * `RangeError`; handler failures are data (ledger entries), not exceptions.
 *
 * @module
 */

/** A schedule string that cannot be parsed, or that never matches. */
export class ScheduleSyntaxError extends SyntaxError {
  /** The schedule text that failed. */
  readonly expression: string;
  /**
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
  /** @param jobId The id that was looked up. */
  constructor(jobId: string) {
    super(`Cannot find job: '${jobId}' does not exist`);
    this.name = "JobNotFoundError";
    this.jobId = jobId;
  }
}

/** Thrown by operations on a scheduler that has been stopped. */
export class SchedulerClosedError extends Error {
  /** @param message What was attempted. */
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
   * @param jobId The job.
   * @param timeoutMs The timeout that expired.
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
 * @returns An `Error` carrying the value's message.
 */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  const error = new Error(
    typeof value === "string" ? value : `Non-error thrown: ${String(value)}`,
  );
  error.name = "NonError";
  return error;
}
