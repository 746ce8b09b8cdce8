/**
 * A module job: tock runs this file's default export in a child Deno
 * process for each slot of the job, so a timeout can always stop it.
 *
 * Used by `examples/jobs.json` (`deno task start`), or on its own:
 *
 *     deno task tock add hello --schedule "every 10s" --module examples/modules/hello.ts
 *
 * @module
 */
// deno-lint-ignore-file no-console

import type { JobContext } from "../../mod.ts";

/** Greets, then does half a second of "work" that honours cancellation. */
export default async function hello(ctx: JobContext): Promise<void> {
  const slot = new Date(ctx.slot).toISOString();
  console.log(
    `hello from ${ctx.jobId}: slot ${slot}, attempt ${ctx.attempt}, ` +
      `trigger ${ctx.trigger}, instance ${ctx.instance}`,
  );
  // The signal aborts on timeout, on cancellation and when the scheduler
  // shuts down: stop promptly and let the runtime record why.
  await new Promise<void>((resolve, reject) => {
    ctx.signal.throwIfAborted();
    const timer = setTimeout(resolve, 500);
    ctx.signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(ctx.signal.reason);
    }, { once: true });
  });
  console.log(`${ctx.jobId} done`);
}
