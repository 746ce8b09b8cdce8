/**
 * The command line's test-only wall-clock offset. When the environment
 * variable `TOCK_TEST_CLOCK_FILE` names a file, the command line's wall
 * clock is the system's plus the offset in that file: an integer number of
 * milliseconds (negative moves the clock back), re-read at most every 100 ms.
 * A test writes the file to make the wall clock of a running `tock start`
 * jump, as an NTP step or a suspended laptop would; monotonic time, sleeps
 * and timers stay real. A missing, partly written or malformed file keeps
 * the last offset read (0 at first). Not for production use.
 *
 * @module
 */

import { type Clock, offsetClock, systemClock } from "../clock.ts";

/** The environment variable that names the offset file. */
export const TEST_CLOCK_VARIABLE = "TOCK_TEST_CLOCK_FILE";

const REREAD_MS = 100;

/**
 * The command line's clock: the system clock, shifted by the offset file
 * when `TOCK_TEST_CLOCK_FILE` is set.
 */
export function clockFromEnv(
  env: (name: string) => string | undefined,
): Clock {
  const path = env(TEST_CLOCK_VARIABLE);
  if (path === undefined || path === "") return systemClock;
  let offset = 0;
  let readAt = -Infinity;
  return offsetClock(systemClock, () => {
    const at = systemClock.monotonic();
    if (at - readAt >= REREAD_MS) {
      readAt = at;
      offset = readOffset(path, offset);
    }
    return offset;
  });
}

function readOffset(path: string, previous: number): number {
  let text: string;
  try {
    // Synchronous on purpose: `Clock.now()` is synchronous, and the read is
    // rate-limited and test-only.
    text = Deno.readTextFileSync(path).trim();
  } catch {
    return previous;
  }
  const value = Number(text);
  return /^[-+]?\d+$/.test(text) && Number.isSafeInteger(value)
    ? value
    : previous;
}
