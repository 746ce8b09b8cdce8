/**
 * Test-only crash points of the file store: named places between two
 * durable steps where a test can make the process die at once, uncleanly
 * (SIGKILL: no `finally`, no flush, no unlock), to show that a crash there
 * leaves a readable, consistent store (`tests/store/file/crash_points_test.ts`).
 *
 * A process dies at a point only when the environment variable
 * `TOCK_CRASH_POINT` names it (`commit.after-write`, or
 * `commit.after-write@3` for the third time the point is reached). The
 * variable is read once, at load, and only if env access is already granted
 * (`querySync` never prompts), so normal use needs no permission and pays
 * one comparison per point.
 *
 * @module
 */

/** The steps of an atomic file write, as crash point suffixes. */
const ATOMIC_STEPS = [
  "after-temp-write",
  "before-rename",
  "after-rename",
] as const;

/** A step of an atomic file write (the suffix of its crash points). */
export type AtomicStep = typeof ATOMIC_STEPS[number];

/** Which file an atomic write replaces (the prefix of its crash points). */
export type AtomicFile =
  | "init-state"
  | "marker"
  | "snapshot"
  | "archive"
  | "heartbeat"
  | "log";

const ATOMIC_FILES: readonly AtomicFile[] = [
  "init-state",
  "marker",
  "snapshot",
  "archive",
  "heartbeat",
  "log",
];

/** A named place between two durable steps; see {@linkcode CRASH_POINTS}. */
export type CrashPoint =
  | "commit.before-write"
  | "commit.after-write"
  | "commit.after-sync"
  | "claim.before-write"
  | "claim.after-write"
  | "claim.after-sync"
  | "archive.after-append"
  | "compact.after-journal"
  | "compact.after-rotate"
  | "compact.after-archive"
  | "compact.after-archive-sync"
  | "compact.after-snapshot"
  | `${AtomicFile}.${AtomicStep}`;

/**
 * Every crash point. Atomic writes have
 * three each: `<file>.after-temp-write` (written, not fsynced),
 * `<file>.before-rename` (fsynced) and `<file>.after-rename` (renamed, the
 * directory not fsynced).
 */
export const CRASH_POINTS: readonly CrashPoint[] = [
  // A commit: one journal line, one fdatasync.
  "commit.before-write",
  "commit.after-write",
  "commit.after-sync",
  // The same steps, counted only for commits that claim runs.
  "claim.before-write",
  "claim.after-write",
  "claim.after-sync",
  // A compaction: a new journal and the old one's rotation marker (under
  // the lock), then archives, the snapshot swap, the tidy (outside it).
  "compact.after-journal",
  "compact.after-rotate",
  "archive.after-append",
  "compact.after-archive",
  "compact.after-archive-sync",
  "compact.after-snapshot",
  ...ATOMIC_FILES.flatMap((file) =>
    ATOMIC_STEPS.map((step) => `${file}.${step}` as const)
  ),
];

const TARGET = readTarget();

/** `name` or `name@n` (die the n-th time the point is reached). */
function readTarget(): { name: string; left: number } | undefined {
  let value: string | undefined;
  try {
    const variable = "TOCK_CRASH_POINT";
    const access = Deno.permissions.querySync({ name: "env", variable });
    if (access.state !== "granted") return undefined;
    value = Deno.env.get(variable);
  } catch {
    return undefined;
  }
  if (!value) return undefined;
  const match = /^(.+)@([1-9][0-9]*)$/.exec(value);
  return match
    ? { name: match[1]!, left: Number(match[2]) }
    : { name: value, left: 1 };
}

/**
 * Whether a crash point of this family (`claim`) may fire: lets a caller
 * skip work that only names a point.
 *
 * @param family The part of the point's name before the dot.
 * @returns True when `TOCK_CRASH_POINT` names a point of the family.
 */
export function crashPointArmed(family: string): boolean {
  return TARGET !== undefined && TARGET.name.startsWith(`${family}.`);
}

/**
 * Kills this process with SIGKILL when `TOCK_CRASH_POINT` names this point
 * (`name`, or `name@n` for its n-th time), after writing
 * `crash point <name>` to stderr; otherwise does nothing.
 *
 * @param name The point (one of {@linkcode CRASH_POINTS}).
 */
export function crashPoint(name: CrashPoint): void {
  if (TARGET === undefined || TARGET.name !== name) return;
  if (--TARGET.left > 0) return;
  Deno.stderr.writeSync(new TextEncoder().encode(`crash point ${name}\n`));
  Deno.kill(Deno.pid, "SIGKILL");
}
