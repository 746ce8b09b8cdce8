/**
 * A store written by an older tock (format version 1, whole job states in
 * the journal; `fixtures/v1`, written by tock at commit c9b0ecb) opens as it
 * was, read-only without a change, and a writer migrates it: the marker
 * says the current version, and the runs that follow are journaled as
 * claims in their short form and outcomes as patches.
 */

import assert from "node:assert/strict";
import { createFileStore } from "../../../src/store/file/file_store.ts";
import { createScheduler } from "../../../src/runtime/scheduler.ts";
import { FakeClock } from "../../../src/testing/fake_clock.ts";
import type { JobRecord, LedgerEntry } from "../../../src/types.ts";
import { FORMAT_VERSION } from "../../../src/store/file/_snapshot.ts";
import { tempStoreDir } from "./_file_helpers.ts";
import { tracked } from "../_faults.ts";

const FIXTURE = new URL("./fixtures/v1/", import.meta.url).pathname;
const EXPECTED: { jobs: JobRecord[]; history: LedgerEntry[] } = JSON.parse(
  await Deno.readTextFile(
    new URL("./fixtures/v1_expected.json", import.meta.url),
  ),
);
/** The fixture's clock: its scheduler ran from here for 5 minutes. */
const FIXTURE_END = Date.UTC(2026, 0, 1) + 5 * 60_000;

async function copyFixture(dir: string): Promise<void> {
  await Deno.mkdir(dir, { mode: 0o700 });
  for await (const entry of Deno.readDir(FIXTURE)) {
    await Deno.copyFile(`${FIXTURE}${entry.name}`, `${dir}/${entry.name}`);
    await Deno.chmod(`${dir}/${entry.name}`, 0o600);
  }
}

async function markerVersion(dir: string): Promise<number> {
  return JSON.parse(await Deno.readTextFile(`${dir}/tock.json`)).version;
}

Deno.test("a version 1 store opens read-only as it was, and is left alone", async () => {
  await using tmp = await tempStoreDir();
  await copyFixture(tmp.dir);
  await using store = await createFileStore({ dir: tmp.dir, readOnly: true });
  assert.deepEqual(await store.jobs(), EXPECTED.jobs);
  assert.deepEqual(await store.history(), EXPECTED.history);
  assert.equal(await markerVersion(tmp.dir), 1);
});

Deno.test("a writer migrates a version 1 store and journals patches from then on", async () => {
  await using tmp = await tempStoreDir();
  await copyFixture(tmp.dir);
  {
    await using files = await createFileStore({ dir: tmp.dir });
    assert.equal(await markerVersion(tmp.dir), FORMAT_VERSION);
    assert.deepEqual(await files.jobs(), EXPECTED.jobs);
    assert.deepEqual(await files.history(), EXPECTED.history);
    const { store, quiet } = tracked(files);
    const clock = new FakeClock(FIXTURE_END, { settle: quiet });
    await using scheduler = await createScheduler({
      store,
      clock,
      instance: "v2",
      handlers: {
        tick: () => {},
        fails: () => {
          throw new Error("boom");
        },
        paused: () => {},
      },
    });
    for (let minute = 0; minute < 4; minute++) {
      await clock.tick(60_000);
      await scheduler.idle();
    }
  }
  const journal = JSON.parse(await Deno.readTextFile(`${tmp.dir}/state.json`))
    .journal;
  const lines = (await Deno.readTextFile(`${tmp.dir}/${journal}`)).trim()
    .split("\n").map((line) => JSON.parse(line));
  const types = new Set(
    lines.flatMap((line) =>
      line.changes.map((change: { type: string }) => change.type)
    ),
  );
  assert.ok(types.has("job.claim"), "claims are journaled in short form");
  assert.ok(types.has("job.patch"), "outcomes are journaled as patches");
  await using store = await createFileStore({ dir: tmp.dir, readOnly: true });
  const tick = (await store.history({ job: "tick" })).filter((entry) =>
    entry.outcome === "succeeded"
  );
  assert.deepEqual(
    tick.map((entry) => new Date(entry.slot).toISOString().slice(11, 16)),
    ["00:05", "00:06", "00:07", "00:08", "00:09"],
  );
  const fails = (await store.job("fails"))!;
  assert.equal(fails.state.counters.failed, 3);
  assert.equal((await store.job("paused"))!.state.pauseNote, "on hold");
  assert.deepEqual(
    (await store.history()).slice(0, EXPECTED.history.length),
    EXPECTED.history,
  );
});
