import assert from "node:assert/strict";
import { createFileStore } from "../../../src/store/file/file_store.ts";
import { FileState } from "../../../src/store/file/_state.ts";
import { StoreError } from "../../../src/errors.ts";
import type { StoreChange } from "../../../src/store/store.ts";
import type { LedgerEntry } from "../../../src/types.ts";
import { testStoreContract } from "../_store_contract.ts";
import { commitAll, tempStoreDir } from "./_file_helpers.ts";
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

function backend(options: { compactBytes?: number } = {}) {
  return async () => {
    const root = await Deno.makeTempDir({ prefix: "tock-store-" });
    const opts = { dir: `${root}/.tock`, pollMs: 10, ...options };
    const cleanup = () => Deno.remove(root, { recursive: true });
    try {
      const store = await createFileStore(opts);
      return { store, reopen: () => createFileStore(opts), cleanup };
    } catch (error) {
      await cleanup();
      throw error;
    }
  };
}

testStoreContract("FileStore", backend());
// Compacting after every commit runs the contract through the archives.
testStoreContract("FileStore (compacting)", backend({ compactBytes: 1 }));

const CORE = ["tock.json", "state.json", "lock"];

async function journalOf(dir: string): Promise<string> {
  const state = JSON.parse(await Deno.readTextFile(`${dir}/state.json`));
  return `${dir}/${state.journal}`;
}

async function filesUnder(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    names.push(entry.name);
    if (entry.isDirectory) {
      for (const inner of await filesUnder(`${dir}/${entry.name}`)) {
        names.push(`${entry.name}/${inner}`);
      }
    }
  }
  return names.sort();
}

Deno.test("createFileStore() creates the directory 0700 and its files 0600", async () => {
  await using tmp = await tempStoreDir();
  {
    await using store = await createFileStore({
      dir: tmp.dir,
      compactBytes: 1,
    });
    await commitAll(store, create(makeJob("a")), append(succeeded("a", T0)));
    await commitAll(store, append(succeeded("a", T0 + MIN)));
    await store.heartbeat(instance("alpha"));
    await store.saveLog(runLog("a", 1));
  }
  const files = await filesUnder(tmp.dir);
  for (
    const name of [
      ...CORE,
      "ledger/a.jsonl",
      "instances/alpha.json",
      "logs/a/run-1-1.json",
    ]
  ) {
    assert.ok(files.includes(name), `${name} in ${files}`);
  }
  assert.equal((await Deno.stat(tmp.dir)).mode! & 0o777, 0o700);
  for (const name of files) {
    const info = await Deno.stat(`${tmp.dir}/${name}`);
    assert.equal(info.mode! & 0o777, info.isDirectory ? 0o700 : 0o600, name);
  }
});

Deno.test("createFileStore() trims run logs on save and removes a job's leftovers", async () => {
  await using tmp = await tempStoreDir();
  await using store = await createFileStore({ dir: tmp.dir });
  await commitAll(store, create(makeJob("a")));
  for (let n = 0; n < 250; n++) await store.saveLog(runLog("a", n));
  const files = (await filesUnder(`${tmp.dir}/logs/a`)).filter((name) =>
    !name.startsWith(".")
  );
  assert.ok(files.length >= 100 && files.length <= 120, `${files.length}`);
  assert.ok(files.includes("run-249-1.json"));
  assert.equal((await store.logs("a")).length, 100);
  // A log written by a run that raced its job's removal is cleared when a
  // job of that id is created again.
  await commitAll(store, { type: "job.delete", id: "a" });
  await Deno.mkdir(`${tmp.dir}/logs/a`, { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(
    `${tmp.dir}/logs/a/run-1-1.json`,
    JSON.stringify(runLog("a", 1)),
    { mode: 0o600 },
  );
  await commitAll(store, create(makeJob("a")));
  assert.deepEqual(await store.logs("a"), []);
});

Deno.test("createFileStore() saves a log after another process removed and re-created its job", async () => {
  await using tmp = await tempStoreDir();
  await using a = await createFileStore({ dir: tmp.dir });
  await using b = await createFileStore({ dir: tmp.dir });
  await commitAll(a, create(makeJob("j")));
  await a.saveLog(runLog("j", 1));
  // b deletes the job (and its logs directory) and makes it again.
  await commitAll(b, { type: "job.delete", id: "j" });
  await commitAll(b, create(makeJob("j")));
  await a.saveLog(runLog("j", 2));
  assert.deepEqual((await b.logs("j")).map((log) => log.runId), ["run-2"]);
});

Deno.test("createFileStore() deletes the logs of many jobs deleted in one commit, and only theirs", async () => {
  await using tmp = await tempStoreDir();
  await using store = await createFileStore({ dir: tmp.dir });
  const ids = Array.from({ length: 12 }, (_, i) => `j${i}`);
  await commitAll(store, ...ids.map((id) => create(makeJob(id))));
  await commitAll(store, create(makeJob("kept")));
  for (const id of [...ids, "kept"]) await store.saveLog(runLog(id, 1));
  await commitAll(
    store,
    ...ids.map((id) => ({ type: "job.delete", id }) as const),
  );
  assert.deepEqual(
    (await filesUnder(`${tmp.dir}/logs`)).filter((f) => !f.startsWith(".")),
    ["kept", "kept/run-1-1.json"],
  );
  assert.equal((await store.logs("kept")).length, 1);
});

Deno.test("createFileStore() refuses an unsafe directory", async (t) => {
  await using tmp = await tempStoreDir();
  await createFileStore({ dir: tmp.dir }).then((s) => s.close());
  for (const mode of [0o777, 0o770, 0o702]) {
    await t.step(`mode ${mode.toString(8)}`, async () => {
      await Deno.chmod(tmp.dir, mode);
      await assert.rejects(
        createFileStore({ dir: tmp.dir }),
        (error: unknown) =>
          error instanceof StoreError &&
          error.message.startsWith(
            `Cannot open store "${tmp.dir}": it is writable by group or others`,
          ) &&
          !error.message.includes("\n"),
      );
    });
  }
  await Deno.chmod(tmp.dir, 0o700);
  await t.step({
    name: "owned by another user",
    ignore: Deno.build.os === "windows" || !(await isRoot()),
    fn: async () => {
      await Deno.chown(tmp.dir, 4321, 4321);
      await assert.rejects(
        createFileStore({ dir: tmp.dir }),
        /it is owned by uid 4321, not by this user/,
      );
      await Deno.chown(tmp.dir, 0, 0);
    },
  });
  await createFileStore({ dir: tmp.dir }).then((s) => s.close());
});

async function isRoot(): Promise<boolean> {
  const probe = await Deno.makeTempFile();
  const uid = (await Deno.stat(probe)).uid;
  await Deno.remove(probe);
  return uid === 0;
}

Deno.test("createFileStore() refuses a foreign, corrupt or newer tock.json and leaves it alone", async (t) => {
  const cases: [string, string, RegExp][] = [
    [
      "foreign",
      `{"format":"something-else","version":1}`,
      /tock\.json is not a tock store file$/,
    ],
    [
      "corrupt",
      `{"format":"tock-file-st`,
      /tock\.json is not a tock store file$/,
    ],
    ["binary", "\u0000\u0001\u0002", /tock\.json is not a tock store file$/],
    [
      "newer",
      `{"format":"tock-file-store","version":4}`,
      /tock\.json has format version 4, this tock reads version 3/,
    ],
  ];
  for (const [name, text, pattern] of cases) {
    await t.step(name, async () => {
      await using tmp = await tempStoreDir();
      await Deno.mkdir(tmp.dir, { mode: 0o700 });
      await Deno.writeTextFile(`${tmp.dir}/tock.json`, text);
      await assert.rejects(
        createFileStore({ dir: tmp.dir }),
        (error: unknown) =>
          error instanceof StoreError &&
          error.message.startsWith(`Cannot open store "${tmp.dir}": `) &&
          pattern.test(error.message),
      );
      assert.equal(await Deno.readTextFile(`${tmp.dir}/tock.json`), text);
      assert.deepEqual(await filesUnder(tmp.dir), ["tock.json"]);
    });
  }
  await t.step("a directory with other files and no marker", async () => {
    await using tmp = await tempStoreDir();
    await Deno.mkdir(tmp.dir, { mode: 0o700 });
    await Deno.writeTextFile(`${tmp.dir}/notes.txt`, "mine");
    await assert.rejects(createFileStore({ dir: tmp.dir }), /not a tock store/);
    assert.deepEqual(await filesUnder(tmp.dir), ["notes.txt"]);
  });
  await t.step("an existing empty directory is initialised", async () => {
    await using tmp = await tempStoreDir();
    await Deno.mkdir(tmp.dir, { mode: 0o700 });
    await (await createFileStore({ dir: tmp.dir })).close();
    assert.deepEqual(
      JSON.parse(await Deno.readTextFile(`${tmp.dir}/tock.json`)),
      { format: "tock-file-store", version: 3 },
    );
  });
});

Deno.test("createFileStore() redoes an interrupted initialisation only", async () => {
  await using tmp = await tempStoreDir();
  await (await createFileStore({ dir: tmp.dir })).close();
  // A crash before the marker was written leaves only our own empty files.
  await Deno.remove(`${tmp.dir}/tock.json`);
  {
    await using store = await createFileStore({ dir: tmp.dir });
    await commitAll(store, create(makeJob("a")));
  }
  // With a committed job in the journal, a missing marker is not redone.
  await Deno.remove(`${tmp.dir}/tock.json`);
  const before = await filesUnder(tmp.dir);
  const journal = await Deno.readFile(await journalOf(tmp.dir));
  await assert.rejects(
    createFileStore({ dir: tmp.dir }),
    /tock\.json is missing/,
  );
  assert.deepEqual(await filesUnder(tmp.dir), before);
  assert.deepEqual(await Deno.readFile(await journalOf(tmp.dir)), journal);
  await Deno.writeTextFile(
    `${tmp.dir}/tock.json`,
    `{"format":"tock-file-store","version":1}`,
  );
  await using again = await createFileStore({ dir: tmp.dir });
  assert.deepEqual((await again.jobs()).map((j) => j.spec.id), ["a"]);
});

Deno.test("createFileStore() refuses a corrupt state.json and leaves it alone", async (t) => {
  const cases: [string, string, RegExp][] = [
    [
      "not JSON",
      `{"format":"tock-file-store-state","vers`,
      /state\.json is not a tock state file$/,
    ],
    ["foreign", `{"hello":"world"}`, /state\.json is not a tock state file$/],
    [
      "newer",
      `{"format":"tock-file-store-state","version":9}`,
      /state\.json has format version 9/,
    ],
    [
      "inconsistent",
      `{"format":"tock-file-store-state","version":1,"seq":0,"ledgerSeq":0,"journal":"../x","jobs":[],"born":{},"archived":{}}`,
      /state\.json is corrupt: 'journal' is not a journal file name$/,
    ],
  ];
  for (const [name, text, pattern] of cases) {
    await t.step(name, async () => {
      await using tmp = await tempStoreDir();
      {
        await using store = await createFileStore({ dir: tmp.dir });
        await commitAll(store, create(makeJob("a")));
      }
      const journal = await journalOf(tmp.dir);
      const journalBytes = await Deno.readFile(journal);
      await Deno.writeTextFile(`${tmp.dir}/state.json`, text);
      await assert.rejects(
        createFileStore({ dir: tmp.dir }),
        (error: unknown) =>
          error instanceof StoreError && pattern.test(error.message) &&
          error.message.startsWith(`Cannot open store "${tmp.dir}": `),
      );
      assert.equal(await Deno.readTextFile(`${tmp.dir}/state.json`), text);
      assert.deepEqual(await Deno.readFile(journal), journalBytes);
    });
  }
  await t.step(
    "an open store reports it and does not overwrite it",
    async () => {
      await using tmp = await tempStoreDir();
      await using store = await createFileStore({
        dir: tmp.dir,
        compactBytes: 1,
      });
      await commitAll(store, create(makeJob("a")));
      await Deno.writeTextFile(`${tmp.dir}/state.json`, "garbage");
      await assert.rejects(
        store.jobs(),
        /state\.json is not a tock state file/,
      );
      await assert.rejects(commitAll(store, create(makeJob("b"))), StoreError);
      assert.equal(await Deno.readTextFile(`${tmp.dir}/state.json`), "garbage");
    },
  );
});

Deno.test("createFileStore() skips a torn journal tail and cuts it at the next commit", async (t) => {
  for (
    const torn of [
      `{"seq":3,"changes":[{"type":"job.cre`,
      "\u0000\u0000\u0000\n",
    ]
  ) {
    await t.step(JSON.stringify(torn.slice(0, 12)), async () => {
      await using tmp = await tempStoreDir();
      {
        await using store = await createFileStore({ dir: tmp.dir });
        await commitAll(store, create(makeJob("a")));
        await commitAll(store, append(succeeded("a", T0)));
      }
      const journal = await journalOf(tmp.dir);
      const good = await Deno.readTextFile(journal);
      await Deno.writeTextFile(journal, torn, { append: true });
      await using store = await createFileStore({ dir: tmp.dir });
      assert.deepEqual((await store.jobs()).map((j) => j.spec.id), ["a"]);
      assert.deepEqual(await store.history(), [succeeded("a", T0)]);
      assert.equal(await Deno.readTextFile(journal), good + torn);
      await commitAll(store, create(makeJob("b")));
      const text = await Deno.readTextFile(journal);
      assert.ok(text.startsWith(good));
      const added = text.slice(good.length);
      assert.equal(added.indexOf("\n"), added.length - 1);
      assert.equal(JSON.parse(added).seq, 3);
      await using again = await createFileStore({ dir: tmp.dir });
      assert.deepEqual((await again.jobs()).map((j) => j.spec.id), ["a", "b"]);
    });
  }
});

Deno.test("createFileStore() refuses garbage in the middle of the journal", async () => {
  await using tmp = await tempStoreDir();
  {
    await using store = await createFileStore({ dir: tmp.dir });
    await commitAll(store, create(makeJob("a")));
    await commitAll(store, create(makeJob("b")));
  }
  const journal = await journalOf(tmp.dir);
  const [first, second] = (await Deno.readTextFile(journal)).split("\n");
  const broken = `${first}\n{"seq":2,"chan\n${second}\n`;
  await Deno.writeTextFile(journal, broken);
  const name = journal.slice(journal.lastIndexOf("/") + 1);
  await assert.rejects(
    createFileStore({ dir: tmp.dir }),
    (error: unknown) =>
      error instanceof StoreError &&
      error.message ===
        `Cannot open store "${tmp.dir}": ${name} is corrupt at byte ${
          first!.length + 1
        }`,
  );
  // A line that parses but breaks the sequence is corruption too.
  await Deno.writeTextFile(journal, `${first}\n${first}\n`);
  await assert.rejects(
    createFileStore({ dir: tmp.dir }),
    /does not follow batch 1/,
  );
  assert.equal(await Deno.readTextFile(journal), `${first}\n${first}\n`);
});

Deno.test("createFileStore() compaction keeps every entry and counter", async () => {
  await using tmp = await tempStoreDir();
  const opts = { dir: tmp.dir, compactBytes: 4096 };
  const expected: LedgerEntry[] = [];
  let job = makeJob("a");
  {
    await using store = await createFileStore(opts);
    await commitAll(store, create(job), create(makeJob("b")));
    for (let i = 0; i < 40; i++) {
      const entry = succeeded(i % 3 === 0 ? "b" : "a", T0 + i * MIN);
      expected.push(entry);
      const changes: StoreChange[] = [append(entry)];
      if (entry.job === "a") {
        const state = {
          ...job.state,
          version: job.state.version + 1,
          counters: {
            ...job.state.counters,
            succeeded: job.state.counters.succeeded + 1,
          },
        };
        job = { spec: job.spec, state };
        changes.push(setState("a", state));
      }
      await commitAll(store, ...changes);
    }
    assert.deepEqual(await store.history(), expected);
  }
  const files = await filesUnder(tmp.dir);
  assert.ok(
    files.includes("ledger/a.jsonl") && files.includes("ledger/b.jsonl"),
  );
  assert.equal(
    files.filter((f) => f.startsWith("journal-")).length,
    1,
    `${files}`,
  );
  assert.ok((await Deno.stat(await journalOf(tmp.dir))).size < 4096 * 2);
  await using store = await createFileStore(opts);
  assert.deepEqual(await store.history(), expected);
  assert.deepEqual(
    await store.history({ job: "b", limit: 2 }),
    expected.filter((e) => e.job === "b").slice(-2),
  );
  assert.equal(
    (await store.job("a"))!.state.counters.succeeded,
    expected.filter((e) => e.job === "a").length,
  );
});

Deno.test("createFileStore() prunes archives to historyLimit, counters stay", async () => {
  await using tmp = await tempStoreDir();
  await using store = await createFileStore({
    dir: tmp.dir,
    compactBytes: 1,
    historyLimit: 5,
  });
  let job = makeJob("a");
  await commitAll(store, create(job));
  for (let i = 0; i < 20; i++) {
    const state = {
      ...job.state,
      version: job.state.version + 1,
      counters: {
        ...job.state.counters,
        succeeded: job.state.counters.succeeded + 1,
      },
    };
    job = { spec: job.spec, state };
    await commitAll(
      store,
      append(succeeded("a", T0 + i)),
      setState("a", state),
    );
  }
  const history = await store.history({ job: "a" });
  assert.deepEqual(
    history,
    Array.from({ length: 5 }, (_, i) => succeeded("a", T0 + 15 + i)),
  );
  assert.equal((await store.job("a"))!.state.counters.succeeded, 20);
  const lines = (await Deno.readTextFile(`${tmp.dir}/ledger/a.jsonl`)).trimEnd()
    .split("\n");
  assert.equal(lines.length, 5);
});

Deno.test("createFileStore() compaction after a crash before the snapshot swap duplicates nothing", async () => {
  await using tmp = await tempStoreDir();
  const entries = [0, 1, 2].map((i) => succeeded("a", T0 + i * MIN));
  {
    await using store = await createFileStore({ dir: tmp.dir });
    await commitAll(store, create(makeJob("a")));
    for (const entry of entries) await commitAll(store, append(entry));
  }
  // Keep the directory as it is before compaction...
  const backup = `${tmp.root}/backup`;
  await copyDir(tmp.dir, backup);
  {
    // ...let a compaction archive the entries...
    await using store = await createFileStore({
      dir: tmp.dir,
      compactBytes: 1,
    });
    await commitAll(store, create(makeJob("b")));
  }
  // ...and put the archive next to the old snapshot and journal, as a crash
  // between the archive append and the snapshot rename leaves them, with a
  // torn line for good measure.
  const archive = await Deno.readTextFile(`${tmp.dir}/ledger/a.jsonl`);
  assert.equal(archive.trimEnd().split("\n").length, 3);
  await Deno.writeTextFile(
    `${backup}/ledger/a.jsonl`,
    archive + `{"seq":4,"en`,
    { mode: 0o600 },
  );
  const opts = { dir: backup, compactBytes: 1 };
  {
    await using store = await createFileStore(opts);
    assert.deepEqual(await store.history(), entries);
    await commitAll(store, append(succeeded("a", T0 + 3 * MIN)));
    assert.deepEqual(await store.history(), [
      ...entries,
      succeeded("a", T0 + 3 * MIN),
    ]);
  }
  const lines = (await Deno.readTextFile(`${backup}/ledger/a.jsonl`)).trimEnd()
    .split("\n");
  assert.deepEqual(lines.map((l) => JSON.parse(l).seq), [1, 2, 3, 4]);
  await using store = await createFileStore(opts);
  assert.deepEqual(await store.history(), [
    ...entries,
    succeeded("a", T0 + 3 * MIN),
  ]);
});

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { mode: 0o700 });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) {
      await copyDir(`${from}/${entry.name}`, `${to}/${entry.name}`);
    } else await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

Deno.test("createFileStore() objects in one process exclude and see each other", async () => {
  await using tmp = await tempStoreDir();
  await using one = await createFileStore({ dir: tmp.dir, pollMs: 5 });
  await using two = await createFileStore({ dir: tmp.dir, pollMs: 5 });
  const lease = await one.lock.acquire();
  let got = false;
  const waiting = two.lock.acquire().then((l) => {
    got = true;
    return l;
  });
  await one.commit(lease, [create(makeJob("a"))]);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(got, false);
  await lease.release();
  {
    await using second = await waiting;
    assert.deepEqual(
      (await two.due(second, T0 + 5 * MIN)).map((j) => j.spec.id),
      ["a"],
    );
    await two.commit(second, [create(makeJob("b"))]);
  }
  assert.deepEqual((await one.jobs()).map((j) => j.spec.id), ["a", "b"]);
  await two.heartbeat(instance("two"));
  assert.deepEqual((await one.instances()).map((i) => i.id), ["two"]);
});

Deno.test("createFileStore() sees commits of another process", async () => {
  await using tmp = await tempStoreDir();
  await using store = await createFileStore({ dir: tmp.dir });
  await commitAll(store, create(makeJob("a")));
  const module =
    new URL("../../../src/store/file/file_store.ts", import.meta.url).href;
  const records = new URL("../_records.ts", import.meta.url).href;
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { createFileStore } from ${JSON.stringify(module)};
       import { makeJob, succeeded, T0 } from ${JSON.stringify(records)};
       await using store = await createFileStore({ dir: ${
        JSON.stringify(tmp.dir)
      } });
       await using lease = await store.lock.acquire();
       const [a] = await store.read(lease, ["a"]);
       await store.commit(lease, [
         { type: "job.create", job: makeJob("child") },
         { type: "job.state", id: "a", state: { ...a.state, version: a.state.version + 1, paused: true } },
         { type: "ledger.append", entry: succeeded("a", T0) },
       ]);`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(success, new TextDecoder().decode(stderr));
  assert.deepEqual((await store.jobs()).map((j) => j.spec.id), ["a", "child"]);
  assert.equal((await store.job("a"))!.state.paused, true);
  assert.deepEqual(await store.history(), [succeeded("a", T0)]);
});

Deno.test("createFileStore() survives SIGKILL of a committing process", async () => {
  await using tmp = await tempStoreDir();
  const module =
    new URL("../../../src/store/file/file_store.ts", import.meta.url).href;
  const records = new URL("../_records.ts", import.meta.url).href;
  let next = 0;
  for (const stopAfter of [7, 23, 41, 60, 85]) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { createFileStore } from ${JSON.stringify(module)};
         import { makeJob, succeeded, T0 } from ${JSON.stringify(records)};
         const store = await createFileStore({ dir: ${
          JSON.stringify(tmp.dir)
        }, compactBytes: 3000 });
         for (let i = ${next}; ; i++) {
           await using lease = await store.lock.acquire();
           await store.commit(lease, [
             { type: "job.create", job: makeJob("j" + i) },
             { type: "ledger.append", entry: succeeded("j" + i, T0 + i) },
           ]);
           console.log(i);
         }`,
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    let killed = false;
    while (true) {
      const { value, done } = await lines.read();
      if (done) break;
      out += value;
      if (!killed && out.split("\n").length > stopAfter - next) {
        child.kill("SIGKILL");
        killed = true;
      }
    }
    await child.status;
    const reported = out.trim().split("\n").map(Number);
    const last = reported.at(-1)!;
    await using store = await createFileStore({ dir: tmp.dir });
    const ids = (await store.jobs()).map((j) => j.spec.id);
    // Everything reported as committed is there; nothing is half there.
    assert.ok(ids.length >= last + 1, `${ids.length} jobs, ${last} reported`);
    const expected = Array.from({ length: ids.length }, (_, i) => `j${i}`);
    assert.deepEqual(ids, expected.sort());
    const history = await store.history();
    assert.deepEqual(
      history,
      Array.from({ length: ids.length }, (_, i) => succeeded(`j${i}`, T0 + i)),
    );
    next = ids.length;
  }
});

Deno.test("FileStore keeps an instance id in instances/<id>.lock while held, and removeInstance() deletes one a killed holder left", async () => {
  await using root = await tempStoreDir();
  const dir = root.dir;
  await using store = await createFileStore({ dir });
  const lockFile = (id: string) => `${dir}/instances/${id}.lock`;
  const exists = (path: string) =>
    Deno.stat(path).then(() => true, () => false);
  const hold = await store.holdInstance("live", { incarnation: "x", pid: 7 });
  assert.deepEqual(JSON.parse(await Deno.readTextFile(lockFile("live"))), {
    pid: 7,
    incarnation: "x",
  });
  // Held: left alone.
  await store.removeInstance("live");
  assert.ok(await exists(lockFile("live")));
  assert.equal(await hold.check(), true);
  // Left by a process killed while it held the id: nobody locks it.
  await Deno.writeTextFile(lockFile("dead"), '{"pid":1}\n');
  await store.removeInstance("dead");
  assert.equal(await exists(lockFile("dead")), false);
  // Released: gone.
  await hold.release();
  assert.equal(await exists(lockFile("live")), false);
});

Deno.test("a journal rotation changes no batch number: it is not a commit to a watcher", async () => {
  await using tmp = await tempStoreDir();
  {
    await using store = await createFileStore({ dir: tmp.dir });
    await commitAll(store, create(makeJob("a")));
  }
  const options = { compactBytes: 1, historyLimit: 100 };
  const writer = new FileState(tmp.dir, options);
  await writer.load("test");
  const reader = new FileState(tmp.dir, options);
  await reader.load("test");
  const seq = writer.model.seq;
  const plan = await writer.rotate(await writer.newJournal(), "test");
  assert.ok(plan, "a rotation was due");
  assert.equal(writer.model.seq, seq);
  assert.equal(plan.seq, seq);
  await reader.sync("test");
  assert.equal(reader.model.seq, seq, "the reader followed the marker");
  assert.equal(reader.watermark(), await reader.current());
});
