// Module jobs that do real work (issue 14): a module job granted
// `--allow-write=<file>` writes that file every second under `tock start`;
// without the grant each run fails, and the ledger, `history` and `logs`
// name the flag that grants it, and the `tock update` they suggest works.
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  describe,
  history,
  lines,
  spawnTock,
  succeeded,
  tempDir,
  tickUntil,
  tock,
  tockJson,
  waitFor,
} from "./_cli.ts";

function appending(path: string): string {
  return `export default async function (ctx) {
  await Deno.writeTextFile(${
    JSON.stringify(path)
  }, ctx.slot.toISOString() + "\\n", { append: true });
}
`;
}

Deno.test("tock start: a module job granted --allow-write=<file> writes it every second; without the grant it fails with the flag to grant", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const cwd = tmp.path;
  const report = `${tmp.path}/out/report.txt`;
  const denied = `${tmp.path}/out/denied.txt`;
  await Deno.mkdir(`${tmp.path}/jobs`);
  await Deno.mkdir(`${tmp.path}/out`);
  await Deno.writeTextFile(`${tmp.path}/jobs/report.ts`, appending(report));
  await Deno.writeTextFile(`${tmp.path}/jobs/denied.ts`, appending(denied));

  // Relative paths are read against the working directory of `add`.
  succeeded(
    await tock([
      "add",
      "report",
      "--schedule",
      "* * * * * *",
      "--module",
      "jobs/report.ts",
      "--allow-write=out/report.txt",
    ], { store, cwd }),
  );
  succeeded(
    await tock([
      "add",
      "denied",
      "--schedule",
      "* * * * * *",
      "--module",
      "jobs/denied.ts",
    ], { store, cwd }),
  );
  const shown = await tockJson<{ target: Record<string, unknown> }>(
    ["show", "report"],
    { store },
  );
  deepEqual(shown.target.permissions, { write: [report] });

  {
    await using daemon = spawnTock(["start", "--instance", "perm"], {
      store,
      cwd,
      timeoutMs: 60_000,
    });
    await waitFor(
      async () =>
        (await lines(report)).length >= 3 &&
        (await history(store, "denied")).some((e) => e.outcome === "failed"),
      { timeoutMs: 40_000, what: "three writes and a refused one" },
    );
    daemon.kill("SIGTERM");
    const result = await daemon.done;
    equal(result.code, 0, describe(result));
  }

  // Granted: one line per slot, each slot a whole second, every run a success.
  const written = await lines(report);
  ok(written.length >= 3, written.join("\n"));
  equal(new Set(written).size, written.length, written.join("\n"));
  for (const slot of written) ok(/^\S+:\d\d\.000Z$/.test(slot), slot);
  const runs = (await history(store, "report")).filter((e) => e.runId);
  ok(runs.length >= 3, JSON.stringify(runs));
  ok(
    runs.every((e) => ["succeeded", "cancelled"].includes(e.outcome)),
    JSON.stringify(runs),
  );

  // Not granted: nothing written; the error names the flag.
  deepEqual(await lines(denied), []);
  const hint =
    `Requires write access to "${denied}": grant it with --allow-write=${denied} (tock update denied --allow-write=${denied})`;
  const failed = (await history(store, "denied")).find((e) =>
    e.outcome === "failed"
  ) as { error?: { name: string; message: string } } | undefined;
  deepEqual(failed?.error, { name: "NotCapable", message: hint });
  const table = succeeded(await tock(["history", "denied"], { store }));
  ok(
    table.includes(
      `: grant it with --allow-write=${denied} (tock update denied --allow-write=${denied})`,
    ),
    table,
  );
  const logs = succeeded(await tock(["logs", "denied"], { store }));
  ok(logs.includes(`NotCapable: ${hint}`), logs);

  // The suggested update grants it.
  succeeded(
    await tock(["update", "denied", `--allow-write=${denied}`], { store }),
  );
  await tickUntil(store, async () => (await lines(denied)).length > 0, {
    cwd,
  });
});
