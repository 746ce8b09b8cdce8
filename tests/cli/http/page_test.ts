// The status page in a real browser (Debian's chromium, driven by
// puppeteer-core), beside a real `tock start --http` on a file store: the
// jobs table lists the jobs, a run shows on the timeline through the event
// stream within 2 s of its start, "Run now" works with the token and is refused
// without it, and user text (a command, a pause note) renders as text.
// A screenshot goes to a temp dir of its own (the path is printed); with
// TOCK_SCREENSHOT set (`deno task screenshot`) also to that path.
// deno-lint-ignore-file no-console
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { cli, cliJson, tempDir } from "../_run.ts";
import { waitFor } from "../e2e/_cli.ts";
import { served } from "./_serve.ts";
import {
  chromiumPath,
  NO_CHROMIUM,
  openBrowser,
  type Page,
  waitForText,
} from "./_browser.ts";

type Json = Record<string, unknown>;
const realNow = () => Date.now();
const TOKEN = "page-t0k";
const SCRIPT = `echo '<script>window.__pwned = 1</script>'`;
const NOTE = `<img src=x onerror="window.__pwned = 2"> maintenance`;

/** Evaluates an expression in the page (a string: no DOM types here). */
function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

Deno.test({
  name:
    "the status page: jobs, live timeline, Run now with the token only, user text as text",
  // CI installs chromium (.ci/run): there, a missing browser fails.
  ignore: chromiumPath() === undefined && Deno.env.get("CI") === undefined,
  async fn() {
    ok(chromiumPath() !== undefined, NO_CHROMIUM);
    await using dir = await tempDir();
    const s = ["--store", `${dir.path}/store`];
    const opts = { now: realNow };
    const add = async (...args: string[]) => {
      const r = await cli(["add", ...args, ...s], opts);
      equal(r.code, 0, r.stderr);
    };
    await add("tick", "--schedule", "every 1s", "--cmd", "echo tick");
    // Runs 1.5 s: its bar shows while it runs.
    await add(
      "manual",
      ...["--schedule", "@yearly", "--cmd", "echo by hand; sleep 1.5"],
    );
    await add("xss", "--schedule", "@yearly", "--cmd", SCRIPT);
    // Each first attempt fails: its runs are two segments.
    await add(
      "flaky",
      ...["--schedule", "every 2s", "--retries", "1", "--backoff", "300ms"],
      ...["--cmd", `[ "$TOCK_ATTEMPT" -ge 2 ] || exit 1`],
    );
    // Longer than its period: every other slot is skipped.
    await add("slow", "--schedule", "every 1s", "--cmd", "sleep 1.5");
    // Paused: its slots are one growing range of skipped slots.
    await add("held", "--schedule", "every 1s", "--cmd", "true");
    equal((await cli(["pause", "held", ...s], opts)).code, 0);
    equal((await cli(["pause", "xss", "--note", NOTE, ...s], opts)).code, 0);
    const began = Date.now();
    await using daemon = await served(
      ["start", "--http", "127.0.0.1:0", "--http-token", TOKEN, ...s],
      opts,
    );
    await using browser = await openBrowser();
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("console", (m) => {
      // The refused "Run now" below is a 401 on purpose.
      if (m.type() === "error" && !/status of 401/.test(m.text())) {
        problems.push(m.text());
      }
    });
    await page.setViewport({ width: 1280, height: 900 });
    const response = await page.goto(daemon.url);
    match(
      response?.headers()["content-security-policy"] ?? "",
      /default-src 'self'/,
    );

    // The jobs table lists every job, with its schedule in words.
    await page.waitForSelector('#jobs tr[data-job="tick"]');
    const ids = await inPage<string[]>(
      page,
      `[...document.querySelectorAll("#jobs tbody tr")].map((tr) => tr.dataset.job)`,
    );
    deepEqual(ids, ["flaky", "held", "manual", "slow", "tick", "xss"]);
    const tickRow = await inPage<string>(
      page,
      `document.querySelector('#jobs tr[data-job="tick"]').textContent`,
    );
    match(tickRow, /every second/);
    await waitForText(page, "#live", "live");

    // User text is text: the command and the note show as written, and
    // neither ran.
    const xssRow = await inPage<string>(
      page,
      `document.querySelector('#jobs tr[data-job="xss"]').textContent`,
    );
    ok(xssRow.includes("<script>window.__pwned = 1</script>"), xssRow);
    ok(xssRow.includes(NOTE), xssRow);
    equal(await inPage(page, "typeof window.__pwned"), "undefined");
    equal(
      await inPage(page, `document.querySelectorAll("main img").length`),
      0,
    );

    // Runs of `tick` are on the timeline, with the lock strip beside them.
    await page.waitForSelector('#timeline g.run-bar[data-job="tick"]', {
      timeout: 10_000,
    });
    await page.waitForSelector("#timeline rect.hold", { timeout: 10_000 });
    // Retries are segments of one bar; skipped slots are marks.
    await page.waitForSelector(
      '#timeline g.run-bar[data-job="flaky"] rect[data-attempt="2"]',
      { timeout: 10_000 },
    );
    await page.waitForSelector('#timeline g.mark[data-outcome="skipped"]', {
      timeout: 10_000,
    });
    await page.waitForSelector("#instances tbody tr td span.alive");

    // Run now without the token: refused, and no run happens.
    await page.goto(`${daemon.url}/#/jobs/manual`);
    await page.waitForSelector("#job-view:not([hidden])");
    await page.click('button[data-action="run"]');
    await page.waitForFunction(
      `document.querySelector("#message")?.textContent.startsWith("Refused")`,
    );
    const history = () =>
      cliJson<Json[]>(["history", "manual", "--json", ...s], opts);
    deepEqual(await history(), []);

    // With the token it runs. Its bar shows on the overview, running,
    // within 2 s of its start: the claim's commit reaches the page through
    // the event stream (the page never polls).
    await page.type("#token", TOKEN);
    await page.click('button[data-action="run"]');
    await page.waitForFunction(
      `document.querySelector("#message")?.textContent.startsWith("Run now: queued")`,
    );
    await page.goto(`${daemon.url}/#/`);
    await page.waitForSelector(
      '#overview:not([hidden]) g.run-bar[data-job="manual"][data-outcome="running"]',
      { timeout: 10_000 },
    );
    const seenAt = Date.now();
    const run = await waitFor(
      async () =>
        (await history()).find((e) =>
          e.outcome === "succeeded" && e.trigger === "manual"
        ),
      { what: "the manual run to finish" },
    );
    const lag = seenAt - Date.parse(run.startedAt as string);
    ok(lag <= 2_000, `the run showed ${lag} ms after its start`);
    // Once finished, its bar says so.
    await page.waitForSelector(
      `#timeline g.run-bar[data-run="${run.runId}"][data-outcome="succeeded"]`,
      { timeout: 2_000 },
    );
    // The job's page shows its log.
    await page.goto(`${daemon.url}/#/jobs/manual`);
    await page.waitForSelector(`#logs details[data-run="${run.runId}"]`);
    ok(
      (await inPage<string>(
        page,
        `document.querySelector("#logs").textContent`,
      ))
        .includes("by hand"),
    );

    // A job's history: a range of skipped slots expands to its slots, and
    // stays expanded (read again) while live updates grow it.
    await page.goto(`${daemon.url}/#/jobs/held`);
    await page.waitForSelector("#history details summary");
    // Clicked in the page at once: live updates redraw the list meanwhile.
    await inPage(
      page,
      `document.querySelector("#history details summary").click()`,
    );
    await page.waitForSelector("#history details[open] .range-slots li");
    const listed = () =>
      inPage<number>(
        page,
        `document.querySelectorAll("#history details[open] .range-slots li").length`,
      );
    const before = await listed();
    await page.waitForFunction(
      `document.querySelectorAll("#history details[open] .range-slots li").length > ${before}`,
      { timeout: 10_000 },
    );
    ok((await listed()) > before);
    // Its next slots are listed.
    await page.waitForSelector("#next tbody tr");

    // The overview, zoomed to the last minute, for the screenshot (for the
    // docs' one, once the jobs have run for 40 s).
    const out = Deno.env.get("TOCK_SCREENSHOT");
    if (out) {
      await new Promise((r) => setTimeout(r, 40_000 - (Date.now() - began)));
    }
    await page.goto(`${daemon.url}/#/`);
    await page.waitForSelector("#overview:not([hidden])");
    await page.click('#zoom button[data-minutes="1"]');
    await page.waitForSelector(
      '#zoom button[data-minutes="1"][aria-pressed="true"]',
    );
    await page.waitForSelector('#timeline g.run-bar[data-job="manual"]');
    // Kept after the test (the path is printed) for a reader to look at.
    const shots = await Deno.makeTempDir({ prefix: "tock_page_" });
    const shot = `${shots}/status_page.png`;
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
    if (out) await Deno.copyFile(shot, out);
    deepEqual(problems, []);
  },
});
