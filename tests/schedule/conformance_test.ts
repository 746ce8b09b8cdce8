// The conformance table (docs/schedules.md, data in _conformance_cases.ts):
// tock's answer for each form, strictness decision and DST or calendar
// case; croner's and cron-parser's answers, confirmed by running them; a
// reason wherever tock deliberately differs; and the docs table showing
// exactly these rows.
import assert from "node:assert/strict";
import { Cron } from "croner";
import { CronExpressionParser } from "cron-parser";
import { CASES, type ConformanceCase } from "./_conformance_cases.ts";
import { short, tockSlots } from "./_tock_slots.ts";
import { wallOf } from "../properties/_cron_oracle.ts";

const same = (a: unknown, b: unknown) =>
  JSON.stringify(a) === JSON.stringify(b);

function tockAnswer(c: ConformanceCase): string[] | null {
  // One more than listed: a list that ends early (a year field) must end.
  return tockSlots(
    c.pattern,
    { tz: c.tz, domAndDow: c.domAndDow === true },
    c.after,
    (c.tock?.length ?? 0) + 1,
  );
}

Deno.test("nextSlot() conformance table: tock's answers", async (t) => {
  for (const c of CASES) {
    await t.step(`${c.id} ${JSON.stringify(c.pattern)} in ${c.tz}`, () => {
      const got = tockAnswer(c);
      if (c.tock === null) return assert.equal(got, null);
      // A year field that ends, or a count cut short: compare what is listed.
      const listed = got?.slice(0, c.tock.length);
      assert.deepEqual(listed, c.tock);
      if (c.id === "F11") assert.equal(got!.length, 4, "2027-2030 ends");
    });
  }
});

Deno.test("nextSlot() conformance table: croner's and cron-parser's answers are theirs", () => {
  const n = (c: ConformanceCase) => c.tock?.length ?? 2;
  for (const c of CASES) {
    const from = new Date(c.after);
    let croner: string[] | null;
    try {
      croner = new Cron(c.pattern, {
        timezone: c.tz,
        ...(c.domAndDow ? { domAndDow: true } : {}),
      }).nextRuns(n(c), from).map((d) => short(d.getTime()));
    } catch {
      croner = null;
    }
    assert.deepEqual(croner, c.croner, `${c.id}: croner`);
    if (c.cronParser === "no option") continue;
    let parser: string[] | null;
    try {
      const e = CronExpressionParser.parse(c.pattern, {
        currentDate: from,
        tz: c.tz,
      });
      parser = Array.from({ length: n(c) }, () => short(e.next().getTime()));
    } catch {
      parser = null;
    }
    assert.deepEqual(parser, c.cronParser, `${c.id}: cron-parser`);
  }
});

Deno.test("nextSlot() conformance table: every deliberate difference says why", () => {
  for (const c of CASES) {
    const peers = [c.croner, c.cronParser].filter(Array.isArray);
    const differs = peers.some((answer) => !same(answer, c.tock)) ||
      c.iscDiffers === true;
    if (differs) assert.ok(c.why, `${c.id} differs and says not why`);
  }
});

// ---------------------------------------------------------------------------
// The docs table, rendered from the cases.

/**
 * Local times: `MM-DD HH:MM`, the offset outside UTC, the year when one
 * differs from the start's.
 */
function cell(
  answer: readonly string[] | null | "no option",
  c: ConformanceCase,
): string {
  if (answer === null) return "refuses";
  if (answer === "no option") return "no such option";
  const year = new Date(c.after).getUTCFullYear();
  const walls = answer.map((s) => [wallOf(c.tz, Date.parse(s)), Date.parse(s)]);
  const full = walls.some(([w]) => new Date(w!).getUTCFullYear() !== year);
  return walls.map(([wall, instant]) => {
    const text = new Date(wall!).toISOString().slice(full ? 0 : 5, 16)
      .replace("T", " ");
    if (c.tz === "UTC") return text;
    const offset = (wall! - instant!) / 60_000;
    const hh = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
    const mm = Math.abs(offset) % 60;
    return `${text}${offset < 0 ? "−" : "+"}${hh}${mm ? `:${mm}` : ""}`;
  }).join(", ");
}

/** The cells of a row; a peer that gives tock's answer shows "same". */
function row(c: ConformanceCase): string[] {
  const pattern = `\`${c.pattern === "" ? '""' : c.pattern}\`${
    c.domAndDow ? " + `domAndDow`" : ""
  }`;
  const after = c.after.slice(0, 16).replace("T", " ") + "Z";
  return [
    c.id,
    pattern,
    c.tz,
    after,
    cell(c.tock, c),
    same(c.croner, c.tock) ? "same" : cell(c.croner, c),
    same(c.cronParser, c.tock) ? "same" : cell(c.cronParser, c),
    c.ocps,
    c.isc,
  ];
}

Deno.test("docs/schedules.md shows the conformance table as the cases say", async () => {
  const docs = await Deno.readTextFile(
    new URL("../../docs/schedules.md", import.meta.url),
  );
  const rows = docs.split("\n")
    .filter((line) => /^\| [FDST]\d+ +\|/.test(line))
    .map((line) => line.slice(1, -1).split(" | ").map((s) => s.trim()));
  assert.deepEqual(rows, CASES.map(row));
});

/** Prints the table rows (for editing the docs): `deno test -- --print`. */
if (Deno.args.includes("--print")) {
  for (const c of CASES) {
    // deno-lint-ignore no-console
    console.log(`| ${row(c).join(" | ")} |`);
  }
}
