// The library example is part of the product: it must run and end by itself.
import { equal, match } from "node:assert/strict";

Deno.test("examples/library.ts runs, retries, records a failure and exits by itself", async () => {
  const script = new URL("../../examples/library.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  equal(code, 0, new TextDecoder().decode(stderr));
  match(out, /run\.retrying/);
  match(out, /flaky-upload .* failed \(attempt 3\)/);
  match(out, /flaky-upload .* succeeded \(attempt 2\)/);
  match(out, /heartbeat .* succeeded/);
});
