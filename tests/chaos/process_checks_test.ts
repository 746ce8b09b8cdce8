// The per-process checks of a chaos run on hand-made output: a refused twin,
// a tick that claimed once, a run lost only by a process frozen past the
// lease.
import { equal, ok } from "node:assert/strict";
import {
  claimedAgain,
  countFenced,
  fencedWhileAlive,
  TICK_CLAIM_MS,
  twinRefused,
} from "./_process_checks.ts";

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
/** `tock start`'s and `tock tick`'s time format (no `.000`). */
const time = (ms: number) => {
  const text = new Date(ms).toISOString().replace("T", " ");
  return text.endsWith(".000Z") ? text.slice(0, -5) + "Z" : text;
};
const line = (at: number, name: string, text: string) =>
  `+${at.toFixed(3)}s ${name} out ${time(T0)} ${text}`;
const LOST =
  "j: run r1 ended, but another instance had recovered it; its outcome is not recorded (fenced)";
const UNSTARTED =
  "j: run r2 attempt 2 not started: another instance took it while this one could not heartbeat (fenced)";

Deno.test("twinRefused() accepts exit 1 with one stderr line naming the id", () => {
  const stderr = [
    "tock: Cannot take instance id 'i0-gen1': a running process holds it (pid 12 on host h); stop it or choose another --instance",
  ];
  equal(twinRefused("i0-gen1", { code: 1, signal: null }, stderr), undefined);
});

Deno.test("twinRefused() catches a twin that was not refused", async (t) => {
  const one = ["tock: Cannot take instance id 'i0-gen1': …"];
  await t.step("still running", () => {
    ok(twinRefused("i0-gen1", undefined, [])?.includes("not refused"));
  });
  await t.step("exit 0", () => {
    ok(twinRefused("i0-gen1", { code: 0, signal: null }, one));
  });
  await t.step("several stderr lines", () => {
    ok(twinRefused("i0-gen1", { code: 1, signal: null }, [...one, "at …"]));
  });
  await t.step("a line that does not name the id", () => {
    ok(twinRefused("i0-gen1", { code: 1, signal: null }, ["tock: busy"]));
  });
});

Deno.test("claimedAgain() catches a tick's run for a slot due after its one claim", async (t) => {
  // The tick's first line (after its claim) at T0.
  const started = (slot: number, at = 1) =>
    line(at, "tick-0", `j: run r1 started for slot ${time(slot)} (schedule)`);
  await t.step(
    "accepts slots due by its claim's lookahead, and older ones",
    () => {
      equal(
        claimedAgain("tick-0", [
          started(T0 + 2_000),
          started(T0 - 60_000, 2),
          started(T0 + 2_500, 3),
        ]),
        undefined,
      );
    },
  );
  await t.step("catches one due after that", () => {
    const found = claimedAgain("tick-0", [
      started(T0 + 1_000),
      started(T0 + TICK_CLAIM_MS + 1_000, 4),
    ]);
    ok(found?.includes("claimed again"), found);
  });
});

Deno.test("fencedWhileAlive() accepts a lost run only once the process was frozen past the lease", async (t) => {
  const output = [
    line(5, "i0-gen0", "j: run r0 started for slot 2026-01-01 00:00:05Z"),
    line(20, "i0-gen0", UNSTARTED),
    line(20.1, "i0-gen0", LOST),
  ];
  await t.step("counts both kinds of fenced line", () => {
    equal(countFenced(output), 2);
  });
  await t.step("accepts them after a freeze", () => {
    equal(fencedWhileAlive("i0-gen0", output, 6), undefined);
  });
  await t.step("catches them from a process never frozen", () => {
    const found = fencedWhileAlive("i0-gen0", output, undefined);
    ok(found?.includes("lost 2 run(s)"), found);
  });
  await t.step("catches them from before its freeze", () => {
    const found = fencedWhileAlive("i0-gen0", output, 20.05);
    ok(found?.includes("lost 1 run(s)"), found);
  });
});
