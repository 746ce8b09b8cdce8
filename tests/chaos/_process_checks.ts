// What the output of one process of a chaos run must show (pure, so that
// process_checks_test.ts can feed it hand-made output): a refused twin, a tick that
// claimed once, and no run lost by a process that could heartbeat. Lines
// are a ChaosInstance's `output`: `+12.345s LABEL out|err TEXT` (and the
// harness's own notes, `+12.345s LABEL --- TEXT`).
import type { InstanceExit } from "./_instance.ts";

/** A `run.fenced` line (src/cli/commands/_events.ts), either kind. */
const FENCED = /: run \S+ .*\(fenced\)$/;
const TICK_RUN = /: run \S+ started for slot (\S+ \S+) \((\w+)\)$/;
/** A line's own time, as `tock` prints it (true time for ticks). */
const PRINTED_AT =
  /^\+[\d.]+s \S+ (?:out|err) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?Z) /;
/**
 * How long after a tick's first line its one claim's slots may come due:
 * that line follows the claim, which takes slots due up to its lookahead
 * (at most 2 s, MAX_LOOKAHEAD_MS in src/runtime/claims.ts), plus 1 s.
 */
export const TICK_CLAIM_MS = 3_000;

/** When a line of a process's output was read, s after the run's origin. */
export function lineTime(line: string): number {
  return Number(/^\+([\d.]+)s/.exec(line)?.[1] ?? 0);
}

/** How many `run.fenced` lines are in a process's output. */
export function countFenced(output: readonly string[]): number {
  return output.filter((line) => FENCED.test(line)).length;
}

/**
 * A process loses a run to another instance only when it could not
 * heartbeat for a lease: in a chaos run, only once it was frozen past the
 * lease (heartbeats take no lock; the pauses for ticks are shorter than
 * half a lease). A `(fenced)` line before that means that another instance
 * judged a live process dead.
 *
 * @param frozenAt When it was first frozen past the lease (s after the
 * origin), or `undefined`.
 * @returns The violation, if any.
 */
export function fencedWhileAlive(
  name: string,
  output: readonly string[],
  frozenAt: number | undefined,
): string | undefined {
  const early = output.filter((line) =>
    FENCED.test(line) && lineTime(line) < (frozenAt ?? Infinity)
  );
  if (early.length === 0) return undefined;
  return `${name} lost ${early.length} run(s) to another instance although it was never frozen past the lease${
    frozenAt === undefined ? "" : " before"
  }:\n${early.slice(0, 3).join("\n")}`;
}

/**
 * A tick claims once (SPEC: `tick`: one claim-and-advance, run what was
 * claimed, wait, exit): every run it starts is for a slot due by then. Its
 * first line comes after that claim (ticks print nothing before), so a run
 * for a slot due more than `TICK_CLAIM_MS` after that line was claimed by a
 * later claim.
 *
 * @returns The violation, if any.
 */
export function claimedAgain(
  name: string,
  output: readonly string[],
): string | undefined {
  const first = output.map((line) => PRINTED_AT.exec(line)?.[1]).find((t) =>
    t !== undefined
  );
  if (first === undefined) return undefined;
  const bound = parseTime(first) + TICK_CLAIM_MS;
  const late: string[] = [];
  for (const line of output) {
    const m = TICK_RUN.exec(line);
    if (m && parseTime(m[1]!) > bound) late.push(`${m[1]} (${m[2]})`);
  }
  if (late.length === 0) return undefined;
  return `${name} claimed again after its one claim: it started runs for ${late.length} slot(s) due more than ${
    TICK_CLAIM_MS / 1000
  } s after its first line (${first}), e.g. ${late.slice(0, 3).join(", ")}`;
}

/** `2026-01-01 00:00:05.250Z` or `2026-01-01 00:00:05Z`, epoch ms. */
function parseTime(text: string): number {
  return Date.parse(text.replace(" ", "T"));
}

/**
 * A second `tock start --instance ID` while a live process holds ID must
 * exit 1 with one stderr line naming `'ID'`.
 *
 * @param exit How it ended, or `undefined` if it was still running.
 * @returns The violation, if any.
 */
export function twinRefused(
  id: string,
  exit: InstanceExit | undefined,
  stderr: readonly string[],
): string | undefined {
  const what = `a second tock start --instance ${id} while ${id} ran`;
  if (exit === undefined) {
    return `${what} was still running: its id was not refused`;
  }
  if (
    exit.code === 1 && stderr.length === 1 && stderr[0]!.includes(`'${id}'`)
  ) {
    return undefined;
  }
  return `${what} exited ${exit.code}${
    exit.signal ? ` (${exit.signal})` : ""
  } with ${stderr.length} stderr line(s) (expected exit 1 and one line naming '${id}')`;
}
