// A frozen lock holder is bounded (SIGSTOP keeps a process's connections
// open: its kernel answers keepalives). The lock is held inside a
// transaction whose session the server ends once it sits idle past
// `lockIdleTimeoutMs`: another instance then takes the lock, and the
// stopped process, once continued, commits nothing.
import assert from "node:assert/strict";
import { createPostgresStore } from "../../../src/store/postgres/postgres_store.ts";
import { create, makeJob } from "../_records.ts";
import { ignorePostgres, PG_URL, schemaStore } from "./_pg.ts";

const ignore = ignorePostgres("PostgresStore frozen holder");
const CHILD = new URL("./_hold_child.ts", import.meta.url).pathname;
const IDLE_MS = 1500;

/** Reads a child's stdout line by line. */
async function* lines(stream: ReadableStream<Uint8Array>) {
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    let end;
    while ((end = text.indexOf("\n")) >= 0) {
      yield text.slice(0, end);
      text = text.slice(end + 1);
    }
  }
}

Deno.test({
  name:
    "a lock holder frozen by SIGSTOP loses the lock after its idle bound, and commits nothing once continued",
  ignore,
  async fn() {
    await using pg = await schemaStore();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CHILD, PG_URL, pg.schema, String(IDLE_MS)],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const out = lines(child.stdout);
    const writer = child.stdin.getWriter();
    try {
      assert.equal((await out.next()).value, "held");
      Deno.kill(child.pid, "SIGSTOP");
      // Without the bound this waits forever: fail after a minute instead.
      await using other = await createPostgresStore({
        url: PG_URL,
        schema: pg.schema,
      });
      const lease = await other.lock.acquire({
        signal: AbortSignal.timeout(60_000),
      });
      await other.commit(lease, [create(makeJob("fresh"))]);
      await lease.release();
      Deno.kill(child.pid, "SIGCONT");
      await writer.write(new TextEncoder().encode("commit\n"));
      const answer = (await out.next()).value ?? "";
      assert.match(answer, /^refused: /);
      assert.deepEqual(
        (await pg.store.jobs()).map((job) => job.spec.id),
        ["fresh"],
      );
    } finally {
      await writer.close().catch(() => {});
      try {
        Deno.kill(child.pid, "SIGCONT");
        Deno.kill(child.pid, "SIGKILL");
      } catch { /* exited */ }
      await child.status;
      for await (const _ of out) { /* drain */ }
    }
  },
});
