/**
 * The stores a scenario can run on, named by kind, so that every scenario
 * takes a {@linkcode StoreSpec} and a new backend (PostgreSQL, issue 6) is
 * one more case here plus rows in the plan, not a new scenario.
 *
 * A spec is plain JSON: the orchestrator prepares it, passes it to children
 * and disposes of it when they have exited.
 *
 * @module
 */

import type { JobStore } from "../src/store/store.ts";
import { createFileStore } from "../src/store/file_store.ts";

/** The store kinds the benchmark knows. */
export type StoreKind = "file";

/** Where a scenario's store lives (JSON, passed to child processes). */
export type StoreSpec = { readonly kind: "file"; readonly dir: string };

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
   * one store built once.
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
      const spec: StoreSpec = { kind, dir: `${root}/store` };
      if (options.copyOf) await copyDir(options.copyOf.dir, spec.dir);
      return {
        spec,
        dispose: () => Deno.remove(root, { recursive: true }).catch(() => {}),
      };
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
  }
}
