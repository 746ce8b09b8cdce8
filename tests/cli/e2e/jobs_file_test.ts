// `tock start --jobs FILE` (SPEC §8): the file's jobs are upserted; a job
// that came from the file and is no longer in it is removed; jobs added
// otherwise, and the state and history of the others, stay.
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  describe,
  history,
  lines,
  spawnTock,
  succeeded,
  tempDir,
  tock,
  tockJson,
  waitFor,
} from "./_cli.ts";

interface Listed {
  readonly id: string;
  readonly schedule: string;
}

Deno.test("tock start --jobs upserts the file's jobs and removes the ones it dropped", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const jobs = `${tmp.path}/jobs.json`;
  succeeded(
    await tock(
      ["add", "by-hand", "--schedule", "@daily", "--cmd", "true"],
      { store },
    ),
  );

  async function startOnce(until: () => Promise<boolean>) {
    await using daemon = spawnTock(["start", "--jobs", jobs], {
      store,
      timeoutMs: 30_000,
    });
    await waitFor(until, { what: "the scheduler to get going" });
    daemon.kill("SIGTERM");
    const result = await daemon.done;
    equal(result.code, 0, describe(result));
  }

  await Deno.writeTextFile(
    jobs,
    JSON.stringify({
      jobs: [
        {
          id: "x",
          schedule: "* * * * * *",
          // Relative to the jobs file's directory.
          cwd: ".",
          cmd: 'echo "$TOCK_SLOT" >> x.txt',
        },
        { id: "y", schedule: "@daily", cmd: "true", tz: "Europe/Paris" },
      ],
    }),
  );
  await startOnce(async () => (await lines(`${tmp.path}/x.txt`)).length > 0);
  let listed = await tockJson<Listed[]>(["list"], { store });
  deepEqual(listed.map((j) => j.id).sort(), ["by-hand", "x", "y"]);
  const before = (await history(store, "x")).filter((e) =>
    e.outcome === "succeeded"
  );
  ok(before.length > 0);

  await Deno.writeTextFile(
    jobs,
    JSON.stringify({
      jobs: [{ id: "x", schedule: "0 0 1 1 *", cmd: "echo changed" }],
    }),
  );
  await startOnce(async () => {
    const status = JSON.stringify(await tockJson(["status"], { store }));
    listed = await tockJson<Listed[]>(["list"], { store });
    return !listed.some((j) => j.id === "y") && status.length > 0;
  });
  listed = await tockJson<Listed[]>(["list"], { store });
  deepEqual(listed.map((j) => j.id).sort(), ["by-hand", "x"]);
  equal(listed.find((j) => j.id === "x")!.schedule, "0 0 1 1 *");
  const after = await history(store, "x");
  for (const entry of before) {
    ok(
      after.some((e) => e.runId === entry.runId && e.outcome === "succeeded"),
      `history of x lost ${entry.runId}`,
    );
  }
});
