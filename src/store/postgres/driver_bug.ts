/**
 * A known postgres.js 3.4 bug that must not end the process: a statement
 * buffered for the next tick on a connection the server closes meanwhile
 * is written to a socket that is already gone, which throws from a
 * `setImmediate` callback where nothing can catch it
 * (porsager/postgres#1154 and #1208, denoland/deno#34667). The statement
 * never settles; `PgClient.run`'s timeout fails it and resets the client.
 *
 * @module
 */

/**
 * Whether an uncaught error is that bug: a `TypeError` reading `write` of
 * null, thrown from the driver's `nextWrite`.
 *
 * @param error The error.
 * @returns Whether it is the driver's bug (and may be ignored).
 */
export function isDriverWriteBug(error: unknown): boolean {
  return error instanceof TypeError &&
    error.message.includes("reading 'write'") &&
    /\bnextWrite\b/.test(error.stack ?? "") &&
    /postgres/.test(error.stack ?? "");
}

let guarded = false;

/**
 * Keeps {@linkcode isDriverWriteBug} errors from ending the process (once
 * per process; the PostgreSQL store calls it). A handler of uncaught
 * errors registered earlier (the command line's) must ignore them itself.
 */
export function guardDriverBug(): void {
  if (guarded) return;
  guarded = true;
  globalThis.addEventListener("error", (event) => {
    if (isDriverWriteBug(event.error)) event.preventDefault();
  });
}
