/**
 * Opens the store named by `--store DIR|URL`, `$TOCK_STORE`, or `./.tock`.
 *
 * @module
 */

import type { JobStore } from "../store/store.ts";
import { createMemoryStore } from "../store/memory_store.ts";
import {
  locateStore,
  openStoreAt,
  type StoreLocation,
  storeRefOf,
} from "../runtime/open_store.ts";
import { redactUrl } from "../store/postgres/redact_url.ts";
import { stringFlag } from "./_args.ts";
import { CliFailure, UsageError } from "./_errors.ts";
import type { ParsedArgs } from "./_args.ts";
import type { CliContext } from "./_command.ts";

export { DEFAULT_STORE } from "../runtime/open_store.ts";

/** Which store the command names: the flag, then `$TOCK_STORE`, then `./.tock`. */
export function storeRef(parsed: ParsedArgs, ctx: CliContext): string {
  return storeRefOf(stringFlag(parsed, "store") ?? ctx.env("TOCK_STORE"));
}

/**
 * Hides the credentials in a store URL before it is printed: everything
 * between `://` and the last `@` (`postgres://***@host/db`).
 */
export function redact(ref: string): string {
  return redactUrl(ref);
}

/** Options for {@linkcode openStore}. */
export interface OpenStoreOptions {
  /**
   * Create the store directory when it does not exist. Read-only commands
   * pass `false`: a missing store then reads as an empty one and nothing is
   * created.
   */
  readonly create: boolean;
  /**
   * Open the store without writing to it, for the read commands: a file
   * store gets no lock file, probe or directory (they then work on a store
   * directory they may not write); a PostgreSQL store's schema is neither
   * created nor migrated.
   */
  readonly readOnly?: boolean;
}

/**
 * Opens a store.
 *
 * A `postgres://` or `postgresql://` URL opens the PostgreSQL store (its
 * schema is created or migrated, unless `readOnly`: then a missing or
 * older schema is refused; `?schema=NAME` picks the schema).
 *
 * @throws {CliFailure} When the store cannot be opened (corrupt, foreign,
 * unsafe permissions, an unreachable or newer database).
 * @throws {UsageError} For a URL of another scheme, or a malformed
 * PostgreSQL URL or schema name.
 */
export async function openStore(
  ref: string,
  options: OpenStoreOptions,
): Promise<JobStore> {
  let location: StoreLocation;
  try {
    location = locateStore(ref);
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  if (location.kind === "postgres") {
    return await openPostgres(location, options.readOnly ?? false);
  }
  const dir = location.dir;
  if (!options.create && !(await exists(dir))) return createMemoryStore();
  try {
    return await openStoreAt(
      location,
      options.readOnly ? { readOnly: true } : {},
    );
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    throw new CliFailure(
      message.startsWith("Cannot")
        ? message
        : `Cannot open store "${dir}": ${message}`,
      { cause: error },
    );
  }
}

/**
 * Opens a PostgreSQL store. Imported on demand, so that commands on a file
 * store never load the PostgreSQL client.
 */
async function openPostgres(
  location: StoreLocation,
  readOnly: boolean,
): Promise<JobStore> {
  try {
    return await openStoreAt(location, { readOnly });
  } catch (error) {
    const message = oneLine((error as Error)?.message ?? String(error));
    if (error instanceof TypeError) {
      throw new UsageError(message, { cause: error });
    }
    throw new CliFailure(message, { cause: error });
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw new CliFailure(
      `Cannot open store "${path}": ${(error as Error).message}`,
      { cause: error },
    );
  }
}
