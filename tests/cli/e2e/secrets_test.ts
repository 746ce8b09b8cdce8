// Secrets in real `tock` processes: store URL passwords never reach stdout
// or stderr, and env values are printed only with --show-env.
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  assertOneLineError,
  describe,
  succeeded,
  tempDir,
  tock,
  tockJson,
} from "./_cli.ts";

Deno.test("tock keeps store URL passwords out of its output, and reports a malformed URL in one line", async (t) => {
  const cases: [string, string, number, string][] = [
    ["a slash", "postgres://u:pa/ss@127.0.0.1:1/db", 2, "pa/ss"],
    ["a malformed escape", "postgres://u:p%zzw@127.0.0.1:1/db", 2, "p%zzw"],
    ["an @", "postgres://u:p@ss@127.0.0.1:1/db", 1, "p@ss"],
  ];
  for (const [name, url, code, secret] of cases) {
    await t.step(`a password with ${name}`, async () => {
      // As $TOCK_STORE too: status prints the store it reads.
      for (const storeVia of ["flag", "env"] as const) {
        const result = await tock(["status"], { store: url, storeVia });
        const line = assertOneLineError(
          result,
          code,
          "postgres://***@127.0.0.1:1/db",
        );
        ok(!line.includes("URI malformed"), line);
        for (const text of [result.stdout, result.stderr]) {
          ok(!text.includes(secret), `${secret} shown\n${describe(result)}`);
        }
      }
    });
  }
});

Deno.test("tock show and list print env values only with --show-env", async () => {
  await using tmp = await tempDir();
  const store = `${tmp.path}/store`;
  succeeded(
    await tock([
      "add",
      "a",
      "--schedule",
      "@daily",
      "--cmd",
      "true",
      "--env",
      "API_TOKEN=hunter2",
    ], { store }),
  );
  for (
    const args of [["show", "a", "--json"], ["list", "--json"], ["show", "a"]]
  ) {
    const out = succeeded(await tock(args, { store }));
    ok(!out.includes("hunter2"), `${args.join(" ")} printed the value`);
  }
  const shown = await tockJson<{ target: { env: unknown } }>(
    ["show", "a"],
    { store },
  );
  deepEqual(shown.target.env, ["API_TOKEN"]);
  const listed = await tockJson<{ target: { env: unknown } }[]>(
    ["list", "--show-env"],
    { store },
  );
  deepEqual(listed[0]!.target.env, { API_TOKEN: "hunter2" });
  const text = succeeded(await tock(["show", "a", "--show-env"], { store }));
  ok(text.includes(`API_TOKEN="hunter2"`), text);
  equal(
    (await tock(["history", "--show-env"], { store })).code,
    2,
    "--show-env belongs to show and list only",
  );
});
