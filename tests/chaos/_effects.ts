// The side-effect file of a chaos run, read for the checker: every attempt
// of every run appends `start JOB SLOT INSTANCE RUN TRIGGER ATTEMPT MS` when
// its command begins (MS: the command's `date`, epoch ms), and a sleeper
// `end JOB SLOT INSTANCE RUN TRIGGER ATTEMPT` when it finishes. Attempt
// numbering is checked here, as the lines are read.

/** One line of the side-effect file. */
export interface Effect {
  readonly kind: "start" | "end";
  readonly job: string;
  readonly slot: string;
  readonly instance: string;
  readonly runId: string;
  /** `TOCK_TRIGGER`: `retry` for attempts after the first. */
  readonly trigger: string;
  /** `TOCK_ATTEMPT`, 1-based. */
  readonly attempt: number;
  /** Start lines: the wall-clock time the command began, epoch ms. */
  readonly at: number;
  readonly line: string;
}

/** What the side-effect file says, and what is wrong in it. */
export interface SideEffects {
  /** Executions (attempt-1 start lines) by `JOB SLOT`, in file order. */
  readonly executions: Map<string, Effect[]>;
  /** Every start line, in file order. */
  readonly starts: Effect[];
  /** Start lines by run id, in file order. */
  readonly attempts: Map<string, Effect[]>;
  /** The attempts of each run id that appended `end`. */
  readonly ends: Map<string, Set<number>>;
  readonly violations: string[];
}

const START = /^start (\S+) (\S+) (\S+) (\S+) (\S+) (\d+) (\d+)$/;
const END = /^end (\S+) (\S+) (\S+) (\S+) (\S+) (\d+)$/;

/**
 * Reads the side-effect file. A run's attempt N > 1 must follow its attempt
 * N - 1 (a retry runs in the process that ran the failed attempt: a run
 * taken away from it is re-run under a new run id), and each attempt of a
 * run starts once.
 */
export function readEffects(
  lines: readonly string[],
  jobs: ReadonlySet<string>,
): SideEffects {
  const out: SideEffects = {
    executions: new Map(),
    starts: [],
    attempts: new Map(),
    ends: new Map(),
    violations: [],
  };
  const v = out.violations;
  const endLines: Effect[] = [];
  for (const line of lines) {
    const m = START.exec(line) ?? END.exec(line);
    if (!m) {
      v.push(`side-effect file: unreadable line ${JSON.stringify(line)}`);
      continue;
    }
    const [, job, slot, instance, runId, trigger, attempt, at] = m;
    const e: Effect = {
      kind: at === undefined ? "end" : "start",
      job: job!,
      slot: slot!,
      instance: instance!,
      runId: runId!,
      trigger: trigger!,
      attempt: Number(attempt),
      at: Number(at ?? NaN),
      line,
    };
    if (!jobs.has(e.job)) v.push(`side-effect file: unknown job in "${line}"`);
    if (e.kind === "end") {
      endLines.push(e);
      continue;
    }
    const earlier = out.attempts.get(e.runId) ?? [];
    checkAttempt(e, earlier, v);
    out.attempts.set(e.runId, [...earlier, e]);
    out.starts.push(e);
    if (e.attempt === 1) {
      const key = `${e.job} ${e.slot}`;
      out.executions.set(key, [...out.executions.get(key) ?? [], e]);
    }
  }
  for (const e of endLines) {
    const started = out.attempts.get(e.runId)?.some((s) =>
      s.attempt === e.attempt
    );
    if (!started) {
      v.push(
        `run ${e.runId} (${e.job} ${e.slot}) attempt ${e.attempt} ended but never started`,
      );
    }
    const ends = out.ends.get(e.runId) ?? new Set();
    ends.add(e.attempt);
    out.ends.set(e.runId, ends);
  }
  return out;
}

function checkAttempt(e: Effect, earlier: readonly Effect[], v: string[]) {
  if (earlier.some((s) => s.attempt === e.attempt)) {
    v.push(`run ${e.runId} started twice (attempt ${e.attempt}: "${e.line}")`);
    return;
  }
  if (e.attempt < 1) {
    v.push(`run ${e.runId}: attempt ${e.attempt} ("${e.line}")`);
    return;
  }
  if (e.attempt === 1) {
    if (earlier.length > 0) {
      v.push(
        `run ${e.runId}: attempt 1 started after attempt ${
          earlier[0]!.attempt
        } ("${e.line}")`,
      );
    }
    return;
  }
  const previous = earlier.find((s) => s.attempt === e.attempt - 1);
  if (!previous) {
    v.push(
      `run ${e.runId}: attempt ${e.attempt} started with no attempt ${
        e.attempt - 1
      } before it ("${e.line}")`,
    );
  } else if (previous.instance !== e.instance) {
    v.push(
      `run ${e.runId}: attempt ${e.attempt} started on ${e.instance}, attempt ${
        e.attempt - 1
      } on ${previous.instance}`,
    );
  } else if (previous.job !== e.job || previous.slot !== e.slot) {
    v.push(
      `run ${e.runId}: attempt ${e.attempt} is for ${e.job} ${e.slot}, attempt ${
        e.attempt - 1
      } for ${previous.job} ${previous.slot}`,
    );
  }
}
