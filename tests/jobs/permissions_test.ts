import { deepEqual, equal, throws } from "node:assert/strict";
import {
  checkPermissions,
  overridePermissions,
  reachesPastDenial,
  resolvePermissionPaths,
  unionPermissions,
} from "../../src/jobs/permissions.ts";
import { defineJob } from "../../src/jobs/define_job.ts";

const NOW = Date.UTC(2026, 10, 29, 10, 0, 0);

const fail = {
  fail(message: string): never {
    throw new TypeError(message);
  },
};

Deno.test("checkPermissions() gives the normal form: kind order, no duplicates, nothing empty", () => {
  const checked = checkPermissions({
    import: ["esm.sh:443"],
    env: ["API_TOKEN", "API_TOKEN", "AWS_*"],
    write: true,
    read: ["./data", "/etc/app"],
    net: ["api.example.com:443", "10.0.0.1", "[::1]:8080", "unix:/run/x.sock"],
    run: false,
    sys: [],
    ffi: ["./lib.so"],
    deny: { write: ["./data/keep"], net: false },
  }, fail);
  deepEqual(checked, {
    read: ["./data", "/etc/app"],
    write: true,
    net: ["api.example.com:443", "10.0.0.1", "[::1]:8080", "unix:/run/x.sock"],
    env: ["API_TOKEN", "AWS_*"],
    ffi: ["./lib.so"],
    import: ["esm.sh:443"],
    deny: { write: ["./data/keep"] },
  });
  // Key order in the input does not matter (jobs files are compared as JSON).
  equal(
    JSON.stringify(checked),
    JSON.stringify(checkPermissions(JSON.parse(JSON.stringify(checked)), fail)),
  );
  equal(checkPermissions(undefined, fail), undefined);
  equal(checkPermissions({}, fail), undefined);
  equal(checkPermissions({ read: false, deny: {} }, fail), undefined);
});

Deno.test("checkPermissions() names the bad field and value in one line", async (t) => {
  const cases: [string, unknown, string][] = [
    [
      "not an object",
      ["read"],
      `'permissions' must be an object such as {"write": ["./out"]}: received ["read"]`,
    ],
    [
      "an unknown kind",
      { wrte: true },
      `'permissions' has an unknown kind "wrte": expected read, write, net, env, run, sys, ffi, import, deny`,
    ],
    [
      "deny inside deny",
      { deny: { deny: {} } },
      `'permissions.deny' has an unknown kind "deny": expected read, write, net, env, run, sys, ffi, import`,
    ],
    [
      "a string instead of a list",
      { write: "/out" },
      `'permissions.write' must be true, false or a list of paths: received "/out"`,
    ],
    [
      "Deno's inherit",
      { env: "inherit" },
      `'permissions.env' must be true, false or a list of variable names: received "inherit"`,
    ],
    [
      "an empty entry",
      { read: [""] },
      `'permissions.read' has a bad entry "": expected a non-empty string`,
    ],
    [
      "a number",
      { run: [3] },
      `'permissions.run' has a bad entry 3: expected a non-empty string`,
    ],
    [
      "a comma",
      { read: ["/a,b"] },
      `'permissions.read' has a bad entry "/a,b": it contains a comma, which Deno's permission lists cannot name`,
    ],
    [
      "a NUL byte",
      { write: ["/a\0"] },
      `'permissions.write' has a bad entry "/a\\u0000": it contains a NUL byte`,
    ],
    [
      "a URL for a host",
      { net: ["https://api.example.com"] },
      `'permissions.net' has a bad entry "https://api.example.com": expected a host, with a port if needed (api.example.com:443, 10.0.0.1, [::1]:8080), not a URL`,
    ],
    [
      "a port out of range",
      { import: ["example.com:99999"] },
      `'permissions.import' has a bad entry "example.com:99999": expected a host, with a port if needed (api.example.com:443, 10.0.0.1, [::1]:8080)`,
    ],
    [
      "a relative socket",
      { net: ["unix:x.sock"] },
      `'permissions.net' has a bad entry "unix:x.sock": expected unix: and an absolute socket path`,
    ],
    [
      "a variable with a value",
      { env: ["A=1"] },
      `'permissions.env' has a bad entry "A=1": expected a variable name (no "=")`,
    ],
    [
      "an unknown sys API",
      { deny: { sys: ["gethostname"] } },
      `'permissions.deny.sys' has a bad entry "gethostname": expected one of hostname, osRelease, osUptime, loadavg, networkInterfaces, systemMemoryInfo, uid, gid, cpus, homedir, getegid, statfs, getPriority, setPriority, userInfo, username`,
    ],
  ];
  for (const [name, value, message] of cases) {
    await t.step(name, () => {
      throws(() => checkPermissions(value, fail), { message });
    });
  }
});

Deno.test("resolvePermissionPaths() resolves paths of read, write, ffi and path-like run entries only", () => {
  const resolved = resolvePermissionPaths({
    read: ["./data", "/etc/app"],
    write: true,
    net: ["example.com"],
    env: ["HOME"],
    run: ["git", "./bin/tool"],
    ffi: ["lib.so"],
    deny: { read: ["data/secret"] },
  }, (path) => path.startsWith("/") ? path : `/srv/${path.replace("./", "")}`);
  deepEqual(resolved, {
    read: ["/srv/data", "/etc/app"],
    write: true,
    net: ["example.com"],
    env: ["HOME"],
    run: ["git", "/srv/bin/tool"],
    ffi: ["/srv/lib.so"],
    deny: { read: ["/srv/data/secret"] },
  });
});

Deno.test("overridePermissions() replaces the kinds a change names and keeps the others", () => {
  const base = {
    read: ["/a"],
    write: ["/b"],
    env: true as const,
    deny: { write: ["/b/keep"], net: true as const },
  };
  deepEqual(
    overridePermissions(base, {
      write: ["/c"],
      net: ["x.com"],
      deny: { write: ["/c/keep"] },
    }),
    {
      read: ["/a"],
      write: ["/c"],
      net: ["x.com"],
      env: true,
      deny: { write: ["/c/keep"], net: true },
    },
  );
  deepEqual(overridePermissions(base, undefined), base);
  deepEqual(overridePermissions(undefined, { read: true }), { read: true });
  equal(overridePermissions(undefined, {}), undefined);
});

Deno.test("unionPermissions() adds lists up and lets a whole grant win", () => {
  deepEqual(
    unionPermissions(
      { read: ["/mod"] },
      undefined,
      { read: ["/data", "/mod"], write: ["/out"] },
      { write: true, deny: { read: ["/store"] } },
      { deny: { read: ["/other"], write: ["/store"] } },
    ),
    {
      read: ["/mod", "/data"],
      write: true,
      deny: { read: ["/store", "/other"], write: ["/store"] },
    },
  );
  equal(unionPermissions(), undefined);
});

Deno.test("defineJob() keeps a module job's permissions in normal form and refuses them elsewhere", async (t) => {
  await t.step("module", () => {
    const spec = defineJob({
      id: "report",
      schedule: "@daily",
      module: "./report.ts",
      permissions: { write: ["/out", "/out"], read: [], env: true },
    }, NOW);
    deepEqual(spec.target, {
      kind: "module",
      module: "./report.ts",
      permissions: { write: ["/out"], env: true },
    });
    const none = defineJob({
      id: "report",
      schedule: "@daily",
      module: "./report.ts",
      permissions: {},
    }, NOW);
    deepEqual(none.target, { kind: "module", module: "./report.ts" });
  });
  for (const target of [{ cmd: "true" }, { run: "fn" }]) {
    await t.step(Object.keys(target)[0]!, () => {
      throws(
        () =>
          defineJob({
            id: "a",
            schedule: "@daily",
            ...target,
            permissions: { read: true },
          }, NOW),
        {
          message:
            "Cannot define job 'a': 'permissions' applies to 'module' jobs only",
        },
      );
    });
  }
  await t.step("a bad value", () => {
    throws(
      () =>
        defineJob({
          id: "a",
          schedule: "@daily",
          module: "./a.ts",
          permissions: { net: ["http://x"] } as never,
        }, NOW),
      /^TypeError: Cannot define job 'a': 'permissions.net' has a bad entry "http:\/\/x": .*not a URL$/,
    );
  });
});

Deno.test("reachesPastDenial() names the grants Deno's path denials cannot hold against", () => {
  equal(reachesPastDenial(undefined), false);
  equal(reachesPastDenial({ read: ["/srv"], write: ["/srv/out"] }), false);
  equal(reachesPastDenial({ read: true, net: true, env: true }), false);
  equal(reachesPastDenial({ read: true, write: true }), true);
  equal(
    reachesPastDenial({ read: true, write: true, deny: { write: ["/x"] } }),
    true,
  );
  equal(
    reachesPastDenial({ read: true, write: true, deny: { write: true } }),
    false,
  );
  equal(reachesPastDenial({ run: ["git"] }), true);
  equal(reachesPastDenial({ ffi: true, deny: { ffi: true } }), false);
});
