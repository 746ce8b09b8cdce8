// Two sessions that both read a job as due claim one (job, slot): the
// PostgreSQL commit's two defences must each refuse the second claim on
// their own.
//
// Each session reads without holding the rows (as a lock turn whose row
// locks were lost would, or two turns that read before either locked), so
// both compute a claim of the same slot from the same state. Each runs the
// real claim step (`claimDueJobs` and `advanceJob`) on what it reads and
// commits with the real `commitChanges`.
//
// - The version check (the rows read under a row lock in the commit's
//   transaction, the version rule, the conditional update): with the claims
//   key dropped from the schema, it alone must refuse the second claim,
//   whether that claim's commit comes after the first or waits on its row
//   lock while the first is in flight.
// - The unique claims key: with the version check defeated (the second
//   session rebases its stale claim onto the stored version), it alone must
//   refuse the second claim.
import assert from "node:assert/strict";
import postgres from "postgres";
import { StoreError } from "../../../src/errors.ts";
import { createMemoryLock } from "../../../src/lock/memory_lock.ts";
import {
  claimDueJobs,
  type ClaimResult,
} from "../../../src/turns/claim_due_jobs.ts";
import type { JobStore, StoreChange } from "../../../src/store/store.ts";
import { commitChanges } from "../../../src/store/postgres/_commit.ts";
import { selectJobs } from "../../../src/store/postgres/_jobs.ts";
import { FakeClock } from "../../../src/testing/fake_clock.ts";
import type { JobRecord, JobState } from "../../../src/types.ts";
import { create, makeJob, MIN, T0 } from "../_records.ts";
import { ignorePostgres, PG_URL, schemaStore, withAdmin } from "./_pg.ts";

const ignore = ignorePostgres("Double claim on PostgreSQL");

/** The job's first slot; the claims run when it is due. */
const SLOT = T0 + 5 * MIN;

interface SessionOptions {
  /** Told when the claim is computed and its commit is about to be sent. */
  readonly ready?: () => void;
  /** Resolves when the commit may be sent. */
  readonly send?: Promise<void>;
  /** Keeps the commit's transaction open, after its writes, until then. */
  readonly hold?: Promise<void>;
  /** Told when the commit's statements are written, before it ends. */
  readonly wrote?: () => void;
  /** Rebase each job's new state on the stored version (past the check). */
  readonly rebase?: boolean;
}

interface Session extends AsyncDisposable {
  /** The session's backend process id. */
  readonly pid: number;
  /** Runs the real claim step as this session. */
  claim(): Promise<ClaimResult>;
}

/**
 * One connection whose claim reads without holding rows, and commits in a
 * transaction of its own.
 */
async function openSession(
  schema: string,
  name: string,
  options: SessionOptions = {},
): Promise<Session> {
  const sql = postgres(PG_URL, {
    max: 1,
    onnotice: () => {},
    connection: { search_path: schema, application_name: `tock-${name}` },
  });
  const [row] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
  const context = {
    channel: `tock.${schema}.changed`,
    origin: name,
    historyLimit: 10_000,
    context: `Cannot commit (session ${name})`,
  };
  let runs = 0;
  const store = {
    // Every session gets the lock at once.
    lock: createMemoryLock(),
    // The one job, read without holding its row (the store's due() would
    // pass over a row another claim holds).
    due: () => selectJobs(sql, ["a"]),
    read: (_lease: unknown, ids: readonly string[]) => selectJobs(sql, ids),
    async commit(_lease: unknown, changes: readonly StoreChange[]) {
      options.ready?.();
      await options.send;
      await sql.begin(async (tx) => {
        const batch = options.rebase ? await rebased(tx, changes) : changes;
        await commitChanges(tx, context, batch);
        options.wrote?.();
        await options.hold;
      });
    },
  } as unknown as JobStore;
  return {
    pid: row!.pid,
    claim: () =>
      claimDueJobs({
        store,
        clock: new FakeClock(SLOT),
        instance: name,
        capacity: 1,
        canRun: () => true,
        isDead: () => false,
        newRunId: () => `${name}-${++runs}`,
      }),
    async [Symbol.asyncDispose]() {
      await sql.end({ timeout: 1 });
    },
  };
}

/** The changes with each job state's version set to the stored one + 1. */
async function rebased(
  tx: postgres.TransactionSql,
  changes: readonly StoreChange[],
): Promise<StoreChange[]> {
  const out: StoreChange[] = [];
  for (const change of changes) {
    if (change.type !== "job.state") {
      out.push(change);
      continue;
    }
    const [row] = await tx<{ version: string }[]>`
      select version from jobs where id = ${change.id}`;
    const state: JobState = {
      ...change.state,
      version: Number(row!.version) + 1,
    };
    out.push({ ...change, state });
  }
  return out;
}

function settle<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  return promise.then(
    (value) => ({ status: "fulfilled", value }),
    (reason) => ({ status: "rejected", reason }),
  );
}

/** A promise with its resolve function. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => open = resolve);
  return { promise, open };
}

/** Waits until a backend waits on a lock (a row lock here), or `done` is set. */
async function waitingOnLock(pid: number, done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) {
    const [row] = await withAdmin((sql) =>
      sql<{ wait: string | null }[]>`
        select wait_event_type as wait from pg_stat_activity where pid = ${pid}`
    );
    if (row?.wait === "Lock") return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(done(), `backend ${pid} never waited on a lock`);
}

/** The claims rows of job "a", as `slot/kind/run`. */
async function claimsOf(schema: string): Promise<string[]> {
  const rows = await withAdmin((sql) =>
    sql.unsafe<{ slot: number; kind: string; run: string }[]>(
      `select slot, kind, run_id as run from ${schema}.claims
       where job = 'a' order by run_id`,
    )
  );
  return rows.map((r) => `${r.slot}/${r.kind}/${r.run}`);
}

/** What every case checks: alpha's claim stands alone, beta's failed. */
async function assertOneClaim(
  store: JobStore,
  schema: string,
  alpha: PromiseSettledResult<ClaimResult>,
  beta: PromiseSettledResult<ClaimResult>,
  refusal: RegExp,
): Promise<void> {
  assert.equal(
    alpha.status,
    "fulfilled",
    String((alpha as { reason?: unknown }).reason),
  );
  assert.deepEqual(
    alpha.value.started.map(({ run }) => [run.runId, run.slot]),
    [["alpha-1", SLOT]],
  );
  assert.equal(
    beta.status,
    "rejected",
    "beta's claim of the same slot committed",
  );
  assert.ok(
    beta.reason instanceof StoreError && refusal.test(beta.reason.message),
    `beta failed otherwise: ${beta.reason}`,
  );
  const job = (await store.job("a")) as JobRecord;
  assert.equal(job.state.version, 2);
  assert.deepEqual(job.state.runs.map((run) => run.runId), ["alpha-1"]);
  assert.deepEqual(await store.history({ job: "a" }), []);
  assert.deepEqual(await claimsOf(schema), [`${SLOT}/first/alpha-1`]);
}

async function withJob(
  fn: (pg: { store: JobStore; schema: string }) => Promise<void>,
  options: { dropClaimsKey?: boolean } = {},
): Promise<void> {
  await using pg = await schemaStore();
  {
    await using lease = await pg.store.lock.acquire();
    await pg.store.commit(lease, [create(makeJob("a"))]);
  }
  if (options.dropClaimsKey) {
    await withAdmin((sql) =>
      sql.unsafe(
        `alter table ${pg.schema}.claims drop constraint if exists claims_pkey`,
      )
    );
  }
  await fn(pg);
}

Deno.test({
  name:
    "PostgreSQL commit: the version check alone refuses a second claim of a slot by a session that read the job without holding it",
  ignore,
  async fn(t) {
    await t.step("its commit comes after the first claim's", async () => {
      await withJob(async ({ store, schema }) => {
        const ready = gate();
        const send = gate();
        await using beta = await openSession(schema, "beta", {
          ready: ready.open,
          send: send.promise,
        });
        await using alpha = await openSession(schema, "alpha");
        // beta reads and computes its claim, then stalls before committing.
        const betaClaim = settle(beta.claim());
        await ready.promise;
        const alphaResult = await settle(alpha.claim());
        send.open();
        await assertOneClaim(
          store,
          schema,
          alphaResult,
          await betaClaim,
          /version 2 expected 3 \(changed by another instance\)/,
        );
      }, { dropClaimsKey: true });
    });

    await t.step("its commit waits on the first claim's row lock", async () => {
      await withJob(async ({ store, schema }) => {
        const hold = gate();
        const wrote = gate();
        await using alpha = await openSession(schema, "alpha", {
          hold: hold.promise,
          wrote: wrote.open,
        });
        await using beta = await openSession(schema, "beta");
        // alpha's claim is written but not committed: beta reads the job as
        // it was, claims the same slot, and its commit waits for alpha's.
        const alphaClaim = settle(alpha.claim());
        await wrote.promise;
        let betaDone = false;
        const betaClaim = settle(beta.claim()).finally(() => betaDone = true);
        await waitingOnLock(beta.pid, () => betaDone);
        hold.open();
        await assertOneClaim(
          store,
          schema,
          await alphaClaim,
          await betaClaim,
          /job 'a'.*(version 2 expected 3|changed under the lock)/,
        );
      }, { dropClaimsKey: true });
    });
  },
});

Deno.test({
  name:
    "PostgreSQL commit: the unique claims key alone refuses a second claim of a slot whose version was rebased past the version check",
  ignore,
  async fn() {
    await withJob(async ({ store, schema }) => {
      const ready = gate();
      const send = gate();
      await using beta = await openSession(schema, "beta", {
        ready: ready.open,
        send: send.promise,
        rebase: true,
      });
      await using alpha = await openSession(schema, "alpha");
      const betaClaim = settle(beta.claim());
      await ready.promise;
      const alphaResult = await settle(alpha.claim());
      send.open();
      await assertOneClaim(
        store,
        schema,
        alphaResult,
        await betaClaim,
        /a slot was claimed twice/,
      );
    });
  },
});
