/**
 * tock as a library: two jobs on the embedded file store, one of which fails
 * and is retried, with every event printed. Ends by itself after a few
 * seconds.
 *
 *     deno run -A examples/library.ts
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { createFileStore, createScheduler, type TockEvent } from "../mod.ts";

const dir = await Deno.makeTempDir({ prefix: "tock-example-" });
try {
  await using store = await createFileStore({ dir: `${dir}/.tock` });
  await using scheduler = await createScheduler({ store, instance: "example" });

  for (
    const type of [
      "job.claimed",
      "run.started",
      "run.retrying",
      "run.succeeded",
      "run.failed",
      "slot.skipped",
      "slot.missed",
    ] as const
  ) {
    scheduler.addEventListener(type, (event) => {
      const { job, slot, attempt, error } = (event as TockEvent).detail;
      const at = slot?.toISOString().slice(11, 23) ?? "";
      const why = error ? `: ${error.message}` : "";
      console.log(
        `${type.padEnd(14)} ${job} ${at} attempt ${attempt ?? "-"}${why}`,
      );
    });
  }

  await scheduler.add({
    id: "heartbeat",
    schedule: "every 1s",
    handler: ({ slot }) => console.log(`  heartbeat for ${slot.toISOString()}`),
  });

  // Fails its first attempt always, and every other slot for good: some
  // slots succeed on a retry, the others end `failed` after two retries.
  let calls = 0;
  await scheduler.add({
    id: "flaky-upload",
    schedule: "*/2 * * * * *", // every two seconds (6-field cron)
    retries: 2,
    backoff: "200ms",
    handler: ({ slot, attempt }) => {
      calls += 1;
      const doomed = slot.getUTCSeconds() % 4 === 0;
      if (doomed || attempt < 2) {
        throw new Error(`upload refused (attempt ${attempt})`);
      }
    },
  });

  await new Promise((resolve) => setTimeout(resolve, 4500));
  await scheduler.stop({ graceMs: 2000 });

  console.log("\nledger:");
  for (const entry of await scheduler.history()) {
    console.log(
      `  ${entry.job.padEnd(13)} ${new Date(entry.slot).toISOString()} ` +
        `${entry.outcome} (attempt ${entry.attempt ?? "-"})`,
    );
  }
  console.log(`flaky-upload handler calls: ${calls}`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
