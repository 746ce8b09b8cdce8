/**
 * Deterministic jitter: the same delay for a (job, slot) in every process.
 *
 * @module
 */

const ENCODER = new TextEncoder();

/**
 * The delay to add to a slot, derived from a hash of `${jobId}|${slot}`
 * (32-bit FNV-1a over the UTF-8 bytes, then murmur3's finaliser to spread
 * the bits), so every instance computes the same value without talking.
 *
 * @param jobId The job's id.
 * @param slot The slot (epoch ms).
 * @param jitterMs The largest delay wanted (ms); 0 disables jitter.
 * @param nextSlot The slot after `slot`, when there is one: the delay is then
 * kept strictly below `nextSlot - slot`, so a run never starts after the
 * next slot is due.
 * @returns An integer delay in `[0, jitterMs]` (ms).
 * @throws {RangeError} When `jitterMs` is negative or not finite.
 * @example
 * ```ts
 * import { jitterFor } from "./jitter.ts";
 * import assert from "node:assert/strict";
 * const d = jitterFor("backup", Date.UTC(2026, 0, 1), 30_000);
 * assert.ok(d >= 0 && d <= 30_000);
 * assert.equal(jitterFor("backup", Date.UTC(2026, 0, 1), 30_000), d);
 * ```
 */
export function jitterFor(
  jobId: string,
  slot: number,
  jitterMs: number,
  nextSlot?: number,
): number {
  if (!(jitterMs >= 0) || !Number.isFinite(jitterMs)) {
    throw new RangeError(
      `Cannot compute jitter as 'jitterMs' must be a non-negative number: received ${jitterMs}`,
    );
  }
  let max = Math.floor(jitterMs);
  if (nextSlot !== undefined) {
    max = Math.min(max, Math.ceil(nextSlot - slot) - 1);
  }
  if (!(max > 0)) return 0;
  return Math.floor((hash(`${jobId}|${slot}`) / 2 ** 32) * (max + 1));
}

function hash(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of ENCODER.encode(text)) {
    h = Math.imul(h ^ byte, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
