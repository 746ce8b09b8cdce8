import { equal } from "node:assert/strict";
import { redactUrl } from "../../../src/store/postgres/redact_url.ts";

Deno.test("redactUrl() hides everything between :// and the last @, and a password parameter", () => {
  const cases: [string, string][] = [
    ["postgres://u:pw@host/db", "postgres://***@host/db"],
    ["postgres://u:pa/ss@host/db", "postgres://***@host/db"],
    ["postgres://u:p@ss@host:5432/db", "postgres://***@host:5432/db"],
    ["postgres://u:p%zz@host/db?schema=x", "postgres://***@host/db?schema=x"],
    ["postgres://u:p:w/x?y#z@host/db", "postgres://***@host/db"],
    ["postgres://user@host/db", "postgres://***@host/db"],
    ["postgres://host/db", "postgres://host/db"],
    [
      "postgres://host/db?user=u&password=p/w&x=1",
      "postgres://host/db?user=u&password=***&x=1",
    ],
    ["postgres://host/db?PASSWORD=pw", "postgres://host/db?PASSWORD=***"],
    ["/var/lib/tock", "/var/lib/tock"],
    ["./a@b", "./a@b"],
    ["", ""],
  ];
  for (const [url, shown] of cases) equal(redactUrl(url), shown, url);
});
