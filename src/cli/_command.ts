/**
 * What a command is, and what it is given: where to print, the
 * environment, the clock, and (for `start`/`tick`) how it is told to stop.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { FlagSpec } from "./_flag_spec.ts";
import type { ParsedArgs } from "./_args.ts";

/** Where a command prints and what it may read from its surroundings. */
export interface CliContext {
  /** Prints one or more lines to standard output. */
  out(text: string): void;
  /** Prints one line to standard error. */
  err(text: string): void;
  /** Reads an environment variable (`TOCK_STORE`). */
  env(name: string): string | undefined;
  /** Wall-clock time, epoch ms. */
  now(): number;
  /**
   * The clock `start` and `tick` run their scheduler on (the system clock,
   * or the test-only offset clock of `TOCK_TEST_CLOCK_FILE`).
   */
  readonly clock: Clock;
  /** The directory relative paths are read from. */
  cwd(): string;
  /** `start` and `tick` stop when this aborts (as on SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
  /** Whether `start` and `tick` listen for SIGINT and SIGTERM. */
  readonly signals: boolean;
}

/** One command of the command line. */
export interface Command {
  /** The command's name (`add`). */
  readonly name: string;
  /** One line for `tock --help`. */
  readonly summary: string;
  /** The full text of `tock <name> --help`. */
  readonly usage: string;
  /** The command's own flags (`--store` and `--help` are added). */
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Runs the command; throws to fail (see `main.ts` for exit codes). */
  run(parsed: ParsedArgs, ctx: CliContext): Promise<void>;
}

/** The `--json` flag of read commands. */
export const JSON_FLAG: Readonly<Record<string, FlagSpec>> = {
  json: { type: "boolean" },
};

/** The help text line for the global flags. */
export const GLOBAL_HELP =
  "  --store DIR|URL  the store (default $TOCK_STORE, else ./.tock)\n" +
  "  -h, --help       show this help";
