// Run counts for property tests: pinned for `deno task test`, raised by
// TOCK_PROPERTY_RUNS for `deno task test:props`; TOCK_PROPERTY_SEED replays.

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** The run count: `TOCK_PROPERTY_RUNS` if set, else the pinned default. */
export function propertyRuns(pinned: number): number {
  const value = Number(env("TOCK_PROPERTY_RUNS"));
  return Number.isSafeInteger(value) && value > 0 ? value : pinned;
}

/** fast-check parameters: pinned runs, and the seed to replay if given. */
export function propertyParams(
  pinned: number,
): { numRuns: number; seed?: number } {
  const seed = Number(env("TOCK_PROPERTY_SEED"));
  return {
    numRuns: propertyRuns(pinned),
    ...(Number.isSafeInteger(seed) && env("TOCK_PROPERTY_SEED")
      ? { seed }
      : {}),
  };
}
