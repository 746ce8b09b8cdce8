/**
 * For deno_cron_process_test.ts: once its last cron is removed, `cron()`
 * leaves SIGINT to the script. This script stops its only cron, then sends
 * itself SIGINT with a handler of its own that exits 7; had `cron()` kept
 * its listener, the process would exit 130.
 *
 * @module
 */
import { cron } from "../../mod.ts";

const controller = new AbortController();
const done = cron("quiet", "* * * * * *", { signal: controller.signal }, () => {
  controller.abort();
});
await done;
Deno.addSignalListener("SIGINT", () => setTimeout(() => Deno.exit(7), 100));
Deno.kill(Deno.pid, "SIGINT");
setTimeout(() => Deno.exit(1), 10_000);
