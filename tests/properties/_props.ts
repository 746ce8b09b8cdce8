// `deno task test:props`: every property test in this folder (PostgreSQL
// included, and required) with TOCK_PROPERTY_RUNS runs each, 2000 unless the
// variable says otherwise. Deno's task shell has no `${VAR:-default}` (it
// passes that text on as it is), so the default is applied here. Arguments
// go on to `deno test`: `deno task test:props --filter G1`.
import { parsePropertyRuns } from "./_runs.ts";

/** Runs per property when TOCK_PROPERTY_RUNS is not set. */
const DEFAULT_RUNS = 2000;

let runs: number;
try {
  runs = parsePropertyRuns(Deno.env.get("TOCK_PROPERTY_RUNS")) ??
    DEFAULT_RUNS;
} catch (error) {
  await Deno.stderr.write(
    new TextEncoder().encode(`${(error as Error).message}\n`),
  );
  Deno.exit(2);
}

const { code } = await new Deno.Command(Deno.execPath(), {
  args: [
    "test",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    "--allow-net=127.0.0.1,localhost",
    ...Deno.args,
    import.meta.dirname!,
  ],
  env: { TOCK_PROPERTY_RUNS: String(runs), TOCK_TEST_POSTGRES_REQUIRED: "1" },
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn().status;
Deno.exit(code);
