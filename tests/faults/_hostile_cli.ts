// Arbitraries of hostile command lines and jobs files for `tock`: mostly
// sensible ones (a command, its positionals, its own flags, a valid job)
// with one thing broken, and fully random ones.
import fc from "fast-check";
import { COMMANDS } from "../../src/cli/main.ts";
import {
  bigNumbers,
  flagValue,
  instant,
  jobId,
  junk,
  nearDate,
  nearDuration,
  nearSchedule,
  plausibleSchedule,
  validCron,
  validDate,
  validDuration,
  zone,
} from "./_hostile_text.ts";

/**
 * Commands that only read or queue: nothing they accept runs a job (and
 * `serve`, which reads, is left out: it runs until stopped).
 */
export const SAFE_COMMANDS: readonly string[] = COMMANDS
  .map((c) => c.name)
  .filter((name) => name !== "start" && name !== "tick" && name !== "serve");

const FLAGS: readonly string[] = [
  ...new Set(COMMANDS.flatMap((c) => Object.keys(c.flags))),
].filter((f) => f !== "store").map((f) => `--${f}`);

/** A flag: a known one (of any command), an unknown one, or junk. */
export const flag: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...FLAGS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "--nope",
      "-x",
      "-",
      "--",
      "---json",
      "--JSON",
      "--help",
      "-h",
      "-hh",
      "--no-json",
      "--json=true",
      "--count=",
      "--tz=",
    ),
  },
  { weight: 1, arbitrary: junk.map((s) => `--${s}`) },
);

const EXISTING = ["alpha", "beta", "gamma"];

/** An id that usually names a job of the seeded store. */
const someId: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...EXISTING) },
  { weight: 1, arbitrary: jobId },
);

const integerText = (min: number, max: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min, max }).map(String) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom(
          String(min - 1),
          String(max + 1),
          ...bigNumbers,
          " 5",
          "+5",
        ),
        junk,
      ),
    },
  );

/** Values for each flag: mostly plausible, sometimes hostile. */
const FLAG_VALUES: Readonly<Record<string, fc.Arbitrary<string>>> = {
  schedule: plausibleSchedule,
  cmd: fc.oneof(fc.constant("true"), junk),
  module: fc.oneof(fc.constant("./job.ts"), junk),
  tz: fc.oneof({ weight: 2, arbitrary: fc.constant("Europe/Berlin") }, {
    weight: 1,
    arbitrary: zone,
  }),
  cwd: fc.oneof(fc.constant("work"), junk),
  env: fc.oneof(
    fc.constantFrom("K=V", "A_1=x=y", "EMPTY=", "=V", "1K=V", "K V", "K"),
    junk,
  ),
  overlap: fc.oneof(
    fc.constantFrom("skip", "queue", "allow", "replace", "SKIP"),
    junk,
  ),
  catchup: fc.oneof(fc.constantFrom("latest", "all", "none"), junk),
  recover: fc.oneof(fc.constantFrom("abandon", "rerun"), junk),
  "catchup-window": nearDuration,
  "catchup-max": integerText(1, 10_000),
  timeout: nearDuration,
  retries: integerText(0, 100),
  backoff: nearDuration,
  "backoff-max": nearDuration,
  jitter: nearDuration,
  "max-runs": integerText(1, 1000),
  "start-at": instant,
  "end-at": instant,
  from: instant,
  to: instant,
  note: junk,
  count: integerText(1, 1000),
  limit: integerText(1, 10_000),
  run: fc.oneof(fc.constant("run-x"), junk),
};

/** Positional arguments of each command. */
const POSITIONALS: Readonly<Record<string, fc.Arbitrary<string[]>>> = {
  add: jobId.map((id) => [id]),
  update: someId.map((id) => [id]),
  remove: someId.map((id) => [id]),
  pause: someId.map((id) => [id]),
  resume: someId.map((id) => [id]),
  trigger: someId.map((id) => [id]),
  backfill: someId.map((id) => [id]),
  show: someId.map((id) => [id]),
  logs: someId.map((id) => [id]),
  history: fc.option(someId).map((id) => id === null ? [] : [id]),
  next: fc.oneof(plausibleSchedule, someId).map((spec) => [spec]),
  list: fc.constant([]),
  status: fc.constant([]),
};

/** One of a command's own flags, with a value for it. */
function ownFlag(name: string): fc.Arbitrary<string[]> {
  const command = COMMANDS.find((c) => c.name === name)!;
  const names = Object.keys(command.flags).filter((f) => f !== "help");
  if (names.length === 0) return fc.constant([]);
  return fc.constantFrom(...names).chain((flag) => {
    if (command.flags[flag]!.type === "boolean") {
      return fc.constant([`--${flag}`]);
    }
    const value = FLAG_VALUES[flag] ?? junk;
    return fc.oneof(
      { weight: 4, arbitrary: value.map((v) => [`--${flag}`, v]) },
      { weight: 1, arbitrary: value.map((v) => [`--${flag}=${v}`]) },
    );
  });
}

/**
 * A command line after `tock --store DIR` that mostly makes sense: a
 * command, its positionals and its own flags with plausible values; then,
 * sometimes, a token dropped or a hostile one inserted.
 */
export const commandLine: fc.Arbitrary<string[]> = fc.constantFrom(
  ...SAFE_COMMANDS,
).chain((name) =>
  fc.tuple(
    POSITIONALS[name] ?? fc.constant([]),
    fc.array(ownFlag(name), { maxLength: 3 }),
    name === "add"
      ? fc.tuple(plausibleSchedule, fc.constantFrom("--cmd", "--module"))
        .map(([spec, target]) => [
          "--schedule",
          spec,
          target,
          target === "--cmd" ? "true" : "./job.ts",
        ])
      : fc.constant([]),
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(null) },
      {
        weight: 1,
        arbitrary: fc.tuple(fc.nat(), fc.oneof(flag, flagValue)).map((
          [at, token],
        ) => ({ at, token })),
      },
      { weight: 1, arbitrary: fc.nat().map((at) => ({ at, token: null })) },
    ),
  ).map(([positional, flags, required, mutation]) => {
    const rest = [...positional, ...required, ...flags.flat()];
    if (mutation) {
      const at = rest.length === 0 ? 0 : mutation.at % (rest.length + 1);
      if (mutation.token === null) rest.splice(at, 1);
      else rest.splice(at, 0, mutation.token);
    }
    return [name, ...rest];
  })
).filter((args) => !args.some((a) => a.startsWith("--store")));

/**
 * A command line after `tock --store DIR`: a command (never `start` or
 * `tick`, which would run jobs) and random flags and values. No argument
 * names the store: every list runs on the test's store.
 */
export const argList: fc.Arbitrary<string[]> = fc.tuple(
  fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...SAFE_COMMANDS) },
    { weight: 1, arbitrary: fc.constant("help") },
    { weight: 1, arbitrary: junk },
  ),
  fc.array(
    fc.oneof(
      { weight: 4, arbitrary: fc.tuple(flag, flagValue) },
      { weight: 2, arbitrary: flag.map((f) => [f]) },
      {
        weight: 1,
        arbitrary: fc.tuple(flag, flagValue).map(([f, v]) => [`${f}=${v}`]),
      },
      { weight: 2, arbitrary: jobId.map((id) => [id]) },
      { weight: 1, arbitrary: nearSchedule.map((s) => [s]) },
    ),
    { maxLength: 6 },
  ),
).map(([command, rest]) => [
  command === "start" || command === "tick" ? "list" : command,
  ...rest.flat(),
]).filter((args) => !args.some((a) => a.startsWith("--store")));

const jsonJunk: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    null,
    true,
    0,
    -1,
    1.5,
    1e16,
    -1e16,
    Number.MAX_SAFE_INTEGER,
    "",
    [],
    {},
  ),
);

/** The optional fields of a valid job, with valid values. */
const validFields = fc.record({
  tz: fc.constantFrom("UTC", "Europe/Berlin", "America/New_York"),
  overlap: fc.constantFrom("skip", "queue", "allow", "replace"),
  catchup: fc.constantFrom("latest", "all", "none"),
  catchupWindow: fc.oneof(validDuration, fc.integer({ min: 1, max: 1e9 })),
  catchupMax: fc.integer({ min: 1, max: 10_000 }),
  timeout: validDuration,
  retries: fc.integer({ min: 0, max: 100 }),
  backoff: validDuration,
  jitter: validDuration,
  maxRuns: fc.integer({ min: 1, max: 10 }),
  startAt: fc.oneof(validDate, fc.constant("in 10m")),
  endAt: validDate,
  recover: fc.constantFrom("abandon", "rerun"),
  paused: fc.boolean(),
  env: fc.dictionary(fc.constantFrom("A", "B_2", "_X"), fc.string(), {
    maxKeys: 2,
  }),
}, { requiredKeys: [] });

/** Every way one field of a job can be broken. */
const FIELDS = [
  "id",
  "schedule",
  "cmd",
  "module",
  "tz",
  "overlap",
  "catchup",
  "catchupWindow",
  "catchupMax",
  "timeout",
  "retries",
  "backoff",
  "jitter",
  "maxRuns",
  "startAt",
  "endAt",
  "recover",
  "paused",
  "env",
  "cwd",
  "run",
  "colour",
  "Schedule",
  "__proto__",
];

function mutation(
  fields: readonly string[],
): fc.Arbitrary<(job: Record<string, unknown>) => void> {
  return fc.oneof(
    fc.tuple(
      fc.constantFrom(...fields),
      fc.oneof(
        jsonJunk,
        junk,
        nearSchedule,
        nearDuration,
        nearDate,
        zone,
        jobId,
      ),
    ).map(([field, value]) => (job: Record<string, unknown>) => {
      Object.defineProperty(job, field, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }),
    fc.constantFrom(...fields).map((field) => (job: Record<string, unknown>) =>
      void delete job[field]
    ),
  );
}

/**
 * One job of a jobs file: a valid job with harmless targets (`true`, `:`),
 * then none, one or two broken, missing or unknown fields (of `fields`:
 * leave out `cmd`, `module` and `cwd` where the job may run).
 */
export function jobEntryOf(fields: readonly string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 9,
      arbitrary: fc.tuple(
        fc.oneof({ weight: 4, arbitrary: validId() }, {
          weight: 1,
          arbitrary: jobId,
        }),
        fc.oneof(
          { weight: 3, arbitrary: validCron },
          { weight: 1, arbitrary: validDuration.map((d) => `every ${d}`) },
          { weight: 1, arbitrary: nearSchedule },
        ),
        fc.constantFrom("true", ":"),
        validFields,
        fc.array(mutation(fields), { maxLength: 2 }),
      ).map(([id, schedule, cmd, fields, mutations]) => {
        const job: Record<string, unknown> = { id, schedule, cmd, ...fields };
        for (const mutate of mutations) mutate(job);
        return job;
      }),
    },
    { weight: 1, arbitrary: jsonJunk },
  );
}

/** A job of a jobs file, any field of which may be broken. */
export const jobEntry: fc.Arbitrary<unknown> = jobEntryOf(FIELDS);

/** A job of a jobs file whose target stays harmless (`true`, `:`). */
export const safeJobEntry: fc.Arbitrary<unknown> = jobEntryOf(
  FIELDS.filter((f) => !["cmd", "module", "cwd"].includes(f)),
);

function validId(): fc.Arbitrary<string> {
  return fc.stringMatching(/^[a-z][a-z0-9._-]{0,8}$/);
}

/** The text of a jobs file: usually `{"jobs": [...]}`, sometimes not. */
export function jobsFileOf(entry: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc.tuple(
        fc.array(entry, { maxLength: 4 }),
        fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
        fc.oneof(
          { weight: 9, arbitrary: fc.constant(null) },
          {
            weight: 1,
            arbitrary: fc.dictionary(junk, jsonJunk, {
              minKeys: 1,
              maxKeys: 1,
            }),
          },
        ),
      ).map(([jobs, duplicate, extra]) =>
        JSON.stringify({
          jobs: duplicate && jobs.length > 0 ? [...jobs, jobs[0]] : jobs,
          ...(extra ?? {}),
        })
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        junk,
        fc.constantFrom('{"jobs": [', "{", "", "\uFEFF{}", '{"jobs": null}'),
      ),
    },
  );
}

/** Jobs files whose jobs may have any field broken. */
export const jobsFileText: fc.Arbitrary<string> = jobsFileOf(jobEntry);

/** Jobs files whose jobs, if valid, run only `true` or `:`. */
export const safeJobsFileText: fc.Arbitrary<string> = jobsFileOf(safeJobEntry);
