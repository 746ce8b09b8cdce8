// A process that starts a claim and stops in it: it takes a PostgreSQL
// store's lock, reads the due jobs (which holds them for its transaction)
// and prints "held <ids>"; then, on a line "commit" on stdin, commits a
// claim of each (computed from what it read) and prints "committed" or
// "refused: <message>".
// `deno run -A _hold_child.ts <url> <schema> <lockIdleTimeoutMs>`
import { createPostgresStore } from "../../../src/store/postgres/postgres_store.ts";
import { claimed, setState } from "../_records.ts";

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
const due = await store.due(lease, Number.MAX_SAFE_INTEGER);
await say(`held ${due.map((job) => job.spec.id).join(",")}`);
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
let text = "";
for await (const chunk of lines) {
  text += chunk;
  if (text.includes("commit\n")) break;
}
try {
  await store.commit(
    lease,
    due.map((job) => setState(job.spec.id, claimed(job, "stale"))),
  );
  await say("committed");
} catch (error) {
  await say(`refused: ${(error as Error).message}`);
}
await lease.release().catch(() => {});
