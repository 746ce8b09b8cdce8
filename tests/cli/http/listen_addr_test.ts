import { deepEqual, throws } from "node:assert/strict";
import { parseListenAddr } from "../../../src/cli/http/listen_addr.ts";
import { UsageError } from "../../../src/cli/_errors.ts";

Deno.test("parseListenAddr() binds loopback for a bare port and keeps a given host", () => {
  deepEqual(parseListenAddr("8787"), { hostname: "127.0.0.1", port: 8787 });
  deepEqual(parseListenAddr("0"), { hostname: "127.0.0.1", port: 0 });
  deepEqual(parseListenAddr("0.0.0.0:80"), { hostname: "0.0.0.0", port: 80 });
  deepEqual(parseListenAddr("localhost:9000"), {
    hostname: "localhost",
    port: 9000,
  });
  deepEqual(parseListenAddr("[::1]:8787"), { hostname: "::1", port: 8787 });
});

Deno.test("parseListenAddr() refuses what is not PORT or HOST:PORT", () => {
  for (const text of ["", "abc", "70000", "host:", ":80", "a b:1", "::1:80"]) {
    throws(() => parseListenAddr(text), UsageError, text);
  }
});
