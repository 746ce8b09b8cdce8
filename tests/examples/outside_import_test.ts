// "Imported as a module" works from another project: a script in a
// directory outside the repository, with no deno.json of its own (so
// without tock's import map), imports mod.ts and the other entry points by
// file URL and runs a job.
import { equal, match } from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

Deno.test("a script outside the repository imports mod.ts by file URL and runs a job", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tock-outside-" });
  try {
    const entry = (path: string) => JSON.stringify(new URL(path, ROOT).href);
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { createFileStore, createScheduler } from ${entry("mod.ts")};
import { FakeClock } from ${entry("src/testing/mod.ts")};
import { createPostgresStore } from ${
        entry("src/store/postgres/postgres_store.ts")
      };
import { withStoreLock } from ${entry("src/store/mod.ts")};

console.log(typeof createPostgresStore, typeof withStoreLock, typeof FakeClock);
await using store = await createFileStore({ dir: "./.tock" });
await using scheduler = await createScheduler({ store });
const ran = Promise.withResolvers<Date>();
await scheduler.add({
  id: "hello",
  schedule: "every 1s",
  handler: ({ slot }) => ran.resolve(slot),
});
const slot = await ran.promise;
console.log("ran", slot.toISOString());
`,
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-lock", "main.ts"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    equal(code, 0, new TextDecoder().decode(stderr));
    match(out, /^function function function\nran \d{4}-\d\d-\d\dT/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
