import { deepEqual, equal, throws } from "node:assert/strict";
import { defineJob } from "../../src/jobs/define_job.ts";

const NOW = Date.UTC(2026, 10, 29, 10, 0, 0);

Deno.test("defineJob() fills every default", () => {
  const spec = defineJob({ id: "a", schedule: "every 5m", run: "a" }, NOW);
  deepEqual(spec, {
    id: "a",
    schedule: "every 5m",
    tz: "UTC",
    target: { kind: "function", name: "a" },
    overlap: "skip",
    catchup: "latest",
    catchupWindowMs: 86_400_000,
    catchupMax: 100,
    retries: 0,
    backoffMs: 1000,
    backoffMaxMs: 300_000,
    recover: "abandon",
    jitterMs: 0,
  });
});

Deno.test("defineJob() rejects bad input with a one-line message naming it", async (t) => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["bad id", { id: "../x" }, /Cannot use job id "\.\.\/x"/],
    ["bad schedule", { schedule: "61 * * * *" }, /61 \* \* \* \*/],
    ["bad zone", { tz: "Mars/Base" }, /Mars\/Base/],
    [
      "bad policy",
      { overlap: "sometimes" },
      /'overlap' must be one of skip, queue, allow, replace: received "sometimes"/,
    ],
    ["bad duration", { timeout: "5x" }, /'timeout'.*"5x"/],
    ["two targets", { cmd: "true" }, /exactly one target/],
    ["no target", { run: undefined }, /exactly one target/],
    [
      "negative retries",
      { retries: -1 },
      /'retries' must be an integer from 0 to 100: received -1/,
    ],
    [
      "bad startAt",
      { startAt: "soon" },
      /'startAt' must be an instant: received "soon"/,
    ],
    [
      "end before start",
      { startAt: NOW + 10, endAt: NOW },
      /'endAt' must not be before 'startAt'/,
    ],
    [
      "one-shot in the past",
      { schedule: "2020-01-01T00:00:00Z" },
      /in the past/,
    ],
  ];
  for (const [name, patch, message] of cases) {
    await t.step(name, () => {
      throws(
        () =>
          defineJob(
            { id: "job", schedule: "* * * * *", run: "job", ...patch } as never,
            NOW,
          ),
        (error: Error) =>
          message.test(error.message) && !error.message.includes("\n"),
      );
    });
  }
});

Deno.test("defineJob() reads startAt without an offset in the job's zone", () => {
  const spec = defineJob({
    id: "a",
    schedule: "0 9 * * *",
    tz: "Europe/Berlin",
    startAt: "2026-12-01 09:00",
    run: "a",
  }, NOW);
  equal(new Date(spec.startAt!).toISOString(), "2026-12-01T08:00:00.000Z");
});

Deno.test("defineJob() refuses a NUL byte in cmd, cwd, module or env, naming the field", async (t) => {
  const command = { id: "job", schedule: "* * * * *", cmd: "true" };
  const cases: [string, Record<string, unknown>, string][] = [
    ["cmd", { cmd: "echo a\u0000b" }, "'cmd' must not contain a NUL byte"],
    ["cwd", { cwd: "/srv\u0000x" }, "'cwd' must not contain a NUL byte"],
    [
      "env value",
      { env: { TOKEN: "a\u0000b" } },
      `'env' value of "TOKEN" must not contain a NUL byte`,
    ],
    [
      "env name",
      { env: { "TO\u0000KEN": "x" } },
      `'env' name "TO\\u0000KEN" must not contain a NUL byte`,
    ],
    [
      "module",
      { cmd: undefined, module: "/srv/job\u0000.ts" },
      "'module' must not contain a NUL byte",
    ],
  ];
  for (const [name, patch, message] of cases) {
    await t.step(name, () => {
      throws(
        () => defineJob({ ...command, ...patch } as never, NOW),
        (error: Error) =>
          error instanceof TypeError &&
          error.message === `Cannot define job 'job': ${message}`,
      );
    });
  }
});

Deno.test("defineJob() keeps inheritEnv on command and module targets only, and only when true", async (t) => {
  const base = { id: "job", schedule: "* * * * *" };
  await t.step("true is kept on a command and a module", () => {
    deepEqual(
      defineJob({ ...base, cmd: "env", inheritEnv: true }, NOW).target,
      { kind: "command", cmd: "env", inheritEnv: true },
    );
    deepEqual(
      defineJob({ ...base, module: "/srv/job.ts", inheritEnv: true }, NOW)
        .target,
      { kind: "module", module: "/srv/job.ts", inheritEnv: true },
    );
  });
  await t.step("false is the default and is not stored", () => {
    deepEqual(
      defineJob({ ...base, cmd: "env", inheritEnv: false }, NOW).target,
      { kind: "command", cmd: "env" },
    );
  });
  await t.step("a function job refuses it", () => {
    throws(
      () => defineJob({ ...base, run: "f", inheritEnv: true }, NOW),
      (error: Error) =>
        error instanceof TypeError &&
        error.message ===
          "Cannot define job 'job': 'inheritEnv' applies to 'cmd' and 'module' jobs only",
    );
  });
  await t.step("a value that is not a boolean is refused", () => {
    throws(
      () => defineJob({ ...base, cmd: "env", inheritEnv: "yes" } as never, NOW),
      (error: Error) =>
        error.message ===
          "Cannot define job 'job': 'inheritEnv' must be true or false: received string",
    );
  });
});
