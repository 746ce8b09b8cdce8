// A process that takes a PostgreSQL store's lock and holds it: it prints
// "held", then, on a line "commit" on stdin, commits a job named "stale"
// under that lease and prints "committed" or "refused: <message>".
// `deno run -A _hold_child.ts <url> <schema> <lockIdleTimeoutMs>`
import { createPostgresStore } from "../../../src/store/postgres/postgres_store.ts";
import { create, makeJob } from "../_records.ts";

const [url, schema, idle] = Deno.args;
await using store = await createPostgresStore({
  url: url!,
  schema: schema!,
  lockIdleTimeoutMs: Number(idle),
});
/** Writes one line to stdout. */
async function say(line: string): Promise<void> {
  const bytes = new TextEncoder().encode(`${line}\n`);
  let done = 0;
  while (done < bytes.length) {
    done += await Deno.stdout.write(bytes.subarray(done));
  }
}

const lease = await store.lock.acquire();
await say("held");
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
let text = "";
for await (const chunk of lines) {
  text += chunk;
  if (text.includes("commit\n")) break;
}
try {
  await store.commit(lease, [create(makeJob("stale"))]);
  await say("committed");
} catch (error) {
  await say(`refused: ${(error as Error).message}`);
}
await lease.release().catch(() => {});
