// Helpers for tests that run real processes: find a run's processes in
// /proc, wait for a condition, and build attempt contexts.
import type { JobContext } from "../../src/executors/run_handler.ts";
import type { JobStore } from "../../src/store/store.ts";
import { addJob } from "../../src/turns/manage_jobs.ts";

export const SLOT = new Date(Date.UTC(2026, 10, 29, 10, 15, 0));

/** A process that carries a run's `TOCK_RUN_ID` in its environment. */
export interface RunProcess {
  pid: number;
  /** The executable name (`/proc/<pid>/comm`). */
  comm: string;
}

/**
 * The live processes whose environment holds `TOCK_RUN_ID=<runId>`, read
 * from `/proc/<pid>/environ` (zombies have an empty environment, so they
 * never count). A shell reads `/proc`: Deno asks for `--allow-all` to read
 * it, and the tests run with narrower permissions.
 */
export async function processesOf(runId: string): Promise<RunProcess[]> {
  const script = 'for f in $(grep -lzxF -- "TOCK_RUN_ID=$1" ' +
    "/proc/[0-9]*/environ 2>/dev/null); do p=${f#/proc/}; p=${p%/environ}; " +
    'printf "%s %s\\n" "$p" "$(cat /proc/$p/comm 2>/dev/null)"; done';
  const { stdout } = await new Deno.Command("sh", {
    args: ["-c", script, "sh", runId],
    stdin: "null",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(stdout).split("\n").filter(Boolean).map(
    (line) => {
      const [pid, comm = ""] = line.split(" ");
      return { pid: Number(pid), comm };
    },
  );
}

/** Polls `check` until it returns a truthy value (fails after 20 s). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Gave up waiting for ${what}`);
}

let counter = 0;

/** A fresh attempt context (a unique run id) with its abort controller. */
export function attempt(
  jobId: string,
  over: Partial<JobContext> = {},
): { context: JobContext; controller: AbortController } {
  const controller = new AbortController();
  const context: JobContext = {
    jobId,
    slot: SLOT,
    runId: `run-test-${Date.now()}-${++counter}`,
    attempt: 1,
    trigger: "manual",
    catchup: false,
    instance: "test-instance",
    signal: controller.signal,
    ...over,
  };
  return { context, controller };
}

/** Creates a command job so its logs are kept. */
export async function addCommandJob(
  store: JobStore,
  id: string,
): Promise<void> {
  await addJob(store, { id, schedule: "every 1h", cmd: "true" }, {
    now: SLOT.getTime(),
  });
}

/** The files a process has open (`/proc/<pid>/fd`, read by a shell). */
export async function openFiles(pid: number): Promise<string[]> {
  const { stdout } = await new Deno.Command("sh", {
    args: ["-c", 'readlink /proc/"$1"/fd/* 2>/dev/null', "sh", String(pid)],
    stdin: "null",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(stdout).split("\n").filter(Boolean);
}

/** A process's state letter (`R`, `S`, `Z`…), or `undefined` once gone. */
export async function processState(pid: number): Promise<string | undefined> {
  const { stdout } = await new Deno.Command("sh", {
    args: [
      "-c",
      'sed -n "s/^State:\\t//p" /proc/"$1"/status',
      "sh",
      String(pid),
    ],
    stdin: "null",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(stdout).trim().charAt(0) || undefined;
}

/** Waits until a run's process has `ready.marker` (a fixture's) open. */
export async function readyProcess(runId: string): Promise<RunProcess> {
  return await waitFor("the ready child", async () => {
    for (const p of await processesOf(runId)) {
      if ((await openFiles(p.pid)).some((f) => f.endsWith("/ready.marker"))) {
        return p;
      }
    }
  });
}
