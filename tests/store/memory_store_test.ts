import assert from "node:assert/strict";
import { createMemoryStore } from "../../src/store/memory_store.ts";
import { testStoreContract } from "./_store_contract.ts";
import { append, create, makeJob, succeeded, T0 } from "./_records.ts";

// Skipped contract cases: "keeps committed data across reopen", "keeps run
// logs across reopen" and "two store objects see each other" (a memory
// store is one object; in-process schedulers share that object).
testStoreContract("MemoryStore", () =>
  Promise.resolve({
    store: createMemoryStore(),
    cleanup: () => Promise.resolve(),
  }));

Deno.test("createMemoryStore() keeps at most about historyLimit entries per job", async () => {
  await using store = createMemoryStore({ historyLimit: 4 });
  await using lease = await store.lock.acquire();
  await store.commit(lease, [create(makeJob("a"))]);
  for (let i = 0; i < 30; i++) {
    await store.commit(lease, [append(succeeded("a", T0 + i))]);
  }
  const history = await store.history({ job: "a" });
  assert.ok(history.length >= 4 && history.length <= 20);
  assert.deepEqual(history.at(-1), succeeded("a", T0 + 29));
});

Deno.test("createMemoryStore() close() releases held leases and stops waiters", async () => {
  const store = createMemoryStore();
  const lease = await store.lock.acquire();
  const waiting = store.lock.acquire();
  await store.close();
  assert.equal(lease.held, false);
  await assert.rejects(waiting, /closed/);
});
