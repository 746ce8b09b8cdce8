/**
 * What an instance can tell about processes on its own machine: which
 * machine (and pid namespace) it runs in, when its own process started,
 * and whether another process is still alive. Linux answers through
 * `/proc`; elsewhere, or without read access to `/proc`, every answer is
 * "unknown" and instances are judged by their heartbeats alone.
 *
 * @module
 */

/** Answers about processes of this machine. */
export interface ProcessProbe {
  /**
   * This machine and pid namespace (Linux: the boot id and the namespace's
   * inode), or `undefined` when unknown. Two processes with the same value
   * can look each other's pids up.
   */
  readonly machine: string | undefined;
  /** This process's start time (Linux: clock ticks since boot). */
  readonly pidStart: number | undefined;
  /**
   * Whether the process `pid`, started at `pidStart`, is alive here:
   * `false` when there is no such process (or the pid now belongs to a
   * process started at another time), `undefined` when it cannot tell.
   */
  alive(pid: number, pidStart?: number): boolean | undefined;
}

/** A probe that knows nothing (judging by heartbeats alone). */
export const NO_PROBE: ProcessProbe = {
  machine: undefined,
  pidStart: undefined,
  alive: () => undefined,
};

/**
 * The probe of this process, read once.
 *
 * @returns The probe; {@linkcode NO_PROBE} where `/proc` cannot be read.
 */
export function systemProbe(): ProcessProbe {
  let machine: string;
  let self: Stat | undefined;
  try {
    const boot = Deno.readTextFileSync("/proc/sys/kernel/random/boot_id")
      .trim();
    const ns = Deno.readLinkSync("/proc/self/ns/pid");
    machine = `${boot}/${ns}`;
    self = readStat("self");
  } catch {
    return NO_PROBE;
  }
  if (!self) return NO_PROBE;
  return {
    machine,
    pidStart: self.start,
    alive(pid: number, pidStart?: number): boolean | undefined {
      if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
      let stat: Stat | undefined;
      try {
        stat = readStat(String(pid));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return false;
        return undefined;
      }
      if (!stat) return undefined;
      // A zombie has exited; only its exit status waits to be collected.
      if (stat.state === "Z" || stat.state === "X") return false;
      return pidStart === undefined || stat.start === pidStart;
    },
  };
}

interface Stat {
  readonly state: string;
  readonly start: number;
}

/** Fields 3 (state) and 22 (start time) of `/proc/<pid>/stat`. */
function readStat(pid: string): Stat | undefined {
  const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // The command name (field 2) is in parentheses and may hold anything.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const start = Number(rest[19]);
  if (!rest[0] || !Number.isSafeInteger(start)) return undefined;
  return { state: rest[0], start };
}
