// Journal bytes per claimed slot and per recorded run, from a file store's
// journals.
import { deepEqual, equal } from "node:assert/strict";
import {
  countLines,
  journalBytes,
  type LineCounts,
} from "../../bench/_journal_bytes.ts";

const CLAIM = JSON.stringify({
  seq: 2,
  claimedBy: { instance: "a", claimedAt: 1 },
  changes: [
    { type: "job.claim", id: "x", runId: "r1", slot: 1000, next: 2000 },
    {
      type: "job.patch",
      id: "y",
      set: { version: 3 },
      runs: { claim: [{ runId: "r2", slot: 1000, trigger: "schedule" }] },
    },
    {
      type: "job.patch",
      id: "z",
      runs: { add: [{ runId: "r3", slot: 1000, instance: "b" }] },
    },
    {
      type: "ledger.append",
      entry: { job: "x", slot: 0, outcome: "skipped", count: 1 },
    },
  ],
}) + "\n";

const OUTCOME = JSON.stringify({
  seq: 3,
  changes: [
    { type: "job.patch", id: "x", runs: { drop: ["r1"] } },
    {
      type: "ledger.append",
      entry: { job: "x", slot: 1000, outcome: "succeeded", runId: "r1" },
    },
    {
      type: "ledger.append",
      entry: { job: "y", slot: 1000, outcome: "succeeded", runId: "r2" },
    },
  ],
}) + "\n";

const CREATE = JSON.stringify({
  seq: 1,
  changes: [{ type: "job.create", job: { spec: { id: "x" }, state: {} } }],
}) + "\n";

const MARKER = JSON.stringify({
  seq: 3,
  changes: [],
  next: "journal-0123456789abcdef.jsonl",
}) + "\n";

function zero(): LineCounts {
  return {
    claimLines: 0,
    claimBytes: 0,
    claimedSlots: 0,
    outcomeLines: 0,
    outcomeBytes: 0,
    recordedRuns: 0,
    lineBytesPerSlot: [],
  };
}

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("countLines() counts claim and outcome lines, not the others", () => {
  const counts = zero();
  // A torn tail (no newline) is left out.
  countLines(
    bytes(CREATE + CLAIM + OUTCOME + MARKER + CLAIM.slice(0, 40)),
    counts,
  );
  deepEqual(counts, {
    claimLines: 1,
    claimBytes: bytes(CLAIM).length,
    claimedSlots: 3,
    outcomeLines: 1,
    outcomeBytes: bytes(OUTCOME).length,
    recordedRuns: 2,
    lineBytesPerSlot: [bytes(CLAIM).length / 3],
  });
});

Deno.test("journalBytes() reads every journal of a store directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tock-journal-bytes-" });
  try {
    await Deno.writeTextFile(`${dir}/journal-a.jsonl`, CREATE + CLAIM);
    await Deno.writeTextFile(`${dir}/journal-b.jsonl`, CLAIM + OUTCOME);
    await Deno.writeTextFile(`${dir}/state.json`, CLAIM);
    await Deno.writeTextFile(
      `${dir}/tock.json`,
      JSON.stringify({ format: "tock-file-store", version: 3 }),
    );
    const read = await journalBytes(dir);
    equal(read.format, 3);
    equal(read.journals, 2);
    equal(read.claimLines, 2);
    equal(read.claimedSlots, 6);
    equal(read.bytesPerClaimedSlot, Math.round(bytes(CLAIM).length / 3));
    equal(read.claimLineBytesPerSlot, read.bytesPerClaimedSlot);
    equal(read.recordedRuns, 2);
    equal(read.bytesPerRecordedRun, Math.round(bytes(OUTCOME).length / 2));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("journalBytes() of a directory without journals", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tock-journal-bytes-" });
  try {
    const read = await journalBytes(dir);
    equal(read.format, null);
    equal(read.journals, 0);
    equal(read.bytesPerClaimedSlot, null);
    equal(read.claimLineBytesPerSlot, null);
    equal(read.bytesPerRecordedRun, null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
