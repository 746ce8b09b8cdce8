// tock against the test vectors of croner and cron-parser (see
// `_peer_vectors.ts` for where they come from): tock gives the peer's
// answer, or a deliberate difference named in REASONS and stated in
// docs/schedules.md. The figures below are the ones the docs quote.
import assert from "node:assert/strict";
import { Cron } from "croner";
import { CronExpressionParser } from "cron-parser";
import { PEER_VECTORS } from "./_peer_vectors.ts";
import { short, tockSlots } from "./_tock_slots.ts";

/** Why tock answers differently, by the `why` key of a vector. */
const REASONS: Readonly<Record<string, string>> = {
  "numeric-prefix-step":
    "tock keeps Quartz's numeric-prefix step (`5/15` = `5-59/15`), as cron-parser does; croner 11 refuses it by default",
  "step-past-range":
    "tock keeps a step longer than its range (`*/61` = the first value only), as cronie (with a warning) and cron-parser do; croner refuses it",
  "overlapping-list":
    "tock accepts a list whose items overlap (`0,7`, `0,0`), as cron does; cron-parser refuses duplicates",
  "never-matches":
    "tock refuses at creation an expression that can never match; the peer accepts it and finds no slot",
  "year-range":
    "tock's year field is 1970-9999 (OCPS: an even lower bound, so `*/2` is even years); croner's is 1-9999",
  "empty":
    'tock refuses an empty schedule; cron-parser reads "" as `* * * * *`',
  "field-count":
    "tock needs 5, 6 or 7 fields; cron-parser fills missing fields with `*`",
  "hashed":
    "tock refuses hashed values (`H`): unseeded, they differ from one process to the next",
  "dst-croner-interval":
    "croner counts an hour list or range (`1-3,10-12`) as an interval job for DST (gap skipped, repeat run twice); tock, like ISC cron, gives it fixed hours (gap run at its end, repeat run once)",
  "dst-cron-parser-shift":
    "cron-parser moves a wall time a DST gap skips by the gap's length (02:30 -> 03:30); tock, like ISC cron, runs it once at the gap's end (03:00)",
};

/** What the docs quote: vectors run, agreed, refused by both, different. */
const FIGURES = {
  vectors: 834,
  agreed: 705,
  bothRefuse: 80,
  different: 49,
  byReason: {
    "numeric-prefix-step": 11,
    "step-past-range": 1,
    "overlapping-list": 8,
    "never-matches": 4,
    "year-range": 2,
    "empty": 1,
    "field-count": 2,
    "hashed": 12,
    "dst-croner-interval": 4,
    "dst-cron-parser-shift": 4,
  },
};

const N = 5;

Deno.test("nextSlot() gives croner's and cron-parser's answers to their own test vectors, or a stated deliberate difference", () => {
  const wrong: string[] = [];
  for (const v of PEER_VECTORS) {
    const expected = v.tock === undefined ? v.next : v.tock;
    const got = tockSlots(v.pattern, { tz: v.tz }, v.from, N);
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      wrong.push(
        `${v.source} ${
          JSON.stringify(v.pattern)
        } in ${v.tz} after ${v.from}: got ${JSON.stringify(got)}, expected ${
          JSON.stringify(expected)
        }`,
      );
    }
    if (v.tock !== undefined) {
      assert.ok(v.why && REASONS[v.why], `${v.source}: no reason given`);
      assert.notDeepEqual(v.tock, v.next, `${v.source}: not a difference`);
    }
  }
  assert.deepEqual(wrong, []);
});

Deno.test("the peer vectors add up to the figures docs/schedules.md quotes", async () => {
  const byReason: Record<string, number> = {};
  let agreed = 0;
  let bothRefuse = 0;
  for (const v of PEER_VECTORS) {
    if (v.why) byReason[v.why] = (byReason[v.why] ?? 0) + 1;
    else if (v.next === null) bothRefuse++;
    else agreed++;
  }
  const different = Object.values(byReason).reduce((a, b) => a + b, 0);
  assert.deepEqual({
    vectors: PEER_VECTORS.length,
    agreed,
    bothRefuse,
    different,
    byReason,
  }, FIGURES);
  const docs = await Deno.readTextFile(
    new URL("../../docs/schedules.md", import.meta.url),
  );
  const sentence = `${FIGURES.vectors} vectors: tock gives the peer's answer ` +
    `for ${FIGURES.agreed}, both refuse the pattern for ${FIGURES.bothRefuse}, ` +
    `and ${FIGURES.different} are deliberate differences`;
  assert.ok(
    docs.replace(/\s+/g, " ").includes(sentence),
    `docs/schedules.md should say: ${sentence}`,
  );
  for (const [key, count] of Object.entries(FIGURES.byReason)) {
    assert.match(
      docs,
      new RegExp(`\\| \`${key}\` +\\| ${count} +\\|`),
      `docs/schedules.md should list ${key} (${count})`,
    );
  }
});

Deno.test("the peer vectors are what the pinned croner and cron-parser answer", () => {
  // Guards the transcription, and tells when a peer upgrade changes a fact.
  const wrong: string[] = [];
  for (const v of PEER_VECTORS) {
    const from = new Date(v.from);
    let got: string[] | null;
    try {
      if (v.source.startsWith("croner ")) {
        got = new Cron(v.pattern, { timezone: v.tz }).nextRuns(N, from).map((
          d,
        ) => short(d.getTime()));
      } else {
        const e = CronExpressionParser.parse(v.pattern, {
          currentDate: from,
          tz: v.tz,
        });
        got = [];
        for (let i = 0; i < N; i++) {
          try {
            got.push(short(e.next().getTime()));
          } catch {
            break;
          }
        }
      }
    } catch {
      got = null;
    }
    const same = v.next === "random"
      ? got !== null
      : JSON.stringify(got) === JSON.stringify(v.next);
    if (!same) {
      wrong.push(
        `${v.source} ${JSON.stringify(v.pattern)}: ${JSON.stringify(got)}`,
      );
    }
  }
  assert.deepEqual(wrong, []);
});
