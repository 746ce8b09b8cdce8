/**
 * One commit of the PostgreSQL store, at the end of the lease's
 * transaction (see `_transaction.ts`).
 *
 * 1. Lock the rows of every job the batch names (the lease's reads have
 *    locked most of them already) and read them as they are.
 * 2. Validate the batch with the same rules (and messages) as every backend
 *    (`checkChanges`).
 * 3. Write it: each job's final state with a conditional update on id and
 *    version (compare-and-set), in one statement for every job of the
 *    batch; its JSON `state` only when a field kept there changed, so a
 *    claim or an outcome writes columns (see `_jobs.ts`); ledger entries in commit order, claimed
 *    slots into `claims` (unique on job, slot and kind: a second line of
 *    defence against a double claim), the instances running each job's
 *    runs into `job_runs`, counters, and a `NOTIFY`, delivered
 *    when the transaction commits. Statements are pipelined, so a claim of
 *    several jobs costs a few round trips.
 *
 * Over 400 lines on purpose: one transaction's write plan (creates,
 * updates, deletes, ledger appends, claims and
 * counters) must keep the order of the changes, and is kept in one class.
 *
 * @module
 */

import { StoreError } from "../../errors.ts";
import type {
  ActiveRun,
  JobId,
  JobRecord,
  JobState,
  LedgerEntry,
  Outcome,
} from "../../types.ts";
import type { StoreChange } from "../store.ts";
import { checkChanges } from "../_state.ts";
import type { Db } from "./_client.ts";
import {
  insertJobRows,
  type JobUpdate,
  lockJobs,
  sameColdState,
  toRecord,
  updateJobRows,
} from "./_jobs.ts";
import { runInstances, syncJobRuns } from "./_due.ts";

/** What a commit needs to know besides the changes. */
export interface CommitContext {
  /** The `NOTIFY` channel of the schema. */
  readonly channel: string;
  /** This store object's id, sent as the payload (it ignores its own). */
  readonly origin: string;
  /** Ledger entries kept per job. */
  readonly historyLimit: number;
  /** The start of error messages. */
  readonly context: string;
}

/** Prune a job's ledger each time its appended count passes a multiple. */
const PRUNE_EVERY = 256;

/** Most jobs one bulk insert, update or delete statement carries. */
const BULK_ROWS = 5000;

interface Current {
  record: JobRecord;
  /** The record the row holds in the database (in this transaction). */
  db: JobRecord;
  appended: number;
  /** The instances `job_runs` holds for it (in this transaction). */
  instances: readonly string[];
}

interface Claim {
  job: JobId;
  slot: number;
  kind: "first" | "recovery";
  runId: string;
  instance: string;
  claimedAt: number;
}

/**
 * Validates and writes one batch in the transaction.
 *
 * @param tx The transaction, on the lock's connection.
 * @param ctx Keys, channel and limits.
 * @param changes The batch.
 * @throws {StoreError} When the batch is invalid (as `checkChanges` says),
 * a job changed since it was read (its version), or a slot was already
 * claimed.
 */
export async function commitChanges(
  tx: Db,
  ctx: CommitContext,
  changes: readonly StoreChange[],
): Promise<void> {
  const rows = await lockJobs(tx, referencedIds(changes));
  const jobs = new Map(rows.map((row) => [row.id, toRecord(row)]));
  checkChanges({ jobs }, changes);
  const writer = new Writer(tx, ctx);
  for (const row of rows) {
    const record = jobs.get(row.id)!;
    writer.current.set(row.id, {
      record,
      db: record,
      appended: row.appended,
      instances: runInstances(record.state),
    });
  }
  for (const change of changes) writer.apply(change);
  writer.flush();
  writer.push(tx`select pg_notify(${ctx.channel}, ${ctx.origin})`);
  await writer.done();
}

function referencedIds(changes: readonly StoreChange[]): unknown[] {
  return changes.map((change) => {
    switch (change?.type) {
      case "job.create":
        return change.job?.spec?.id;
      case "job.define":
        return change.spec?.id;
      case "job.state":
      case "job.delete":
        return change.id;
      case "ledger.append":
        return change.entry?.job;
      default:
        return undefined;
    }
  });
}

/** Turns validated changes into pipelined statements. */
class Writer {
  readonly current = new Map<JobId, Current | undefined>();
  readonly #tx: Db;
  readonly #ctx: CommitContext;
  readonly #statements: Promise<unknown>[] = [];
  // Pending until the next flush (a create after a delete, a delete after
  // anything else, or the end). Consecutive creates, and consecutive
  // deletes, each go in one statement: a large jobs file is one commit.
  #creates: JobRecord[] = [];
  #deletes: JobId[] = [];
  #dirty = new Set<JobId>();
  /** Jobs whose instances may differ from what `job_runs` holds. */
  #runs = new Set<JobId>();
  #entries: LedgerEntry[] = [];
  #claims: Claim[] = [];
  #counters = new Map<
    string,
    { job: JobId; outcome: Outcome; count: number }
  >();

  constructor(tx: Db, ctx: CommitContext) {
    this.#tx = tx;
    this.#ctx = ctx;
  }

  /**
   * Sends a statement now (postgres.js runs a query when it is first
   * awaited; statements must reach the server in the order written).
   */
  push<T>(
    query: Promise<T> & { execute(): unknown },
    after?: (result: Promise<T>) => Promise<unknown>,
  ): void {
    query.execute();
    this.#statements.push(after ? after(query) : query);
  }

  /** Waits for every statement; throws the first failure, in order. */
  async done(): Promise<void> {
    // A failed statement fails every later one ("transaction is aborted"):
    // report the first, and keep the others from going unhandled.
    for (const statement of this.#statements) statement.catch(() => {});
    for (const statement of this.#statements) await statement;
  }

  apply(change: StoreChange): void {
    switch (change.type) {
      case "job.create": {
        // After a pending delete (of this id, maybe), not before it.
        if (this.#deletes.length > 0) this.flush();
        const record = change.job;
        const id = record.spec.id;
        this.#creates.push(record);
        this.current.set(id, {
          record,
          db: record,
          appended: 0,
          instances: [],
        });
        this.#runs.add(id);
        this.#track(id, undefined, record.state);
        break;
      }
      case "job.define":
      case "job.state": {
        const id = change.type === "job.state" ? change.id : change.spec.id;
        const row = this.current.get(id)!;
        const spec = change.type === "job.define"
          ? change.spec
          : row.record.spec;
        this.#track(id, row.record.state, change.state);
        row.record = { spec, state: change.state };
        this.#dirty.add(id);
        this.#runs.add(id);
        break;
      }
      case "job.delete":
        // After what is pending (a create, this job's updates).
        if (!this.#onlyDeletes()) this.flush();
        this.#deletes.push(change.id);
        this.current.set(change.id, undefined);
        break;
      case "ledger.append":
        this.#entries.push(change.entry);
        this.#dirty.add(change.entry.job);
        break;
    }
  }

  /** Records the claims and counter changes of one state change. */
  #track(id: JobId, before: JobState | undefined, after: JobState): void {
    const known = new Set(before?.runs.map((run) => run.runId));
    for (const run of after.runs) {
      if (known.has(run.runId)) continue;
      const kind = claimKind(run);
      if (kind === undefined) continue;
      this.#claims.push({
        job: id,
        slot: run.slot,
        kind,
        runId: run.runId,
        instance: run.instance,
        claimedAt: run.claimedAt,
      });
    }
    for (const [outcome, count] of Object.entries(after.counters)) {
      if (before?.counters[outcome as Outcome] === count) continue;
      if (before === undefined && count === 0) continue;
      this.#counters.set(`${id}\u0000${outcome}`, {
        job: id,
        outcome: outcome as Outcome,
        count,
      });
    }
  }

  /** Whether nothing but deletes is pending. */
  #onlyDeletes(): boolean {
    return this.#creates.length === 0 && this.#dirty.size === 0 &&
      this.#runs.size === 0 && this.#entries.length === 0 &&
      this.#claims.length === 0 && this.#counters.size === 0;
  }

  /** Emits the pending deletes, creates, updates and bulk inserts. */
  flush(): void {
    const tx = this.#tx;
    for (let i = 0; i < this.#deletes.length; i += BULK_ROWS) {
      const ids = JSON.stringify(this.#deletes.slice(i, i + BULK_ROWS));
      this.push(tx`
        delete from jobs
        where id in (select json_array_elements_text(${ids}::text::json))`);
    }
    for (let i = 0; i < this.#creates.length; i += BULK_ROWS) {
      this.#insertJobs(this.#creates.slice(i, i + BULK_ROWS));
    }
    this.#deletes = [];
    this.#creates = [];
    const appended = new Map<JobId, number>();
    for (const entry of this.#entries) {
      appended.set(entry.job, (appended.get(entry.job) ?? 0) + 1);
    }
    const prune: JobId[] = [];
    const updates: JobUpdate[] = [];
    for (const id of this.#dirty) {
      const row = this.current.get(id)!;
      const added = appended.get(id) ?? 0;
      const before = row.appended;
      row.appended += added;
      if (
        Math.floor(row.appended / PRUNE_EVERY) >
          Math.floor(before / PRUNE_EVERY)
      ) prune.push(id);
      const { db, record } = row;
      if (db === record && added === 0) continue;
      updates.push({
        record,
        expected: db.state.version,
        appended: row.appended,
        spec: record.spec !== db.spec,
        state: !sameColdState(db.state, record.state),
      });
      row.db = record;
    }
    for (let i = 0; i < updates.length; i += BULK_ROWS) {
      this.#updateJobs(updates.slice(i, i + BULK_ROWS));
    }
    this.#syncRuns();
    if (this.#entries.length > 0) {
      this.push(tx`
        insert into ledger (job, slot, until_slot, slot_count, outcome,
          run_trigger, run_id, instance, entry)
        select e ->> 'job', (e ->> 'slot')::float8, (e ->> 'until')::float8,
          (e ->> 'count')::bigint, e ->> 'outcome', e ->> 'trigger',
          e ->> 'runId', e ->> 'instance', e
        from json_array_elements(${
        JSON.stringify(this.#entries)
      }::text::json) with ordinality as t(e, n)
        order by n`);
    }
    for (const id of prune) {
      this.push(tx`
        delete from ledger where job = ${id} and seq <= (
          select seq from ledger where job = ${id}
          order by seq desc offset ${this.#ctx.historyLimit} limit 1)`);
    }
    if (this.#claims.length > 0) this.#insertClaims(this.#claims);
    if (this.#counters.size > 0) {
      this.push(tx`
        insert into counters (job, outcome, count)
        select job, outcome, count from json_to_recordset(${
        JSON.stringify([...this.#counters.values()])
      }::text::json) as c(job text, outcome text, count bigint)
        on conflict (job, outcome) do update set count = excluded.count`);
    }
    this.#dirty = new Set();
    this.#entries = [];
    this.#claims = [];
    this.#counters = new Map();
  }

  /** Brings `job_runs` in step with the pending jobs' runs. */
  #syncRuns(): void {
    const jobs: { job: JobId; instances: readonly string[] }[] = [];
    for (const id of this.#runs) {
      const row = this.current.get(id);
      if (!row) continue;
      const instances = runInstances(row.record.state);
      if (instances.join("\u0000") === row.instances.join("\u0000")) continue;
      row.instances = instances;
      jobs.push({ job: id, instances });
    }
    this.#runs = new Set();
    if (jobs.length > 0) this.push(syncJobRuns(this.#tx, jobs));
  }

  #insertJobs(records: readonly JobRecord[]): void {
    this.push(insertJobRows(this.#tx, records));
  }

  /** Writes jobs' rows, failing unless each had the version expected. */
  #updateJobs(updates: readonly JobUpdate[]): void {
    const context = this.#ctx.context;
    this.push(
      updateJobRows(this.#tx, updates),
      (statement) =>
        statement.then((result) => {
          if (result.length === updates.length) return;
          const updated = new Set(result.map((r) => r.id));
          const missed = updates.find((u) => !updated.has(u.record.spec.id))!;
          throw new StoreError(
            `${context}: job '${missed.record.spec.id}' changed under the lock (version ${missed.expected} expected); nothing was committed`,
          );
        }),
    );
  }

  #insertClaims(claims: readonly Claim[]): void {
    const context = this.#ctx.context;
    this.push(
      this.#tx`
        insert into claims (job, slot, kind, run_id, instance, claimed_at)
        select job, slot, kind, "runId", instance, "claimedAt"
        from json_to_recordset(${JSON.stringify(claims)}::text::json) as c(
          job text, slot float8, kind text, "runId" text, instance text,
          "claimedAt" float8)`,
      (statement) =>
        statement.catch((error) => {
          const e = error as { code?: string; detail?: string };
          if (e?.code !== "23505") throw error;
          throw new StoreError(
            `${context}: a slot was claimed twice (${
              String(e.detail ?? "").replace(/\s+/g, " ")
            }); nothing was committed`,
            { cause: error },
          );
        }),
    );
    // Old claims cannot be claimed again (the cursor only moves forward);
    // keep a day beyond the catch-up window as the defence's horizon.
    for (const job of new Set(claims.map((claim) => claim.job))) {
      const row = this.current.get(job);
      if (!row || row.record.state.runCount % 64 !== 0) continue;
      const horizon = row.record.state.cursor -
        row.record.spec.catchupWindowMs -
        86_400_000;
      this.push(
        this
          .#tx`delete from claims where job = ${job} and slot < ${horizon}::float8`,
      );
    }
  }
}

/** Which claims table key a newly claimed run takes, if any. */
function claimKind(run: ActiveRun): Claim["kind"] | undefined {
  switch (run.trigger) {
    case "schedule":
    case "catchup":
      return "first";
    case "recovery":
      return "recovery";
    default:
      // Manual runs (triggers, backfills) may repeat a slot on purpose.
      return undefined;
  }
}
