// deno-lint-ignore-file no-console
// Several machines on one PostgreSQL database, as real processes: three
// `tock start` instances share a fresh schema and run per-second command
// jobs. One is SIGKILLed and replaced; one reaches the database through a
// TCP proxy that the test cuts for longer than the lease, so it really loses
// its connections (it stops claiming, keeps running what it has, is judged
// dead by the others, and comes back). Then, from the side-effect file and
// the ledger (read with `tock list/history --json`): no (job, slot) started
// twice, and every slot up to each job's cursor has exactly one outcome
// (ranges included) or is pending (tests/chaos/_check.ts).
import { deepEqual, ok } from "node:assert/strict";
import { ChaosInstance } from "../../chaos/_instance.ts";
import { checkChaos, type ListedJob } from "../../chaos/_check.ts";
import { addJobs } from "../../chaos/_harness.ts";
import type { ChaosJob } from "../../chaos/_plan.ts";
import { type HistoryEntry, tockJson } from "../../cli/e2e/_cli.ts";
import {
  dropSchema,
  freshSchema,
  ignorePostgres,
  PG_URL,
  withAdmin,
} from "./_pg.ts";
import { targetOf, TcpProxy, viaProxy } from "./_proxy.ts";

const ignore = ignorePostgres("multi-process test on PostgreSQL");

const JOBS: ChaosJob[] = [
  {
    id: "every-second",
    schedule: "every 1s",
    overlap: "skip",
    recover: "abandon",
    sleeper: false,
    sleepMs: 0,
    retries: 0,
    backoffMs: 0,
  },
  {
    id: "cron-second",
    schedule: "* * * * * *",
    overlap: "skip",
    recover: "abandon",
    sleeper: true,
    sleepMs: 1500,
    retries: 0,
    backoffMs: 0,
  },
  {
    id: "rerun",
    schedule: "every 2s",
    overlap: "allow",
    recover: "rerun",
    sleeper: true,
    sleepMs: 2500,
    retries: 0,
    backoffMs: 0,
  },
];

const STARTED = / instance \S+ started \(store /;
const RUN_STARTED = /: run \S+ (attempt \d+ )?started/;
const LEASE_MS = 10_000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("schema", schema);
  return parsed.href;
}

Deno.test({
  name:
    "three tock processes on one PostgreSQL database, one SIGKILLed and one cut off past its lease: no slot runs twice, every slot is accounted",
  ignore,
  async fn() {
    const origin = performance.now();
    const dir = await Deno.makeTempDir({ prefix: "tock-pg-multi-" });
    const effects = `${dir}/effects.log`;
    const schema = freshSchema();
    const url = withSchema(PG_URL, schema);
    const proxy = TcpProxy.start(targetOf(PG_URL));
    const instances: ChaosInstance[] = [];
    const log: string[] = [];
    const note = (text: string) =>
      log.push(
        `+${((performance.now() - origin) / 1000).toFixed(3)}s test ${text}`,
      );
    const start = (name: string, store: string) => {
      const instance = new ChaosInstance({ name, store, origin });
      instances.push(instance);
      return instance;
    };
    try {
      await addJobs(JOBS, url, effects);
      const a = start("a", url);
      const b = start("b", url);
      const c = start("c", viaProxy(url, proxy));
      const up = await Promise.all(
        [a, b, c].map((i) => i.waitForLine(STARTED, 20_000)),
      );
      deepEqual(up, [true, true, true], "every instance started");
      note("all started");

      await delay(3000);
      const killedAt = Date.now();
      a.signal("SIGKILL");
      await a.exited;
      note("a killed");
      await delay(1000);
      const a2 = start("a2", url);
      ok(await a2.waitForLine(STARTED, 20_000), "a2 started");
      note("a2 started");

      // Cut c off right after it starts a run, for longer than the lease:
      // it cannot record the outcome, and the others judge it dead.
      const busy = await c.waitForLine(RUN_STARTED, 8000);
      await proxy.cut();
      note(`c cut off${busy ? " while running" : ""}`);
      await delay(LEASE_MS + 2000);
      proxy.restore();
      const restoredAt = Date.now();
      note("c reconnected");
      await delay(5000);
      // c heartbeats again (the others removed its record when they judged
      // it dead), stamped by the database's clock.
      const [beating] = await withAdmin((sql) =>
        sql.unsafe(
          `select count(*)::int as n from ${schema}.instances
           where id = 'c' and db_heartbeat_at > clock_timestamp() - interval '3 seconds'`,
        )
      );

      const termed = new Set<string>();
      const endedAt = Date.now();
      for (const instance of [a2, b, c]) {
        termed.add(instance.name);
        instance.signal("SIGTERM");
      }
      const exits = await Promise.all([a2, b, c].map((i) => i.exited));
      note(`stopped: ${JSON.stringify(exits)}`);
      // Commands of the killed instance die with it (their supervisor kills
      // them within a second); let any last line reach the file.
      await delay(2600);

      const listed = await tockJson<ListedJob[]>(["list"], { store: url });
      const history = await tockJson<HistoryEntry[]>(
        ["history", "--limit", "1000000"],
        { store: url },
      );
      const lines = (await Deno.readTextFile(effects)).split("\n")
        .filter((line) => line !== "");
      const result = checkChaos({
        jobs: JOBS,
        effects: lines,
        history,
        listed,
        killed: new Map([["a", [killedAt]]]),
        // Cut off past its lease is, to the others, what frozen is; it is
        // back once its heartbeats are (within a second of reconnecting).
        stopped: new Set(["c"]),
        resumed: new Map([["c", restoredAt + 2000]]),
        termed,
        endedAt,
      });
      const [claims] = await withAdmin((sql) =>
        sql.unsafe(
          `select count(*)::int as claims,
             count(distinct (job, slot, kind))::int as distinct_claims
           from ${schema}.claims`,
        )
      );
      const cErrors = c.output.filter((line) => /error|Cannot/i.test(line));
      const summary =
        `${result.slots} slots, ${result.runs} runs, ${history.length} ledger entries, ${result.abandoned} abandoned, ${result.reruns} reruns, ${result.cancelled} cancelled; ${result.duplicates} duplicates, ${result.doubled} doubled, ${result.unaccounted} unaccounted, ${result.dropped} dropped; c logged ${cErrors.length} errors while cut off; ${
          ((performance.now() - origin) / 1000).toFixed(1)
        } s`;
      console.log(summary);
      if (result.violations.length > 0 || Deno.env.get("TOCK_PG_VERBOSE")) {
        console.log([...log, ...instances.flatMap((i) => i.output)].join("\n"));
      }
      deepEqual(result.violations, []);
      ok(result.slots >= 40, `enough slots were checked: ${summary}`);
      ok(result.runs >= 20, `enough runs happened: ${summary}`);
      ok(cErrors.length > 0, "c noticed that it was cut off");
      deepEqual(beating?.n, 1, "c heartbeats again after reconnecting");
      ok(proxy.connections > 0);
      deepEqual(claims?.claims, claims?.distinct_claims);
      for (const exit of exits) deepEqual(exit, { code: 0, signal: null });
    } finally {
      for (const instance of instances) instance.signal("SIGKILL");
      await Promise.all(instances.map((i) => i.exited));
      await proxy.close();
      await dropSchema(schema);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
