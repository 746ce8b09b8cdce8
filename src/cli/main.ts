// deno-lint-ignore-file no-console
/**
 * The `tock` command line: `deno task tock <command> [flags]`.
 *
 * Exit status: 0 on success; 2 on a usage or validation error (nothing was
 * changed); 1 on any other failure. Every error is one line on stderr.
 *
 * @module
 */

import { isDriverWriteBug } from "../store/postgres/driver_bug.ts";
import { type ParsedArgs, parseFlags } from "./_args.ts";
import type { CliContext, Command } from "./_command.ts";
import { errorLine, exitCodeOf, oneLine, UsageError } from "./_errors.ts";
import { clockFromEnv } from "./_test_clock.ts";
import { addCommand, updateCommand } from "./commands/add.ts";
import {
  backfillCommand,
  pauseCommand,
  removeCommand,
  resumeCommand,
  triggerCommand,
} from "./commands/manage.ts";
import { listCommand, showCommand } from "./commands/list.ts";
import { historyCommand, logsCommand } from "./commands/history.ts";
import { statusCommand } from "./commands/status.ts";
import { nextCommand } from "./commands/next.ts";
import { startCommand, tickCommand } from "./commands/start.ts";
import { serveCommand } from "./commands/serve.ts";

/** Every command, in the order `tock --help` lists them. */
export const COMMANDS: readonly Command[] = [
  startCommand,
  tickCommand,
  addCommand,
  updateCommand,
  removeCommand,
  pauseCommand,
  resumeCommand,
  triggerCommand,
  backfillCommand,
  listCommand,
  showCommand,
  historyCommand,
  statusCommand,
  logsCommand,
  nextCommand,
  serveCommand,
];

/** The text of `tock --help`. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "tock: a durable, multi-process cron runtime for Deno",
    "",
    "Usage: tock <command> [flags]      (deno task tock <command> [flags])",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Global flags:",
    "  --store DIR|URL  the store (default $TOCK_STORE, else ./.tock)",
    "  -h, --help       help; 'tock <command> --help' for a command's flags",
    "",
    "Read commands (list, show, history, status, logs, next) take --json and",
    "work on a store they may not write; list and show print environment",
    "values only with --show-env.",
    "Exit status: 0 success, 2 usage or validation error, 1 other failure.",
  ].join("\n");
}

/** Options for {@linkcode runCli}: any part of the context to replace. */
export type RunCliOptions = Partial<CliContext>;

/**
 * Runs the command line in this process.
 *
 * @param args The arguments after `tock`.
 * @param options Where to print, the environment, the clock, a stop signal.
 * @returns The exit status: 0, 1 or 2.
 */
export async function runCli(
  args: readonly string[],
  options: RunCliOptions = {},
): Promise<number> {
  const env = options.env ?? readEnv;
  // The system clock, unless a test shifts it (TOCK_TEST_CLOCK_FILE).
  const clock = options.clock ?? clockFromEnv(env);
  const ctx: CliContext = {
    out: options.out ?? ((text) => console.log(text)),
    err: options.err ?? ((text) => console.error(text)),
    env,
    now: options.now ?? (() => clock.now()),
    clock,
    cwd: options.cwd ?? (() => Deno.cwd()),
    signals: options.signals ?? false,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  try {
    await dispatch(args, ctx);
    return 0;
  } catch (error) {
    ctx.err(errorLine(error));
    return exitCodeOf(error);
  }
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

async function dispatch(args: readonly string[], ctx: CliContext) {
  const rest = [...args];
  let store: string | undefined;
  let help = false;
  // Global flags may come before the command.
  while (rest.length > 0 && rest[0]!.startsWith("-")) {
    const flag = rest.shift()!;
    if (flag === "-h" || flag === "--help") help = true;
    else if (flag === "--store") {
      store = rest.shift();
      if (store === undefined) {
        throw new UsageError("Option '--store' needs a value");
      }
    } else if (flag.startsWith("--store=")) store = flag.slice(8);
    else {
      throw new UsageError(
        `Unknown option '${flag}' (see 'tock --help')`,
      );
    }
  }
  let name = rest.shift();
  if (name === "help") {
    name = rest.shift();
    help = true;
  }
  if (name === undefined) {
    if (help) return ctx.out(mainHelp());
    throw new UsageError("Missing command (see 'tock --help')");
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const near = COMMANDS.find((c) =>
      c.name.startsWith(name!.slice(0, 3)) && name!.length > 2
    );
    throw new UsageError(
      `Unknown command "${oneLine(name)}"${
        near ? ` (did you mean '${near.name}'?)` : ""
      } (see 'tock --help')`,
    );
  }
  const end = rest.indexOf("--");
  const flags = end < 0 ? rest : rest.slice(0, end);
  if (help || flags.includes("-h") || flags.includes("--help")) {
    return ctx.out(command.usage);
  }
  const parsed = parseFlags(command.name, rest, command.flags);
  await command.run(withStore(parsed, store), ctx);
}

function withStore(parsed: ParsedArgs, store: string | undefined): ParsedArgs {
  if (store === undefined || parsed.values.store !== undefined) return parsed;
  return { ...parsed, values: { ...parsed.values, store } };
}

if (import.meta.main) {
  // A failure that escapes every handler is still one line, never a trace.
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    console.error(errorLine(event.reason));
  });
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    // A known driver bug the PostgreSQL store survives (its statement
    // times out and the connection is reset): not fatal.
    if (isDriverWriteBug(event.error)) return;
    console.error(errorLine(event.error ?? event.message));
    Deno.exit(1);
  });
  Deno.exit(await runCli(Deno.args, { signals: true }));
}
