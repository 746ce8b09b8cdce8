/**
 * The command line's two kinds of failure and how they map to exit status:
 * a {@linkcode UsageError} (bad input; nothing was changed) exits 2, any
 * other error exits 1.
 *
 * @module
 */

/** A usage or validation error: exit status 2, nothing was changed. */
export class UsageError extends Error {
  /**
   * @param message One line naming what is wrong.
   * @param options `cause`: the underlying error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** A failure that is not the user's input (store, unknown job): exit 1. */
export class CliFailure extends Error {
  /**
   * @param message One line naming what failed.
   * @param options `cause`: the underlying error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CliFailure";
  }
}

/** The exit status for an error: 2 for usage errors, 1 for the rest. */
export function exitCodeOf(error: unknown): 1 | 2 {
  return error instanceof UsageError ? 2 : 1;
}

/** The one line printed for an error (never a stack trace). */
export function errorLine(error: unknown): string {
  const message = error instanceof Error
    ? error.message || error.name
    : String(error);
  return `tock: ${oneLine(message)}`;
}

/** Runs a validation step: whatever it throws becomes a {@linkcode UsageError}. */
export function validating<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      oneLine((error as Error)?.message ?? String(error)),
      { cause: error },
    );
  }
}

/**
 * Joins a message's lines, so every error is one line: a carriage return
 * or a Unicode line separator (from a file or an argument quoted in the
 * message) counts as a line break too.
 */
export function oneLine(text: string): string {
  return text.replace(/\s*[\n\r\u2028\u2029]\s*/g, " ").trim();
}
