/**
 * `tock history [ID]` (the ledger) and `tock logs ID` (run output).
 *
 * @module
 */

import type { ErrorInfo, LedgerEntry } from "../../types.ts";
import type { RunLog } from "../../store/store.ts";
import { validateJobId } from "../../jobs/define_job.ts";
import { splitPermissionHint } from "../../jobs/permission_hint.ts";
import {
  booleanFlag,
  integerValue,
  positionals,
  stringFlag,
} from "../_args.ts";
import { type Command, GLOBAL_HELP, JSON_FLAG } from "../_command.ts";
import { validating } from "../_errors.ts";
import { historyRead, historyView, logsRead, logsView } from "../views.ts";
import { clip, duration, json, shortRunId, table, time } from "../_output.ts";
import { openStore, storeRef } from "../_store.ts";

const MAX_LIMIT = 1_000_000;

/** `--limit N`, if given. */
function limitFlag(parsed: Parameters<Command["run"]>[0]): number | undefined {
  const text = stringFlag(parsed, "limit");
  return text === undefined
    ? undefined
    : integerValue("--limit", text, 1, MAX_LIMIT);
}

/** `tock history [ID] [--limit N] [--json]`. */
export const historyCommand: Command = {
  name: "history",
  summary: "the ledger: every slot's outcome",
  usage: `Usage: tock history [ID] [--limit N] [--json]

Prints the ledger, oldest first: one line per slot (run, skipped, missed,
abandoned…), or per range of consecutive skipped/missed slots.

  --limit N  only the newest N entries
  --json     print an array of entries: job, slot, outcome, trigger; runs add
             runId, instance, attempt, startedAt, finishedAt; ranges add
             until and count
${GLOBAL_HELP}

Example:
  tock history backup --limit 20`,
  flags: { limit: { type: "string" }, ...JSON_FLAG },
  async run(parsed, ctx) {
    const [rawId] = positionals("history", parsed, ["ID?"]);
    const id = rawId === undefined
      ? undefined
      : validating(() => validateJobId(rawId));
    const limit = limitFlag(parsed);
    await using store = await openStore(storeRef(parsed, ctx), {
      create: false,
      readOnly: true,
    });
    const options = {
      ...(id !== undefined ? { job: id } : {}),
      ...(limit !== undefined ? { limit } : {}),
    };
    if (booleanFlag(parsed, "json")) {
      ctx.out(json(await historyView(store, options)));
      return;
    }
    const entries = await historyRead(store, options);
    if (entries.length === 0) {
      ctx.out("No history yet");
      return;
    }
    ctx.out(table(
      ["SLOT", "JOB", "OUTCOME", "TRIGGER", "ATTEMPT", "DURATION", "DETAIL"],
      entries.map(historyRow),
    ));
  },
};

function historyRow(entry: LedgerEntry): string[] {
  const detail = entry.count !== undefined && entry.until !== undefined
    ? `${entry.count} slots until ${time(entry.until)}`
    : entry.runId === undefined
    ? ""
    : shortRunId(entry.runId);
  const why = [
    detail,
    entry.note ? `(${entry.note})` : "",
    entry.error ? errorText(entry.error) : "",
  ].filter(Boolean).join(" ");
  return [
    time(entry.slot),
    entry.job,
    entry.outcome,
    entry.trigger ?? "schedule",
    entry.attempt === undefined ? "-" : String(entry.attempt),
    entry.startedAt !== undefined && entry.finishedAt !== undefined
      ? duration(entry.finishedAt - entry.startedAt)
      : "-",
    why,
  ];
}

/**
 * A run's error, cut to 60 characters; the flag that grants a refused
 * permission is kept whole, as it is the part to act on.
 */
function errorText(error: ErrorInfo): string {
  const { text, hint } = splitPermissionHint(
    `${error.name}: ${error.message}`,
  );
  return `${clip(text, 60)}${hint}`;
}

/** `tock logs ID [--run RUN] [--limit N] [--json]`. */
export const logsCommand: Command = {
  name: "logs",
  summary: "stdout/stderr of a job's command or module runs",
  usage: `Usage: tock logs ID [--run RUN] [--limit N] [--json]

Prints the kept output (stdout and stderr, size-capped) of a job's runs,
oldest first, one block per attempt.

  --run RUN  only this run (a unique prefix of its id is enough)
  --limit N  only the newest N attempts
  --json     print an array of run logs (job, runId, attempt, slot,
             instance, startedAt, finishedAt, exitCode, signal, error,
             stdout, stderr, truncated); error says why a process could not
             be started
${GLOBAL_HELP}

Example:
  tock logs backup --run run-3f2a`,
  flags: { run: { type: "string" }, limit: { type: "string" }, ...JSON_FLAG },
  async run(parsed, ctx) {
    const [rawId] = positionals("logs", parsed, ["ID"]);
    const id = validating(() => validateJobId(rawId));
    const run = stringFlag(parsed, "run");
    const limit = limitFlag(parsed);
    await using store = await openStore(storeRef(parsed, ctx), {
      create: false,
      readOnly: true,
    });
    const options = {
      ...(run !== undefined ? { run } : {}),
      ...(limit !== undefined ? { limit } : {}),
    };
    if (booleanFlag(parsed, "json")) {
      ctx.out(json(await logsView(store, id, options)));
      return;
    }
    const logs = await logsRead(store, id, options);
    if (logs.length === 0) {
      ctx.out(
        run === undefined
          ? `No logs for job '${id}' yet`
          : `No logs for run ${run} of job '${id}'`,
      );
      return;
    }
    ctx.out(logs.map(logText).join("\n\n"));
  },
};

/** One attempt's output for people. */
export function logText(log: RunLog): string {
  // A log with neither an exit code nor a signal is a process that never
  // started (older logs do not say why).
  const end = log.exitCode !== null
    ? `exit ${log.exitCode}`
    : log.signal !== undefined
    ? `killed by ${log.signal}`
    : `not started${log.error !== undefined ? `: ${log.error}` : ""}`;
  const lines = [
    `== ${shortRunId(log.runId)} attempt ${log.attempt} · slot ${
      time(log.slot)
    } · ${end} · ${time(log.startedAt)} (${
      duration(log.finishedAt - log.startedAt)
    }) on ${log.instance}${
      log.truncated ? " · output cut to its last bytes" : ""
    }`,
  ];
  const section = (name: string, text: string) => {
    if (text === "") return;
    lines.push(`-- ${name}`, text.replace(/\n$/, ""));
  };
  section("stdout", log.stdout);
  section("stderr", log.stderr);
  if (log.stdout === "" && log.stderr === "") lines.push("(no output)");
  return lines.join("\n");
}
