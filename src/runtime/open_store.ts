/**
 * Opens a store named the way the command line names one: a directory (a
 * file store), a `file://` URL, or a `postgres://` URL; `$TOCK_STORE`, then
 * `./.tock`, when none is given. The command line (`src/cli/_store.ts`) and
 * `cron()` both open their stores here.
 *
 * @module
 */

import type { JobStore } from "../store/store.ts";
import { createFileStore } from "../store/file/file_store.ts";
import { redactUrl } from "../store/postgres/redact_url.ts";

/** The default store directory. */
export const DEFAULT_STORE = "./.tock";

/** Where a store reference points. */
export type StoreLocation =
  | { readonly kind: "postgres"; readonly url: string }
  | { readonly kind: "dir"; readonly dir: string };

/**
 * The store a reference names, `./.tock` when it is missing or blank.
 *
 * @param ref `--store`, `$TOCK_STORE` or an option; `undefined` when unset.
 * @returns The reference to open.
 */
export function storeRefOf(ref: string | undefined): string {
  return ref === undefined || ref.trim() === "" ? DEFAULT_STORE : ref;
}

/**
 * Reads a store reference without opening anything.
 *
 * @param ref A directory, a `file://` URL, or a `postgres://` (or
 * `postgresql://`) URL.
 * @returns Where it points.
 * @throws {TypeError} For a URL of another scheme or a malformed file URL;
 * the message shows the reference with its password hidden.
 */
export function locateStore(ref: string): StoreLocation {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(ref)?.[1]?.toLowerCase();
  if (scheme === "postgres" || scheme === "postgresql") {
    return { kind: "postgres", url: ref };
  }
  if (scheme === "file") {
    try {
      return { kind: "dir", dir: decodeURIComponent(new URL(ref).pathname) };
    } catch (error) {
      throw new TypeError(
        `Cannot open store "${redactUrl(ref)}": not a valid file URL`,
        { cause: error },
      );
    }
  }
  if (scheme !== undefined) {
    throw new TypeError(
      `Cannot open store "${
        redactUrl(ref)
      }": unknown store URL scheme "${scheme}:" (use a directory or postgres://)`,
    );
  }
  return { kind: "dir", dir: ref };
}

/** Options for {@linkcode openStoreAt}. */
export interface OpenStoreAtOptions {
  /**
   * Open without writing (see `FileStoreOptions.readOnly` and the
   * PostgreSQL store's `readOnly`).
   *
   * @default {false}
   */
  readonly readOnly?: boolean;
}

/**
 * Opens the store at a location. The PostgreSQL client is imported only
 * when a PostgreSQL store is opened.
 *
 * @param location From {@linkcode locateStore}.
 * @param options `readOnly`.
 * @returns The open store; close it when done.
 * @throws {StoreError} When the store cannot be opened (corrupt, foreign,
 * unsafe permissions, an unreachable or newer database).
 * @throws {TypeError} For a malformed PostgreSQL URL or schema name.
 */
export async function openStoreAt(
  location: StoreLocation,
  options: OpenStoreAtOptions = {},
): Promise<JobStore> {
  const readOnly = options.readOnly ?? false;
  if (location.kind === "postgres") {
    const { createPostgresStore } = await import(
      "../store/postgres/postgres_store.ts"
    );
    return await createPostgresStore({ url: location.url, readOnly });
  }
  return await createFileStore({ dir: location.dir, readOnly });
}
