// checkChaos() on hand-made worlds: a clean one passes, and each way a
// runtime could break G1 or G3 (or leave a killed run unexplained) is caught.
import { deepEqual, equal, ok } from "node:assert/strict";
import type { HistoryEntry } from "../cli/e2e/_cli.ts";
import { checkChaos, type CheckInput, type ListedJob } from "./_check.ts";

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0, 500);
const iso = (ms: number) => new Date(ms).toISOString();
/** The n-th slot of a per-second cron job created at T0. */
const slot = (n: number) => iso(T0 - 500 + n * 1000);
const COUNTERS = {
  succeeded: 0,
  failed: 0,
  "timed_out": 0,
  cancelled: 0,
  skipped: 0,
  missed: 0,
  abandoned: 0,
};

function counters(history: readonly HistoryEntry[]): Record<string, number> {
  const out: Record<string, number> = { ...COUNTERS };
  for (const e of history) out[e.outcome]! += e.count ?? 1;
  return out;
}

interface Draft {
  effects: string[];
  history: HistoryEntry[];
  listed: ListedJob;
  recover: "abandon" | "rerun";
  killed: Map<string, number>;
  endedAt: number;
}

/**
 * A world of one job `j` (`* * * * * *`, created at T0, cursor at slot 4):
 * slot 1 ran on `a`, slots 2–3 were skipped, slot 4 ran on `b`, which was
 * then SIGKILLed and the run abandoned.
 */
function world(change: (w: Draft) => void = () => {}): CheckInput {
  const w = {
    effects: [
      `start j ${slot(1)} a r1 schedule`,
      `end j ${slot(1)} a r1 schedule`,
      `start j ${slot(4)} b r4 schedule`,
    ],
    history: [
      {
        job: "j",
        slot: slot(1),
        outcome: "succeeded",
        trigger: "schedule",
        runId: "r1",
        instance: "a",
      },
      {
        job: "j",
        slot: slot(2),
        until: slot(3),
        count: 2,
        outcome: "skipped",
        trigger: "schedule",
      },
      {
        job: "j",
        slot: slot(4),
        outcome: "abandoned",
        trigger: "schedule",
        runId: "r4",
        instance: "b",
      },
    ] as HistoryEntry[],
    listed: {
      id: "j",
      createdAt: iso(T0),
      cursor: slot(4),
      running: [],
      queued: [],
      counters: {},
    } as ListedJob,
    recover: "abandon" as "abandon" | "rerun",
    killed: new Map([["b", T0 + 4_100]]),
    endedAt: T0 + 5_000,
  };
  change(w);
  return {
    jobs: [{
      id: "j",
      schedule: "* * * * * *",
      recover: w.recover,
      sleeper: true,
    }],
    effects: w.effects,
    history: w.history,
    listed: [{ ...w.listed, counters: { ...counters(w.history) } }],
    killed: w.killed,
    stopped: new Set(),
    termed: new Set(["a"]),
    endedAt: w.endedAt,
  };
}

function violations(input: CheckInput): string[] {
  return checkChaos(input).violations;
}

Deno.test("checkChaos() passes a world where every slot has one outcome", () => {
  const result = checkChaos(world());
  deepEqual(result.violations, []);
  equal(result.slots, 4);
  equal(result.runs, 2);
  equal(result.abandoned, 1);
});

Deno.test("checkChaos() catches a slot executed twice (G1)", () => {
  const found = violations(world((w) => {
    w.effects.push(`start j ${slot(1)} b r9 schedule`);
  }));
  ok(found.some((v) => v.startsWith("G1: j")), found.join("\n"));
});

Deno.test("checkChaos() allows a rerun job's recovery of a killed run, once", async (t) => {
  const rerun = (w: Draft) => {
    w.recover = "rerun";
    w.effects.push(`start j ${slot(4)} a r5 recovery`);
    w.effects.push(`end j ${slot(4)} a r5 recovery`);
    w.history[2] = {
      job: "j",
      slot: slot(4),
      outcome: "succeeded",
      trigger: "recovery",
      runId: "r5",
      instance: "a",
    };
  };
  await t.step("allowed when its instance was killed", () => {
    const result = checkChaos(world(rerun));
    deepEqual(result.violations, []);
    equal(result.reruns, 1);
  });
  await t.step("not when its instance was alive", () => {
    const found = violations(world((w) => {
      rerun(w);
      w.killed.clear();
    }));
    ok(found.some((v) => v.includes("never killed")), found.join("\n"));
  });
  await t.step("not a third time", () => {
    const found = violations(world((w) => {
      rerun(w);
      w.effects.push(`start j ${slot(4)} c r6 recovery`);
    }));
    ok(found.some((v) => v.startsWith("G1:")), found.join("\n"));
  });
  await t.step("not for an abandon job", () => {
    const found = violations(world((w) => {
      rerun(w);
      w.recover = "abandon";
    }));
    ok(found.some((v) => v.startsWith("G1:")), found.join("\n"));
  });
});

Deno.test("checkChaos() catches a slot with no outcome (G3)", () => {
  const found = violations(world((w) => {
    w.history[1] = { ...w.history[1]!, until: slot(2), count: 1 };
  }));
  ok(
    found.some((v) => v.includes("1 slot(s) with no outcome")),
    found.join("\n"),
  );
});

Deno.test("checkChaos() counts a pending slot as accounted for (G3)", () => {
  const result = checkChaos(world((w) => {
    w.history[1] = { ...w.history[1]!, until: slot(2), count: 1 };
    w.listed = {
      ...w.listed,
      queued: [{ slot: slot(3), trigger: "schedule" }],
    };
  }));
  deepEqual(result.violations, []);
});

Deno.test("checkChaos() catches a slot with two outcomes (G3)", () => {
  const found = violations(world((w) => {
    w.history.push({ job: "j", slot: slot(2), outcome: "missed" });
  }));
  ok(found.some((v) => v.includes("several outcomes")), found.join("\n"));
});

Deno.test("checkChaos() catches a range whose count does not match its span", () => {
  const found = violations(world((w) => {
    w.history[1] = { ...w.history[1]!, count: 3 };
  }));
  ok(found.some((v) => v.includes("count 3 spans 2")), found.join("\n"));
});

Deno.test("checkChaos() catches a counter that lost counts", () => {
  const input = world();
  const listed = {
    ...input.listed[0]!,
    counters: { ...input.listed[0]!.counters, skipped: 1 },
  };
  const found = violations({ ...input, listed: [listed] });
  ok(found.some((v) => v.includes("counter skipped is 1")), found.join("\n"));
});

Deno.test("checkChaos() catches an execution that no outcome explains", () => {
  const result = checkChaos(world((w) => {
    w.history.pop();
    w.listed = { ...w.listed, cursor: slot(3) };
  }));
  equal(result.unaccounted, 1, result.violations.join("\n"));
});

Deno.test("checkChaos() catches a live instance's run recorded abandoned", () => {
  const found = violations(world((w) => w.killed.clear()));
  ok(found.some((v) => v.includes("never killed or frozen")), found.join("\n"));
});

Deno.test("checkChaos() on a frozen instance's abandoned run", async (t) => {
  // b was frozen (never killed), and its run of slot 4 recorded abandoned.
  const frozen = (resumedAt: number) =>
    violations({
      ...world(),
      stopped: new Set(["b"]),
      killed: new Map(),
      resumed: new Map([["b", resumedAt]]),
    });
  await t.step("accepts it when the slot came before the SIGCONT", () => {
    deepEqual(frozen(Date.parse(slot(4)) + 500), []);
  });
  await t.step("catches it when the slot came after the SIGCONT", () => {
    const found = frozen(Date.parse(slot(3)));
    ok(
      found.some((v) => v.includes("came after its instance was resumed")),
      found.join("\n"),
    );
  });
});

Deno.test("checkChaos() catches a success that never finished its command", () => {
  const found = violations(world((w) => w.effects.splice(1, 1)));
  ok(found.some((v) => v.includes('never appended "end"')), found.join("\n"));
});

Deno.test("checkChaos() catches a success that never executed", () => {
  const found = violations(world((w) => w.effects.splice(0, 2)));
  ok(found.some((v) => v.includes("never executed")), found.join("\n"));
});

Deno.test("checkChaos() catches a killed run never recovered after the lease", async (t) => {
  const unrecovered = (w: Draft) => {
    w.history.pop();
    w.listed = {
      ...w.listed,
      running: [{
        runId: "r4",
        slot: slot(4),
        instance: "b",
        trigger: "schedule",
      }],
    };
  };
  await t.step("a violation long after the kill", () => {
    const result = checkChaos(world((w) => {
      unrecovered(w);
      w.endedAt = T0 + 30_000;
      w.listed = { ...w.listed, cursor: slot(29) };
      w.history.push({
        job: "j",
        slot: slot(5),
        until: slot(29),
        count: 25,
        outcome: "skipped",
      });
    }));
    equal(result.unaccounted, 1, result.violations.join("\n"));
  });
  await t.step("unsettled right after it", () => {
    const result = checkChaos(world(unrecovered));
    deepEqual(result.violations, []);
    equal(result.unsettled, 1);
  });
});

Deno.test("checkChaos() catches a job whose cursor stalled", () => {
  const found = violations(world((w) => {
    w.endedAt = T0 + 60_000;
  }));
  ok(found.some((v) => v.includes("stalled")), found.join("\n"));
});
