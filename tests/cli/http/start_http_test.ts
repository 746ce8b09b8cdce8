// `tock start --http`: the server beside a running daemon. Slow clients do
// not hold up claims, "run now" with the token makes a run, and /metrics
// carries the scheduler's start-lag and lock-hold histograms.
import { equal, match, ok } from "node:assert/strict";
import { cli, cliJson, tempDir } from "../_run.ts";
import { waitFor } from "../e2e/_cli.ts";
import { getJson, parseExposition, served } from "./_serve.ts";

type Json = Record<string, unknown>;
const realNow = () => Date.now();

Deno.test("tock start --http: prints the URL; slow clients never block the daemon's claims", async () => {
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  const opts = { now: realNow };
  for (
    const [id, schedule] of [["tick", "every 1s"], [
      "manual",
      "@yearly",
    ]] as const
  ) {
    const r = await cli(
      ["add", id, "--schedule", schedule, "--cmd", "true", ...s],
      opts,
    );
    equal(r.code, 0, r.stderr);
  }
  await using daemon = await served(
    ["start", "--http", "127.0.0.1:0", "--http-token", "t0k", ...s],
    opts,
  );
  ok(daemon.out.some((line) => line.includes(`http: serving ${daemon.url}`)));
  const port = Number(new URL(daemon.url).port);
  const runs = async () =>
    (await cliJson<Json[]>(["history", ...s], opts)).filter((e) =>
      e.outcome === "succeeded"
    );
  await waitFor(async () => (await runs()).length >= 1, { what: "a run" });

  // One client sends half a request and stops; another pipelines many
  // requests and never reads a byte of the answers.
  using half = await Deno.connect({ hostname: "127.0.0.1", port });
  await half.write(new TextEncoder().encode("GET /api/history HTTP/1.1\r\n"));
  using greedy = await Deno.connect({ hostname: "127.0.0.1", port });
  const request = "GET /api/history HTTP/1.1\r\nHost: x\r\n\r\n";
  await greedy.write(new TextEncoder().encode(request.repeat(200)));

  const before = (await runs()).length;
  await waitFor(async () => (await runs()).length >= before + 3, {
    what: "three more runs while the slow clients hang",
  });
  // Other clients are still answered, and "run now" makes a run.
  equal((await getJson(`${daemon.url}/api/status`)).status, 200);
  const run = await getJson(`${daemon.url}/api/jobs/manual/run`, {
    method: "POST",
    headers: { authorization: "Bearer t0k" },
  });
  equal(run.status, 200, JSON.stringify(run.body));
  const runId = (run.body as Json).runId;
  await waitFor(
    async () =>
      (await runs()).some((e) => e.runId === runId && e.trigger === "manual"),
    { what: "the run now to run" },
  );

  const text = await (await fetch(`${daemon.url}/metrics`)).text();
  const { samples } = parseExposition(text);
  const value = (name: string) =>
    samples.find((sample) => sample.name === name)?.value ?? 0;
  ok(value("tock_start_lag_seconds_count") >= 3, text);
  ok(value("tock_lock_hold_seconds_count") >= 3, text);
  ok(value("tock_claims_total") >= 4, text);
  equal(value("tock_instances_alive"), 1);
  const inf = samples.find((x) =>
    x.name === "tock_lock_hold_seconds_bucket" && x.labels.le === "+Inf"
  );
  equal(inf?.value, value("tock_lock_hold_seconds_count"));
  match(text, /tock_runs_total\{job="manual",outcome="succeeded"\} 1/);

  half.close();
  greedy.close();
  equal(await daemon.stop(), 0);
});
