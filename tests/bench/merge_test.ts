// Merging a run's results into those already written: `deno task bench`
// and `deno task bench:postgres` each replace their own rows only.
import { deepEqual, equal, ok } from "node:assert/strict";
import { mergeResults } from "../../bench/_merge.ts";
import { FULL, POSTGRES } from "../../bench/_config.ts";
import { benchMeta } from "./_meta.ts";
import type {
  BenchResults,
  LockHoldRow,
  StartLagRow,
} from "../../bench/_results.ts";
import { spread, summarize } from "../../bench/_stats.ts";
import { renderReport } from "../../bench/_report.ts";

function lag(system: StartLagRow["system"], store: string, p99: number) {
  return {
    system,
    store,
    jobs: 1_000,
    repeats: 1,
    p50Ms: p99,
    p99Ms: p99,
    maxMs: p99,
    startedPercent: 100,
    detail: { p99Ms: spread([p99]) },
  } satisfies StartLagRow;
}

function hold(store: string, storedJobs: number, p99: number): LockHoldRow {
  return {
    store,
    storedJobs,
    dueJobs: storedJobs / 100,
    repeats: 1,
    p50Ms: p99,
    p99Ms: p99,
    maxMs: p99,
    claims: 10,
    pooled: summarize([p99]),
    detail: { p99Ms: spread([p99]) },
  };
}

function fileRun(date: string, p99: number): BenchResults {
  return {
    meta: benchMeta(FULL, date),
    startLag: [
      lag("tock", "file", p99),
      lag("croner9", "none", 10),
      lag("croner", "none", 20),
    ],
    lockHold: [hold("file", 10_000, p99)],
    idle: {
      storedJobs: 10_000,
      cpuPercent: 0.05,
      cpuPercentMean: 0.05,
      heapBytesPerJob: 1_000,
      detail: {},
      croner: {
        cpuPercent: 0.1,
        cpuPercentMean: 0.1,
        heapBytesPerJob: 9_000,
        detail: {},
      },
    },
  };
}

function postgresRun(date: string): BenchResults {
  return {
    meta: { ...benchMeta(POSTGRES, date), only: ["startLag", "lockHold"] },
    startLag: [lag("tock", "postgres", 9), lag("croner", "none", 30)],
    lockHold: [hold("postgres", 1_000_000, 500), hold("postgres", 10_000, 4)],
    lockHoldGrowth: [{
      store: "postgres",
      fromJobs: 1_000,
      toJobs: 1_000_000,
      p99Ratio: 100,
      perRepeat: spread([100]),
    }],
  };
}

Deno.test("mergeResults() keeps the rows of the stores a run did not measure", async (t) => {
  const file = fileRun("2026-01-01T00:00:00.000Z", 5);
  const postgres = postgresRun("2026-01-02T00:00:00.000Z");
  const both = mergeResults(file, postgres);

  await t.step("a PostgreSQL run adds its rows beside the file store's", () => {
    equal(both.meta, file.meta);
    deepEqual(Object.keys(both.storeRuns ?? {}), ["postgres"]);
    equal(both.storeRuns?.postgres, postgres.meta);
    deepEqual(
      both.startLag?.map((r) => `${r.system}/${r.store}/${r.p99Ms}`),
      [
        "tock/file/5",
        "tock/postgres/9",
        "croner/none/20",
        "croner9/none/10",
      ],
    );
    deepEqual(
      both.lockHold?.map((r) => `${r.store}/${r.storedJobs}`),
      ["file/10000", "postgres/10000", "postgres/1000000"],
    );
    equal(both.idle, file.idle);
  });

  await t.step(
    "a later file run keeps the PostgreSQL rows and their run",
    () => {
      const again = mergeResults(both, fileRun("2026-01-03T00:00:00.000Z", 6));
      equal(again.meta.date, "2026-01-03T00:00:00.000Z");
      equal(again.storeRuns?.postgres, postgres.meta);
      deepEqual(
        again.startLag?.map((r) => `${r.system}/${r.store}/${r.p99Ms}`),
        [
          "tock/file/6",
          "tock/postgres/9",
          "croner/none/20",
          "croner9/none/10",
        ],
      );
      equal(again.lockHoldGrowth?.length, 1);
    },
  );

  await t.step("a second PostgreSQL run replaces the first one's rows", () => {
    const later = postgresRun("2026-01-04T00:00:00.000Z");
    const again = mergeResults(both, later);
    equal(again.storeRuns?.postgres, later.meta);
    equal(again.lockHold?.filter((r) => r.store === "postgres").length, 2);
  });

  await t.step("with nothing written before, the run is the results", () => {
    equal(mergeResults(undefined, postgres), postgres);
  });

  await t.step("the report names the run of the PostgreSQL rows", () => {
    const md = renderReport(both);
    ok(md.includes("The `postgres` rows come from `deno task bench:postgres`"));
    ok(md.includes("Beyond the targets' range (not judged):"), md);
    ok(md.includes("lock hold p99, N=1,000,000 (postgres"), md);
    ok(!md.includes("| lock hold p99 growth, N=1,000 → 1,000,000"), md);
  });
});
