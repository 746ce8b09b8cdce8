// Instance identity with real processes (issue 10, defects 1 and 3): an
// instance id is held by one live process at a time, and a `tock tick`
// killed mid-run does not wedge the ticks after it.
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  assertNoProcessesLeft,
  assertOneLineError,
  describe,
  history,
  lines,
  sleep,
  spawnTock,
  succeeded,
  tempDir,
  tock,
  uniqueSleep,
  waitFor,
} from "./_cli.ts";

async function addEchoJobs(store: string, dir: string, count: number) {
  for (let k = 0; k < count; k++) {
    succeeded(
      await tock([
        "add",
        `j${k}`,
        "--schedule",
        "* * * * * *",
        "--recover",
        "rerun",
        "--cmd",
        'echo "$TOCK_JOB_ID $TOCK_SLOT $TOCK_TRIGGER $$" >> out.txt',
        "--cwd",
        dir,
      ], { store }),
    );
  }
}

Deno.test("tock start --instance NAME twice at once: one runs, the other exits 1 naming the id and the holder, and no slot runs twice", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  await addEchoJobs(store, tmp.path, 5);
  // Started at the same moment, as a service manager restarting a unit
  // while the old process still drains.
  const first = spawnTock(["start", "--instance", "api"], {
    store,
    timeoutMs: 40_000,
  });
  const second = spawnTock(["start", "--instance", "api"], {
    store,
    timeoutMs: 40_000,
  });
  try {
    const loser = await Promise.race([
      first.done.then(() => first),
      second.done.then(() => second),
      sleep(20_000).then(() => undefined),
    ]);
    ok(loser, "neither process was refused the instance id");
    const winner = loser === first ? second : first;
    const result = await loser.done;
    const line = assertOneLineError(result, 1, "'api'");
    ok(line.includes(`pid ${winner.pid}`), `names the holder: ${line}`);
    await waitFor(
      async () => (await lines(`${tmp.path}/out.txt`)).length >= 10,
      {
        what: "the winner to run slots",
      },
    );
    await sleep(2000);
    winner.kill("SIGTERM");
    equal((await winner.done).code, 0, describe(await winner.done));
  } finally {
    await first[Symbol.asyncDispose]();
    await second[Symbol.asyncDispose]();
  }
  const ran = await lines(`${tmp.path}/out.txt`);
  const keys = ran.map((line) => line.split(" ").slice(0, 2).join(" "));
  deepEqual(
    keys.filter((key, i) => keys.indexOf(key) !== i),
    [],
    "a (job, slot) ran twice",
  );
  deepEqual(ran.filter((line) => line.includes(" recovery ")), []);
  // Once the holder has stopped, the id is free again.
  const again = spawnTock(["start", "--instance", "api"], {
    store,
    timeoutMs: 30_000,
  });
  try {
    await waitFor(
      async () => (await lines(`${tmp.path}/out.txt`)).length > ran.length,
      { what: "the restarted instance to run" },
    );
    again.kill("SIGTERM");
    equal((await again.done).code, 0, describe(await again.done));
  } finally {
    await again[Symbol.asyncDispose]();
  }
});

Deno.test("tock tick after a tick that was SIGKILLed mid-run recovers its run instead of skipping every slot as overlapping", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const marker = uniqueSleep(30);
  succeeded(
    await tock([
      "add",
      "report",
      "--schedule",
      "* * * * * *",
      "--cmd",
      // The first run takes 30 s; later ones are quick.
      `echo "$TOCK_SLOT $TOCK_TRIGGER" >> out.txt; ` +
      `if [ ! -e first ]; then touch first; sleep ${marker}; fi`,
      "--cwd",
      tmp.path,
    ], { store }),
  );
  // A tick may find nothing due yet (the slot is up to a second away):
  // tick until one runs the long first run, then kill that tick.
  const started = () =>
    Deno.stat(`${tmp.path}/first`).then(() => true, () => false);
  for (let tries = 0; tries < 10; tries++) {
    const tick = spawnTock(["tick"], { store, timeoutMs: 40_000 });
    try {
      const running = await Promise.race([
        waitFor(started, { timeoutMs: 5000, what: "the run" }),
        tick.done.then(() => false),
      ]);
      if (!running) continue;
      tick.kill("SIGKILL");
      equal((await tick.done).signal, "SIGKILL");
      break;
    } finally {
      await tick[Symbol.asyncDispose]();
    }
  }
  ok(await started(), "no tick started the first run");
  // Later ticks, as a crontab would start them.
  for (let i = 0; i < 2; i++) {
    await sleep(1100);
    succeeded(await tock(["tick"], { store, timeoutMs: 30_000 }));
  }
  const entries = await history(store);
  const firstSlot = (await lines(`${tmp.path}/out.txt`))[0]!.split(" ")[0]!;
  const first = entries.filter((e) => e.slot === firstSlot);
  deepEqual(
    first.map((e) => e.outcome),
    ["abandoned"],
    JSON.stringify(entries),
  );
  const ran = entries.filter((e) => e.outcome === "succeeded");
  ok(ran.length >= 1, `a later tick ran a slot: ${JSON.stringify(entries)}`);
  await assertNoProcessesLeft(marker, { timeoutMs: 35_000 });
});
