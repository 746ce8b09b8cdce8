import { deepEqual, equal, throws } from "node:assert/strict";
import {
  parsePermissionFlags,
  permissionFlags,
} from "../../src/jobs/permission_flags.ts";
import { PERMISSION_KINDS } from "../../src/jobs/permissions.ts";

const ALL = Object.fromEntries(PERMISSION_KINDS.map((kind) => [kind, true]));

Deno.test("parsePermissionFlags() reads every kind, with and without a list", async (t) => {
  const lists: Record<string, string> = {
    read: "/data,./rel",
    write: "/out/x.txt",
    net: "api.example.com:443,10.0.0.1",
    env: "API_TOKEN,HOME",
    run: "git,./bin/tool",
    sys: "hostname,osRelease",
    ffi: "/usr/lib/libx.so",
    import: "esm.sh:443",
  };
  for (const kind of PERMISSION_KINDS) {
    await t.step(kind, () => {
      deepEqual(parsePermissionFlags([`--allow-${kind}`]), { [kind]: true });
      deepEqual(parsePermissionFlags([`--allow-${kind}=${lists[kind]}`]), {
        [kind]: lists[kind]!.split(","),
      });
      deepEqual(parsePermissionFlags([`--deny-${kind}`]), {
        deny: { [kind]: true },
      });
      deepEqual(parsePermissionFlags([`--deny-${kind}=${lists[kind]}`]), {
        deny: { [kind]: lists[kind]!.split(",") },
      });
    });
  }
});

Deno.test("parsePermissionFlags() adds repeated flags up, as deno run does", () => {
  deepEqual(
    parsePermissionFlags([
      "--allow-read=/a",
      "--allow-read=/b,/a",
      "--allow-write=/x",
      "--allow-write",
      "--deny-write=/x/keep",
    ]),
    { read: ["/a", "/b"], write: true, deny: { write: ["/x/keep"] } },
  );
  equal(parsePermissionFlags([]), undefined);
});

Deno.test("parsePermissionFlags() reads -A and --allow-all as every kind", () => {
  deepEqual(parsePermissionFlags(["-A"]), ALL);
  deepEqual(
    parsePermissionFlags(["--allow-all", "--allow-read=/a", "--deny-net"]),
    { ...ALL, deny: { net: true } },
  );
});

Deno.test("parsePermissionFlags() refuses what deno run would, with one line naming the flag", async (t) => {
  const cases: [string, string][] = [
    [
      "--allow-bogus",
      `Cannot use permission flag "--allow-bogus": expected -A, --allow-all, --allow-KIND[=…] or --deny-KIND[=…] with a KIND of read, write, net, env, run, sys, ffi, import`,
    ],
    [
      "--eval=1",
      `Cannot use permission flag "--eval=1": expected -A, --allow-all, --allow-KIND[=…] or --deny-KIND[=…] with a KIND of read, write, net, env, run, sys, ffi, import`,
    ],
    [
      "--deny-all",
      `Cannot use permission flag "--deny-all": expected -A, --allow-all, --allow-KIND[=…] or --deny-KIND[=…] with a KIND of read, write, net, env, run, sys, ffi, import`,
    ],
    [
      "--allow-read=",
      "Cannot use --allow-read=: an empty entry names nothing (give --allow-read alone for all of it)",
    ],
    [
      "--deny-write=/a,,/b",
      "Cannot use --deny-write=/a,,/b: an empty entry names nothing (give --deny-write alone for all of it)",
    ],
    [
      "--allow-net=https://api.example.com",
      "Cannot use --allow-net=https://api.example.com: expected a host, with a port if needed (api.example.com:443, 10.0.0.1, [::1]:8080), not a URL",
    ],
    [
      "--allow-sys=hostname,uptime",
      `Cannot use --allow-sys=hostname,uptime ("uptime"): expected one of hostname, osRelease, osUptime, loadavg, networkInterfaces, systemMemoryInfo, uid, gid, cpus, homedir, getegid, statfs, getPriority, setPriority, userInfo, username`,
    ],
    [
      "--allow-env=A=1",
      `Cannot use --allow-env=A=1: expected a variable name (no "=")`,
    ],
  ];
  for (const [flag, message] of cases) {
    await t.step(flag, () => {
      throws(() => parsePermissionFlags([flag]), {
        name: "TypeError",
        message,
      });
    });
  }
});

Deno.test("permissionFlags() writes one flag per kind, grants before denials", () => {
  deepEqual(
    permissionFlags({
      read: ["/a", "/b"],
      net: true,
      import: ["esm.sh:443"],
      deny: { read: ["/a/secret"], env: true },
    }),
    [
      "--allow-read=/a,/b",
      "--allow-net",
      "--allow-import=esm.sh:443",
      "--deny-read=/a/secret",
      "--deny-env",
    ],
  );
  deepEqual(permissionFlags(undefined), []);
  deepEqual(permissionFlags({ ...ALL, deny: { write: ["/x"] } }).length, 9);
  deepEqual(
    permissionFlags({ ...ALL, deny: { write: ["/x"] } }, { allowAll: true }),
    ["--allow-all", "--deny-write=/x"],
  );
  deepEqual(
    permissionFlags({ read: true }, { allowAll: true }),
    ["--allow-read"],
  );
});

Deno.test("permissionFlags() and parsePermissionFlags() are each other's inverse", () => {
  const permissions = {
    read: ["/a"],
    write: true as const,
    env: ["X"],
    deny: { write: ["/a/keep"] },
  };
  deepEqual(parsePermissionFlags(permissionFlags(permissions)), permissions);
});
