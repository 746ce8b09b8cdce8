// The `meta` of a results file, for tests that build results by hand.
import { type BenchConfig, FULL } from "../../bench/_config.ts";
import type { BenchMeta } from "../../bench/_results.ts";

/** A run's meta: a full run of `config` on `date`. */
export function benchMeta(
  config: BenchConfig = FULL,
  date = "2026-01-01T00:00:00.000Z",
): BenchMeta {
  return {
    date,
    deno: "2.9.6",
    v8: "x",
    os: "linux x86_64",
    cores: 2,
    cpu: "test",
    quick: false,
    only: [],
    wallSeconds: 1,
    concurrent: [],
    errors: [],
    config,
  };
}
