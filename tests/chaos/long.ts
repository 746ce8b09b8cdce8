// deno-lint-ignore-file no-console
// The long chaos run: `deno task test:chaos`. Runs chaos runs with new seeds
// for CHAOS_MINUTES (default 20), 3–5 instances each, prints a line per run
// and a totals table, writes the totals to tests/chaos/last_run.json, and
// exits 1 if any run found a violation (printing the seeds to replay).
//
// With `--store postgres://…/db` (or CHAOS_STORE), the same runs on that
// database, each in a schema of its own, with its faults too: instances cut
// off through a TCP proxy, the lock holder's session terminated, and (where
// this machine allows it) a server restart per run. Those write
// tests/chaos/last_run_postgres.json.
//
//   CHAOS_MINUTES=3 deno task test:chaos
//   CHAOS_SEED=1234 deno task test:chaos      # replay one run
//   deno task test:chaos --store postgres://postgres@127.0.0.1:5432/test
import { parseArgs } from "node:util";
import { type ChaosReport, runChaos, summaryLine } from "./_harness.ts";
import { ChaosDatabase } from "./_database.ts";
import { createPrng, parseSeed, randomSeed } from "./_prng.ts";

/** A run's size, drawn from its seed, so that the seed alone replays it. */
export function longRunOptions(
  seed: number,
): {
  instances: number;
  jobs: number;
  durationMs: number;
  clockJumps: boolean;
} {
  const prng = createPrng(seed ^ 0x5eed_cafe);
  return {
    instances: prng.int(3, 5),
    jobs: prng.int(5, 10),
    durationMs: prng.int(45, 100) * 1000,
    // Half the runs also make wall clocks jump (TOCK_TEST_CLOCK_FILE).
    clockJumps: prng.chance(0.5),
  };
}

const TOTALS = [
  "instances",
  "kills",
  "stops",
  "terms",
  "restarts",
  "twins",
  "ticks",
  "tickKills",
  "retryStops",
  "cuts",
  "terminations",
  "dbRestarts",
  "fenced",
  "skipped",
  "clockJumps",
  "slots",
  "runs",
  "abandoned",
  "reruns",
  "cancelled",
  "unsettled",
  "duplicates",
  "doubled",
  "unaccounted",
  "dropped",
] as const;

type Totals = Record<(typeof TOTALS)[number] | "violations", number>;

function total(reports: readonly ChaosReport[]): Totals {
  const out = Object.fromEntries(
    [...TOTALS, "violations"].map((k) => [k, 0]),
  ) as Totals;
  for (const r of reports) {
    for (const key of TOTALS) out[key] += r[key];
    out.violations += r.violations.length;
  }
  return out;
}

async function main(): Promise<number> {
  const seedText = Deno.env.get("CHAOS_SEED");
  const minutes = Number(Deno.env.get("CHAOS_MINUTES") ?? "20");
  if (!Number.isFinite(minutes) || minutes <= 0) {
    console.error(
      `CHAOS_MINUTES must be a positive number: received ${minutes}`,
    );
    return 2;
  }
  const verbose = Deno.env.get("CHAOS_VERBOSE") !== undefined;
  const { values } = parseArgs({
    args: Deno.args,
    options: { store: { type: "string" } },
  });
  const database = values.store ?? Deno.env.get("CHAOS_STORE");
  if (database !== undefined && !/^postgres(ql)?:\/\//.test(database)) {
    console.error(
      `--store must be a postgres:// URL (the file store is the default): received ${database}`,
    );
    return 2;
  }
  const restart = database !== undefined && await ChaosDatabase.canRestart();
  const out = new URL(
    database ? "./last_run_postgres.json" : "./last_run.json",
    import.meta.url,
  );
  const started = performance.now();
  const deadline = started + minutes * 60_000;
  const reports: ChaosReport[] = [];
  console.log(
    seedText
      ? `tock chaos: replaying seed ${seedText}`
      : `tock chaos: new seeds for ${minutes} min`,
    database
      ? `on PostgreSQL${restart ? ", with a server restart per run" : ""}`
      : "on a file store",
  );
  do {
    const seed = seedText ? parseSeed(seedText) : randomSeed();
    const options = longRunOptions(seed);
    const lines: string[] = [];
    const report = await runChaos({
      seed,
      ...options,
      ...(database ? { database, databaseRestart: restart } : {}),
      keepOnFailure: true,
      log: (line) => verbose ? console.log(line) : lines.push(line),
    });
    reports.push(report);
    if (report.violations.length > 0) {
      if (!verbose) console.log(lines.join("\n"));
      console.log(`files kept in ${report.dir}`);
    }
    console.log(`[run ${reports.length}] ${summaryLine(report)}`);
  } while (!seedText && performance.now() < deadline);

  const totals = total(reports);
  const failing = reports.filter((r) => r.violations.length > 0);
  const width = Math.max(...Object.keys(totals).map((k) => k.length));
  console.log(
    `\ntotals over ${reports.length} runs, ${
      ((performance.now() - started) / 60_000).toFixed(1)
    } min`,
  );
  for (const [key, value] of Object.entries(totals)) {
    console.log(`  ${key.padEnd(width)}  ${String(value).padStart(7)}`);
  }
  await Deno.writeTextFile(
    out,
    JSON.stringify(
      {
        finishedAt: new Date().toISOString(),
        store: database ? "postgres" : "file",
        minutes: Math.round((performance.now() - started) / 600) / 100,
        runs: reports.length,
        totals,
        failingSeeds: failing.map((r) => r.seed),
        reports: reports.map((r) => ({
          ...r,
          violations: r.violations.slice(0, 20),
        })),
      },
      null,
      2,
    ) + "\n",
  );
  if (failing.length === 0) {
    console.log("no violations");
    return 0;
  }
  for (const r of failing) {
    console.log(
      `seed ${r.seed}: ${r.violations.length} violation(s); replay: CHAOS_SEED=${r.seed} deno task test:chaos${
        database ? " --store <the same URL>" : ""
      }`,
    );
  }
  return 1;
}

if (import.meta.main) Deno.exit(await main());
