// `tock serve --http`: real HTTP requests against a server on an ephemeral
// port, reading a real file store whose history a real `tock start` made.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { cli, cliJson, cliJson as cliJsonAt, tempDir } from "../_run.ts";
import { waitFor } from "../e2e/_cli.ts";
import { getJson, parseExposition, served } from "./_serve.ts";

type Json = Record<string, unknown>;
const realNow = () => Date.now();
const TOKEN = "s3cret-token";

/** A store with runs of every kind: succeeded, failed, and skipped slots. */
async function storeWithHistory(path: string): Promise<string[]> {
  const s = ["--store", path];
  const add = async (id: string, ...rest: string[]) => {
    const r = await cli(["add", id, "--schedule", "every 1s", ...rest, ...s], {
      now: realNow,
    });
    equal(r.code, 0, r.stderr);
  };
  await add(
    "ok",
    "--cmd",
    "echo '<script>alert(1)</script>'",
    "--env",
    "SECRET=hunter2",
  );
  await add("bad", "--cmd", "exit 3");
  await add("quiet", "--cmd", "true");
  const pause = await cli(
    ["pause", "quiet", "--note", "<script>alert(2)</script>", ...s],
    { now: realNow },
  );
  equal(pause.code, 0, pause.stderr);
  {
    await using daemon = await served(
      ["start", "--http", "127.0.0.1:0", ...s],
      { now: realNow },
    );
    await waitFor(async () => {
      const h = await cliJson<Json[]>(["history", ...s], { now: realNow });
      const outcomes = new Set(h.map((e) => e.outcome));
      return outcomes.has("succeeded") && outcomes.has("failed") &&
        outcomes.has("skipped");
    }, { what: "succeeded, failed and skipped slots" });
    equal(await daemon.stop(), 0);
  }
  return s;
}

Deno.test("tock serve --http: the API returns the CLI's --json, guards writes, and serves /metrics", async (t) => {
  await using dir = await tempDir();
  const s = await storeWithHistory(`${dir.path}/store`);
  // One "now" for the server and the CLI, so that status ages agree.
  const at = Date.now();
  const cliJson = <T = unknown>(args: string[]) =>
    cliJsonAt<T>(args, { now: () => at });
  await using server = await served(["serve", "--http", "127.0.0.1:0", ...s], {
    vars: { TOCK_HTTP_TOKEN: TOKEN },
    now: () => at,
  });
  const api = (path: string) => getJson(`${server.url}${path}`);
  match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);

  await t.step("API shapes equal the CLI's --json", async () => {
    const pairs: [string, string[]][] = [
      ["/api/jobs", ["list"]],
      ["/api/jobs/ok", ["show", "ok"]],
      ["/api/history", ["history"]],
      ["/api/history?job=bad&limit=2", ["history", "bad", "--limit", "2"]],
      ["/api/status", ["status"]],
      ["/api/logs/ok", ["logs", "ok"]],
      ["/api/logs/bad?limit=1", ["logs", "bad", "--limit", "1"]],
    ];
    for (const [path, args] of pairs) {
      const { status, body } = await api(path);
      equal(status, 200, path);
      deepEqual(body, await cliJson([...args, ...s]), path);
    }
  });

  await t.step("env values are never shown", async () => {
    const { body } = await api("/api/jobs/ok");
    deepEqual((body as { target: { env: unknown } }).target.env, ["SECRET"]);
    const text = await (await fetch(`${server.url}/api/jobs`)).text();
    ok(!text.includes("hunter2"), text);
  });

  await t.step(
    "every response sets CSP and nosniff; user text is JSON",
    async () => {
      for (
        const path of [
          "/api/jobs",
          "/metrics",
          "/nope",
          "/api/jobs/x%3Cscript%3E",
        ]
      ) {
        const r = await fetch(`${server.url}${path}`);
        await r.body?.cancel();
        const csp = r.headers.get("content-security-policy") ?? "";
        match(csp, /^default-src 'self';/);
        match(csp, /frame-ancestors 'none'/);
        equal(r.headers.get("x-content-type-options"), "nosniff");
      }
      const r = await fetch(`${server.url}/api/jobs/quiet`);
      equal(r.headers.get("content-type"), "application/json; charset=utf-8");
      const text = await r.text();
      // JSON text, never markup: the note comes back as a JSON string.
      ok(text.includes('"pauseNote":"<script>alert(2)</script>"'), text);
      equal((JSON.parse(text) as Json).pauseNote, "<script>alert(2)</script>");
      const bad = await api("/api/jobs/%3Cscript%3Ealert(1)%3C%2Fscript%3E");
      equal(bad.status, 400);
      match((bad.body as Json).error as string, /<script>alert\(1\)<\/script>/);
    },
  );

  await t.step(
    "the page: its files, with no markup from the store",
    async () => {
      const files: [string, RegExp][] = [
        ["/", /^text\/html/],
        ["/page.js", /^text\/javascript/],
        ["/page.css", /^text\/css/],
        ["/favicon.svg", /^image\/svg\+xml/],
      ];
      for (const [path, type] of files) {
        const r = await fetch(`${server.url}${path}`);
        equal(r.status, 200, path);
        match(r.headers.get("content-type") ?? "", type, path);
        const text = await r.text();
        ok(!text.includes("hunter2") && !text.includes("alert("), path);
      }
      const html = await (await fetch(`${server.url}/`)).text();
      match(html, /<script src="\/page\.js" defer><\/script>/);
      // The script builds nodes and text only.
      const script = await (await fetch(`${server.url}/page.js`)).text();
      ok(
        !/innerHTML|outerHTML|insertAdjacentHTML|document\.write/.test(script),
      );
    },
  );

  await t.step("a job's next slots and a range's slots", async () => {
    const next = await api("/api/jobs/ok/next?count=3");
    equal(next.status, 200);
    deepEqual(next.body, await cliJson(["next", "ok", "--count", "3", ...s]));
    const from = new Date(at - 3000).toISOString();
    const to = new Date(at - 1000).toISOString();
    const slots = await api(`/api/jobs/ok/slots?from=${from}&to=${to}`);
    equal(slots.status, 200);
    // "every 1s" from when the job was added: 2 s hold two or three.
    const found = (slots.body as { slots: string[]; more: boolean }).slots.map(
      Date.parse,
    );
    ok(found.length >= 2 && found.length <= 3, JSON.stringify(slots.body));
    ok(found.every((ms) => ms >= at - 3000 && ms <= at - 1000));
    ok(found.every((ms, i) => i === 0 || ms - found[i - 1]! === 1000));
    equal((slots.body as Json).more, false);
    const capped = await api(
      `/api/jobs/ok/slots?from=${from}&to=${to}&limit=1`,
    );
    equal((capped.body as Json).more, true);
    equal((await api("/api/jobs/ok/slots?from=x&to=y")).status, 400);
    equal((await api("/api/jobs/missing/next")).status, 404);
  });

  await t.step("the timeline: runs by outcome, skipped marks", async () => {
    const { status, body } = await api("/api/timeline?minutes=10");
    equal(status, 200);
    const timeline = body as {
      jobs: string[];
      runs: Json[];
      marks: Json[];
      holds: Json[];
    };
    deepEqual(timeline.jobs, ["bad", "ok", "quiet"]);
    const outcomes = new Set(timeline.runs.map((r) => `${r.job} ${r.outcome}`));
    ok(outcomes.has("ok succeeded") && outcomes.has("bad failed"));
    ok(
      timeline.marks.some((m) => m.job === "quiet" && m.outcome === "skipped"),
    );
    // Every run of the history inside the window is a bar.
    const history = await cliJson<Json[]>(["history", ...s]);
    const runIds = history.filter((e) => e.runId && e.startedAt).map((e) =>
      e.runId
    );
    deepEqual(
      new Set(timeline.runs.map((r) => r.runId)),
      new Set(runIds),
    );
    for (const bad of ["minutes=0", "minutes=1441", "minutes=x"]) {
      equal((await api(`/api/timeline?${bad}`)).status, 400, bad);
    }
  });

  await t.step("the event stream says when the store changes", async () => {
    const response = await fetch(`${server.url}/api/events`);
    match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended: ${text}`);
        text += value;
      }
    };
    await until(/event: open/);
    const paused = await getJson(`${server.url}/api/jobs/ok/pause`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    equal(paused.status, 200);
    await until(/event: change/);
    await reader.cancel();
    const resumed = await getJson(`${server.url}/api/jobs/ok/resume`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    equal(resumed.status, 200);
  });

  await t.step("the server says whether it takes writes", async () => {
    const { body } = await api("/api/server");
    equal((body as Json).writable, true);
    equal((body as Json).now, new Date(at).toISOString());
    equal((body as Json).looksDeadMs, 10_000);
  });

  await t.step(
    "bad input gets a one-line JSON error with 400 or 404",
    async () => {
      const cases: [string, number][] = [
        ["/api/jobs/missing", 404],
        ["/api/history?job=missing", 404],
        ["/api/logs/missing", 404],
        ["/api/history?limit=0", 400],
        ["/api/history?limit=abc", 400],
        ["/api/nothing", 404],
      ];
      for (const [path, status] of cases) {
        const r = await api(path);
        equal(r.status, status, path);
        equal(typeof (r.body as Json).error, "string", path);
        ok(!((r.body as Json).error as string).includes("\n"));
      }
    },
  );

  await t.step(
    "writes need the token, from the server's own origin",
    async () => {
      const post = (
        path: string,
        headers: Record<string, string>,
        body?: unknown,
      ) =>
        getJson(`${server.url}${path}`, {
          method: "POST",
          headers,
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      const auth = { authorization: `Bearer ${TOKEN}` };
      equal((await post("/api/jobs/quiet/resume", {})).status, 401);
      equal(
        (await post("/api/jobs/quiet/resume", { authorization: "Bearer nope" }))
          .status,
        401,
      );
      const cross = await post("/api/jobs/quiet/resume", {
        ...auth,
        origin: "http://evil.example",
      });
      equal(cross.status, 403);
      // Nothing changed.
      equal(((await api("/api/jobs/quiet")).body as Json).paused, true);

      const same = await post("/api/jobs/quiet/pause", {
        ...auth,
        origin: server.url,
      }, { note: "still" });
      equal(same.status, 200, JSON.stringify(same.body));
      equal((same.body as Json).pauseNote, "still");
      deepEqual(same.body, await cliJson(["show", "quiet", ...s]));

      const resumed = await post("/api/jobs/quiet/resume", auth);
      equal(resumed.status, 200);
      equal((resumed.body as Json).paused, false);

      const run = await post("/api/jobs/ok/run", auth);
      equal(run.status, 200);
      equal((run.body as Json).status, "queued");
      match((run.body as Json).runId as string, /^run-/);

      const from = new Date(at - 3000).toISOString();
      const to = new Date(at - 1000).toISOString();
      const backfill = await post("/api/jobs/bad/backfill", auth, { from, to });
      equal(backfill.status, 200, JSON.stringify(backfill.body));
      equal((backfill.body as Json).job, "bad");
      ok(((backfill.body as Json).slots as unknown[]).length >= 1);

      equal(
        (await post("/api/jobs/bad/backfill", auth, { from: "x" })).status,
        400,
      );
      equal((await post("/api/jobs/missing/run", auth)).status, 404);
      equal((await post("/api/jobs/ok/explode", auth)).status, 404);
    },
  );

  await t.step(
    "/metrics parses and its counts agree with history --json",
    async () => {
      const r = await fetch(`${server.url}/metrics`);
      match(
        r.headers.get("content-type") ?? "",
        /^text\/plain; version=0\.0\.4/,
      );
      const { types, samples } = parseExposition(await r.text());
      equal(types.get("tock_runs_total"), "counter");
      equal(types.get("tock_slots_total"), "counter");
      equal(types.get("tock_start_lag_seconds"), "histogram");
      equal(types.get("tock_lock_hold_seconds"), "histogram");
      equal(types.get("tock_instances_alive"), "gauge");
      equal(types.get("tock_runs_in_progress"), "gauge");
      equal(types.get("tock_claims_total"), "counter");
      const history = await cliJson<Json[]>(["history", ...s]);
      const expected = new Map<string, number>();
      for (const e of history) {
        const key = `${e.job} ${e.outcome}`;
        expected.set(
          key,
          (expected.get(key) ?? 0) + ((e.count as number) ?? 1),
        );
      }
      const got = new Map<string, number>();
      for (const sample of samples) {
        if (
          (sample.name === "tock_runs_total" ||
            sample.name === "tock_slots_total") && sample.value > 0
        ) {
          got.set(
            `${sample.labels.job} ${sample.labels.outcome}`,
            sample.value,
          );
        }
      }
      deepEqual(got, expected);
      ok(got.get("ok succeeded")! > 0 && got.get("bad failed")! > 0);
      ok(got.get("quiet skipped")! > 0);
    },
  );
});

Deno.test("tock serve --http: without a token the API is read-only (403)", async () => {
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  equal(
    (await cli(["add", "a", "--schedule", "@daily", "--cmd", "true", ...s]))
      .code,
    0,
  );
  await using server = await served(["serve", "--http", "0", ...s]);
  match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  for (const action of ["run", "pause", "resume", "backfill"]) {
    const r = await getJson(`${server.url}/api/jobs/a/${action}`, {
      method: "POST",
      headers: { authorization: "Bearer anything" },
    });
    equal(r.status, 403, action);
    match((r.body as Json).error as string, /read-only/);
  }
  equal((await cliJson<Json>(["show", "a", ...s])).paused, false);
  deepEqual(
    (await getJson(`${server.url}/api/jobs`)).body,
    await cliJson(["list", ...s]),
  );
});

Deno.test("tock serve --http: a taken port or a bad address is one line, exit 1 or 2", async () => {
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  await using first = await served(["serve", "--http", "0", ...s]);
  const port = new URL(first.url).port;
  const taken = await cli(["serve", "--http", port, ...s]);
  equal(taken.code, 1);
  match(taken.stderr, /^tock: Cannot serve HTTP on 127\.0\.0\.1:\d+: .+$/);
  const bad = await cli(["serve", "--http", "nowhere:", ...s]);
  equal(bad.code, 2);
  match(bad.stderr, /^tock: Invalid --http address/);
  const missing = await cli(["serve", ...s]);
  equal(missing.code, 2);
  equal(missing.stderr, "tock: Missing --http ADDR");
});
