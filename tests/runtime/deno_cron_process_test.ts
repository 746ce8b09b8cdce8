// Real processes running the same cron() script on one store (SPEC §4 G1,
// docs/deno_cron.md): each slot runs once across them, the ledger agrees
// with what ran, and SIGTERM stops a script gracefully.
import { deepEqual, equal, ok } from "node:assert/strict";
import { createFileStore } from "../../src/store/file/file_store.ts";

const CHILD = new URL("./_deno_cron_child.ts", import.meta.url).pathname;

function spawn(store: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, ...args],
    env: { TOCK_STORE: store },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finish(child: Deno.ChildProcess) {
  // A hung child must not hang the suite.
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const { code, stderr } = await child.output();
    return { code, stderr: new TextDecoder().decode(stderr) };
  } finally {
    clearTimeout(guard);
  }
}

async function lines(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter(Boolean);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

Deno.test("cron() in two processes on one store: each slot runs once, and the ledger agrees", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tock-cron-procs-" });
  try {
    const store = `${dir}/store`;
    const out = `${dir}/runs.txt`;
    const children = [spawn(store, [out, "5"]), spawn(store, [out, "5"])];
    for (const child of children) {
      const { code, stderr } = await finish(child);
      equal(code, 0, stderr);
    }
    const ran = await lines(out);
    ok(ran.length > 0, "the cron ran");
    const bySlot = new Map<string, string[]>();
    for (const line of ran) {
      const [slot, instance] = line.split(" ");
      bySlot.set(slot!, [...bySlot.get(slot!) ?? [], instance!]);
    }
    deepEqual(
      [...bySlot].filter(([, by]) => by.length > 1),
      [],
      "a slot ran more than once",
    );

    await using opened = await createFileStore({ dir: store });
    const history = await opened.history({ job: "shared.job" });
    const succeeded = history.filter((e) => e.outcome === "succeeded");
    deepEqual(
      succeeded.map((e) => `${new Date(e.slot).toISOString()} ${e.instance}`)
        .sort(),
      [...ran].sort(),
      "the ledger records each run once, by the instance that ran it",
    );
    // What a stopping process had claimed ahead is cancelled, never lost.
    ok(
      history.every((e) => ["succeeded", "cancelled"].includes(e.outcome)),
      JSON.stringify(history.filter((e) => e.outcome !== "succeeded")),
    );
    deepEqual(await opened.instances(), [], "both schedulers unregistered");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cron() stops on SIGTERM: runs end, the instance unregisters, the process exits 143", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tock-cron-sigterm-" });
  try {
    const store = `${dir}/store`;
    const out = `${dir}/runs.txt`;
    const child = spawn(store, [out]);
    let ended = false;
    void child.status.then(() => ended = true);
    const deadline = Date.now() + 30_000;
    while (
      !ended && (await lines(out)).length === 0 && Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!ended) child.kill("SIGTERM");
    const { code, stderr } = await finish(child);
    equal(code, 143, stderr);

    await using opened = await createFileStore({ dir: store });
    const history = await opened.history({ job: "shared.job" });
    ok(history.length > 0, "it ran before the signal");
    ok(
      history.every((e) => ["succeeded", "cancelled"].includes(e.outcome)),
      JSON.stringify(history),
    );
    deepEqual(await opened.instances(), [], "the scheduler unregistered");
    deepEqual((await opened.job("shared.job"))?.state.runs, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cron() leaves SIGINT to the script once its last cron is removed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tock-cron-quiet-" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./_deno_cron_quiet_child.ts", import.meta.url).pathname,
      ],
      env: { TOCK_STORE: `${dir}/store` },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const { code, stderr } = await finish(child);
    equal(code, 7, stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
