// checkChaos() on hand-made worlds: a clean one passes, and each way a
// runtime could break G1 or G3 (or leave a killed run unexplained) is caught.
import { deepEqual, equal, ok } from "node:assert/strict";
import type { HistoryEntry } from "../cli/e2e/_cli.ts";
import { checkChaos, type CheckInput, type ListedJob } from "./_check.ts";

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0, 500);
const iso = (ms: number) => new Date(ms).toISOString();
/** The n-th slot of a per-second cron job created at T0. */
const slot = (n: number) => iso(T0 - 500 + n * 1000);
/** A start line of an attempt of slot n's run, `atMs` after the slot. */
const start = (
  n: number,
  instance: string,
  runId: string,
  { trigger = "schedule", attempt = 1, atMs = 5 } = {},
) =>
  `start j ${slot(n)} ${instance} ${runId} ${trigger} ${attempt} ${
    Date.parse(slot(n)) + atMs
  }`;
const end = (
  n: number,
  instance: string,
  runId: string,
  { trigger = "schedule", attempt = 1 } = {},
) => `end j ${slot(n)} ${instance} ${runId} ${trigger} ${attempt}`;
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
  killed: Map<string, number[]>;
  stopped: Set<string>;
  resumed: Map<string, number>;
  endedAt: number;
}

/**
 * A world of one job `j` (`* * * * * *`, created at T0, cursor at slot 4):
 * slot 1 ran on `a`, slots 2–3 were skipped, slot 4 ran on `b`, which was
 * then SIGKILLed and the run abandoned.
 */
function world(change: (w: Draft) => void = () => {}): CheckInput {
  const w = {
    effects: [start(1, "a", "r1"), end(1, "a", "r1"), start(4, "b", "r4")],
    history: [
      {
        job: "j",
        slot: slot(1),
        outcome: "succeeded",
        trigger: "schedule",
        runId: "r1",
        instance: "a",
        attempt: 1,
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
    killed: new Map([["b", [T0 + 4_100]]]),
    stopped: new Set<string>(),
    resumed: new Map<string, number>(),
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
    stopped: w.stopped,
    resumed: w.resumed,
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
    w.effects.push(start(1, "b", "r9"));
  }));
  ok(found.some((v) => v.startsWith("G1: j")), found.join("\n"));
});

Deno.test("checkChaos() allows a rerun job's recovery of a killed run, once", async (t) => {
  const rerun = (w: Draft) => {
    w.recover = "rerun";
    w.effects.push(start(4, "a", "r5", { trigger: "recovery", atMs: 900 }));
    w.effects.push(end(4, "a", "r5", { trigger: "recovery" }));
    w.history[2] = {
      job: "j",
      slot: slot(4),
      outcome: "succeeded",
      trigger: "recovery",
      runId: "r5",
      instance: "a",
      attempt: 1,
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
      w.effects.push(start(4, "c", "r6", { trigger: "recovery" }));
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

/** Slot 1's run r1 failed its attempt 1 and succeeded at attempt 2. */
function retried(w: Draft) {
  w.effects.splice(
    0,
    2,
    start(1, "a", "r1"),
    start(1, "a", "r1", { trigger: "retry", attempt: 2, atMs: 3_100 }),
    end(1, "a", "r1", { trigger: "retry", attempt: 2 }),
  );
  w.history[0] = { ...w.history[0]!, attempt: 2 };
}

Deno.test("checkChaos() on a run's attempts", async (t) => {
  await t.step("accepts attempt 2 after attempt 1 on the same instance", () => {
    const result = checkChaos(world(retried));
    deepEqual(result.violations, []);
    equal(result.runs, 2, "a retry is not another execution");
    equal(result.duplicates, 0);
  });
  await t.step("catches attempt 2 with no attempt 1 before it", () => {
    const found = violations(world((w) => {
      retried(w);
      w.effects.splice(0, 1);
    }));
    ok(
      found.some((v) => v.includes("attempt 2 started with no attempt 1")),
      found.join("\n"),
    );
  });
  await t.step("catches attempt 2 on another instance", () => {
    const found = violations(world((w) => {
      retried(w);
      w.effects[1] = start(1, "c", "r1", { trigger: "retry", attempt: 2 });
    }));
    ok(
      found.some((v) => v.includes("attempt 2 started on c, attempt 1 on a")),
      found.join("\n"),
    );
  });
  await t.step("catches an attempt started twice", () => {
    const found = violations(world((w) => {
      retried(w);
      w.effects.push(
        start(1, "a", "r1", { trigger: "retry", attempt: 2, atMs: 3_200 }),
      );
    }));
    ok(
      found.some((v) => v.includes("run r1 started twice (attempt 2")),
      found.join("\n"),
    );
  });
});

Deno.test("checkChaos() catches a success whose ledger attempt disagrees with its start lines", async (t) => {
  await t.step("two start lines, attempt 1 recorded", () => {
    const found = violations(world((w) => {
      retried(w);
      w.history[0] = { ...w.history[0]!, attempt: 1 };
    }));
    ok(
      found.some((v) =>
        v.includes("succeeded at attempt 1, but it started 2 time(s)")
      ),
      found.join("\n"),
    );
  });
  await t.step("one start line, attempt 2 recorded", () => {
    const found = violations(world((w) => {
      w.history[0] = { ...w.history[0]!, attempt: 2 };
    }));
    ok(
      found.some((v) =>
        v.includes("succeeded at attempt 2, but it started 1 time(s)")
      ),
      found.join("\n"),
    );
  });
});

Deno.test("checkChaos() catches an attempt started after SIGCONT for a run given away during the stop", async (t) => {
  // b was frozen past the lease while r4 (slot 4) waited for its retry; its
  // run was recorded abandoned meanwhile, and b was resumed 3 s after slot 4.
  const resumedAt = Date.parse(slot(4)) + 3_000;
  const frozen = (w: Draft) => {
    w.killed.clear();
    w.stopped.add("b");
    w.resumed.set("b", resumedAt);
  };
  const retry = start(4, "b", "r4", {
    trigger: "retry",
    attempt: 2,
    atMs: 3_050,
  });
  const caught = (found: string[], attempt = 2) =>
    ok(
      found.some((v) =>
        v.startsWith(
          `attempt ${attempt} of r4 (j ${slot(4)}) started after SIGCONT`,
        ) &&
        v.includes("given away while b was stopped")
      ),
      found.join("\n"),
    );
  await t.step("accepts a fenced retry (none started)", () => {
    deepEqual(violations(world(frozen)), []);
  });
  await t.step("catches the retry of an abandoned run", () => {
    caught(violations(world((w) => {
      frozen(w);
      w.effects.push(retry);
    })));
  });
  await t.step("catches the retry of a run re-run as a recovery", () => {
    caught(violations(world((w) => {
      frozen(w);
      w.recover = "rerun";
      w.effects.push(
        start(4, "a", "r5", { trigger: "recovery", atMs: 1_500 }),
        end(4, "a", "r5", { trigger: "recovery" }),
        retry,
      );
      w.history[2] = {
        job: "j",
        slot: slot(4),
        outcome: "succeeded",
        trigger: "recovery",
        runId: "r5",
        instance: "a",
        attempt: 1,
      };
    })));
  });
  await t.step(
    "catches a first attempt claimed ahead, started after it",
    () => {
      caught(
        violations(world((w) => {
          frozen(w);
          w.effects[2] = start(4, "b", "r4", { atMs: 3_050 });
        })),
        1,
      );
    },
  );
  await t.step("accepts it when the id was killed after the SIGCONT", () => {
    const found = violations(world((w) => {
      frozen(w);
      w.killed.set("b", [resumedAt + 1_000]);
      w.effects.push(retry);
    }));
    deepEqual(found.filter((v) => v.includes("after SIGCONT")), []);
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
    violations(world((w) => {
      w.stopped.add("b");
      w.killed.clear();
      w.resumed.set("b", resumedAt);
    }));
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
  await t.step(
    "a violation when a later process under the id was killed just before the end",
    () => {
      const result = checkChaos(world((w) => {
        unrecovered(w);
        w.killed.set("b", [T0 + 4_100, T0 + 29_000]);
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
    },
  );
});

Deno.test("checkChaos() catches a job whose cursor stalled", () => {
  const found = violations(world((w) => {
    w.endedAt = T0 + 60_000;
  }));
  ok(found.some((v) => v.includes("stalled")), found.join("\n"));
});
