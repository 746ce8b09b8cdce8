/**
 * The benchmark orchestrator (`deno task bench`): runs every scenario suite,
 * each measurement in a fresh child process, and writes `results.json` and
 * `RESULTS.md`. Progress goes to stderr.
 *
 * Flags: `--quick` (tiny counts and short windows, about a minute),
 * `--only <scenario>[,<scenario>…]` (one of {@linkcode SCENARIOS}, may be
 * repeated), `--out <dir>` (default `bench/` for a full run, `bench/.last/`
 * for a quick or partial one, so that it does not overwrite the figures),
 * `--stores <kind>[,<kind>…]` (the store kinds to measure; without `file`,
 * only the suites that measure other stores run, `POSTGRES` in full).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type BenchConfig, FULL, POSTGRES, QUICK } from "./_config.ts";
import { mergeResults } from "./_merge.ts";
import type { StoreKind } from "./_stores.ts";
import { progress } from "./_child.ts";
import { renderReport } from "./_report.ts";
import { type BenchResults, type ScenarioName, SCENARIOS } from "./_results.ts";
import { runStartLag } from "./suites/start_lag.ts";
import { runLockHold } from "./suites/lock_hold.ts";
import { runLockHoldVsRun } from "./suites/lock_hold_vs_run.ts";
import { runInstances } from "./suites/instances.ts";
import { runClaimThroughput } from "./suites/claim_throughput.ts";
import { runFrozenHolder } from "./suites/frozen_holder.ts";
import { runSeedScenario } from "./suites/seed_scenario.ts";
import { runIdle } from "./suites/idle.ts";
import { runCommandSoak } from "./suites/command_soak.ts";
import { runJobsFileStart } from "./suites/jobs_file_start.ts";

const BENCH_DIR = new URL(".", import.meta.url).pathname;

const STORE_KINDS: readonly StoreKind[] = ["file", "postgres"];

/** The suites that measure PostgreSQL stores only (claims side by side). */
const POSTGRES_SUITES: readonly ScenarioName[] = [
  "claimThroughput",
  "frozenHolder",
];

async function readPrevious(path: string): Promise<BenchResults | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as BenchResults;
  } catch {
    return undefined;
  }
}

function options() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string", multiple: true },
      out: { type: "string" },
      stores: { type: "string", multiple: true },
    },
  });
  const stores = [
    ...new Set(
      (values.stores ?? []).flatMap((o) => o.split(","))
        .map((o) => o.trim()).filter((o) => o !== ""),
    ),
  ];
  for (const kind of stores) {
    if (!(STORE_KINDS as readonly string[]).includes(kind)) {
      throw new TypeError(
        `Cannot measure store '${kind}': expected one of ${
          STORE_KINDS.join(", ")
        }`,
      );
    }
  }
  const only = (values.only ?? []).flatMap((o) => o.split(","))
    .map((o) => o.trim()).filter((o) => o !== "");
  for (const name of only) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new TypeError(
        `Cannot run scenario '${name}': expected one of ${
          SCENARIOS.join(", ")
        }`,
      );
    }
  }
  const partial = values.quick || only.length > 0;
  const kinds = stores as StoreKind[];
  let config: BenchConfig = values.quick ? QUICK : FULL;
  if (kinds.length > 0) {
    config = !values.quick && !kinds.includes("file")
      ? { ...POSTGRES, stores: kinds }
      : { ...config, stores: kinds };
  }
  // The other suites measure the file store only (and POSTGRES_SUITES
  // PostgreSQL only).
  const storeSuites: ScenarioName[] = [
    "startLag",
    "lockHold",
    "instances",
    "claimThroughput",
    "frozenHolder",
  ];
  const scenarios = kinds.length === 0 || kinds.includes("file")
    ? only as ScenarioName[]
    : only.length > 0
    ? storeSuites.filter((name) => only.includes(name))
    : storeSuites;
  if (only.length > 0 && scenarios.length === 0) {
    throw new TypeError(
      `Cannot run ${only.join(", ")} on ${kinds.join(", ")}: only ${
        storeSuites.join(", ")
      } measure other stores than the file store`,
    );
  }
  const postgresOnly = only.filter((name) =>
    (POSTGRES_SUITES as readonly string[]).includes(name)
  );
  if (postgresOnly.length > 0 && !config.stores.includes("postgres")) {
    throw new TypeError(
      `Cannot run ${postgresOnly.join(", ")} on ${
        config.stores.join(", ")
      }: they measure PostgreSQL stores only (add --stores postgres)`,
    );
  }
  return {
    config,
    only: scenarios,
    out: values.out ?? (partial ? `${BENCH_DIR}.last` : BENCH_DIR),
  };
}

function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return info.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

async function main(): Promise<void> {
  const { config, only, out } = options();
  const wants = (name: ScenarioName) =>
    only.length === 0 || only.includes(name);
  const started = performance.now();
  const elapsed = () => {
    const s = Math.round((performance.now() - started) / 1000);
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  };
  const step = (label: string) => progress(`${elapsed()} ${label}`);
  const date = new Date().toISOString();
  const errors: { scenario: ScenarioName; message: string }[] = [];
  // A failing suite (a child that crashed or timed out) is reported, and the
  // other suites still run.
  const suite = async <T>(
    name: ScenarioName,
    run: () => Promise<T>,
  ): Promise<T | undefined> => {
    if (!wants(name)) return undefined;
    try {
      return await run();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      step(`${name} failed: ${message}`);
      errors.push({ scenario: name, message });
      return undefined;
    }
  };

  const startLag = await suite("startLag", () => runStartLag(config, step));
  const lockHold = await suite("lockHold", () => runLockHold(config, step));
  const lockHoldVsRunDuration = await suite(
    "lockHoldVsRunDuration",
    () => runLockHoldVsRun(config, step),
  );
  const instances = await suite(
    "instances",
    () => runInstances(config, step),
  );
  // Claims side by side (issue #13): PostgreSQL stores only.
  const claimThroughput = await suite(
    "claimThroughput",
    () => runClaimThroughput(config, step),
  );
  const frozenHolder = await suite(
    "frozenHolder",
    () => runFrozenHolder(config, step),
  );
  // The seed scenario is two minutes of waiting on a few runs a second; the
  // idle suite (whose CPU figure is its own process's CPU time) runs in it.
  const concurrent: string[] = [];
  if (wants("seedScenario") && wants("idle")) {
    concurrent.push("the seed scenario and the idle cost suite");
  }
  const [seedScenario, idle] = await Promise.all([
    suite("seedScenario", () => runSeedScenario(config, step)),
    suite("idle", () => runIdle(config, step)),
  ]);
  // The command soak measures a daemon's CPU time: it runs alone, after
  // the suites above (never inside the seed scenario, as idle does).
  const commandSoak = await suite(
    "commandSoak",
    () => runCommandSoak(config, step),
  );
  // A start timed on the wall clock: alone too.
  const jobsFileStart = await suite(
    "jobsFileStart",
    () => runJobsFileStart(config, step),
  );
  const results: Omit<BenchResults, "meta"> = {
    ...startLag,
    ...lockHold,
    ...(lockHoldVsRunDuration ? { lockHoldVsRunDuration } : {}),
    ...(instances ? { instances } : {}),
    ...(claimThroughput?.length ? { claimThroughput } : {}),
    ...(frozenHolder?.length ? { frozenHolder } : {}),
    ...(seedScenario ? { seedScenario } : {}),
    ...(idle ? { idle } : {}),
    ...(commandSoak ? { commandSoak } : {}),
    ...(jobsFileStart ? { jobsFileStart } : {}),
  };

  const run: BenchResults = {
    meta: {
      date,
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      os: `${Deno.build.os} ${Deno.build.arch}`,
      cores: navigator.hardwareConcurrency,
      cpu: cpuModel(),
      quick: config.quick,
      only,
      wallSeconds: Math.round((performance.now() - started) / 100) / 10,
      concurrent,
      errors,
      config,
    },
    ...results,
  };
  await Deno.mkdir(out, { recursive: true });
  const json = `${out}/results.json`;
  const md = `${out}/RESULTS.md`;
  const final = mergeResults(await readPrevious(json), run);
  await Deno.writeTextFile(json, `${JSON.stringify(final, null, 2)}\n`);
  await Deno.writeTextFile(md, renderReport(final));
  // The files are checked in: keep them as `deno fmt` wants them.
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", json, md],
    stdout: "null",
    stderr: "inherit",
  }).output();
  step(`wrote ${md} and ${json}`);
  if (errors.length > 0) Deno.exitCode = 1;
}

if (import.meta.main) await main();
