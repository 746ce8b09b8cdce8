// The run counts of property tests (`_runs.ts`) and `deno task test:props`
// (`_props.ts`), which must hand its count to every test. The environment is
// shared by test files running in parallel, so these tests read variables
// they set only in child processes.
import assert from "node:assert/strict";
import { parsePropertyRuns, propertyParams, propertyRuns } from "./_runs.ts";

const ROOT = new URL("../../", import.meta.url);
const RUNS_MODULE = new URL("./_runs.ts", import.meta.url).href;
const PROBE = "TOCK_PROPERTY_PROBE";
const PROBE_TEST = "propertyRuns() probe";

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** Runs `deno` with these variables set (a value `undefined` unsets one). */
async function deno(
  args: string[],
  vars: Record<string, string | undefined>,
): Promise<{ code: number; out: string }> {
  const base: Record<string, string> = {
    ...Deno.env.toObject(),
    NO_COLOR: "1",
  };
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    clearEnv: true,
    env: base,
    stdin: "null",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, out: decode(stdout) + decode(stderr) };
}

Deno.test("parsePropertyRuns() accepts positive integers only", () => {
  assert.equal(parsePropertyRuns(undefined), undefined);
  assert.equal(parsePropertyRuns("1"), 1);
  assert.equal(parsePropertyRuns("2000"), 2000);
  for (
    const bad of [
      "",
      "0",
      "-5",
      "2.5",
      "1e3",
      " 3",
      "abc",
      "${TOCK_PROPERTY_RUNS:-2000}",
      "99999999999999999999",
    ]
  ) {
    assert.throws(
      () => parsePropertyRuns(bad),
      (error: unknown) =>
        error instanceof RangeError &&
        error.message ===
          `Cannot run property tests as TOCK_PROPERTY_RUNS must be a positive integer: received ${
            JSON.stringify(bad)
          }`,
      bad,
    );
  }
});

Deno.test("propertyRuns() and propertyParams() read the environment and throw on a value they cannot read", async () => {
  // Each case in a child process of its own, with its own environment.
  const cases: [Record<string, string | undefined>, string][] = [
    [{}, `{"numRuns":7}`],
    [{ TOCK_PROPERTY_RUNS: "3" }, `{"numRuns":3}`],
    [
      { TOCK_PROPERTY_RUNS: "3", TOCK_PROPERTY_SEED: "-42" },
      `{"numRuns":3,"seed":-42}`,
    ],
    [
      { TOCK_PROPERTY_RUNS: "${TOCK_PROPERTY_RUNS:-2000}" },
      `RangeError: Cannot run property tests as TOCK_PROPERTY_RUNS must be a positive integer: received "\${TOCK_PROPERTY_RUNS:-2000}"`,
    ],
    [
      { TOCK_PROPERTY_RUNS: "0" },
      `RangeError: Cannot run property tests as TOCK_PROPERTY_RUNS must be a positive integer: received "0"`,
    ],
    [
      { TOCK_PROPERTY_SEED: "seed" },
      `RangeError: Cannot replay property tests as TOCK_PROPERTY_SEED must be an integer: received "seed"`,
    ],
  ];
  const code = `
    import { propertyParams, propertyRuns } from ${JSON.stringify(RUNS_MODULE)};
    try {
      if (propertyRuns(7) !== propertyParams(7).numRuns) throw new Error("differ");
      await Deno.stdout.write(new TextEncoder().encode(
        JSON.stringify(propertyParams(7))));
    } catch (e) {
      await Deno.stdout.write(new TextEncoder().encode(\`\${e.name}: \${e.message}\`));
    }`;
  for (const [vars, expected] of cases) {
    const { code: exit, out } = await deno(["eval", code], {
      TOCK_PROPERTY_RUNS: undefined,
      TOCK_PROPERTY_SEED: undefined,
      ...vars,
    });
    assert.equal(exit, 0, out);
    assert.equal(out, expected, JSON.stringify(vars));
  }
});

// Run only inside `deno task test:props`, started by the test below.
Deno.test({
  name:
    `${PROBE_TEST}: the count deno task test:props passes reaches the tests`,
  ignore: env(PROBE) === undefined,
  fn() {
    assert.equal(propertyRuns(1), Number(env(PROBE)));
    assert.equal(propertyParams(1).numRuns, Number(env(PROBE)));
  },
});

Deno.test({
  name:
    "deno task test:props runs each property 2000 times, or TOCK_PROPERTY_RUNS times, and refuses a count it cannot read",
  // Inside the task's own run (where the probe is set) it would recurse.
  ignore: env(PROBE) !== undefined,
  async fn() {
    const task = ["task", "test:props", "--no-check", "--filter", PROBE_TEST];
    for (const [runs, expected] of [[undefined, "2000"], ["3", "3"]]) {
      const { code, out } = await deno(task, {
        TOCK_PROPERTY_RUNS: runs,
        TOCK_PROPERTY_SEED: undefined,
        [PROBE]: expected,
      });
      assert.equal(code, 0, out);
      assert.match(out, /ok \| 1 passed \| 0 failed/, out);
    }
    const { code, out } = await deno(task, { TOCK_PROPERTY_RUNS: "lots" });
    assert.equal(code, 2, out);
    assert.match(
      out,
      /^Cannot run property tests as TOCK_PROPERTY_RUNS must be a positive integer: received "lots"$/m,
    );
  },
});
