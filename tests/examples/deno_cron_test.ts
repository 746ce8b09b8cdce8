// The Deno.cron example is part of the product: it must run and end by
// itself, on the store $TOCK_STORE names.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { createFileStore } from "../../src/store/file/file_store.ts";

Deno.test("examples/deno_cron.ts runs its crons on $TOCK_STORE, retries, and exits by itself", async () => {
  const script = new URL("../../examples/deno_cron.ts", import.meta.url)
    .pathname;
  const dir = await Deno.makeTempDir({ prefix: "tock-deno-cron-" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script],
      cwd: dir,
      env: { TOCK_STORE: `${dir}/store` },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // An example that does not end by itself fails here, not by hanging.
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const { code, stdout, stderr } = await child.output().finally(() =>
      clearTimeout(guard)
    );
    const out = new TextDecoder().decode(stdout);
    const err = new TextDecoder().decode(stderr);
    equal(code, 0, err);
    match(out, /every second: \S+Z in /);
    match(out, /retried: \S+Z succeeded on attempt 2/);
    match(err, /Exception in cron handler retried Error: attempt 1 of /);
    const ran = Number(/stopped after (\d+) runs/.exec(out)?.[1]);
    ok(ran >= 1, out);

    await using store = await createFileStore({ dir: `${dir}/store` });
    deepEqual(
      (await store.jobs()).map((j) => j.spec.id).sort(),
      ["every.second", "nightly", "retried"],
    );
    // A slot claimed ahead when the signal aborted is recorded cancelled.
    const history = await store.history({ job: "every.second" });
    const succeeded = history.filter((e) => e.outcome === "succeeded");
    equal(succeeded.length, ran, "each printed run is in the ledger");
    ok(history.every((e) => ["succeeded", "cancelled"].includes(e.outcome)));
    deepEqual(await store.instances(), [], "the scheduler unregistered");
    let cwdStore = false;
    try {
      await Deno.stat(`${dir}/.tock`);
      cwdStore = true;
    } catch { /* not created: $TOCK_STORE was used */ }
    equal(cwdStore, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
