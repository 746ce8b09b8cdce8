import assert from "node:assert/strict";
import { jitterFor } from "../../src/schedule/jitter.ts";

const SLOT = Date.UTC(2026, 0, 1);

Deno.test("jitterFor() is deterministic", () => {
  const a = jitterFor("backup", SLOT, 30_000);
  assert.equal(jitterFor("backup", SLOT, 30_000), a);
  // Pinned: the same value in every process, on every machine.
  assert.equal(a, jitterFor("backup", SLOT, 30_000, SLOT + 60_000));
  assert.equal(jitterFor("backup", SLOT, 30_000), 17_157);
});

Deno.test("jitterFor() stays in [0, jitterMs] and varies", () => {
  const seen = new Set<number>();
  let sum = 0;
  const n = 5_000;
  for (let i = 0; i < n; i++) {
    const d = jitterFor(`job-${i % 7}`, SLOT + i * 60_000, 1_000);
    assert.ok(Number.isInteger(d) && d >= 0 && d <= 1_000, String(d));
    seen.add(d);
    sum += d;
  }
  assert.ok(seen.size > 900, `only ${seen.size} distinct values`);
  const mean = sum / n;
  assert.ok(mean > 450 && mean < 550, `mean ${mean}`);
  assert.notEqual(
    jitterFor("a", SLOT, 1e9),
    jitterFor("b", SLOT, 1e9),
  );
});

Deno.test("jitterFor() never reaches the next slot", () => {
  for (let i = 0; i < 1_000; i++) {
    const slot = SLOT + i * 1_000;
    const d = jitterFor("tick", slot, 60_000, slot + 1_000);
    assert.ok(d >= 0 && d < 1_000, String(d));
  }
  assert.equal(jitterFor("tick", SLOT, 60_000, SLOT + 1), 0);
  assert.equal(jitterFor("tick", SLOT, 60_000, SLOT), 0);
});

Deno.test("jitterFor() with no jitter is 0", () => {
  assert.equal(jitterFor("x", SLOT, 0), 0);
  assert.equal(jitterFor("x", SLOT, 0.5), 0);
});

Deno.test("jitterFor() rejects a negative or non-finite jitter", () => {
  assert.throws(() => jitterFor("x", SLOT, -1), RangeError);
  assert.throws(() => jitterFor("x", SLOT, NaN), RangeError);
  assert.throws(() => jitterFor("x", SLOT, Infinity), RangeError);
});
