// The default store of cron(): $TOCK_STORE, else ./.tock in the working
// directory. Each case runs the one-cron script in a process of its own
// (its own environment and working directory) for a second.
import { deepEqual, equal, ok } from "node:assert/strict";
import { createFileStore } from "../../src/store/file/file_store.ts";

const CHILD = new URL("./_deno_cron_child.ts", import.meta.url).pathname;

/** Runs the script in `cwd` with only `env` (and what Deno itself needs). */
async function runScript(cwd: string, env: Record<string, string>) {
  const inherited: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) inherited[name] = value;
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, `${cwd}/runs.txt`, "1"],
    cwd,
    clearEnv: true,
    env: { ...inherited, ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const { code, stderr } = await child.output().finally(() =>
    clearTimeout(guard)
  );
  equal(code, 0, new TextDecoder().decode(stderr));
}

async function jobsIn(dir: string): Promise<string[]> {
  await using store = await createFileStore({ dir });
  return (await store.jobs()).map((j) => j.spec.id);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("cron() keeps its jobs in $TOCK_STORE, else in ./.tock", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "tock-cron-store-" });
  try {
    await t.step("$TOCK_STORE", async () => {
      await Deno.mkdir(`${dir}/a`);
      await runScript(`${dir}/a`, { TOCK_STORE: `${dir}/named` });
      deepEqual(await jobsIn(`${dir}/named`), ["shared.job"]);
      equal(await exists(`${dir}/a/.tock`), false);
    });
    await t.step("./.tock when $TOCK_STORE is unset", async () => {
      await Deno.mkdir(`${dir}/b`);
      await runScript(`${dir}/b`, {});
      deepEqual(await jobsIn(`${dir}/b/.tock`), ["shared.job"]);
      ok((await Deno.stat(`${dir}/b/.tock`)).isDirectory);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
