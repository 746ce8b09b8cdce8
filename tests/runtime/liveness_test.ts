import { deepEqual, equal } from "node:assert/strict";
import { Liveness } from "../../src/runtime/liveness.ts";

const beat = (id: string, n: number, wall = 0) => ({
  id,
  startedAt: 0,
  heartbeatAt: wall,
  beat: n,
});

Deno.test("Liveness judges death on its own monotonic clock, not on heartbeat wall times", () => {
  const live = new Liveness("me", 10_000);
  // The other host's wall clock is an hour behind: irrelevant.
  let dead = live.observe([beat("other", 1, -3_600_000)], 0);
  equal(dead("other"), false);
  dead = live.observe([beat("other", 2, -3_600_000)], 9_000);
  equal(dead("other"), false);
  dead = live.observe([beat("other", 2, -3_600_000)], 19_001);
  equal(dead("other"), true);
  deepEqual(live.dead(), ["other"]);
  equal(dead("me"), false);
});

Deno.test("Liveness judges an instance with no record dead only after a lease of absence", () => {
  const live = new Liveness("me", 10_000);
  // It may have started after our list was read: not dead yet.
  equal(live.observe([], 0)("new"), false);
  equal(live.observe([], 5_000)("new"), false);
  equal(live.observe([], 10_001)("new"), true);
  // It shows up: alive again.
  equal(live.observe([beat("new", 1)], 11_000)("new"), false);
});

Deno.test("Liveness judges only as of an observation, so its own freeze is not their silence", () => {
  const live = new Liveness("me", 10_000);
  live.observe([beat("other", 1)], -9_000);
  // 9 s without a new beat: 1 s short of the lease.
  const judge = live.observe([beat("other", 1)], 0);
  equal(judge("other"), false);
  deepEqual(live.dead(), []);
  // A later observation, 11 s after the beat last moved, finds it dead;
  // the earlier verdict still stands as of its own observation (a caller
  // frozen between observing and judging does not turn it into "dead").
  equal(live.observe([beat("other", 1)], 2_000)("other"), true);
  equal(judge("other"), false);
  // The next observation sees the beat moved on: alive.
  equal(live.observe([beat("other", 16)], 15_000)("other"), false);
});

Deno.test("Liveness takes a process restarted under the id, counting its beats from 1 again, for a live one", () => {
  // Counterexample of the chaos harness (seed 29768009): an observer that
  // last saw beat 2 of the old process saw beat 2 of the new one 12 s later.
  const live = new Liveness("me", 10_000);
  live.observe([{ ...beat("api", 2), incarnation: "old" }], 0);
  const dead = live.observe(
    [{ ...beat("api", 2), incarnation: "new" }],
    12_000,
  );
  equal(dead("api"), false);
  equal(
    live.observe([{ ...beat("api", 2), incarnation: "new" }], 22_001)("api"),
    true,
    "the new process's own beat then stands still",
  );
});

const probe = {
  machine: "box",
  pidStart: 1,
  alive: (pid: number, start?: number) =>
    pid === 100 ? start === 7 : pid === 300 ? undefined : false,
};

Deno.test("Liveness without history judges by the record: a process gone on this machine at once, elsewhere a heartbeat older than three leases on the store's clock", async (t) => {
  await t.step("same machine: gone, reused pid, alive", () => {
    const live = new Liveness("me", 10_000, { probe });
    const dead = live.observe([
      { ...beat("gone", 1), machine: "box", pid: 200, pidStart: 3 },
      { ...beat("reused", 1), machine: "box", pid: 100, pidStart: 8 },
      // Alive, however old its record looks (one machine's clock can step).
      {
        ...beat("alive", 1),
        machine: "box",
        pid: 100,
        pidStart: 7,
        ageMs: 3_600_000,
      },
    ], 0);
    equal(dead("gone"), true);
    equal(dead("reused"), true);
    equal(dead("alive"), false);
    deepEqual(live.dead().sort(), ["gone", "reused"]);
  });
  await t.step(
    "another machine, or a process it cannot look up: the age",
    () => {
      const live = new Liveness("me", 10_000, { probe });
      const dead = live.observe(
        [
          { ...beat("old", 1), machine: "elsewhere", pid: 200, ageMs: 30_001 },
          {
            ...beat("young", 1),
            machine: "elsewhere",
            pid: 200,
            ageMs: 29_000,
          },
          { ...beat("unknown", 1), machine: "box", pid: 300, ageMs: 40_000 },
          // Written on this machine's clock: aged against the observer's wall.
          { ...beat("stored", 1), storedAt: 1_000 },
        ],
        0,
        50_000,
      );
      deepEqual(
        ["old", "young", "unknown", "stored"].map((id) => dead(id)),
        [true, false, true, true],
      );
    },
  );
  await t.step(
    "an instance seen beating is judged by its beat, not its age",
    () => {
      const live = new Liveness("me", 10_000, { probe });
      live.observe([{ ...beat("peer", 1), ageMs: 40_000 }], 0);
      const dead = live.observe([{ ...beat("peer", 2), ageMs: 40_000 }], 1_000);
      equal(dead("peer"), false);
    },
  );
});

Deno.test("Liveness judges a watched instance whose record vanished from its last beat, not from the removal", () => {
  // Counterexample of the PostgreSQL chaos run (seed 3239949401): a killed
  // `tock tick`'s record was removed by an instance whose claim could not
  // recover all its runs (another claim held their jobs); the instances that
  // had watched it then waited a whole lease from the removal, and its runs
  // were recovered 17 s after the kill, past lease + 5 s.
  const live = new Liveness("me", 10_000);
  live.observe([beat("tick-2", 1)], 0);
  live.observe([beat("tick-2", 2)], 3_000);
  // Its record is gone at 6 s; 10 s after its last beat it is dead.
  equal(live.observe([], 6_000)("tick-2"), false);
  equal(live.observe([], 13_001)("tick-2"), true);
  // A process found gone stays dead once its record is removed.
  const probe = {
    machine: "m",
    pidStart: undefined,
    alive: (pid: number) => pid !== 42,
  };
  const local = new Liveness("me", 10_000, { probe });
  const gone = { ...beat("tick-3", 1), machine: "m", pid: 42 };
  equal(local.observe([gone], 0)("tick-3"), true);
  equal(local.observe([], 1_000)("tick-3"), true);
  // One never watched (it may have started after our list was read) waits
  // a lease of absence, as before.
  equal(local.observe([], 1_000)("other"), false);
});
