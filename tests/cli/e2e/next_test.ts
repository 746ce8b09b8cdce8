// `tock next SPEC|ID [--count N] [--tz TZ] [--json]` (SPEC §2, §8): the next
// slots, with the slots a DST change moved marked.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { assertIso, succeeded, tempDir, tock, tockJson } from "./_cli.ts";

type NextJson = (string | { slot: string; [key: string]: unknown })[];

function slotOf(entry: NextJson[number]): string {
  return typeof entry === "string" ? entry : entry.slot;
}

/** The next US spring-forward day (second Sunday of March) after `now`. */
function nextSpringForward(now: number): Date {
  for (let year = new Date(now).getUTCFullYear();; year++) {
    const march1 = new Date(Date.UTC(year, 2, 1));
    const firstSunday = 1 + (7 - march1.getUTCDay()) % 7;
    const day = new Date(Date.UTC(year, 2, firstSunday + 7));
    if (day.getTime() > now + 86_400_000) return day;
  }
}

Deno.test("tock next marks the slot a spring-forward gap moved", async (t) => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const gapDay = nextSpringForward(Date.now());
  const date = gapDay.toISOString().slice(0, 10); // 2027-03-14 from late 2026
  const count = Math.ceil((gapDay.getTime() - Date.now()) / 86_400_000) + 30;
  const args = [
    "next",
    "30 2 * * *",
    "--tz",
    "America/New_York",
    "--count",
    String(count),
  ];

  await t.step("--json", async () => {
    const slots = await tockJson<NextJson>(args, { store });
    ok(Array.isArray(slots));
    equal(slots.length, count);
    let previous = "";
    for (const entry of slots) {
      const slot = slotOf(entry);
      assertIso(slot, "slot");
      ok(slot > previous, `not ascending: ${previous}, ${slot}`);
      previous = slot;
      if (slot.startsWith(date)) {
        // 02:30 does not exist that night: the first instant after the gap,
        // 03:00 EDT, is 07:00 UTC.
        equal(slot, `${date}T07:00:00.000Z`);
        if (typeof entry !== "string") {
          ok(
            Object.keys(entry).length > 1,
            `the moved slot carries no note: ${JSON.stringify(entry)}`,
          );
        }
      } else {
        // 02:30 EST is 07:30 UTC, 02:30 EDT is 06:30 UTC.
        match(slot, slot < date ? /T07:30:00\.000Z$/ : /T06:30:00\.000Z$/);
      }
    }
    ok(slots.some((e) => slotOf(e).startsWith(date)), `no slot on ${date}`);
  });

  await t.step("text marks the moved slot and only it", async () => {
    const out = succeeded(await tock(args, { store }));
    // Slot rows start with a date; a header may name a DST column.
    const rows = out.split("\n").filter((l) => /^\s*\d{4}-\d\d-\d\d/.test(l));
    equal(rows.length, count, out);
    const moved = rows.filter((l) => /DST|gap|moved|spring|shift/i.test(l));
    equal(moved.length, 1, `expected one DST note:\n${moved.join("\n")}`);
    ok(
      moved[0]!.includes(date) || moved[0]!.includes("03-14") ||
        moved[0]!.includes(date.slice(5)),
      `the note is not on ${date}: ${moved[0]}`,
    );
  });

  await t.step("next ID reads the job's schedule and zone", async () => {
    succeeded(
      await tock([
        "add",
        "nightly",
        "--schedule",
        "30 2 * * *",
        "--tz",
        "America/New_York",
        "--cmd",
        "true",
      ], { store }),
    );
    const slots = await tockJson<NextJson>(
      ["next", "nightly", "--count", "3"],
      {
        store,
      },
    );
    equal(slots.length, 3);
    for (const entry of slots) match(slotOf(entry), /T0[67]:30:00\.000Z$/);
  });
});

Deno.test("tock next lists UTC slots by default, 6-field cron and intervals", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  const noon = await tockJson<NextJson>(
    ["next", "0 12 * * *", "--count", "3"],
    {
      store,
    },
  );
  equal(noon.length, 3);
  const days = noon.map(slotOf).map((s) => {
    match(s, /T12:00:00\.000Z$/);
    return Date.parse(s);
  });
  deepEqual(days.slice(1).map((d, i) => d - days[i]!), [
    86_400_000,
    86_400_000,
  ]);

  const seconds = await tockJson<NextJson>(
    ["next", "*/10 * * * * *", "--count", "4"],
    { store },
  );
  equal(seconds.length, 4);
  for (const s of seconds.map(slotOf)) match(s, /:[0-5]0\.000Z$/);

  const interval = await tockJson<NextJson>(
    ["next", "every 90m", "--count", "3"],
    { store },
  );
  const at = interval.map((e) => Date.parse(slotOf(e)));
  deepEqual(at.slice(1).map((d, i) => d - at[i]!), [5_400_000, 5_400_000]);
});
