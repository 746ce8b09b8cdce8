// The contract every JobStore backend passes (hono's `common.case` idea).
import assert from "node:assert/strict";
import { StoreError } from "../../src/errors.ts";
import { createMemoryLock } from "../../src/lock/memory_lock.ts";
import type {
  Capabilities,
  DueOptions,
  JobStore,
  StoreChange,
} from "../../src/store/store.ts";
import type { InstanceRecord, JobRecord } from "../../src/types.ts";
import {
  append,
  claimed,
  create,
  instance,
  makeJob,
  MIN,
  runLog,
  setState,
  succeeded,
  T0,
} from "./_records.ts";

/** What a backend's test file gives the contract. */
export interface ContractBackend {
  store: JobStore;
  /** Opens another store object on the same backend (durable backends). */
  reopen?: () => Promise<JobStore>;
  cleanup: () => Promise<void>;
}

const ALL: Capabilities = { functions: [], commands: true, modules: true };

function tick(ms = 30): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An instance record as written (without what the store adds on read). */
function written(record: InstanceRecord): InstanceRecord {
  const { ageMs: _, storedAt: __, ...rest } = record;
  return rest;
}

/** Options for {@linkcode testStoreContract}. */
export interface ContractOptions {
  /** Register every case as ignored (a backend that is not available). */
  ignore?: boolean;
}

/** Registers the contract tests for one backend. */
export function testStoreContract(
  name: string,
  open: () => Promise<ContractBackend>,
  options: ContractOptions = {},
): void {
  function test(
    title: string,
    fn: (backend: ContractBackend, t: Deno.TestContext) => Promise<void>,
  ): void {
    Deno.test({
      name: `${name}: ${title}`,
      ignore: options.ignore ?? false,
      fn: async (t) => {
        const backend = await open();
        try {
          await fn(backend, t);
        } finally {
          await backend.store.close();
          await backend.cleanup();
        }
      },
    });
  }

  async function commit(store: JobStore, ...changes: StoreChange[]) {
    await using lease = await store.lock.acquire();
    await store.commit(lease, changes);
  }

  async function read(store: JobStore, ids: string[]): Promise<JobRecord[]> {
    await using lease = await store.lock.acquire();
    return await store.read(lease, ids);
  }

  test("creates, reads and lists jobs", async ({ store }) => {
    assert.deepEqual(await store.jobs(), []);
    const a = makeJob("a");
    const b = makeJob("b", { spec: { schedule: "every 30s" } });
    await commit(store, create(b), create(a));
    assert.deepEqual(await read(store, ["b", "missing", "a"]), [b, a]);
    assert.deepEqual(await store.jobs(), [a, b]);
    assert.deepEqual(await store.job("b"), b);
    assert.equal(await store.job("missing"), undefined);
  });

  test("refuses a duplicate create and changes nothing", async ({ store }) => {
    await commit(store, create(makeJob("a")));
    await assert.rejects(
      commit(store, create(makeJob("c")), create(makeJob("a"))),
      (error: unknown) =>
        error instanceof StoreError &&
        error.message === "Cannot create job 'a': it already exists",
    );
    assert.deepEqual((await store.jobs()).map((j) => j.spec.id), ["a"]);
    await assert.rejects(commit(store, create(makeJob("bad/id"))), StoreError);
    await assert.rejects(commit(store, create(makeJob("..."))), StoreError);
  });

  test("compares versions and applies a batch all or nothing", async (
    { store },
    t,
  ) => {
    const a = makeJob("a");
    const b = makeJob("b");
    await commit(store, create(a), create(b));
    await t.step("a version that is not stored + 1 fails", async () => {
      const stale = { ...claimed(a), version: 3 };
      await assert.rejects(
        commit(store, setState("a", stale)),
        (error: unknown) =>
          error instanceof StoreError &&
          error.message ===
            "Cannot update job 'a': version 3 expected 2 (changed by another instance)",
      );
      await assert.rejects(
        commit(store, setState("a", a.state)),
        StoreError,
      );
    });
    await t.step("one bad change applies none of the batch", async () => {
      await assert.rejects(
        commit(
          store,
          setState("a", claimed(a)),
          append(succeeded("a", T0)),
          setState("b", { ...claimed(b), version: 7 }),
        ),
        StoreError,
      );
      assert.deepEqual(await store.jobs(), [a, b]);
      assert.deepEqual(await store.history(), []);
    });
    await t.step("a missing job fails", async () => {
      await assert.rejects(
        commit(store, setState("nope", claimed(a))),
        /Cannot update job 'nope': it does not exist/,
      );
      await assert.rejects(
        commit(store, { type: "job.delete", id: "nope" }),
        /Cannot delete job 'nope': it does not exist/,
      );
      await assert.rejects(
        commit(store, append(succeeded("nope", T0))),
        StoreError,
      );
    });
    await t.step("versions chain within one batch", async () => {
      const one = claimed(a);
      const two = { ...one, version: one.version + 1, runs: [] };
      await commit(store, setState("a", one), setState("a", two));
      assert.deepEqual((await store.job("a"))?.state, two);
    });
  });

  test("a commit built from a stale version fails and changes nothing", async ({ store, reopen }) => {
    // Two store objects where the backend has them (two processes); a
    // memory store is one object, whose two readers go stale the same way.
    const other = reopen ? await reopen() : store;
    try {
      const a = makeJob("a");
      const b = makeJob("b");
      await commit(store, create(a), create(b));
      const [mine] = await read(store, ["a"]);
      const [theirs] = await read(other, ["a"]);
      assert.deepEqual(theirs, mine);
      const first = claimed(mine!);
      await commit(store, setState("a", first), append(succeeded("a", T0)));
      const stale = { ...theirs!.state, version: theirs!.state.version + 1 };
      await assert.rejects(
        commit(
          other,
          setState("a", { ...stale, paused: true }),
          append(succeeded("a", T0 + 5 * MIN)),
          setState("b", { ...b.state, version: 2, paused: true }),
        ),
        (error: unknown) =>
          error instanceof StoreError &&
          error.message ===
            "Cannot update job 'a': version 2 expected 3 (changed by another instance)",
      );
      for (const s of [store, other]) {
        assert.deepEqual(await s.jobs(), [{ spec: a.spec, state: first }, b]);
        assert.deepEqual(await s.history(), [succeeded("a", T0)]);
      }
    } finally {
      if (other !== store) await other.close();
    }
  });

  test("define replaces the spec and keeps the given state", async ({ store }) => {
    const a = makeJob("a");
    await commit(store, create(a), append(succeeded("a", T0)));
    const spec = { ...a.spec, schedule: "*/10 * * * *", retries: 2 };
    const state = { ...a.state, version: 2, nextDueAt: T0 + 10 * MIN };
    await commit(store, { type: "job.define", spec, state });
    assert.deepEqual(await store.job("a"), { spec, state });
    assert.equal((await store.history({ job: "a" })).length, 1);
    await assert.rejects(
      commit(store, { type: "job.define", spec, state }),
      /version 2 expected 3/,
    );
    await assert.rejects(
      commit(store, {
        type: "job.define",
        spec: { ...spec, id: "zz" },
        state: { ...state, version: 3 },
      }),
      /Cannot update job 'zz': it does not exist/,
    );
  });

  test("delete removes the job and its history", async ({ store }) => {
    await commit(
      store,
      create(makeJob("a")),
      create(makeJob("b")),
      append(succeeded("a", T0)),
      append(succeeded("b", T0)),
    );
    await commit(store, { type: "job.delete", id: "a" });
    assert.equal(await store.job("a"), undefined);
    assert.deepEqual(await store.history({ job: "a" }), []);
    assert.deepEqual(await store.history(), [succeeded("b", T0)]);
    // A new job with the same id starts with no history.
    await commit(store, create(makeJob("a")));
    assert.deepEqual(await store.history({ job: "a" }), []);
  });

  test("keeps the ledger in commit order, with limits and open ranges", async (
    { store },
    t,
  ) => {
    const a = makeJob("a");
    await commit(store, create(a), create(makeJob("b")));
    const entries = [
      succeeded("a", T0),
      succeeded("b", T0),
      succeeded("b", T0 + 5 * MIN),
      succeeded("a", T0 + 5 * MIN),
    ];
    await commit(store, append(entries[0]!), append(entries[1]!));
    await commit(store, append(entries[2]!));
    await commit(store, append(entries[3]!));
    await t.step("oldest first", async () => {
      assert.deepEqual(await store.history(), entries);
      assert.deepEqual(await store.history({ job: "a" }), [
        entries[0],
        entries[3],
      ]);
    });
    await t.step("limit keeps the newest", async () => {
      assert.deepEqual(await store.history({ limit: 3 }), entries.slice(1));
      assert.deepEqual(await store.history({ job: "b", limit: 1 }), [
        entries[2],
      ]);
      assert.deepEqual(await store.history({ limit: 0 }), []);
      assert.deepEqual(await store.history({ limit: 99 }), entries);
    });
    await t.step("an open range is the newest entry", async () => {
      const openRange = {
        outcome: "skipped" as const,
        first: T0 + 10 * MIN,
        last: T0 + 20 * MIN,
        count: 3,
        note: "maintenance",
      };
      await commit(
        store,
        setState("a", { ...a.state, version: 2, paused: true, openRange }),
      );
      const range = {
        job: "a",
        slot: T0 + 10 * MIN,
        until: T0 + 20 * MIN,
        count: 3,
        outcome: "skipped",
        note: "maintenance",
      };
      assert.deepEqual(await store.history(), [...entries, range]);
      assert.deepEqual(await store.history({ job: "a", limit: 2 }), [
        entries[3],
        range,
      ]);
      assert.deepEqual(await store.history({ job: "b" }), [
        entries[1],
        entries[2],
      ]);
    });
  });

  test("due() selects due jobs, backlogs, and the runs of dead instances", async ({ store }) => {
    const early = makeJob("early", { state: { nextDueAt: T0 + MIN } });
    const late = makeJob("late", { state: { nextDueAt: T0 + 60 * MIN } });
    const done = makeJob("done", {
      state: { nextDueAt: undefined, nextSlot: undefined },
    });
    const busy = makeJob("busy", { state: { nextDueAt: T0 + 99 * MIN } });
    const queued = makeJob("queued", {
      state: {
        nextDueAt: undefined,
        backlog: [{ slot: T0, trigger: "manual", runId: "m-1" }],
      },
    });
    await commit(
      store,
      ...[early, late, done, busy, queued].map(create),
      setState("busy", claimed(busy)),
    );
    await using lease = await store.lock.acquire();
    // "busy" has a run of a live instance: a store may return it or not.
    const ids = async (until: number, options?: DueOptions) =>
      (await store.due(lease, until, options)).map((j) => j.spec.id).sort();
    const without = (list: string[]) => list.filter((id) => id !== "busy");
    assert.deepEqual(without(await ids(T0)), ["queued"]);
    assert.deepEqual(without(await ids(T0 + MIN)), ["early", "queued"]);
    assert.deepEqual(without(await ids(T0 + 60 * MIN)), [
      "early",
      "late",
      "queued",
    ]);
    const advanced = { ...early.state, version: 2, nextDueAt: T0 + 61 * MIN };
    await store.commit(lease, [setState("early", advanced)]);
    assert.deepEqual(without(await ids(T0 + 60 * MIN)), ["late", "queued"]);
    // Jobs with runs of a dead instance, or every job with runs: required.
    const dead = (instance: string) => instance === "alpha";
    assert.deepEqual(await ids(T0, { isDead: dead }), ["busy", "queued"]);
    assert.deepEqual(await ids(T0, { all: true }), ["busy", "queued"]);
    assert.deepEqual(
      without(await ids(T0, { isDead: (i) => i === "beta" })),
      ["queued"],
    );
    const [record] = await store.due(lease, T0);
    assert.ok(record?.state.runs.length || record?.state.backlog.length);
  });

  test("nextDueAt() finds the earliest job the instance can run", async ({ store }) => {
    assert.equal(await store.nextDueAt(ALL), undefined);
    const fn = makeJob("fn", {
      spec: { target: { kind: "function", name: "report" } },
      state: { nextDueAt: T0 + MIN },
    });
    const cmd = makeJob("cmd", { state: { nextDueAt: T0 + 7 * MIN } });
    const mod = makeJob("mod", {
      spec: { target: { kind: "module", module: "./job.ts" } },
      state: { nextDueAt: T0 + 3 * MIN },
    });
    await commit(store, create(fn), create(cmd), create(mod));
    assert.equal(await store.nextDueAt(ALL), T0 + 3 * MIN);
    assert.equal(
      await store.nextDueAt({ ...ALL, functions: ["report"] }),
      T0 + MIN,
    );
    assert.equal(
      await store.nextDueAt({ functions: [], commands: true, modules: false }),
      T0 + 7 * MIN,
    );
    assert.equal(
      await store.nextDueAt({ functions: [], commands: false, modules: false }),
      undefined,
    );
    const queued = {
      ...cmd.state,
      version: 2,
      backlog: [{ slot: T0 + 9 * MIN, trigger: "manual" as const }],
    };
    await commit(store, setState("cmd", queued));
    const past = await store.nextDueAt(ALL);
    assert.ok(past !== undefined && past <= T0);
  });

  test("locked methods check the lease", async ({ store }) => {
    const lease = await store.lock.acquire();
    await lease.release();
    await assert.rejects(
      store.commit(lease, [create(makeJob("a"))]),
      StoreError,
    );
    await assert.rejects(store.due(lease, T0), StoreError);
    await assert.rejects(store.read(lease, ["a"]), StoreError);
    const foreign = await createMemoryLock().acquire();
    await assert.rejects(
      store.commit(foreign, [create(makeJob("a"))]),
      StoreError,
    );
    await foreign.release();
    assert.deepEqual(await store.jobs(), []);
  });

  test("the lock excludes, waits and honours abort", async ({ store }, t) => {
    const first = await store.lock.acquire();
    assert.equal(first.held, true);
    await t.step("tryAcquire() returns undefined while held", async () => {
      assert.equal(await store.lock.tryAcquire(), undefined);
    });
    await t.step("abort while waiting rejects with the reason", async () => {
      const controller = new AbortController();
      const waiting = store.lock.acquire({ signal: controller.signal });
      await tick();
      const reason = new Error("stop waiting");
      controller.abort(reason);
      await assert.rejects(waiting, (error) => error === reason);
    });
    await t.step("a second acquire waits for release", async () => {
      let got = false;
      const second = store.lock.acquire().then((lease) => {
        got = true;
        return lease;
      });
      await tick();
      assert.equal(got, false);
      await first.release();
      await first.release();
      assert.equal(first.held, false);
      const lease = await second;
      assert.equal(lease.held, true);
      await lease.release();
    });
    const again = await store.lock.tryAcquire();
    assert.ok(again?.held);
    await again.release();
  });

  test("records heartbeats of instances", async ({ store }) => {
    assert.deepEqual(await store.instances(), []);
    await store.heartbeat(instance("beta"));
    await store.heartbeat(instance("alpha"));
    await store.heartbeat(instance("beta", { beat: 2, heartbeatAt: T0 + 2 }));
    const listed = await store.instances();
    for (const record of listed) {
      // Fields the store sets when it reads, on its own clock.
      if (record.ageMs !== undefined) {
        assert.ok(
          record.ageMs >= 0 && record.ageMs < 60_000,
          `${record.ageMs}`,
        );
      }
      if (record.storedAt !== undefined) {
        assert.ok(Math.abs(record.storedAt - Date.now()) < 60_000);
      }
    }
    assert.deepEqual(listed.map(written), [
      instance("alpha"),
      instance("beta", { beat: 2, heartbeatAt: T0 + 2 }),
    ]);
    await store.removeInstance("alpha");
    await store.removeInstance("never-there");
    assert.deepEqual((await store.instances()).map((i) => i.id), ["beta"]);
    await assert.rejects(store.heartbeat(instance("../evil")), TypeError);
    await assert.rejects(store.removeInstance("a/b"), TypeError);
  });

  test(
    "holds an instance id for one holder at a time, until released or closed",
    async ({ store, reopen }, t) => {
      const holder = { incarnation: "one", pid: 4242, host: "box-1" };
      const hold = await store.holdInstance("api", holder);
      assert.equal(hold.id, "api");
      assert.equal(await hold.check(), true);
      await assert.rejects(
        store.holdInstance("api", { incarnation: "two", pid: 1 }),
        (error: Error) =>
          error instanceof StoreError &&
          /'api'.*pid 4242 on host box-1/.test(error.message) &&
          !error.message.includes("\n"),
      );
      // Other ids are independent.
      const other = await store.holdInstance("worker", { incarnation: "w" });
      await other.release();
      await hold.release();
      await hold.release(); // idempotent
      assert.equal(await hold.check(), false);
      const again = await store.holdInstance("api", { incarnation: "three" });
      await assert.rejects(
        store.holdInstance("bad id!", holder),
        TypeError,
      );
      await t.step({
        name: "another store object on the backend is refused the id",
        ignore: !reopen,
        async fn() {
          await using second = await reopen!();
          await assert.rejects(
            second.holdInstance("api", { incarnation: "four" }),
            StoreError,
          );
          await again.release();
          const taken = await second.holdInstance("api", {
            incarnation: "four",
          });
          await assert.rejects(
            store.holdInstance("api", { incarnation: "five" }),
            StoreError,
          );
          // Closing the store object gives its ids up.
          await second.close();
          assert.equal(await taken.check(), false);
          await (await store.holdInstance("api", { incarnation: "six" }))
            .release();
        },
      });
      await again.release();
    },
  );

  test("records cannot be changed through returned or given objects", async ({ store }) => {
    const job = makeJob("a");
    const given = structuredClone(job) as unknown as {
      spec: { schedule: string };
      state: { runs: unknown[] };
    };
    await commit(store, {
      type: "job.create",
      job: given as unknown as JobRecord,
    });
    given.spec.schedule = "changed";
    given.state.runs.push("x");
    const got = (await store.job("a")) as unknown as typeof given;
    assert.deepEqual(got, job);
    try {
      got.spec.schedule = "hacked";
      got.state.runs.push("y");
    } catch {
      // Frozen records throw; copies may not.
    }
    assert.deepEqual(await store.job("a"), job);
    assert.deepEqual((await store.jobs())[0], job);
    const entries = await store.history();
    try {
      entries.push(succeeded("a", T0));
    } catch {
      // ignore
    }
    assert.deepEqual(await store.history(), []);
  });

  test("changed() resolves on a commit and rejects on abort", async ({ store }) => {
    await commit(store, create(makeJob("a")));
    await store.jobs();
    const controller = new AbortController();
    const waiting = store.changed!(controller.signal);
    await commit(store, create(makeJob("b")));
    await waiting;
    const reason = new Error("enough");
    const aborted = new AbortController();
    const pending = store.changed!(aborted.signal);
    await tick(5);
    aborted.abort(reason);
    await assert.rejects(pending, (error) => error === reason);
    await assert.rejects(store.changed!(aborted.signal), (e) => e === reason);
  });

  test("close() is idempotent and later calls fail", async ({ store }) => {
    await store.close();
    await store.close();
    await assert.rejects(store.jobs(), StoreError);
    await assert.rejects(store.history(), StoreError);
    await assert.rejects(store.heartbeat(instance("a")), StoreError);
    await assert.rejects(store.saveLog(runLog("a", 1)), StoreError);
    await assert.rejects(store.logs("a"), StoreError);
    await assert.rejects(
      store.changed!(new AbortController().signal),
      StoreError,
    );
    await assert.rejects(store.lock.acquire(), StoreError);
  });

  test("saves and reads run logs", async ({ store }, t) => {
    await commit(store, create(makeJob("a")), create(makeJob("b")));
    const first = runLog("a", 1);
    const retry = runLog("a", 1, {
      attempt: 2,
      startedAt: T0 + 2000,
      finishedAt: T0 + 2500,
      exitCode: null,
      signal: "SIGKILL",
      stderr: "killed\n",
      truncated: true,
    });
    const later = runLog("a", 3);
    await t.step("oldest first, whatever the save order", async () => {
      await store.saveLog(later);
      await store.saveLog(first);
      await store.saveLog(retry);
      await store.saveLog(runLog("b", 1));
      assert.deepEqual(await store.logs("a"), [first, retry, later]);
      assert.deepEqual(await store.logs("b"), [runLog("b", 1)]);
      assert.deepEqual(await store.logs("missing"), []);
    });
    await t.step("runId filters, limit keeps the newest", async () => {
      assert.deepEqual(await store.logs("a", { runId: "run-1" }), [
        first,
        retry,
      ]);
      assert.deepEqual(await store.logs("a", { runId: "run-9" }), []);
      assert.deepEqual(await store.logs("a", { limit: 2 }), [retry, later]);
      assert.deepEqual(
        await store.logs("a", { runId: "run-1", limit: 1 }),
        [retry],
      );
      assert.deepEqual(await store.logs("a", { limit: 0 }), []);
    });
    await t.step("saving the same attempt again replaces it", async () => {
      const again = { ...later, stdout: "again\n" };
      await store.saveLog(again);
      assert.deepEqual(await store.logs("a", { limit: 1 }), [again]);
    });
    await t.step("a log of a missing job is dropped", async () => {
      await store.saveLog(runLog("gone", 1));
      assert.deepEqual(await store.logs("gone"), []);
    });
    await t.step("bad ids are refused before they touch a path", async () => {
      for (
        const bad of [
          runLog("../a", 5),
          runLog("a", 5, { runId: "../../x" }),
          runLog("a", 5, { runId: "" }),
          runLog("a", 5, { attempt: 0 }),
          runLog("a", 5, { attempt: 1.5 }),
        ]
      ) {
        await assert.rejects(store.saveLog(bad), TypeError);
      }
      await assert.rejects(store.logs("a/../b"), TypeError);
      assert.equal((await store.logs("a")).length, 3);
    });
  });

  test("keeps the newest 100 run logs per job", async ({ store }) => {
    await commit(store, create(makeJob("a")), create(makeJob("b")));
    await store.saveLog(runLog("b", 0));
    for (let n = 0; n < 130; n++) await store.saveLog(runLog("a", n));
    const logs = await store.logs("a");
    assert.equal(logs.length, 100);
    assert.deepEqual(logs[0], runLog("a", 30));
    assert.deepEqual(logs.at(-1), runLog("a", 129));
    assert.deepEqual(await store.logs("a", { runId: "run-5" }), []);
    assert.deepEqual(await store.logs("b"), [runLog("b", 0)]);
  });

  test("deletes run logs with their job", async ({ store }) => {
    await commit(store, create(makeJob("a")), create(makeJob("b")));
    await store.saveLog(runLog("a", 1));
    await store.saveLog(runLog("b", 1));
    await commit(store, { type: "job.delete", id: "a" });
    assert.deepEqual(await store.logs("a"), []);
    // A new job with the same id starts with no logs.
    await commit(store, create(makeJob("a")));
    assert.deepEqual(await store.logs("a"), []);
    assert.deepEqual(await store.logs("b"), [runLog("b", 1)]);
  });

  test("keeps run logs across reopen", async ({ store, reopen }, t) => {
    if (!reopen) {
      await t.step({ name: "not durable", ignore: true, fn() {} });
      return;
    }
    await commit(store, create(makeJob("a")));
    const logs = [runLog("a", 1), runLog("a", 2, { stderr: "é ✓\n" })];
    for (const log of logs) await store.saveLog(log);
    await store.close();
    await using again = await reopen();
    assert.deepEqual(await again.logs("a"), logs);
    await again.saveLog(runLog("a", 3));
    assert.equal((await again.logs("a")).length, 3);
  });

  test("keeps committed data across reopen", async ({ store, reopen }, t) => {
    if (!reopen) {
      await t.step({ name: "not durable", ignore: true, fn() {} });
      return;
    }
    const a = makeJob("a");
    const openRange = {
      outcome: "missed" as const,
      first: T0,
      last: T0 + 5 * MIN,
      count: 2,
    };
    const state = { ...a.state, version: 2, openRange };
    await commit(store, create(a), create(makeJob("b")));
    await commit(
      store,
      setState("a", state),
      append(succeeded("b", T0)),
      { type: "job.delete", id: "b" },
      create(makeJob("c")),
      append(succeeded("c", T0)),
    );
    await store.heartbeat(instance("alpha"));
    const before = {
      jobs: await store.jobs(),
      history: await store.history(),
    };
    await store.close();
    await using again = await reopen();
    assert.deepEqual(await again.jobs(), before.jobs);
    assert.deepEqual(await again.history(), before.history);
    assert.deepEqual(await again.job("a"), { spec: a.spec, state });
    assert.deepEqual((await again.instances()).map(written), [
      instance("alpha"),
    ]);
    await using lease = await again.lock.acquire();
    assert.deepEqual(
      (await again.due(lease, T0 + 5 * MIN)).map((j) => j.spec.id),
      ["a", "c"],
    );
  });

  test(
    "two store objects see each other, and a turn holds what it read until it ends",
    async (
      { store, reopen },
      t,
    ) => {
      if (!reopen) {
        await t.step({
          name: "one object is the backend",
          ignore: true,
          fn() {},
        });
        return;
      }
      await using other = await reopen();
      await commit(store, create(makeJob("a")));
      assert.deepEqual((await other.jobs()).map((j) => j.spec.id), ["a"]);
      await commit(other, create(makeJob("b")), append(succeeded("b", T0)));
      assert.deepEqual((await store.jobs()).map((j) => j.spec.id), ["a", "b"]);
      assert.deepEqual(await store.history(), [succeeded("b", T0)]);
      {
        // Another object's turn on "b" waits until this one ends (for the
        // lock, or for the job), and then reads what this one committed.
        const lease = await store.lock.acquire();
        assert.equal((await store.read(lease, ["b"])).length, 1);
        let versions: number[] | undefined;
        const turn = (async () => {
          await using theirs = await other.lock.acquire();
          versions = (await other.read(theirs, ["b"])).map((r) =>
            r.state.version
          );
        })();
        await tick(100);
        assert.equal(versions, undefined);
        const b = (await store.job("b"))!;
        await store.commit(lease, [setState("b", claimed(b))]);
        await lease.release();
        await turn;
        assert.deepEqual(versions, [b.state.version + 1]);
      }
      const a = (await other.job("a"))!;
      await commit(other, setState("a", claimed(a)));
      await assert.rejects(commit(store, setState("a", claimed(a))), /version/);
      const controller = new AbortController();
      const waiting = other.changed!(controller.signal);
      await commit(store, append(succeeded("a", T0)));
      await waiting;
      controller.abort();
    },
  );
}
