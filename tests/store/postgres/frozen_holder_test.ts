// A frozen claim is bounded (SIGSTOP keeps a process's connections open:
// its kernel answers keepalives). A claim holds the jobs it read inside a
// transaction that the server ends once it sits idle past
// `lockIdleTimeoutMs`: another instance then claims those jobs, and the
// stopped process, once continued, commits nothing.
import assert from "node:assert/strict";
import { createPostgresStore } from "../../../src/store/postgres/postgres_store.ts";
import { claimDueJobs } from "../../../src/turns/claim_due_jobs.ts";
import { FakeClock } from "../../../src/testing/fake_clock.ts";
import { create, makeJob, MIN, T0 } from "../_records.ts";
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
    "a claim frozen by SIGSTOP holds its jobs only until its idle bound, and commits nothing once continued",
  ignore,
  async fn() {
    await using pg = await schemaStore();
    {
      await using lease = await pg.store.lock.acquire();
      await pg.store.commit(lease, [
        create(makeJob("j")),
        create(makeJob("k")),
      ]);
    }
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CHILD, PG_URL, pg.schema, String(IDLE_MS)],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const out = lines(child.stdout);
    const writer = child.stdin.getWriter();
    try {
      assert.equal((await out.next()).value, "held j,k");
      Deno.kill(child.pid, "SIGSTOP");
      // Another instance claims beside it: at first it passes over the
      // held jobs; once the server ends the frozen transaction, it claims
      // them. Without the bound this never happens: give up after a minute.
      await using other = await createPostgresStore({
        url: PG_URL,
        schema: pg.schema,
      });
      const claim = () =>
        claimDueJobs({
          store: other,
          clock: new FakeClock(T0 + 5 * MIN),
          instance: "other",
          capacity: 10,
          canRun: () => true,
          isDead: () => false,
        });
      assert.deepEqual((await claim()).started, []);
      const deadline = Date.now() + 60_000;
      let started: string[] = [];
      while (started.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        started = (await claim()).started.map(({ spec }) => spec.id);
      }
      assert.deepEqual(started.sort(), ["j", "k"]);
      Deno.kill(child.pid, "SIGCONT");
      await writer.write(new TextEncoder().encode("commit\n"));
      const answer = (await out.next()).value ?? "";
      assert.match(answer, /^refused: /);
      for (const job of await pg.store.jobs()) {
        assert.deepEqual(
          job.state.runs.map((run) => run.instance),
          ["other"],
          job.spec.id,
        );
      }
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
