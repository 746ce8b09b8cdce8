/**
 * Argument parsing for the command line: one strict `parseArgs` wrapper,
 * the usage error that maps to exit status 2, and the value parsers for
 * flags (integers, durations, `K=V` pairs, choices).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseDuration } from "../schedule/parse_duration.ts";
import { parseSchedule } from "../schedule/parse_schedule.ts";
import { oneLine, UsageError } from "./_errors.ts";
import { checkZone } from "./_job_fields.ts";
import type { FlagSpec } from "./_flag_spec.ts";

/** The flags every command takes. */
export const COMMON_FLAGS: Readonly<Record<string, FlagSpec>> = {
  store: { type: "string" },
  help: { type: "boolean", short: "h" },
};

/** Parsed flags and positional arguments. */
export interface ParsedArgs {
  readonly values: Readonly<
    Record<string, string | boolean | (string | boolean)[] | undefined>
  >;
  readonly positionals: readonly string[];
}

/**
 * Parses a command's arguments strictly: an unknown flag, a missing value
 * or a value given to a boolean flag is a {@linkcode UsageError}.
 */
export function parseFlags(
  command: string,
  args: readonly string[],
  flags: Readonly<Record<string, FlagSpec>>,
): ParsedArgs {
  const all = { ...COMMON_FLAGS, ...flags };
  const { rest, optional } = takeOptionalValues(args, all);
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: Object.fromEntries(
        Object.entries(all).filter(([, spec]) => !spec.optionalValue),
      ),
      strict: true,
      allowPositionals: true,
    });
    return { values: { ...values, ...optional }, positionals };
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message ?? String(error);
    // Node names a flag with a short name as '-A, --allow-all'.
    const name = /'(?:-\w, )?(-[^' ]+)/.exec(message)?.[1] ?? "?";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      throw new UsageError(
        `Unknown option '${name}' for 'tock ${command}' (see 'tock ${command} --help')`,
      );
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      const detail = /does not take an argument/.test(message)
        ? "takes no value"
        : "needs a value";
      throw new UsageError(
        `Option '${name}' of 'tock ${command}' ${detail}`,
      );
    }
    throw new UsageError(
      `Cannot parse arguments of 'tock ${command}': ${oneLine(message)}`,
    );
  }
}

/**
 * Takes the flags with an optional value out of the arguments: `parseArgs`
 * would take the argument after a bare one as its value. (A value given
 * apart from its flag never starts with `-`: `parseArgs` refuses that.)
 */
function takeOptionalValues(
  args: readonly string[],
  flags: Readonly<Record<string, FlagSpec>>,
): { rest: string[]; optional: Record<string, (string | boolean)[]> } {
  const rest: string[] = [];
  const optional: Record<string, (string | boolean)[]> = {};
  const byShort = new Map(
    Object.entries(flags).flatMap(([name, spec]) =>
      spec.short ? [[spec.short, name] as const] : []
    ),
  );
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      rest.push(...args.slice(i));
      break;
    }
    const long = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
    const short = long ? null : /^-([A-Za-z])(?:=?(.+))?$/s.exec(arg);
    const name = long ? long[1]! : short ? byShort.get(short[1]!) : undefined;
    const spec = name === undefined ? undefined : flags[name];
    const value = long ? long[2] : short?.[2];
    if (spec?.optionalValue) {
      (optional[name!] ??= []).push(value ?? true);
      continue;
    }
    rest.push(arg);
  }
  return { rest, optional };
}

/**
 * Checks the number of positional arguments.
 *
 * @param names The names of the expected arguments (`ID`, `SPEC`); a name
 * ending in `?` is optional.
 * @returns The arguments, in order.
 */
export function positionals(
  command: string,
  parsed: ParsedArgs,
  names: readonly string[],
): (string | undefined)[] {
  const given = parsed.positionals;
  const required = names.filter((n) => !n.endsWith("?")).length;
  if (given.length < required) {
    const missing = names[given.length]!.replace(/\?$/, "");
    throw new UsageError(
      `Missing argument ${missing} for 'tock ${command}' (see 'tock ${command} --help')`,
    );
  }
  if (given.length > names.length) {
    const extra = given[names.length]!;
    const hint = names.length > 0 && /[*?]/.test(given.join(" "))
      ? " (quote schedules that contain spaces or '*')"
      : "";
    throw new UsageError(
      `Unexpected argument "${extra}" for 'tock ${command}'${hint}`,
    );
  }
  return names.map((_, i) => given[i]);
}

/** A string flag's value, if given. */
export function stringFlag(
  parsed: ParsedArgs,
  name: string,
): string | undefined {
  const value = parsed.values[name];
  return typeof value === "string" ? value : undefined;
}

/** A repeatable string flag's values (empty when not given). */
export function listFlag(parsed: ParsedArgs, name: string): string[] {
  const value = parsed.values[name];
  return Array.isArray(value) ? value.map(String) : [];
}

/**
 * Every use of a flag with an optional value (`true` for a bare one), in
 * order; empty when not given.
 */
export function optionalFlag(
  parsed: ParsedArgs,
  name: string,
): (string | true)[] {
  const value = parsed.values[name];
  return Array.isArray(value)
    ? value.map((v) => typeof v === "string" ? v : true)
    : [];
}

/** A boolean flag's value. */
export function booleanFlag(parsed: ParsedArgs, name: string): boolean {
  return parsed.values[name] === true;
}

/** Parses an integer flag within `[min, max]`. */
export function integerValue(
  flag: string,
  text: string,
  min: number,
  max: number,
): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(
      `Cannot use ${flag} "${text}": expected an integer from ${min} to ${max}`,
    );
  }
  return value;
}

/** Parses a duration flag (`30s`, `1h30m`) to milliseconds. */
export function durationValue(text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}

/** Checks a choice flag. */
export function choiceValue<T extends string>(
  flag: string,
  text: string,
  allowed: readonly T[],
): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(
      `Cannot use ${flag} "${text}": expected one of ${allowed.join(", ")}`,
    );
  }
  return text as T;
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses `--env K=V` pairs. Error messages never show a value (it may be a
 * secret), only the key.
 */
export function envPairs(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    const key = at < 0 ? pair : pair.slice(0, at);
    if (at < 0 || !ENV_KEY.test(key)) {
      throw new UsageError(
        `Cannot use --env "${key}${
          at < 0 ? "" : "=…"
        }": expected KEY=VALUE with a KEY of letters, digits and _`,
      );
    }
    env[key] = pair.slice(at + 1);
  }
  return env;
}

/** Checks an IANA time zone name. */
export function zoneValue(flag: string, tz: string): string {
  try {
    return checkZone(tz);
  } catch (error) {
    throw new UsageError(
      `Cannot use ${flag} "${tz}": not an IANA time zone (e.g. Europe/Berlin)`,
      { cause: error },
    );
  }
}

/**
 * Parses an instant: ISO 8601 (`2026-12-01T09:00:00Z`), a date and time
 * read in `tz` (`2026-12-01 09:00`), or `in 10m` from `now`.
 */
export function instantValue(
  flag: string,
  text: string,
  tz: string,
  now: number,
): number {
  let at: number | undefined;
  try {
    const parsed = parseSchedule(text, { tz, now });
    if (parsed.kind === "once") at = parsed.at;
  } catch { /* reported below */ }
  if (at === undefined) {
    throw new UsageError(
      `Cannot use ${flag} "${text}": expected an instant such as 2026-12-01T09:00:00Z, "2026-12-01 09:00" or "in 10m"`,
    );
  }
  return at;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Checks an instance name (same characters as a job id). */
export function instanceValue(text: string): string {
  if (!ID.test(text)) {
    throw new UsageError(
      `Cannot use --instance "${text}": names are 1-128 characters of A-Z a-z 0-9 . _ - and start with a letter or digit`,
    );
  }
  return text;
}
