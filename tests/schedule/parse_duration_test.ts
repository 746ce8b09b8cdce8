import assert from "node:assert/strict";
import {
  MAX_DURATION_MS,
  parseDuration,
} from "../../src/schedule/parse_duration.ts";

Deno.test("parseDuration() reads each unit", () => {
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("2h"), 7_200_000);
  assert.equal(parseDuration("1d"), 86_400_000);
  assert.equal(parseDuration("1w"), 604_800_000);
});

Deno.test("parseDuration() combines parts, any case, inner spaces", () => {
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("1H 30M"), 5_400_000);
  assert.equal(parseDuration("2 h"), 7_200_000);
  assert.equal(parseDuration(" 1m 30s 500ms "), 90_500);
  assert.equal(parseDuration("1MS"), 1);
  assert.equal(parseDuration("90m"), 5_400_000);
  assert.equal(parseDuration("1m1m"), 120_000);
});

Deno.test("parseDuration() names the bad text", async (t) => {
  const cases: [string, string][] = [
    ["", "it is empty"],
    ["   ", "it is empty"],
    ["5x", 'unknown unit "x"'],
    ["5 mins", 'unknown unit "mins"'],
    ["5", 'missing unit after "5" (ms s m h d w)'],
    ["1h30", 'missing unit after "30" (ms s m h d w)'],
    ["1.5h", "use whole numbers (e.g. 1h30m)"],
    ["-5m", "a sign is not allowed"],
    ["+5m", "a sign is not allowed"],
    ["h", 'unexpected "h"'],
    ["5m!", 'unexpected "!"'],
  ];
  for (const [text, detail] of cases) {
    await t.step(JSON.stringify(text), () => {
      assert.throws(() => parseDuration(text), {
        name: "TypeError",
        message: `Cannot parse duration "${text}": ${detail}`,
      });
    });
  }
});

Deno.test("parseDuration() rejects zero and absurd lengths", () => {
  assert.throws(() => parseDuration("0s"), {
    name: "RangeError",
    message: 'Cannot parse duration "0s": must be positive',
  });
  assert.throws(() => parseDuration("0h 0m"), RangeError);
  assert.equal(parseDuration("5200w"), 5200 * 604_800_000);
  assert.throws(() => parseDuration("5300w"), {
    name: "RangeError",
    message: 'Cannot parse duration "5300w": longer than 100 years',
  });
  assert.throws(() => parseDuration("9".repeat(400) + "ms"), RangeError);
  assert.equal(MAX_DURATION_MS, 3_155_760_000_000);
});

Deno.test("parseDuration() rejects a non-string", () => {
  assert.throws(() => parseDuration(5 as unknown as string), TypeError);
});
