import assert from "node:assert/strict";
import { createFileLock } from "../../src/lock/file_lock.ts";

async function tempLockPath(): Promise<
  { path: string; cleanup: () => Promise<void> }
> {
  const dir = await Deno.makeTempDir({ prefix: "tock-lock-" });
  return {
    path: `${dir}/lock`,
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

function tick(ms = 30): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("createFileLock() creates the lock file 0600 and excludes within one object", async () => {
  const { path, cleanup } = await tempLockPath();
  try {
    const lock = createFileLock(path);
    const lease = await lock.acquire();
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal(await lock.tryAcquire(), undefined);
    let got = false;
    const second = lock.acquire().then((l) => {
      got = true;
      return l;
    });
    await tick();
    assert.equal(got, false);
    await lease.release();
    await lease.release();
    const next = await second;
    assert.equal(next.held, true);
    await next.release();
  } finally {
    await cleanup();
  }
});

Deno.test("createFileLock() objects on one path exclude each other", async () => {
  const { path, cleanup } = await tempLockPath();
  try {
    const a = createFileLock(path);
    const b = createFileLock(path);
    const lease = await a.acquire();
    assert.equal(await b.tryAcquire(), undefined);
    let got = false;
    const waiting = b.acquire().then((l) => {
      got = true;
      return l;
    });
    await tick();
    assert.equal(got, false);
    await lease.release();
    const other = await waiting;
    assert.equal(await a.tryAcquire(), undefined);
    await other.release();
    const again = await a.tryAcquire();
    assert.ok(again?.held);
    await again.release();
  } finally {
    await cleanup();
  }
});

Deno.test("createFileLock() acquire() rejects on abort and leaves the lock usable", async () => {
  const { path, cleanup } = await tempLockPath();
  try {
    const a = createFileLock(path);
    const b = createFileLock(path);
    const held = await a.acquire();
    const controller = new AbortController();
    const waiting = b.acquire({ signal: controller.signal });
    const queued = b.acquire();
    await tick(15);
    const reason = new Error("no more waiting");
    controller.abort(reason);
    await assert.rejects(waiting, (error) => error === reason);
    await assert.rejects(
      b.acquire({ signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    await held.release();
    const lease = await queued;
    assert.equal(lease.held, true);
    await lease.release();
  } finally {
    await cleanup();
  }
});

Deno.test("createFileLock() excludes another process", async () => {
  const { path, cleanup } = await tempLockPath();
  const module = new URL("../../src/lock/file_lock.ts", import.meta.url).href;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { createFileLock } from ${JSON.stringify(module)};
       const lease = await createFileLock(${JSON.stringify(path)}).acquire();
       console.log("locked");
       await Deno.stdin.read(new Uint8Array(1));
       await lease.release();`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let out = "";
    while (!out.includes("locked")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    assert.match(out, /locked/);
    const lock = createFileLock(path);
    assert.equal(await lock.tryAcquire(), undefined);
    const waiting = lock.acquire();
    await tick();
    assert.equal(await lock.tryAcquire(), undefined);
    await child.stdin.close();
    const lease = await waiting;
    assert.equal(lease.held, true);
    assert.equal((await child.status).success, true);
    await lease.release();
    const again = await lock.tryAcquire();
    assert.ok(again);
    await again.release();
    await reader.cancel();
  } finally {
    try {
      child.kill();
    } catch {
      // already exited
    }
    await child.status;
    await cleanup();
  }
});
