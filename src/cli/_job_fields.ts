/**
 * The job options the command line knows, once: their names in a jobs file
 * (camelCase, as in `JobInput`) and as flags (kebab-case), and how each
 * value is checked.
 *
 * @module
 */

import type { FlagSpec } from "./_flag_spec.ts";
import { checkPermissions, PERMISSION_KINDS } from "../jobs/permissions.ts";
import { parseDuration } from "../schedule/parse_duration.ts";
import { parseSchedule } from "../schedule/parse_schedule.ts";

type FieldKind =
  | "string"
  | "zone"
  | "env"
  | "choice"
  | "duration"
  | "integer"
  | "instant"
  | "boolean"
  | "permissions";

/** How one job option is written and checked. */
export interface JobField {
  readonly kind: FieldKind;
  /** Allowed values of a choice. */
  readonly values?: readonly string[];
  /** Range of an integer. */
  readonly min?: number;
  readonly max?: number;
  /** Placeholder in help text. */
  readonly meta?: string;
  /** A boolean that `update` can turn off with `--no-<flag>`. */
  readonly negatable?: boolean;
}

/** Every job option except `id`, by its `JobInput` name. */
export const JOB_FIELDS: Readonly<Record<string, JobField>> = {
  schedule: { kind: "string", meta: "SPEC" },
  cmd: { kind: "string", meta: "CMD" },
  module: { kind: "string", meta: "PATH" },
  tz: { kind: "zone", meta: "TZ" },
  domAndDow: { kind: "boolean", negatable: true },
  cwd: { kind: "string", meta: "DIR" },
  env: { kind: "env", meta: "K=V" },
  inheritEnv: { kind: "boolean", negatable: true },
  permissions: { kind: "permissions" },
  overlap: { kind: "choice", values: ["skip", "queue", "allow", "replace"] },
  catchup: { kind: "choice", values: ["latest", "all", "none"] },
  catchupWindow: { kind: "duration", meta: "DUR" },
  catchupMax: { kind: "integer", min: 1, max: 10_000, meta: "N" },
  timeout: { kind: "duration", meta: "DUR" },
  retries: { kind: "integer", min: 0, max: 100, meta: "N" },
  backoff: { kind: "duration", meta: "DUR" },
  backoffMax: { kind: "duration", meta: "DUR" },
  jitter: { kind: "duration", meta: "DUR" },
  maxRuns: { kind: "integer", min: 1, max: Number.MAX_SAFE_INTEGER, meta: "N" },
  startAt: { kind: "instant", meta: "T" },
  endAt: { kind: "instant", meta: "T" },
  recover: { kind: "choice", values: ["abandon", "rerun"] },
  paused: { kind: "boolean" },
};

/** `catchupWindow` → `catchup-window`. */
export function flagName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `deno run`'s short names of permission flags. */
const PERMISSION_SHORT: Readonly<Record<string, string>> = {
  "allow-read": "R",
  "allow-write": "W",
  "allow-net": "N",
  "allow-env": "E",
  "allow-sys": "S",
  "allow-import": "I",
};

/**
 * The permission flags of `add` and `update`, as `deno run` has them
 * (`--allow-<kind>[=…]`, `--deny-<kind>[=…]`, `-A`/`--allow-all`), plus
 * `--no-permissions`.
 */
export function permissionFlagSpecs(): Record<string, FlagSpec> {
  const flags: Record<string, FlagSpec> = {};
  for (const mode of ["allow", "deny"]) {
    for (const kind of PERMISSION_KINDS) {
      const name = `${mode}-${kind}`;
      const short = PERMISSION_SHORT[name];
      flags[name] = {
        type: "string",
        optionalValue: true,
        ...(short ? { short } : {}),
      };
    }
  }
  flags["allow-all"] = { type: "boolean", short: "A" };
  flags["no-permissions"] = { type: "boolean" };
  return flags;
}

/** The flags of `add` and `update`, by flag name. */
export function jobFlags(): Record<string, FlagSpec> {
  const flags: Record<string, FlagSpec> = {};
  for (const [field, spec] of Object.entries(JOB_FIELDS)) {
    if (spec.kind === "permissions") {
      Object.assign(flags, permissionFlagSpecs());
      continue;
    }
    flags[flagName(field)] = spec.kind === "boolean"
      ? { type: "boolean" }
      : spec.kind === "env"
      ? { type: "string", multiple: true }
      : { type: "string" };
    if (spec.negatable) flags[`no-${flagName(field)}`] = { type: "boolean" };
  }
  return flags;
}

/** The placeholder of a field in help text (`DUR`, `skip|queue|…`). */
export function fieldMeta(field: string): string {
  const spec = JOB_FIELDS[field]!;
  return spec.meta ?? spec.values?.join("|") ?? "";
}

/**
 * Checks one value of a jobs file (JSON) and returns it as `JobInput`
 * takes it. Durations may be text (`"30s"`) or whole milliseconds.
 *
 * @throws {Error} A message naming the problem (the caller names the field).
 */
export function checkJsonValue(field: string, value: unknown): unknown {
  const spec = JOB_FIELDS[field]!;
  switch (spec.kind) {
    case "string":
      if (typeof value !== "string" || value.trim() === "") {
        throw new Error(`expected a non-empty string: received ${show(value)}`);
      }
      return value;
    case "zone":
      if (typeof value !== "string") {
        throw new Error(`expected a time zone name: received ${show(value)}`);
      }
      return checkZone(value);
    case "choice":
      if (typeof value !== "string" || !spec.values!.includes(value)) {
        throw new Error(
          `expected one of ${spec.values!.join(", ")}: received ${show(value)}`,
        );
      }
      return value;
    case "duration":
      if (typeof value === "number") {
        if (!Number.isSafeInteger(value) || value < 0) {
          throw new Error(
            `expected a duration ("30s") or whole milliseconds: received ${value}`,
          );
        }
        return value;
      }
      if (typeof value !== "string") {
        throw new Error(`expected a duration ("30s"): received ${show(value)}`);
      }
      parseDuration(value);
      return value;
    case "integer":
      if (
        typeof value !== "number" || !Number.isSafeInteger(value) ||
        value < spec.min! || value > spec.max!
      ) {
        throw new Error(
          `expected an integer from ${spec.min} to ${spec.max}: received ${
            show(value)
          }`,
        );
      }
      return value;
    case "instant":
      if (typeof value !== "string" && typeof value !== "number") {
        throw new Error(
          `expected an instant ("2026-12-01T09:00:00Z"): received ${
            show(value)
          }`,
        );
      }
      return value;
    case "boolean":
      if (typeof value !== "boolean") {
        throw new Error(`expected true or false: received ${show(value)}`);
      }
      return value;
    case "env":
      return checkEnv(value);
    case "permissions":
      return checkPermissions(value, {
        fail: (message) => {
          throw new Error(message);
        },
        name: (path) => path ? `"${path}"` : "the value",
      }) ?? {};
  }
}

function checkEnv(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`expected an object of strings: received ${show(value)}`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new Error(`bad variable name ${JSON.stringify(key)}`);
    }
    // The value may be a secret: name the key only.
    if (typeof v !== "string") {
      throw new Error(`the value of ${JSON.stringify(key)} must be a string`);
    }
  }
  return { ...value as Record<string, string> };
}

/**
 * Checks an IANA time zone name.
 *
 * @throws {Error} `not an IANA time zone`.
 */
export function checkZone(tz: string): string {
  try {
    parseSchedule("every 1m", { tz, now: 0 });
    return tz;
  } catch {
    throw new Error(
      `not an IANA time zone (e.g. Europe/Berlin): received ${show(tz)}`,
    );
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? text.slice(0, 59) + "…" : text;
}

/** The closest known field name, for "did you mean". */
export function closestField(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of ["id", ...Object.keys(JOB_FIELDS)]) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(
        row[j]! + 1,
        row[j - 1]! + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return row[b.length]!;
}
