/**
 * `tock status`: instances and their heartbeats, running runs, every job's
 * next slot, and lock hold-time statistics.
 *
 * @module
 */

import { booleanFlag, positionals } from "../_args.ts";
import { type Command, GLOBAL_HELP, JSON_FLAG } from "../_command.ts";
import {
  json,
  type lastJson,
  relative,
  shortRunId,
  table,
  time,
} from "../_output.ts";
import { openStore, redact, storeRef } from "../_store.ts";
import type { LockHold, StatusJson } from "../status_json.ts";
import { statusView } from "../views.ts";

/** `tock status [--json]`. */
export const statusCommand: Command = {
  name: "status",
  summary: "instances, running runs, next slots, lock hold times",
  usage: `Usage: tock status [--json]

Shows the instances sharing the store (an instance whose heartbeat is older
than 10 s looks dead), the runs in progress, each job's next slot and last
outcome, and lock hold-time statistics.

  --json  print { store, instances: [{ id, pid, startedAt, heartbeatAt,
          alive, looksDead, lockHold }], running: [...], jobs: [{ id,
          nextSlot, last }], lockHold: { count, p50Ms, p99Ms, maxMs } }
${GLOBAL_HELP}

Example:
  tock status`,
  flags: { ...JSON_FLAG },
  async run(parsed, ctx) {
    positionals("status", parsed, []);
    const ref = storeRef(parsed, ctx);
    await using store = await openStore(ref, { create: false, readOnly: true });
    const now = ctx.now();
    const status = await statusView(store, redact(ref), now);
    if (booleanFlag(parsed, "json")) {
      ctx.out(json(status));
      return;
    }
    ctx.out(statusText(status, now));
  },
};

function statusText(status: StatusJson, now: number): string {
  const at = (v: unknown) => v === null ? undefined : Date.parse(String(v));
  const out: string[] = [`Store: ${status.store}`, ""];
  out.push(`Instances: ${status.instances.length}`);
  if (status.instances.length > 0) {
    out.push(indent(table(
      ["ID", "PID", "STARTED", "HEARTBEAT", "LOCK HOLD p50/p99/max", "STATE"],
      status.instances.map((i) => {
        const hold = i.lockHold as LockHold | null;
        return [
          String(i.id),
          String(i.pid ?? "-"),
          time(at(i.startedAt)),
          relative(at(i.heartbeatAt), now),
          hold ? holdText(hold) : "-",
          i.looksDead ? "looks dead" : "alive",
        ];
      }),
    )));
  }
  out.push("", `Running: ${status.running.length}`);
  if (status.running.length > 0) {
    out.push(indent(table(
      ["JOB", "RUN", "SLOT", "TRIGGER", "INSTANCE", "SINCE"],
      status.running.map((r) => [
        String(r.job),
        shortRunId(String(r.runId)),
        time(at(r.slot)),
        String(r.trigger),
        String(r.instance),
        relative(at(r.claimedAt), now),
      ]),
    )));
  }
  out.push("", `Jobs: ${status.jobs.length}`);
  if (status.jobs.length > 0) {
    out.push(indent(table(
      ["ID", "NEXT", "LAST"],
      status.jobs.map((j) => {
        const last = j.last as ReturnType<typeof lastJson>;
        return [
          String(j.id) + (j.enabled ? "" : " (paused)"),
          j.nextSlot === null
            ? "-"
            : `${time(at(j.nextSlot))} (${relative(at(j.nextSlot), now)})`,
          last ? `${last.outcome} ${relative(at(last.at), now)}` : "-",
        ];
      }),
    )));
  }
  out.push(
    "",
    `Lock hold (all instances): ${status.lockHold.count} holds, ${
      holdText(status.lockHold)
    }`,
  );
  return out.join("\n");
}

function holdText(hold: LockHold): string {
  return `${hold.p50Ms}/${hold.p99Ms}/${hold.maxMs} ms`;
}

function indent(text: string): string {
  return text.split("\n").map((line) => `  ${line}`).join("\n");
}
