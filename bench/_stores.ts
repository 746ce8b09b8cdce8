/**
 * The stores a scenario can run on, named by kind, so that every scenario
 * takes a {@linkcode StoreSpec} and a new backend (PostgreSQL, issue 6) is
 * one more case here plus rows in the plan, not a new scenario.
 *
 * A spec is plain JSON: the orchestrator prepares it, passes it to children
 * and disposes of it when they have exited. A PostgreSQL store is a schema
 * of its own (`tock_bench_<hex>`, see `_pg.ts`), dropped on disposal.
 *
 * @module
 */

import type { JobStore } from "../src/store/store.ts";
import { createFileStore } from "../src/store/file/file_store.ts";
import { createPostgresStore } from "../src/store/postgres/postgres_store.ts";
import { copyRows, dropSchema, freshSchema, PG_URL } from "./_pg.ts";

/** The store kinds the benchmark knows. */
export type StoreKind = "file" | "postgres";

/** A file store's directory. */
export interface FileSpec {
  readonly kind: "file";
  readonly dir: string;
}

/** A PostgreSQL store's database and schema. */
export interface PostgresSpec {
  readonly kind: "postgres";
  readonly url: string;
  readonly schema: string;
}

/** Where a scenario's store lives (JSON, passed to child processes). */
export type StoreSpec = FileSpec | PostgresSpec;

/** A prepared, empty store location and how to remove it. */
export interface PreparedStore {
  /** The location, for {@linkcode openStore}. */
  readonly spec: StoreSpec;
  /** Deletes the store (after every process using it has exited). */
  dispose(): Promise<void>;
}

/** Options for {@linkcode prepareStore}. */
export interface PrepareStoreOptions {
  /**
   * A store (of the same kind, not in use) to copy: building 100,000 jobs
   * takes several seconds, copying them a fraction of that, so repeats copy
   * one store built once. A PostgreSQL copy has every row but run logs and
   * instances.
   */
  readonly copyOf?: StoreSpec;
}

/**
 * Prepares a store location of a kind: empty, or a copy of another store.
 *
 * @param kind The backend.
 * @param options What to copy.
 * @returns The spec and its disposal.
 */
export async function prepareStore(
  kind: StoreKind,
  options: PrepareStoreOptions = {},
): Promise<PreparedStore> {
  switch (kind) {
    case "file": {
      const root = await Deno.makeTempDir({ prefix: "tock-bench-" });
      const spec: FileSpec = { kind, dir: `${root}/store` };
      const from = options.copyOf;
      if (from?.kind === "file") await copyDir(from.dir, spec.dir);
      else if (from) {
        throw new TypeError(
          `Cannot copy a ${from.kind} store into a file store`,
        );
      }
      return {
        spec,
        dispose: () => Deno.remove(root, { recursive: true }).catch(() => {}),
      };
    }
    case "postgres": {
      const spec: PostgresSpec = { kind, url: PG_URL, schema: freshSchema() };
      const dispose = () => dropSchema(spec.schema);
      try {
        // Opening creates the tables; closing leaves them.
        await (await openStore(spec)).close();
        const from = options.copyOf;
        if (from) {
          if (from.kind !== "postgres") {
            throw new TypeError(
              `Cannot copy a ${from.kind} store into a PostgreSQL store`,
            );
          }
          await copyRows(from.schema, spec.schema);
        }
      } catch (error) {
        await dispose();
        throw error;
      }
      return { spec, dispose };
    }
  }
}

/** Copies a file store's directory, keeping its modes (0700 and 0600). */
async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { mode: 0o700 });
  await Deno.chmod(to, 0o700);
  for await (const entry of Deno.readDir(from)) {
    // Instance heartbeats belong to the processes that wrote them.
    if (entry.name === "instances") continue;
    const source = `${from}/${entry.name}`;
    const target = `${to}/${entry.name}`;
    if (entry.isDirectory) await copyDir(source, target);
    else {
      await Deno.copyFile(source, target);
      await Deno.chmod(target, 0o600);
    }
  }
}

/**
 * Opens the store a spec names (created on first open).
 *
 * @param spec The location.
 * @returns The store; close it when done.
 */
export async function openStore(spec: StoreSpec): Promise<JobStore> {
  switch (spec.kind) {
    case "file":
      return await createFileStore({ dir: spec.dir });
    case "postgres":
      return await createPostgresStore({ url: spec.url, schema: spec.schema });
  }
}
