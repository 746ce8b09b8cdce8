/**
 * A user's script with one `cron()`, for deno_cron_process_test.ts: several
 * processes run it at once on one store ($TOCK_STORE). Each run appends
 * `<slot> <instance>` to the file named by the first argument. With a second
 * argument (seconds) it removes its cron after that long and ends by itself;
 * without, it runs until a signal stops it.
 *
 * @module
 */
import { cron } from "../../mod.ts";

const [out, seconds] = Deno.args;
const options = seconds === undefined
  ? {}
  : { signal: AbortSignal.timeout(Number(seconds) * 1000) };

await cron("shared job", "* * * * * *", options, async ({ slot, instance }) => {
  await Deno.writeTextFile(out!, `${slot.toISOString()} ${instance}\n`, {
    append: true,
  });
});
