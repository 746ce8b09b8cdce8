/**
 * The pure parts of the command-job soak (`scenarios/command_soak.ts`):
 * its jobs file, a process's CPU time from `/proc/<pid>/stat`, and the
 * ledger entries of a window.
 *
 * @module
 */

/**
 * The permission flags `deno task tock` runs the CLI with (the `tock` task
 * of `deno.json`; `tests/bench/command_soak_test.ts` checks they agree).
 */
export const TOCK_RUN_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-net",
  "--allow-sys=hostname,uid",
];

/** One job of a jobs file, as the soak writes it. */
export interface SoakJob {
  readonly id: string;
  readonly schedule: string;
  readonly cmd: string;
}

/**
 * The soak's jobs file (docs/cli.md, "Jobs files"): `jobs` command jobs
 * `soak-1` … `soak-<jobs>`, each due every second.
 *
 * @param jobs How many.
 * @param cmd Their command.
 * @returns The file's JSON value.
 */
export function soakJobsFile(
  jobs: number,
  cmd = "true",
): { readonly jobs: readonly SoakJob[] } {
  if (!Number.isSafeInteger(jobs) || jobs < 1) {
    throw new RangeError(
      `Cannot write the soak's jobs as 'jobs' must be a positive integer: received ${jobs}`,
    );
  }
  return {
    jobs: Array.from({ length: jobs }, (_, i) => ({
      id: `soak-${i + 1}`,
      schedule: "* * * * * *",
      cmd,
    })),
  };
}

/** The CPU fields of `/proc/<pid>/stat`, in clock ticks. */
export interface ProcStat {
  /** Field 3: `R`, `S`, `Z`, … */
  readonly state: string;
  /** Field 14: user time of the process (every thread). */
  readonly utime: number;
  /** Field 15: system time of the process (every thread). */
  readonly stime: number;
  /** Field 16: user time of the children it has waited for. */
  readonly cutime: number;
  /** Field 17: system time of the children it has waited for. */
  readonly cstime: number;
}

/**
 * Parses `/proc/<pid>/stat`. The command name (field 2) is in parentheses
 * and may hold spaces and parentheses: the fields after it are read from
 * its last `)`.
 *
 * @param text The file's text.
 * @returns Its state and CPU times, in clock ticks.
 * @throws {TypeError} When the text is not a stat line.
 * @example
 * ```ts
 * import { parseProcStat } from "./_soak.ts";
 * const stat = parseProcStat("42 (a) b) S 1 42 42 0 -1 0 0 0 0 0 7 3 1 2 20");
 * console.assert(stat.utime === 7 && stat.stime === 3 && stat.cstime === 2);
 * ```
 */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(")");
  const rest = close < 0 ? [] : text.slice(close + 2).trim().split(/\s+/);
  // Field n is rest[n - 3].
  const field = (n: number) => Number(rest[n - 3]);
  const stat = {
    state: rest[0] ?? "",
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
  };
  const { state, ...times } = stat;
  if (
    !/^[A-Za-z]$/.test(state) ||
    !Object.values(times).every((t) => Number.isSafeInteger(t) && t >= 0)
  ) {
    throw new TypeError(
      `Cannot parse a /proc stat line as it must have a state and CPU times: received ${
        JSON.stringify(text.slice(0, 120))
      }`,
    );
  }
  return stat;
}

/**
 * Clock ticks as milliseconds.
 *
 * @param ticks A time from `/proc/<pid>/stat`.
 * @param clockTicks Ticks per second (`getconf CLK_TCK`).
 * @returns Milliseconds.
 */
export function ticksToMs(ticks: number, clockTicks: number): number {
  return (ticks * 1000) / clockTicks;
}

/**
 * How many slots of a schedule due every `everyMs` (aligned to the epoch:
 * every whole second, for `* * * * * *`) fall in `[from, to)`.
 *
 * @param from The window's start, epoch ms.
 * @param to Its end (excluded), epoch ms.
 * @param everyMs The schedule's period.
 * @returns The count (0 for an empty window).
 */
export function slotsInWindow(from: number, to: number, everyMs = 1000) {
  if (!(to > from)) return 0;
  return Math.ceil(to / everyMs) - Math.ceil(from / everyMs);
}

/** What {@linkcode tallyWindow} reads of a ledger entry. */
export interface WindowEntry {
  readonly slot: number;
  readonly outcome: string;
  /** Range entries: how many slots the range holds. */
  readonly count?: number;
}

/**
 * The ledger entries of a window, by outcome: an entry counts when its
 * `slot` is in `[from, to)`, a range entry (skipped or missed slots) as its
 * `count` slots, by its first slot.
 *
 * @param entries Ledger entries (`store.history()`, `tock history --json`).
 * @param from The window's start, epoch ms.
 * @param to Its end (excluded), epoch ms.
 * @returns Slots per outcome (outcomes with none are left out).
 */
export function tallyWindow(
  entries: readonly WindowEntry[],
  from: number,
  to: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of entries) {
    if (entry.slot < from || entry.slot >= to) continue;
    out[entry.outcome] = (out[entry.outcome] ?? 0) + (entry.count ?? 1);
  }
  return out;
}
