// Run counts for property tests: pinned for `deno task test`, raised by
// TOCK_PROPERTY_RUNS (2000 by default under `deno task test:props`, see
// _props.ts); TOCK_PROPERTY_SEED replays. A value that is set but cannot be
// read fails the test that asks for it: a typo must not quietly fall back to
// the pinned counts (or to a random seed).

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: keep the pinned defaults
  }
}

/**
 * The run count a `TOCK_PROPERTY_RUNS` value asks for.
 *
 * @param text The variable's value, `undefined` when it is not set.
 * @returns The count, or `undefined` when the variable is not set.
 * @throws {RangeError} When it is set but is not a positive integer.
 */
export function parsePropertyRuns(
  text: string | undefined,
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot run property tests as TOCK_PROPERTY_RUNS must be a positive integer: received ${
        JSON.stringify(text)
      }`,
    );
  }
  return value;
}

/**
 * The run count: `TOCK_PROPERTY_RUNS` if set, else the pinned default.
 *
 * @throws {RangeError} When `TOCK_PROPERTY_RUNS` is set but is not a
 * positive integer.
 */
export function propertyRuns(pinned: number): number {
  return parsePropertyRuns(env("TOCK_PROPERTY_RUNS")) ?? pinned;
}

/**
 * fast-check parameters: pinned runs, and the seed to replay if given.
 *
 * @throws {RangeError} When `TOCK_PROPERTY_RUNS` or `TOCK_PROPERTY_SEED` is
 * set but cannot be read.
 */
export function propertyParams(
  pinned: number,
): { numRuns: number; seed?: number } {
  const numRuns = propertyRuns(pinned);
  const text = env("TOCK_PROPERTY_SEED");
  if (text === undefined) return { numRuns };
  const seed = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(seed)) {
    throw new RangeError(
      `Cannot replay property tests as TOCK_PROPERTY_SEED must be an integer: received ${
        JSON.stringify(text)
      }`,
    );
  }
  return { numRuns, seed };
}
