/**
 * tock's drop-in for `Deno.cron`: the same calls, made durable on the store
 * (`$TOCK_STORE`, else `./.tock`) and shared by every process that runs this
 * script. Run it in two terminals at once: each slot runs in one of them.
 * Ends by itself after a few seconds, when the signal aborts.
 *
 *     deno run -A examples/deno_cron.ts
 *     deno task tock history every.second
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { cron } from "../mod.ts";

const signal = AbortSignal.timeout(3_500);
let runs = 0;

// Deno.cron's schedules are minutes at the finest; tock also takes seconds.
const everySecond = cron("every second", "* * * * * *", { signal }, ({
  slot,
  instance,
}) => {
  runs++;
  console.log(`every second: ${slot.toISOString()} in ${instance}`);
});

// A failed run is retried after each delay of `backoffSchedule`.
const retried = cron("retried", "*/2 * * * * *", {
  signal,
  backoffSchedule: [200, 500],
}, ({ slot, attempt }) => {
  if (attempt === 1) throw new Error(`attempt 1 of ${slot.toISOString()}`);
  console.log(`retried: ${slot.toISOString()} succeeded on attempt ${attempt}`);
});

// Deno's object form, read in a time zone of tock's.
const nightly = cron("nightly", { hour: 2, minute: 30 }, {
  tz: "Europe/Berlin",
  signal,
}, () => console.log("nightly: 02:30 in Berlin"));

// Each promise resolves once its cron is removed by the signal; the
// scheduler stops with the last one, and the process ends.
await Promise.all([everySecond, retried, nightly]);
console.log(`stopped after ${runs} runs of "every second"`);
