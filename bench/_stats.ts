/**
 * Statistics for the benchmark: percentiles of one run's samples, and the
 * median, minimum and maximum of a figure over repeated runs.
 *
 * Percentiles use the nearest-rank method: the p-th percentile of n sorted
 * samples is the sample at rank ⌈p/100 · n⌉, so every figure reported is a
 * value that was actually observed (no interpolation between samples).
 *
 * @module
 */

/** The latency figures of one run, in milliseconds. */
export interface LatencySummary {
  /** How many samples the figures come from. */
  readonly count: number;
  /** Median sample (`null` without samples). */
  readonly p50Ms: number | null;
  /** 99th percentile (`null` without samples). */
  readonly p99Ms: number | null;
  /** Largest sample (`null` without samples). */
  readonly maxMs: number | null;
}

/** A figure over repeated runs: its median, minimum, maximum and values. */
export interface Spread {
  /** The median of the runs' values (the mean of the middle two if even). */
  readonly median: number | null;
  /** The smallest value. */
  readonly min: number | null;
  /** The largest value. */
  readonly max: number | null;
  /** Every run's value, in run order. */
  readonly runs: readonly (number | null)[];
}

/**
 * The nearest-rank percentile of samples.
 *
 * @param samples The samples, in any order (not modified).
 * @param p The percentile, 0 to 100.
 * @returns The sample at rank ⌈p/100 · n⌉ (the smallest for p = 0), or
 * `null` when there are no samples.
 * @throws {RangeError} When `p` is outside 0 to 100.
 * @example The median and p99 of 1 to 100
 * ```ts
 * import { percentile } from "./_stats.ts";
 * const xs = Array.from({ length: 100 }, (_, i) => i + 1);
 * console.assert(percentile(xs, 50) === 50 && percentile(xs, 99) === 99);
 * ```
 */
export function percentile(
  samples: readonly number[],
  p: number,
): number | null {
  if (!(p >= 0 && p <= 100)) {
    throw new RangeError(
      `Cannot take percentile as 'p' must be between 0 and 100: received ${p}`,
    );
  }
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/**
 * Summarises one run's latencies.
 *
 * @param samples Latencies in ms.
 * @returns Count, p50, p99 and max (rounded to 0.001 ms).
 */
export function summarize(samples: readonly number[]): LatencySummary {
  const max = samples.reduce((a, b) => Math.max(a, b), -Infinity);
  return {
    count: samples.length,
    p50Ms: round(percentile(samples, 50)),
    p99Ms: round(percentile(samples, 99)),
    maxMs: samples.length === 0 ? null : round(max),
  };
}

/**
 * The median, minimum and maximum of one figure over repeated runs. Runs
 * without a value (`null`) are kept in `runs` but not counted.
 *
 * @param values One value per run.
 * @returns The spread; all `null` when no run has a value.
 * @example Three repeats
 * ```ts
 * import { spread } from "./_stats.ts";
 * const s = spread([3, 1, 2]);
 * console.assert(s.median === 2 && s.min === 1 && s.max === 3);
 * ```
 */
export function spread(values: readonly (number | null)[]): Spread {
  const known = values.filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
  if (known.length === 0) {
    return { median: null, min: null, max: null, runs: [...values] };
  }
  const mid = Math.floor(known.length / 2);
  const median = known.length % 2 === 1
    ? known[mid]!
    : (known[mid - 1]! + known[mid]!) / 2;
  return {
    median: round(median),
    min: known[0]!,
    max: known[known.length - 1]!,
    runs: [...values],
  };
}

/**
 * A ratio of two figures, `null` when either is unknown or the divisor is 0.
 *
 * @param numerator The figure compared.
 * @param denominator The figure it is compared with.
 * @returns `numerator / denominator`, rounded to 0.001.
 */
export function ratio(
  numerator: number | null,
  denominator: number | null,
): number | null {
  if (numerator === null || denominator === null || denominator === 0) {
    return null;
  }
  return round(numerator / denominator);
}

/**
 * Rounds to three decimals (microseconds, for milliseconds).
 *
 * @param value A number or `null`.
 * @returns The rounded number, or `null`.
 */
export function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 1000) / 1000;
}

/**
 * The spread of several numeric fields over repeated runs.
 *
 * @param runs One result per run.
 * @param keys The fields (each a number or `null` in every result).
 * @returns A {@linkcode Spread} per field.
 */
export function spreadsOf<T, K extends keyof T & string>(
  runs: readonly T[],
  keys: readonly K[],
): Record<K, Spread> {
  const out = {} as Record<K, Spread>;
  for (const key of keys) {
    out[key] = spread(runs.map((run) => {
      const value = run[key];
      return typeof value === "number" ? value : null;
    }));
  }
  return out;
}
