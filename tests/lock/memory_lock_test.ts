import assert from "node:assert/strict";
import { createMemoryLock } from "../../src/lock/memory_lock.ts";

Deno.test("createMemoryLock() grants the lock to one holder at a time", async () => {
  const lock = createMemoryLock();
  const lease = await lock.acquire();
  assert.equal(lease.held, true);
  assert.equal(await lock.tryAcquire(), undefined);
  await lease.release();
  await lease.release();
  assert.equal(lease.held, false);
  const next = await lock.tryAcquire();
  assert.ok(next?.held);
  await next.release();
  // Releasing an old lease again must not release someone else's.
  const third = await lock.acquire();
  await lease.release();
  assert.equal(await lock.tryAcquire(), undefined);
  await third.release();
});

Deno.test("createMemoryLock() serves waiters in FIFO order", async () => {
  const lock = createMemoryLock();
  const order: number[] = [];
  const first = await lock.acquire();
  const waiters = [1, 2, 3].map((n) =>
    lock.acquire().then(async (lease) => {
      order.push(n);
      await lease.release();
    })
  );
  await first.release();
  await Promise.all(waiters);
  assert.deepEqual(order, [1, 2, 3]);
});

Deno.test("createMemoryLock() acquire() honours an abort signal", async (t) => {
  const lock = createMemoryLock();
  await t.step("an aborted signal rejects at once", async () => {
    const reason = new Error("already");
    await assert.rejects(
      lock.acquire({ signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
  });
  await t.step("aborting a waiter removes it from the queue", async () => {
    const held = await lock.acquire();
    const controller = new AbortController();
    const aborted = lock.acquire({ signal: controller.signal });
    const next = lock.acquire();
    const reason = new Error("gave up");
    controller.abort(reason);
    await assert.rejects(aborted, (error) => error === reason);
    await held.release();
    const lease = await next;
    assert.equal(lease.held, true);
    await lease.release();
    const free = await lock.tryAcquire();
    assert.ok(free);
    await free.release();
  });
});

Deno.test("createMemoryLock() leases are async disposable", async () => {
  const lock = createMemoryLock();
  {
    await using lease = await lock.acquire();
    assert.equal(lease.held, true);
    assert.equal(await lock.tryAcquire(), undefined);
  }
  const again = await lock.tryAcquire();
  assert.ok(again);
  await again.release();
});
