// The cron forms of docs/schedules.md on the command line: `tock next` with
// DST notes for each, `--dom-and-dow` on add/update/next and in jobs files,
// `tock start` syncing such jobs, and one-line errors that change nothing.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { cli, cliJson, snapshot, tempDir } from "./_run.ts";

type Json = Record<string, unknown>;

function succeeded(result: { code: number; stdout: string; stderr: string }) {
  equal(result.code, 0, result.stderr);
  equal(result.stderr, "");
  return result.stdout;
}

// Israel springs forward on the Friday before the last Sunday of March, at
// 02:00 (29 March 2024: 02:00 IST is 03:00 IDT, at 00:00 UTC); Egypt at
// 00:00 on the last Friday of April (24 April 2026, at 22:00 UTC the 23rd).
const JERUSALEM = "Asia/Jerusalem";
const GAP_END = "2024-03-29T00:00:00.000Z";

Deno.test("tock next marks the DST gap for every new form", async (t) => {
  const now = () => Date.UTC(2024, 2, 20);
  const cases: [string, string[]][] = [
    ["30 2 LW 3 *", []],
    ["30 2 29W 3 *", []],
    ["30 2 L-2 3 *", []],
    ["30 2 * 3 5#L", []],
    ["30 2 * 3 FRI#L", []],
    ["30 2 * 3 1#1,5#L", []],
    ["0 30 2 29 3 * 2024-2030", []],
    ["30 2 29 3 +FRI", []],
    ["30 2 29 3 FRI", ["--dom-and-dow"]],
  ];
  for (const [spec, extra] of cases) {
    await t.step(`${spec} ${extra.join(" ")}`, async () => {
      const [slot] = await cliJson<Json[]>(
        ["next", spec, "--tz", JERUSALEM, "--count", "1", ...extra],
        { now },
      );
      equal(slot!.slot, GAP_END);
      equal(slot!.local, "2024-03-29 03:00:00 +03:00");
      // A 7-field schedule has seconds: so does its note.
      const [wall, at] = spec.split(" ").length === 7
        ? ["02:30:00", "03:00:00"]
        : ["02:30", "03:00"];
      deepEqual(slot!.dst, {
        kind: "gap",
        wall,
        date: "2024-03-29",
        message:
          `${wall} does not exist on 2024-03-29 in Asia/Jerusalem (DST gap): runs at ${at} instead`,
      });
    });
  }
  await t.step("@midnight in Cairo", async () => {
    const [slot] = await cliJson<Json[]>(
      ["next", "@midnight", "--tz", "Africa/Cairo", "--count", "1"],
      { now: () => Date.UTC(2026, 3, 23, 12) },
    );
    equal(slot!.slot, "2026-04-23T22:00:00.000Z");
    equal((slot!.dst as Json).wall, "00:00");
  });
  await t.step("a repeat longer than DST: Kwajalein, 1969", async () => {
    const text = succeeded(
      await cli([
        "next",
        "0 12 * * *",
        "--tz",
        "Pacific/Kwajalein",
        "--from",
        "1969-09-30T02:00:00Z",
        "--count",
        "1",
      ]),
    );
    match(
      text,
      /12:00 occurs twice on 1969-09-30 in Pacific\/Kwajalein \(the clock went back 23 h\): this is its second occurrence/,
    );
  });
});

Deno.test("tock add, show, update and next keep a job's --dom-and-dow", async () => {
  await using dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  succeeded(
    await cli([
      "add",
      "first-monday",
      "--schedule",
      "0 12 1-7 * MON",
      "--dom-and-dow",
      "--cmd",
      "true",
      ...s,
    ]),
  );
  const shown = await cliJson<Json>(["show", "first-monday", ...s]);
  equal(shown.domAndDow, true);
  match(
    succeeded(await cli(["show", "first-monday", ...s])),
    /0 12 1-7 \* MON \(UTC, day of month AND day of week\)/,
  );
  const slots = await cliJson<Json[]>(
    ["next", "first-monday", "--count", "3", ...s],
  );
  deepEqual(slots.map((x) => x.slot), [
    "2026-02-02T12:00:00.000Z",
    "2026-03-02T12:00:00.000Z",
    "2026-04-06T12:00:00.000Z",
  ]);
  // An update that does not name it keeps it; --no-dom-and-dow drops it.
  succeeded(await cli(["update", "first-monday", "--retries", "1", ...s]));
  equal((await cliJson<Json>(["show", "first-monday", ...s])).domAndDow, true);
  succeeded(await cli(["update", "first-monday", "--no-dom-and-dow", ...s]));
  equal(
    (await cliJson<Json>(["show", "first-monday", ...s])).domAndDow,
    undefined,
  );
  const or = await cliJson<Json[]>(
    ["next", "first-monday", "--count", "2", ...s],
  );
  deepEqual(or.map((x) => x.slot), [
    "2026-01-19T12:00:00.000Z", // a Monday
    "2026-01-26T12:00:00.000Z",
  ]);
});

Deno.test("tock refuses bad new forms and a misplaced --dom-and-dow in one line, changing nothing", async (t) => {
  await using dir = await tempDir();
  const store = `${dir.path}/store`;
  const s = ["--store", store];
  succeeded(
    await cli(["add", "keep", "--schedule", "@daily", "--cmd", "true", ...s]),
  );
  const before = await snapshot(store);
  const cases: [string[], RegExp][] = [
    [["--schedule", "0 0 1-15W * *"], /invalid day of month field "1-15W"/],
    [["--schedule", "0 0 L-31 * *"], /invalid day of month field "L-31"/],
    [["--schedule", "0 0 * * 1#6"], /invalid day of week field "1#6"/],
    [["--schedule", "0 +1 * * *"], /invalid hour field "\+1"/],
    [["--schedule", "0 0 0 1 1 * 1969"], /year must be 1970-9999, got "1969"/],
    [["--schedule", "0 0 0 1 1 * 2020"], /it never matches after 2026-/],
    [["--schedule", "@reboot"], /@reboot is not supported/],
    [
      ["--schedule", "every 5m", "--dom-and-dow"],
      /'domAndDow' applies to cron schedules only/,
    ],
  ];
  for (const [flags, message] of cases) {
    await t.step(flags.join(" "), async () => {
      const result = await cli(["add", "bad", ...flags, "--cmd", "true", ...s]);
      equal(result.code, 2, result.stderr);
      match(result.stderr, message);
      equal(result.stderr.trim().split("\n").length, 1);
      deepEqual(await snapshot(store), before);
    });
  }
});

Deno.test("tock start syncs a jobs file of new forms, domAndDow included", async () => {
  await using dir = await tempDir();
  const store = `${dir.path}/store`;
  const s = ["--store", store];
  const jobs = `${dir.path}/jobs.json`;
  await Deno.writeTextFile(
    jobs,
    JSON.stringify({
      jobs: [
        { id: "nearest", schedule: "0 12 15W * *", cmd: "true" },
        { id: "last-weekday", schedule: "0 12 LW * *", cmd: "true" },
        { id: "third-last", schedule: "0 12 L-3 * *", cmd: "true" },
        { id: "last-friday", schedule: "0 12 * * FRI#L", cmd: "true" },
        { id: "list", schedule: "0 12 * * 1#1,5#L", cmd: "true" },
        { id: "years", schedule: "0 0 12 1 1 * 2030-2040", cmd: "true" },
        { id: "plus", schedule: "0 12 1-7 * +MON", cmd: "true" },
        {
          id: "option",
          schedule: "0 12 1-7 * MON",
          domAndDow: true,
          cmd: "true",
        },
        { id: "midnight", schedule: "@midnight", cmd: "true" },
      ],
    }),
  );
  const stop = new AbortController();
  const { promise: started, resolve } = Promise.withResolvers<void>();
  const lines: string[] = [];
  const done = cli(["start", "--jobs", jobs, ...s], {
    now: () => Date.now(),
    signal: stop.signal,
    out: (text) => {
      lines.push(text);
      if (/started/.test(text)) resolve();
    },
  });
  await Promise.race([started, done]);
  stop.abort();
  const result = await done;
  equal(result.code, 0, result.stderr);
  match(lines.join("\n"), /9 added, 0 changed, 0 removed/);
  const list = await cliJson<Json[]>(["list", ...s], { now: () => Date.now() });
  equal(list.length, 9);
  ok(
    list.every((job) => typeof job.nextSlot === "string"),
    "every job has a next slot",
  );
  const option = list.find((job) => job.id === "option")!;
  equal(option.domAndDow, true);
  const plus = list.find((job) => job.id === "plus")!;
  equal(option.nextSlot, plus.nextSlot);
});
