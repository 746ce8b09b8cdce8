/**
 * What every store's instance holds share: the refusal message and the
 * hold object around a backend's release and check.
 *
 * @module
 */

import { StoreError } from "../errors.ts";
import type { InstanceHold, InstanceHolder } from "./store.ts";

/**
 * The error for an instance id another process holds.
 *
 * @param id The instance id.
 * @param holder Who holds it, when known.
 * @returns A one-line `StoreError`.
 */
export function takenError(
  id: string,
  holder: Partial<InstanceHolder> | undefined,
): StoreError {
  const pid = holder?.pid !== undefined ? `pid ${holder.pid}` : "";
  const host = holder?.host
    ? `host ${holder.host.replace(/\s+/g, " ").slice(0, 255)}`
    : "";
  const who = pid && host ? `${pid} on ${host}` : pid || host;
  return new StoreError(
    `Cannot take instance id '${id}': a running process holds it${
      who ? ` (${who})` : ""
    }; stop it or choose another --instance`,
  );
}

/** What a backend supplies to {@linkcode instanceHold}. */
export interface HoldBackend {
  /** Whether the backend's hold still stands, taking it again if it can. */
  check(): Promise<boolean>;
  /** Gives the backend's hold up. */
  release(): Promise<void>;
}

/**
 * A hold whose release runs once.
 *
 * @param id The instance id.
 * @param backend The backend's check and release.
 * @returns The hold.
 */
export function instanceHold(id: string, backend: HoldBackend): InstanceHold {
  let released: Promise<void> | undefined;
  const release = () => released ??= backend.release();
  return {
    id,
    check: () => released ? Promise.resolve(false) : backend.check(),
    release,
    [Symbol.asyncDispose]: release,
  };
}

/**
 * The instance ids held through one store object, all released when it
 * closes (as the kernel or the server would when its process dies).
 */
export class HoldSet {
  readonly #holds = new Set<InstanceHold>();

  /**
   * Tracks a hold until it is released.
   *
   * @param hold The backend's hold.
   * @param check Replaces the hold's check (e.g. to verify the store first).
   * @returns The hold to give the caller.
   */
  track(hold: InstanceHold, check = () => hold.check()): InstanceHold {
    this.#holds.add(hold);
    const release = async () => {
      this.#holds.delete(hold);
      await hold.release();
    };
    return { id: hold.id, check, release, [Symbol.asyncDispose]: release };
  }

  /** Releases every hold still tracked. */
  async releaseAll(): Promise<void> {
    for (const hold of [...this.#holds]) await hold.release();
    this.#holds.clear();
  }
}
