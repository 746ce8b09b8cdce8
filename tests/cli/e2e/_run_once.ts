// Shared by the run-outcome tests: one triggered run under `tock tick`.
import { equal } from "node:assert/strict";
import {
  describe,
  history,
  type HistoryEntry,
  RUN_OUTCOMES,
  succeeded,
  tock,
  waitFor,
} from "./_cli.ts";

/** Adds a job that only runs when triggered, triggers it, ticks once. */
export async function runOnce(
  store: string,
  id: string,
  target: string[],
  { cwd, timeoutMs = 30_000 }: { cwd?: string; timeoutMs?: number } = {},
): Promise<{ entry: HistoryEntry; tickMs: number }> {
  succeeded(
    await tock(
      [
        "add",
        id,
        "--schedule",
        "0 0 1 1 *",
        ...target,
        ...(cwd ? ["--cwd", cwd] : []),
      ],
      { store },
    ),
  );
  succeeded(await tock(["trigger", id], { store }));
  let tickMs = 0;
  const entry = await waitFor(async () => {
    const tick = await tock(["tick"], { store, timeoutMs });
    equal(tick.code, 0, describe(tick));
    tickMs = Math.max(tickMs, tick.elapsedMs);
    return (await history(store, id)).find((e) =>
      RUN_OUTCOMES.includes(e.outcome)
    );
  }, { timeoutMs: 45_000, what: `a recorded run of ${id}` });
  return { entry, tickMs };
}
