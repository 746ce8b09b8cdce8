// G7 and "nothing committed is lost" under write faults: every step by
// which the file store changes the disk (open for writing, write, fsync,
// truncate, rename, remove; see setFaultHook in src/store/file/_fs.ts) is made
// to fail in turn, as a full disk would, and the store must report it in
// one line naming the file, stay readable, keep everything committed, and
// take the next write once the fault is gone. Also: a scheduler on a failing
// disk keeps going and catches up; a journal line cut after a failed fsync
// leaves neither a stuck run nor a reader that kept it; and store files that
// are empty, truncated, foreign or from a newer tock are refused and left
// untouched. (Over 600 lines: it walks every step of every write path, and
// the helpers at the top serve all of its tests.)
import assert from "node:assert/strict";
import { commitAll } from "./_file_helpers.ts";
import {
  compactionSettled,
  createFileStore,
} from "../../../src/store/file/file_store.ts";
import type { JobStore, StoreChange } from "../../../src/store/store.ts";
import {
  type FsFault,
  type FsStep,
  setFaultHook,
} from "../../../src/store/file/_fs.ts";
import { StoreError } from "../../../src/errors.ts";
import { createScheduler } from "../../../src/runtime/scheduler.ts";
import { FakeClock } from "../../../src/testing/mod.ts";
import { collect } from "../../_helpers.ts";
import { checkLedger, tracked } from "../_faults.ts";
import type { JobRecord, LedgerEntry } from "../../../src/types.ts";
import {
  append,
  create,
  instance,
  makeJob,
  MIN,
  runLog,
  setState,
  succeeded,
  T0,
} from "../_records.ts";

/** The error a write to a full disk gets in Deno (a plain `Error`). */
function enospc(): Error {
  return Object.assign(new Error("No space left on device (os error 28)"), {
    code: "ENOSPC",
  });
}

/** An fsync that fails (Deno maps EIO to a plain `Error`, too). */
function eio(): Error {
  return Object.assign(new Error("Input/output error (os error 5)"), {
    code: "EIO",
  });
}

interface Step {
  readonly step: FsStep;
  /** The path inside the store directory, random hex replaced by `*`. */
  readonly file: string;
}

function fileOf(dir: string, path: string): string {
  return path.slice(dir.length + 1).replace(/[0-9a-f]{16}/g, "*");
}

/** Records the steps `fn` takes. */
async function stepsOf(
  dir: string,
  fn: () => Promise<unknown>,
): Promise<Step[]> {
  const steps: Step[] = [];
  setFaultHook((step, path) => {
    steps.push({ step, file: fileOf(dir, path) });
    return undefined;
  });
  try {
    await fn();
  } finally {
    setFaultHook(undefined);
  }
  return steps;
}

/** Fails the `n`-th step (1-based) from now on, once. */
function failStep(n: number, fault: FsFault): void {
  let seen = 0;
  setFaultHook(() => ++seen === n ? fault : undefined);
}

async function tempRoot() {
  const root = await Deno.makeTempDir({ prefix: "tock-faults-" });
  return {
    dir: `${root}/.tock`,
    [Symbol.asyncDispose]: async () => {
      setFaultHook(undefined);
      await Deno.remove(root, { recursive: true });
    },
  };
}

interface Contents {
  readonly jobs: JobRecord[];
  readonly history: LedgerEntry[];
}

async function contents(store: JobStore): Promise<Contents> {
  return { jobs: await store.jobs(), history: await store.history() };
}

/** What a new store object (another process) reads from the directory. */
async function fresh(dir: string): Promise<Contents> {
  await using store = await createFileStore({ dir });
  return await contents(store);
}

/** Files (not directories) under `dir`, random hex replaced by `*`. */
async function files(dir: string, sub = ""): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir + sub)) {
    const name = `${sub}/${entry.name}`;
    if (entry.isDirectory) names.push(...await files(dir, name));
    else names.push(name.slice(1).replace(/[0-9a-f]{16}/g, "*"));
  }
  return names.sort();
}

function isWriteError(dir: string, file: RegExp, detail: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof StoreError, `${error}`);
    const prefix = `Cannot write store "${dir}": `;
    assert.ok(error.message.startsWith(prefix), error.message);
    const rest = error.message.slice(prefix.length);
    assert.match(rest, file);
    assert.match(rest, detail);
    assert.ok(!error.message.includes("\n"), error.message);
    return true;
  };
}

// A job "a" whose every commit appends one outcome and bumps the counters,
// as the runtime's commits do.
class Job {
  record: JobRecord = makeJob("a");
  entries: LedgerEntry[] = [];
  n = 0;

  next(): StoreChange[] {
    const state = {
      ...this.record.state,
      version: this.record.state.version + 1,
      counters: {
        ...this.record.state.counters,
        succeeded: this.record.state.counters.succeeded + 1,
      },
    };
    const entry = succeeded("a", T0 + this.n++ * MIN);
    this.entries.push(entry);
    this.record = { spec: this.record.spec, state };
    return [append(entry), setState("a", state)];
  }
}

/**
 * Every commit of `job` is there: its record, and its newest entries (all
 * of them, or at least `historyLimit` once pruning started).
 */
function checkKept(found: Contents, job: Job, historyLimit: number): void {
  assert.deepEqual(found.jobs.find((r) => r.spec.id === "a"), job.record);
  const kept = found.history.filter((e) => e.job === "a");
  assert.ok(
    kept.length >= Math.min(historyLimit, job.entries.length),
    `${kept.length} of ${job.entries.length} entries kept`,
  );
  assert.deepEqual(kept, job.entries.slice(job.entries.length - kept.length));
}

/**
 * A store with jobs `a` and `b` and a few commits, reopened so that the
 * next commit compacts (with `compact`) or not; `torn` is left at the end
 * of the journal as a crash mid-append would.
 */
async function prepared(
  dir: string,
  options: { compact: boolean; historyLimit?: number; torn?: string },
): Promise<{ store: JobStore; job: Job }> {
  const job = new Job();
  {
    await using store = await createFileStore({ dir });
    await commitAll(store, create(job.record), create(makeJob("b")));
    for (let i = 0; i < 4; i++) await commitAll(store, ...job.next());
  }
  const journal = `${dir}/${await journalName(dir)}`;
  const size = (await Deno.stat(journal)).size;
  if (options.torn) {
    await Deno.writeTextFile(journal, options.torn, { append: true });
  }
  const store = await createFileStore({
    dir,
    compactBytes: options.compact ? size + 1 : 1 << 30,
    historyLimit: options.historyLimit ?? 10_000,
  });
  return { store, job };
}

Deno.test("FileStore.commit() rejects when any step of its journal append fails, and loses nothing", async (t) => {
  // A torn tail (a crash mid-append) adds a step: cutting it off.
  for (const torn of ["", `{"seq":99,"changes":[{"ty`]) {
    await using recording = await tempRoot();
    const { store: probe, job: probeJob } = await prepared(recording.dir, {
      compact: false,
      torn,
    });
    const steps = await stepsOf(
      recording.dir,
      () => commitAll(probe, ...probeJob.next()),
    );
    await probe.close();
    assert.deepEqual(
      steps,
      (torn ? ["open", "truncate", "write", "sync"] : ["open", "write", "sync"])
        .map((step) => ({ step, file: "journal-*.jsonl" })),
    );
    const faults: { n: number; name: string; fault: FsFault }[] = [];
    for (const [i, { step }] of steps.entries()) {
      const error = step === "sync" ? eio() : enospc();
      const where = torn ? " (torn tail)" : "";
      faults.push({
        n: i + 1,
        name: `${i + 1}: ${step}${where}`,
        fault: { error },
      });
      if (step === "write") {
        faults.push({
          n: i + 1,
          name: `${i + 1}: short write${where}`,
          fault: { error, written: 9 },
        });
      }
    }
    for (const { n, name, fault } of faults) {
      await t.step(name, async () => {
        await using tmp = await tempRoot();
        const { store, job } = await prepared(tmp.dir, {
          compact: false,
          torn,
        });
        await using _ = store;
        const before = await contents(store);
        const journal = `${tmp.dir}/${await journalName(tmp.dir)}`;
        const bytes = await Deno.readFile(journal);
        const changes = job.next();
        failStep(n, fault);
        await assert.rejects(
          commitAll(store, ...changes),
          isWriteError(
            tmp.dir,
            /^journal-[0-9a-f]{16}\.jsonl: /,
            new RegExp(`: ${fault.error.message.replace(/[()]/g, "\\$&")}$`),
          ),
        );
        setFaultHook(undefined);
        // Readable, unchanged, and nothing of the failed line is left
        // (a torn tail is cut, or stays as it was).
        assert.deepEqual(await contents(store), before);
        assert.deepEqual(await fresh(tmp.dir), before);
        const now = await Deno.readFile(journal);
        const good = bytes.subarray(0, bytes.length - torn.length);
        assert.ok(
          equal(now, bytes) || equal(now, good),
          new TextDecoder().decode(now.subarray(good.length)),
        );
        // The same commit goes through once the disk has room again.
        await commitAll(store, ...changes);
        const after = await fresh(tmp.dir);
        assert.equal(after.history.length, before.history.length + 1);
        assert.deepEqual(await contents(store), after);
      });
    }
  }
});

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

Deno.test("FileStore.commit() stays committed when any step of the compaction after it fails, and compacts later", async (t) => {
  for (const historyLimit of [10_000, 2]) {
    const kind = historyLimit === 2 ? "pruning" : "appending";
    await using recording = await tempRoot();
    const { store: probe, job: probeJob } = await prepared(recording.dir, {
      compact: true,
      historyLimit,
    });
    const steps = await stepsOf(
      recording.dir,
      () => commitAll(probe, ...probeJob.next()),
    );
    await probe.close();
    // The commit: open, write, fdatasync of the journal.
    const commitSteps = 3;
    assert.deepEqual(
      steps.slice(0, commitSteps).map((s) => s.step),
      ["open", "write", "sync"],
    );
    // Every step of the compaction: the new journal, directory fsync, the
    // old journal's rotation marker (open, write, fdatasync), archives,
    // ledger/ fsync, the snapshot's atomic write, the old journal's removal.
    const compaction = steps.slice(commitSteps);
    assert.deepEqual(
      compaction.slice(0, 6).map((s) => `${s.step} ${s.file}`),
      [
        "open journal-*.jsonl",
        "sync journal-*.jsonl",
        "sync ",
        "open journal-*.jsonl",
        "write journal-*.jsonl",
        "sync journal-*.jsonl",
      ],
    );
    for (
      const must of [
        historyLimit === 2
          ? { step: "rename", file: "ledger/a.jsonl" }
          : { step: "write", file: "ledger/a.jsonl" },
        { step: "sync", file: "ledger" },
        { step: "rename", file: "state.json" },
        { step: "remove", file: "journal-*.jsonl" },
      ]
    ) {
      assert.ok(
        compaction.some((s) => s.step === must.step && s.file === must.file),
        JSON.stringify(must),
      );
    }
    for (const [k, { step, file }] of compaction.entries()) {
      const n = commitSteps + k + 1;
      const variants: FsFault[] = [{ error: enospc() }];
      if (step === "write") variants.push({ error: enospc(), written: 7 });
      for (const fault of variants) {
        const short = fault.written ? "short " : "";
        await t.step(`${kind} ${n}: ${short}${step} ${file}`, async () => {
          await using tmp = await tempRoot();
          const { store, job } = await prepared(tmp.dir, {
            compact: true,
            historyLimit,
          });
          await using _ = store;
          const journalOf = async () =>
            JSON.parse(await Deno.readTextFile(`${tmp.dir}/state.json`))
              .journal;
          failStep(n, fault);
          // The commit point (the journal fdatasync) has passed: the commit
          // resolves, its compaction is retried later.
          await commitAll(store, ...job.next());
          setFaultHook(undefined);
          const after = await contents(store);
          checkKept(after, job, historyLimit);
          assert.deepEqual(await fresh(tmp.dir), after);
          // Later commits go through, and a compaction completes (a failure
          // after the snapshot swap leaves the old journal to the next one).
          const journal = await journalOf();
          for (let i = 0; i < 20 && await journalOf() === journal; i++) {
            await commitAll(store, ...job.next());
          }
          assert.notEqual(await journalOf(), journal);
          const expected = await contents(store);
          checkKept(expected, job, historyLimit);
          assert.deepEqual(await fresh(tmp.dir), expected);
          const journals = (await files(tmp.dir)).filter((f) =>
            f.startsWith("journal-")
          );
          assert.equal(journals.length, 1, `${journals}`);
          assert.deepEqual(
            (await files(tmp.dir)).filter((f) => f.endsWith(".tmp")),
            [],
          );
        });
      }
    }
  }
});

Deno.test("FileStore.heartbeat() and saveLog() reject a failed step in one line naming the file, and keep the last good copy", async (t) => {
  const cases: {
    name: string;
    file: RegExp;
    write: (store: JobStore, n: number) => Promise<unknown>;
    read: (store: JobStore) => Promise<unknown>;
    /** The file system steps of one write. */
    steps: string[];
  }[] = [
    {
      name: "heartbeat",
      // Not synced: a heartbeat lost in a crash is a stopped beat anyway.
      steps: ["open", "write", "rename"],
      file: /^instances\/alpha\.json: /,
      write: (store, n) =>
        store.heartbeat(instance("alpha", { beat: n, heartbeatAt: T0 + n })),
      read: (store) => store.instances(),
    },
    {
      name: "log",
      // Not synced: the ledger, not the log, is a run's durable record.
      steps: ["open", "write", "rename"],
      file: /^logs\/a\/run-1-1\.json: /,
      write: (store, n) => store.saveLog(runLog("a", 1, { stdout: `${n}\n` })),
      read: (store) => store.logs("a"),
    },
  ];
  for (const { name, file, write, read, steps: expected } of cases) {
    await using recording = await tempRoot();
    {
      await using probe = await createFileStore({ dir: recording.dir });
      await commitAll(probe, create(makeJob("a")));
      await write(probe, 1);
      const steps = await stepsOf(recording.dir, () => write(probe, 2));
      assert.deepEqual(steps.map((s) => s.step), expected);
    }
    for (const n of expected.map((_, i) => i + 1)) {
      await t.step(`${name}: step ${n}`, async () => {
        await using tmp = await tempRoot();
        await using store = await createFileStore({ dir: tmp.dir });
        await commitAll(store, create(makeJob("a")));
        await write(store, 1);
        const before = await read(store);
        failStep(n, { error: enospc() });
        await assert.rejects(
          write(store, 2),
          isWriteError(tmp.dir, file, /os error 28/),
        );
        // Up to the rename the old copy stays (a synced write's directory
        // fsync comes after it: the new copy is in place, its durability
        // unknown).
        if (n < expected.length || expected.at(-1) !== "sync") {
          assert.deepEqual(await read(store), before);
        }
        setFaultHook(undefined);
        assert.deepEqual(
          (await files(tmp.dir)).filter((f) => f.endsWith(".tmp")),
          [],
        );
        await write(store, 3);
        assert.notDeepEqual(await read(store), before);
      });
    }
  }
});

Deno.test("createScheduler() on a file store rides out a full disk: it backs off, retries, and accounts for every slot after", async () => {
  await using tmp = await tempRoot();
  const { store, quiet } = tracked(
    await createFileStore({ dir: tmp.dir, pollMs: 3_600_000 }),
  );
  const clock = new FakeClock(T0, { settle: quiet });
  const ticks: number[] = [];
  let release = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  await using scheduler = await createScheduler({
    store,
    clock,
    instance: "disk-full",
    heartbeatMs: 1000,
  });
  const events = collect(
    scheduler,
    "scheduler.error",
    "lock.acquired",
    "job.claimed",
    "run.succeeded",
  );
  const since = (type: string, from: number) =>
    events.slice(from).filter((e) => e.type === type);
  await scheduler.add({
    id: "tick",
    schedule: "every 1s",
    handler: ({ slot }) => void ticks.push(slot.getTime()),
  });
  await scheduler.add({
    id: "slow",
    schedule: "every 10s",
    handler: () => gate,
  });
  await clock.tick(12_000);
  assert.equal(ticks.length, 12);
  assert.equal(
    since("job.claimed", 0).filter((e) => e.detail.job === "slow").length,
    1,
  );

  // The disk fills up: every write fails.
  let journalWrites = 0;
  setFaultHook((step, path) => {
    if (step !== "write") return undefined;
    if (/journal-[0-9a-f]{16}\.jsonl$/.test(path)) journalWrites++;
    return { error: enospc() };
  });
  const full = events.length;
  await clock.tick(3_000);
  release(); // The slow run ends; its outcome cannot be written.
  await clock.tick(27_000);
  const errors = since("scheduler.error", full);
  const claims = since("lock.acquired", full);
  // Besides the claims, the outcome was tried again about every second.
  assert.ok(
    journalWrites - claims.length >= 20,
    `${journalWrites} journal writes, ${claims.length} claims`,
  );
  assert.ok(errors.length >= 10, `${errors.length} errors`);
  for (const { detail } of errors) {
    assert.equal(detail.error?.name, "StoreError");
    assert.match(
      detail.error!.message,
      /^Cannot write store "[^"]+": (journal-[0-9a-f]{16}\.jsonl|instances\/disk-full\.json): No space left on device \(os error 28\)$/,
    );
  }
  // It keeps trying, with a growing backoff rather than a hot loop.
  assert.ok(
    claims.length >= 4 && claims.length <= 30,
    `${claims.length} claims`,
  );
  assert.equal(ticks.length, 12, "nothing new ran without a durable claim");
  assert.equal(since("run.succeeded", full).length, 0);
  assert.deepEqual(
    (await scheduler.history({ job: "slow" })).filter((e) =>
      e.outcome === "succeeded"
    ),
    [],
  );

  // The disk has room again: the outcome lands, claiming resumes.
  setFaultHook(undefined);
  const cleared = events.length;
  await clock.tick(40_000);
  await scheduler.idle();
  const first = (await scheduler.history({ job: "slow" })).filter((e) =>
    e.slot === T0 + 10_000
  );
  assert.deepEqual(first.map((e) => e.outcome), ["succeeded"]);
  assert.ok(
    since("run.succeeded", cleared).some((e) =>
      e.detail.slot?.getTime() === T0 + 10_000
    ),
  );
  assert.ok(ticks.length > 12 + 30, `${ticks.length} ticks`);
  assert.equal(new Set(ticks).size, ticks.length, "G1: a slot ran twice");
  await checkLedger(store);
  const tick = (await scheduler.job("tick"))!.state;
  assert.equal(tick.cursor, clock.now() - (clock.now() - T0) % 1000);
});

Deno.test("createScheduler() recovers a run left claimed by a commit whose fsync and rollback both failed", async () => {
  // The claim's journal line was written, its fdatasync failed, and cutting
  // it off failed too: the commit rejects, yet every reader sees the line.
  // The run it claims was never started; it must not hold the job forever.
  await using tmp = await tempRoot();
  const { store, quiet } = tracked(
    await createFileStore({ dir: tmp.dir, pollMs: 3_600_000 }),
  );
  const clock = new FakeClock(T0, { settle: quiet });
  const ticks: number[] = [];
  await using scheduler = await createScheduler({
    store,
    clock,
    instance: "unlucky",
    heartbeatMs: 1000,
  });
  const errors = collect(scheduler, "scheduler.error");
  await scheduler.add({
    id: "tick",
    schedule: "every 1s",
    handler: ({ slot }) => void ticks.push(slot.getTime()),
  });
  await clock.tick(3_000);
  let armed = true;
  setFaultHook((step, path) => {
    if (!armed || !/journal-[0-9a-f]+\.jsonl$/.test(path)) return undefined;
    if (step === "truncate") armed = false;
    return step === "sync" || step === "truncate"
      ? { error: eio() }
      : undefined;
  });
  await clock.tick(1_000);
  assert.equal(armed, false, "no commit met the fault");
  setFaultHook(undefined);
  assert.equal(errors.length, 1);
  await clock.tick(20_000);
  await scheduler.idle();
  const { state } = (await scheduler.job("tick"))!;
  assert.deepEqual(state.runs, []);
  const history = await scheduler.history({ job: "tick" });
  assert.deepEqual(
    history.filter((e) => e.outcome === "abandoned").map((e) => e.slot),
    [T0 + 4_000],
  );
  assert.ok(ticks.length >= 20, `${ticks.length} runs after the fault`);
  assert.ok(!ticks.includes(T0 + 4_000));
  await checkLedger(store);
});

/** Every file under `dir` with its bytes. */
async function bytesUnder(dir: string): Promise<Map<string, Uint8Array>> {
  const found = new Map<string, Uint8Array>();
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) {
      for (const [name, bytes] of await bytesUnder(path)) {
        found.set(`${entry.name}/${name}`, bytes);
      }
    } else found.set(entry.name, await Deno.readFile(path));
  }
  return found;
}

Deno.test("createFileStore() refuses empty, truncated, foreign and newer store files and leaves every byte alone", async (t) => {
  const text = (s: string) => () => new TextEncoder().encode(s);
  // Each case breaks one file of a store holding jobs, history and an
  // archive; `file` names the file, `message` the end of the error.
  const cases: {
    name: string;
    file: (dir: string) => Promise<string>;
    bytes: (old: Uint8Array) => Uint8Array;
    message: RegExp;
  }[] = [
    {
      name: "empty tock.json",
      file: () => Promise.resolve("tock.json"),
      bytes: text(""),
      message: /: tock\.json is not a tock store file$/,
    },
    {
      name: "empty state.json",
      file: () => Promise.resolve("state.json"),
      bytes: text(""),
      message: /: state\.json is not a tock state file$/,
    },
    {
      name: "truncated state.json",
      file: () => Promise.resolve("state.json"),
      bytes: (old) => old.subarray(0, old.length >> 1),
      message: /: state\.json is not a tock state file$/,
    },
    {
      name: "state.json that is an array",
      file: () => Promise.resolve("state.json"),
      bytes: text("[]\n"),
      message: /: state\.json is not a tock state file$/,
    },
    {
      name: "state.json from a newer tock",
      file: () => Promise.resolve("state.json"),
      bytes: (old) => {
        const state = JSON.parse(new TextDecoder().decode(old));
        return text(JSON.stringify({ ...state, version: 4 }))();
      },
      message:
        /: state\.json has format version 4, this tock reads version 3 \(upgrade tock\)$/,
    },
    {
      name: "journal whose first line is garbage",
      file: journalName,
      bytes: (old) => concat(text('{"seq":1,"chan\n')(), old),
      message: /: journal-[0-9a-f]{16}\.jsonl is corrupt at byte 0$/,
    },
    {
      name: "journal whose first line is foreign JSON",
      file: journalName,
      bytes: (old) => concat(text('{"hello":"world"}\n')(), old),
      message:
        /: journal-[0-9a-f]{16}\.jsonl is corrupt at byte 0: unexpected content$/,
    },
    {
      name: "journal that skips a batch",
      file: journalName,
      bytes: (old) => {
        const lines = new TextDecoder().decode(old).split("\n");
        return text(lines.slice(1).join("\n"))();
      },
      message:
        /: journal-[0-9a-f]{16}\.jsonl is corrupt at byte 0: batch \d+ does not follow batch \d+$/,
    },
    {
      name: "journal that is missing",
      file: journalName,
      bytes: () => new Uint8Array(),
      message: /: journal-[0-9a-f]{16}\.jsonl is missing$/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await using tmp = await tempRoot();
      {
        await using store = await createFileStore({ dir: tmp.dir });
        const job = new Job();
        await commitAll(store, create(job.record));
        for (let i = 0; i < 3; i++) await commitAll(store, ...job.next());
        await store.heartbeat(instance("alpha"));
      }
      const file = await c.file(tmp.dir);
      const path = `${tmp.dir}/${file}`;
      if (c.name.endsWith("missing")) await Deno.remove(path);
      else await Deno.writeFile(path, c.bytes(await Deno.readFile(path)));
      const before = await bytesUnder(tmp.dir);
      for (let attempt = 0; attempt < 2; attempt++) {
        await assert.rejects(
          createFileStore({ dir: tmp.dir }),
          (error: unknown) => {
            assert.ok(error instanceof StoreError);
            assert.ok(
              error.message.startsWith(`Cannot open store "${tmp.dir}": `),
              error.message,
            );
            assert.match(error.message, c.message);
            assert.ok(!error.message.includes("\n"));
            return true;
          },
        );
        assert.deepEqual(await bytesUnder(tmp.dir), before);
      }
    });
  }
  await t.step("archive whose first line is garbage", async () => {
    await using tmp = await tempRoot();
    const opts = { dir: tmp.dir, compactBytes: 1, historyLimit: 4 };
    await using store = await createFileStore(opts);
    const job = new Job();
    await commitAll(store, create(job.record));
    await commitAll(store, ...job.next());
    const archive = `${tmp.dir}/ledger/a.jsonl`;
    const broken = concat(text("garbage\n")(), await Deno.readFile(archive));
    await Deno.writeFile(archive, broken);
    // Jobs still read; the history names the broken file.
    await using other = await createFileStore(opts);
    assert.deepEqual((await other.jobs()).map((r) => r.spec.id), ["a"]);
    await assert.rejects(
      other.history(),
      new StoreError(
        `Cannot read store "${tmp.dir}": ledger/a.jsonl is corrupt at byte 0`,
      ),
    );
    // Commits go on; compactions append after the broken line until the
    // archive must be pruned, and then leave it as it is.
    for (let i = 0; i < 6; i++) await commitAll(store, ...job.next());
    const now = await Deno.readFile(archive);
    assert.deepEqual(now.subarray(0, broken.length), broken);
    assert.deepEqual((await store.job("a"))!.state, job.record.state);
    const kept = await Deno.readFile(archive);
    await commitAll(store, ...job.next());
    assert.deepEqual(await Deno.readFile(archive), kept);
    // The compaction gives up (the commits stay in the journal).
    const journal = `${tmp.dir}/${await journalName(tmp.dir)}`;
    assert.ok((await Deno.stat(journal)).size > 0);
  });
});

async function journalName(dir: string): Promise<string> {
  return JSON.parse(await Deno.readTextFile(`${dir}/state.json`)).journal;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

Deno.test("FileStore readers drop a journal line cut after a failed fsync, even when a line of the same length replaces it", async () => {
  // A commit's line is readable from its write until its fdatasync fails
  // and the rollback cuts it. Another process that read it meanwhile must
  // not keep it: the next commit may be a line of exactly the same length
  // (a retried claim often is), and a reader that trusted its offset would
  // keep the phantom, miss the real line, and write on top of both.
  await using tmp = await tempRoot();
  await using writer = await createFileStore({ dir: tmp.dir });
  await commitAll(writer, create(makeJob("a")));
  const journal = `${tmp.dir}/${await journalName(tmp.dir)}`;
  const good = await Deno.readFile(journal);
  await using reader = await createFileStore({ dir: tmp.dir });
  assert.deepEqual((await reader.jobs()).map((r) => r.spec.id), ["a"]);
  // The phantom line: written, read by `reader`, then cut off.
  await commitAll(writer, create(makeJob("x1")));
  assert.deepEqual((await reader.jobs()).map((r) => r.spec.id), ["a", "x1"]);
  const phantom = (await Deno.stat(journal)).size;
  await Deno.writeFile(journal, good);
  // The real commit, by a writer that never saw the phantom.
  {
    await using retry = await createFileStore({ dir: tmp.dir });
    await commitAll(retry, create(makeJob("x2")));
  }
  assert.equal((await Deno.stat(journal)).size, phantom);
  assert.deepEqual((await reader.jobs()).map((r) => r.spec.id), ["a", "x2"]);
  await assert.rejects(
    commitAll(reader, create(makeJob("x2"))),
    /Cannot create job 'x2': it already exists/,
  );
  assert.deepEqual(
    (await fresh(tmp.dir)).jobs.map((r) => r.spec.id),
    ["a", "x2"],
  );
});

Deno.test("a compaction that fails is reported as store.error, and a later one completes", async () => {
  await using tmp = await tempRoot();
  await using files = await createFileStore({ dir: tmp.dir, compactBytes: 1 });
  const { store, quiet } = tracked(files);
  const clock = new FakeClock(T0, { settle: quiet });
  await using scheduler = await createScheduler({
    store,
    clock,
    instance: "alpha",
    handlers: { tick: () => {} },
  });
  const errors = collect(scheduler, "store.error");
  await scheduler.add({ id: "tick", schedule: "every 1m", run: "tick" });
  const minute = async () => {
    await clock.tick(60_000);
    await scheduler.idle();
    await compactionSettled(files);
  };
  const snapshot = () => Deno.readTextFile(`${tmp.dir}/state.json`);
  await compactionSettled(files);
  const first = await snapshot();
  // Every snapshot swap fails until the hook is removed.
  setFaultHook((step, path) =>
    step === "rename" && path.endsWith("/state.json")
      ? { error: enospc() }
      : undefined
  );
  await minute();
  assert.equal(await snapshot(), first, "no snapshot was swapped in");
  assert.ok(errors.length > 0, "the failure was reported");
  assert.match(
    errors[0]!.detail.error!.message,
    new RegExp(`^Cannot write store "${tmp.dir}": .*state\\.json: `),
  );
  setFaultHook(undefined);
  for (let i = 0; i < 3; i++) await minute();
  assert.notEqual(await snapshot(), first, "a later compaction completed");
  const ok = (await store.history({ job: "tick" })).filter((entry) =>
    entry.outcome === "succeeded"
  );
  assert.equal(ok.length, 4);
});
