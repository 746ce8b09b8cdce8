/**
 * Run ids: every run of every job gets one when its slot is claimed (or a
 * manual run is asked for), minted only here.
 *
 * @module
 */

/** Run ids start with this. */
export const RUN_ID_PREFIX = "run-";

/**
 * Mints a run id: the prefix and a random UUID.
 *
 * @returns A new run id.
 * @example Usage
 * ```ts
 * import { newRunId, RUN_ID_PREFIX } from "./run_id.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(newRunId().startsWith(RUN_ID_PREFIX));
 * ```
 */
export function newRunId(): string {
  return `${RUN_ID_PREFIX}${crypto.randomUUID()}`;
}
