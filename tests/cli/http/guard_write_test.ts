import { deepEqual, equal } from "node:assert/strict";
import { guardWrite, ownOrigins } from "../../../src/cli/http/guard_write.ts";

const ORIGINS = ownOrigins("127.0.0.1", 8787);

function post(headers: Record<string, string>): Request {
  return new Request("http://127.0.0.1:8787/api/jobs/a/run", {
    method: "POST",
    headers,
  });
}

Deno.test("guardWrite() refuses every write when no token is configured", () => {
  for (const token of [undefined, ""]) {
    const refusal = guardWrite(post({ authorization: "Bearer x" }), {
      origins: ORIGINS,
      ...(token !== undefined ? { token } : {}),
    });
    equal(refusal?.status, 403);
  }
});

Deno.test("guardWrite() needs the exact bearer token", () => {
  const options = { origins: ORIGINS, token: "secret" };
  equal(guardWrite(post({}), options)?.status, 401);
  equal(guardWrite(post({ authorization: "secret" }), options)?.status, 401);
  equal(
    guardWrite(post({ authorization: "Bearer secre" }), options)?.status,
    401,
  );
  equal(
    guardWrite(post({ authorization: "Bearer secret!" }), options)?.status,
    401,
  );
  equal(
    guardWrite(post({ authorization: "Bearer secret" }), options),
    undefined,
  );
});

Deno.test("guardWrite() refuses a write whose Origin is not the server's own", () => {
  const options = { origins: ORIGINS, token: "secret" };
  const auth = { authorization: "Bearer secret" };
  for (
    const origin of [
      "http://evil.example",
      "http://127.0.0.1:8788",
      "https://127.0.0.1:8787",
      "null",
    ]
  ) {
    equal(guardWrite(post({ ...auth, origin }), options)?.status, 403, origin);
  }
  for (const origin of ["http://127.0.0.1:8787", "http://localhost:8787"]) {
    equal(guardWrite(post({ ...auth, origin }), options), undefined, origin);
  }
});

Deno.test("ownOrigins() adds the loopback names for a loopback or wildcard bind", () => {
  deepEqual(
    [...ownOrigins("0.0.0.0", 80)].sort(),
    [
      "http://0.0.0.0:80",
      "http://127.0.0.1:80",
      "http://[::1]:80",
      "http://localhost:80",
    ],
  );
  deepEqual([...ownOrigins("10.0.0.5", 80)], ["http://10.0.0.5:80"]);
});
