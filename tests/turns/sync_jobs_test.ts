import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { createMemoryStore } from "../../src/testing/mod.ts";
import { createFileStore } from "../../src/store/file/file_store.ts";
import { type FsStep, setFaultHook } from "../../src/store/file/_fs.ts";
import type { JobStore, StoreChange } from "../../src/store/store.ts";
import type { JobInput } from "../../src/jobs/define_job.ts";
import { addJob, removeJob, upsertJob } from "../../src/turns/manage_jobs.ts";
import { syncJobs } from "../../src/turns/sync_jobs.ts";
import { parseJobsFile } from "../../src/cli/jobs_file.ts";
import { StoreError } from "../../src/errors.ts";

const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);
const MIN = 60_000;
const SOURCE = "/srv/jobs.json";

/** The store, with every commit it is asked to make recorded. */
function counted<S extends JobStore>(
  store: S,
): { store: S; commits: (readonly StoreChange[])[] } {
  const commits: (readonly StoreChange[])[] = [];
  const proxy = new Proxy(store, {
    get(target, key) {
      if (key === "commit") {
        return (...args: Parameters<JobStore["commit"]>) => {
          commits.push(args[1]);
          return target.commit(...args);
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store: proxy, commits };
}

function job(id: string, schedule = "every 5m"): JobInput {
  return { id, schedule, cmd: `echo ${id}` };
}

function many(n: number, schedule = "*/5 * * * *"): JobInput[] {
  return Array.from({ length: n }, (_, i) => job(`job-${i}`, schedule));
}

/** What `tock start` did before `syncJobs()`: one upsert or removal a turn. */
async function oneByOne(
  store: JobStore,
  inputs: readonly JobInput[],
  now: number,
): Promise<void> {
  for (const input of inputs) {
    await upsertJob(store, { ...input, source: SOURCE }, { now });
  }
  const ids = new Set(inputs.map((input) => input.id));
  for (const record of await store.jobs()) {
    if (record.spec.source !== SOURCE || ids.has(record.spec.id)) continue;
    await removeJob(store, record.spec.id, { now });
  }
}

Deno.test("syncJobs() creates, changes, removes and leaves jobs as upsertJob() and removeJob() did", async () => {
  await using old = createMemoryStore();
  await using store = createMemoryStore();
  for (const s of [old, store]) {
    await addJob(s, job("manual"), { now: T0 });
    await upsertJob(s, { ...job("other"), source: "/srv/other.json" }, {
      now: T0,
    });
  }
  const rounds: { now: number; inputs: JobInput[]; expect: string[][] }[] = [
    {
      now: T0,
      inputs: [job("a"), job("b"), job("c")],
      expect: [["a", "b", "c"], [], [], []],
    },
    {
      now: T0 + MIN,
      inputs: [job("a"), { ...job("b"), retries: 2 }, job("d")],
      expect: [["d"], ["b"], ["a"], ["c"]],
    },
    {
      now: T0 + 2 * MIN,
      inputs: [job("d", "0 6 * * *"), { ...job("b"), retries: 2 }],
      expect: [[], ["d"], ["b"], ["a"]],
    },
    { now: T0 + 3 * MIN, inputs: [], expect: [[], [], [], ["b", "d"]] },
  ];
  for (const { now, inputs, expect } of rounds) {
    await oneByOne(old, inputs, now);
    const result = await syncJobs(store, inputs, { source: SOURCE, now });
    deepEqual(
      [result.added, result.changed, result.unchanged, result.removed],
      expect,
    );
    deepEqual(await store.jobs(), await old.jobs());
  }
  deepEqual((await store.jobs()).map((r) => r.spec.id), ["manual", "other"]);
});

Deno.test("syncJobs() keeps a changed job's state and creation time", async () => {
  await using store = createMemoryStore();
  await syncJobs(store, [job("a")], { source: SOURCE, now: T0 });
  const before = (await store.job("a"))!;
  await syncJobs(store, [job("a", "every 10m")], {
    source: SOURCE,
    now: T0 + MIN,
  });
  const after = (await store.job("a"))!;
  equal(after.spec.schedule, "every 10m");
  equal(after.spec.source, SOURCE);
  equal(after.state.createdAt, T0);
  equal(after.state.updatedAt, T0 + MIN);
  equal(after.state.version, before.state.version + 1);
});

Deno.test("syncJobs() applies nothing when the 500th job is invalid", async (t) => {
  const bad: [string, Partial<JobInput>, RegExp][] = [
    [
      "a bad option",
      { retries: -1 },
      /^TypeError: Cannot define job 'job-499': 'retries'/,
    ],
    [
      "a bad schedule",
      { schedule: "61 * * * *" },
      /^ScheduleSyntaxError: Cannot parse schedule "61/,
    ],
    ["a bad id", { id: "-no" }, /^TypeError: Cannot use job id "-no"/],
  ];
  for (const [name, patch, error] of bad) {
    await t.step(name, async () => {
      const counting = counted(createMemoryStore());
      await using store = counting.store;
      const first = many(300);
      await syncJobs(store, first, { source: SOURCE, now: T0 });
      const before = await store.jobs();
      const inputs = many(1000, "every 7m");
      inputs[499] = { ...inputs[499]!, ...patch };
      await rejects(
        syncJobs(store, inputs, { source: SOURCE, now: T0 + MIN }),
        error,
      );
      equal(counting.commits.length, 1);
      deepEqual(await store.jobs(), before);
    });
  }
});

Deno.test("syncJobs() refuses a list that names a job twice, and an empty source", async () => {
  await using store = createMemoryStore();
  await rejects(
    syncJobs(store, [job("a"), job("b"), job("a")], {
      source: SOURCE,
      now: T0,
    }),
    new TypeError(
      "Cannot sync jobs as each job must be listed once: received 'a' twice",
    ),
  );
  await rejects(
    syncJobs(store, [job("a")], { source: "", now: T0 }),
    new TypeError(
      `Cannot sync jobs as 'source' must be a non-empty string: received ""`,
    ),
  );
  deepEqual(await store.jobs(), []);
});

Deno.test("syncJobs() does not commit when nothing differs", async () => {
  const counting = counted(createMemoryStore());
  await using store = counting.store;
  const inputs = many(50);
  await syncJobs(store, inputs, { source: SOURCE, now: T0 });
  equal(counting.commits.length, 1);
  const again = await syncJobs(store, inputs, {
    source: SOURCE,
    now: T0 + MIN,
  });
  equal(again.unchanged.length, 50);
  equal(counting.commits.length, 1);
  const empty = await syncJobs(store, [], {
    source: "/srv/none.json",
    now: T0,
  });
  deepEqual(empty, { added: [], changed: [], unchanged: [], removed: [] });
  equal(counting.commits.length, 1);
});

Deno.test("syncJobs() applies a 20,000-job jobs file in one commit", async () => {
  const counting = counted(createMemoryStore());
  await using store = counting.store;
  const text = (jobs: JobInput[]) => JSON.stringify({ jobs });
  const parse = (jobs: JobInput[]) =>
    parseJobsFile(text(jobs), SOURCE, { now: T0 });
  const first = parse(many(20_000));
  const created = await syncJobs(store, first.jobs, {
    source: first.path,
    now: T0,
  });
  equal(created.added.length, 20_000);
  equal(counting.commits.length, 1);
  equal(counting.commits[0]!.length, 20_000);
  equal((await store.jobs()).length, 20_000);
  // 1,000 changed, 1,000 dropped, 1,000 new: one more commit.
  const edited = many(20_000).map((input, i) =>
    i < 1000 ? { ...input, retries: 1 } : input
  ).slice(0, 19_000).concat(
    Array.from({ length: 1000 }, (_, i) => job(`new-${i}`)),
  );
  const second = parse(edited);
  const result = await syncJobs(store, second.jobs, {
    source: second.path,
    now: T0 + MIN,
  });
  deepEqual(
    [result.added, result.changed, result.unchanged, result.removed].map((
      ids,
    ) => ids.length),
    [1000, 1000, 18_000, 1000],
  );
  equal(counting.commits.length, 2);
  equal(counting.commits[1]!.length, 3000);
  equal((await store.jobs()).length, 20_000);
});

Deno.test("syncJobs() on a file store that fills up part-way applies nothing", async () => {
  // The journal may grow by 64 KiB more; an fsync past that fails, as on a
  // full disk. Applied a job at a time, the first few hundred jobs of the
  // sync would fit and stay; applied whole, none does.
  const root = await Deno.makeTempDir({ prefix: "tock-sync-" });
  const dir = `${root}/.tock`;
  try {
    {
      await using store = await createFileStore({ dir });
      await syncJobs(store, [job("a"), job("b")], { source: SOURCE, now: T0 });
      const { journal } = JSON.parse(
        await Deno.readTextFile(`${dir}/state.json`),
      );
      const room = (await Deno.stat(`${dir}/${journal}`)).size + 64 * 1024;
      setFaultHook((step, path) =>
        step === "sync" && path.endsWith(journal) &&
          Deno.statSync(path).size > room
          ? { error: new Error("No space left on device (os error 28)") }
          : undefined
      );
      try {
        await rejects(
          syncJobs(store, many(2000), { source: SOURCE, now: T0 + MIN }),
          StoreError,
        );
      } finally {
        setFaultHook(undefined);
      }
    }
    await using reopened = await createFileStore({ dir });
    deepEqual((await reopened.jobs()).map((r) => r.spec.id), ["a", "b"]);
  } finally {
    setFaultHook(undefined);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("syncJobs() on a file store leaves nothing behind when its commit fails", async (t) => {
  const journalSteps: [string, FsStep, number | undefined][] = [
    ["open", "open", undefined],
    ["write", "write", undefined],
    ["short write", "write", 4096],
    ["fsync", "sync", undefined],
  ];
  for (const [name, step, written] of journalSteps) {
    await t.step(name, async () => {
      const root = await Deno.makeTempDir({ prefix: "tock-sync-" });
      const dir = `${root}/.tock`;
      try {
        const before = [job("a"), job("b"), job("c")];
        const after = [...many(2000), { ...job("b"), retries: 3 }];
        {
          await using store = await createFileStore({ dir });
          await syncJobs(store, before, { source: SOURCE, now: T0 });
          const kept = await store.jobs();
          let failed = 0;
          setFaultHook((s, path) => {
            if (s !== step || !/journal-[0-9a-f]+\.jsonl$/.test(path)) {
              return undefined;
            }
            failed++;
            const error = new Error("No space left on device (os error 28)");
            return written === undefined ? { error } : { error, written };
          });
          try {
            await rejects(
              syncJobs(store, after, { source: SOURCE, now: T0 + MIN }),
              StoreError,
            );
          } finally {
            setFaultHook(undefined);
          }
          ok(failed > 0, "the fault was met");
          deepEqual(await store.jobs(), kept);
        }
        // Another process (a new store object) sees only the first sync.
        {
          await using reopened = await createFileStore({ dir });
          const jobs = await reopened.jobs();
          deepEqual(jobs.map((r) => r.spec.id), ["a", "b", "c"]);
          equal(jobs.find((r) => r.spec.id === "b")?.spec.retries, 0);
          // With the disk back, the same sync applies whole.
          const result = await syncJobs(reopened, after, {
            source: SOURCE,
            now: T0 + MIN,
          });
          deepEqual(
            [result.added.length, result.changed, result.removed],
            [2000, ["b"], ["a", "c"]],
          );
        }
        await using last = await createFileStore({ dir });
        equal((await last.jobs()).length, 2001);
      } finally {
        setFaultHook(undefined);
        await Deno.remove(root, { recursive: true });
      }
    });
  }
});

Deno.test("syncJobs() reads every listed id under the lock: a job another process created meanwhile is changed, not created twice", async () => {
  const inner = createMemoryStore();
  await addJob(inner, job("report", "every 1h"), { now: T0 });
  // The unlocked list of jobs predates the other process's create.
  const store = new Proxy(inner, {
    get(target, key) {
      if (key === "jobs") return () => Promise.resolve([]);
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  await syncJobs(store, [job("report", "every 5m")], {
    source: SOURCE,
    now: T0,
  });
  equal((await inner.job("report"))?.spec.schedule, "every 5m");
});
