// The conformance table of docs/deno_cron.md, read from the docs: every
// `CronSchedule` form becomes the cron string the table gives, in tock and
// in Deno itself (Deno's own `parseScheduleToString`, which `Deno.cron`
// uses), and tock reads that string.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { formatDenoCronSchedule } from "../../src/schedule/deno_cron_schedule.ts";
import type { DenoCronSchedule } from "../../src/schedule/deno_cron_schedule.ts";
import { parseSchedule } from "../../src/schedule/parse_schedule.ts";

const DOCS = new URL("../../docs/deno_cron.md", import.meta.url);

interface Row {
  readonly text: string;
  readonly object: DenoCronSchedule;
  /** The cron string, or `undefined` for a TypeError. */
  readonly cron: string | undefined;
}

/** The rows of the table under "Conformance: the object form". */
async function table(): Promise<Row[]> {
  const doc = await Deno.readTextFile(DOCS);
  const section = doc.split("## Conformance: the object form")[1] ?? "";
  const rows: Row[] = [];
  for (
    const [, text, result] of section.matchAll(
      /^\| `(\{.*\})` +\| (.+?) +\|$/gm,
    )
  ) {
    // `{ minute: { exact: [0, 30] } }` as JSON: quote the keys.
    const object = JSON.parse(text!.replace(/(\w+):/g, '"$1":'));
    const cron = result === "TypeError"
      ? undefined
      : /^`(.+)`$/.exec(result!)?.[1];
    ok(result === "TypeError" || cron !== undefined, `bad row: ${result}`);
    rows.push({ text: text!, object, cron });
  }
  return rows;
}

/** Deno's conversion, when this Deno exposes it (Deno 2.x does). */
function denoConversion(): ((s: DenoCronSchedule) => string) | undefined {
  // deno-lint-ignore no-explicit-any
  const internal = (Deno as any)[(Deno as any).internal];
  return internal?.parseScheduleToString;
}

Deno.test("formatDenoCronSchedule() gives the string of each row of the docs' table", async (t) => {
  const rows = await table();
  ok(rows.length >= 20, `only ${rows.length} rows read from the docs`);
  for (const row of rows) {
    await t.step(row.text, () => {
      if (row.cron === undefined) {
        throws(() => formatDenoCronSchedule(row.object), TypeError);
        return;
      }
      equal(formatDenoCronSchedule(row.object), row.cron);
      equal(parseSchedule(row.cron).kind, "cron");
    });
  }
});

Deno.test({
  name: "the docs' table is what Deno.cron itself does with each object",
  ignore: denoConversion() === undefined,
  fn: async (t) => {
    const deno = denoConversion()!;
    for (const row of await table()) {
      await t.step(row.text, () => {
        if (row.cron === undefined) throws(() => deno(row.object), TypeError);
        else equal(deno(row.object), row.cron);
      });
    }
  },
});

Deno.test("formatDenoCronSchedule() covers every form of every field", async () => {
  // Each field with each form: a value, exact (one, a list), and each
  // range Deno accepts; the docs show them on `minute`.
  const rows = await table();
  const forms = new Set(
    rows.flatMap((r) =>
      Object.values(r.object).map((v) =>
        typeof v === "number" ? "value" : Object.keys(v).sort().join("+") +
          (Array.isArray((v as { exact?: unknown }).exact) ? "[]" : "")
      )
    ),
  );
  deepEqual([...forms].sort(), [
    "",
    "end",
    "end+every",
    "end+every+start",
    "end+start",
    "every",
    "every+start",
    "exact",
    "exact[]",
    "start",
    "value",
  ]);
  const fields = new Set(rows.flatMap((r) => Object.keys(r.object)));
  deepEqual([...fields].sort(), [
    "dayOfMonth",
    "dayOfWeek",
    "hour",
    "minute",
    "month",
  ]);
});

Deno.test("formatDenoCronSchedule() refuses what is not a schedule with a one-line TypeError", async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ["null", null, /expected a string or an object: received null/],
    ["unknown field", { minutes: 5 }, /unknown field 'minutes'/],
    [
      "a string field",
      { minute: "5" },
      /'minute' must be a number or an object: received "5"/,
    ],
    [
      "a fraction",
      { hour: 1.5 },
      /'hour' must be a non-negative integer: received 1.5/,
    ],
    [
      "a negative value",
      { hour: -1 },
      /'hour' must be a non-negative integer: received -1/,
    ],
    [
      "an empty list",
      { minute: { exact: [] } },
      /'minute.exact' must be a number or a non-empty list: received \[\]/,
    ],
    [
      "a bad list item",
      { minute: { exact: [1, "2"] } },
      /'minute.exact' must be a non-negative integer: received "2"/,
    ],
    [
      "a bad step",
      { minute: { every: 0.5 } },
      /'minute.every' must be a non-negative integer: received 0.5/,
    ],
  ];
  for (const [name, value, message] of cases) {
    await t.step(name, () => {
      throws(
        () => formatDenoCronSchedule(value as DenoCronSchedule),
        (error: unknown) => {
          ok(error instanceof TypeError);
          ok(message.test(error.message), error.message);
          ok(!error.message.includes("\n"));
          return true;
        },
      );
    });
  }
});
