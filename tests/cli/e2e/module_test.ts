// Module jobs under `tock tick` (SPEC §7): the default export runs in a
// child Deno process with the job's context, and a timeout stops even a
// synchronous busy loop, leaving no process behind.
import { equal, ok } from "node:assert/strict";
import { assertNoProcessesLeft, succeeded, tempDir, tock } from "./_cli.ts";
import { runOnce } from "./_run_once.ts";

Deno.test("tock runs modules: success, failure, and a timeout that stops a busy loop", async (t) => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;

  await t.step(
    "a module's default export runs with the job's context",
    async () => {
      const module = `${tmp.path}/ok_job.ts`;
      await Deno.writeTextFile(
        module,
        `export default async function (ctx) {
  await Promise.resolve();
  if (ctx.signal.aborted) throw new Error("aborted before start");
  console.log("module ran", ctx.jobId, new Date(ctx.slot).toISOString(), ctx.attempt);
}
`,
      );
      const { entry } = await runOnce(store, "mod-ok", ["--module", module]);
      equal(entry.outcome, "succeeded", JSON.stringify(entry));
      const logs = succeeded(await tock(["logs", "mod-ok"], { store }));
      ok(logs.includes(`module ran mod-ok ${entry.slot} 1`), logs);
    },
  );

  await t.step("a module that throws is failed", async () => {
    const module = `${tmp.path}/bad_job.ts`;
    await Deno.writeTextFile(
      module,
      `export default function () { throw new Error("module exploded"); }\n`,
    );
    const { entry } = await runOnce(store, "mod-bad", ["--module", module]);
    equal(entry.outcome, "failed", JSON.stringify(entry));
  });

  await t.step(
    "a module stuck in a synchronous loop is timed_out and stopped",
    async () => {
      const module = `${tmp.path}/busy_loop_job.ts`;
      await Deno.writeTextFile(
        module,
        `export default function () { for (;;) { /* never yields */ } }\n`,
      );
      const { entry, tickMs } = await runOnce(store, "mod-loop", [
        "--module",
        module,
        "--timeout",
        "1s",
      ]);
      equal(entry.outcome, "timed_out", JSON.stringify(entry));
      ok(tickMs < 20_000, `tick took ${tickMs} ms`);
      // No process that loaded the module burns on.
      await assertNoProcessesLeft(module);
    },
  );
});
