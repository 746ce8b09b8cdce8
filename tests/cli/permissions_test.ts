// Module permissions on the command line and in jobs files: `deno run`'s
// flags on `add` and `update`, `"permissions"` in a jobs file, what `show`
// prints, and the one-line errors that change nothing.
import { deepEqual, equal, match, throws } from "node:assert/strict";
import { parseJobsFile } from "../../src/cli/jobs_file.ts";
import { PERMISSION_KINDS } from "../../src/jobs/permissions.ts";
import { addJob } from "../../src/turns/manage_jobs.ts";
import { createFileStore } from "../../src/store/file/file_store.ts";
import { cli, cliJson, NOW, snapshot, tempDir } from "./_run.ts";

type Json = Record<string, unknown>;

const CWD = "/srv/app";

function succeeded(result: { code: number; stdout: string; stderr: string }) {
  equal(result.code, 0, result.stderr);
  return result.stdout;
}

/** A usage error: exit 2 and one line on stderr. */
function usageError(
  result: { code: number; stdout: string; stderr: string },
  message: string | RegExp,
) {
  equal(result.code, 2, result.stderr);
  equal(result.stdout, "");
  equal(result.stderr.split("\n").length, 1, result.stderr);
  if (typeof message === "string") equal(result.stderr, `tock: ${message}`);
  else match(result.stderr, message);
}

async function store() {
  const dir = await tempDir();
  const s = ["--store", `${dir.path}/store`];
  const run = (args: string[]) => cli([...args, ...s], { cwd: () => CWD });
  const permissions = async (id: string) =>
    ((await cliJson<Json>(["show", id, ...s])).target as Json).permissions;
  return {
    dir,
    s,
    run,
    permissions,
    async [Symbol.asyncDispose]() {
      await dir[Symbol.asyncDispose]();
    },
  };
}

function add(id: string, ...flags: string[]): string[] {
  return ["add", id, "--schedule", "@daily", "--module", "job.ts", ...flags];
}

Deno.test("tock add takes every --allow-* and --deny-* kind, with and without a list", async (t) => {
  await using st = await store();
  const lists: Record<string, [string, string[]]> = {
    read: ["./data,/etc/app", ["/srv/app/data", "/etc/app"]],
    write: ["out/x.txt", ["/srv/app/out/x.txt"]],
    net: ["api.example.com:443,10.0.0.1", ["api.example.com:443", "10.0.0.1"]],
    env: ["API_TOKEN", ["API_TOKEN"]],
    run: ["git,./bin/tool", ["git", "/srv/app/bin/tool"]],
    sys: ["hostname", ["hostname"]],
    ffi: ["../lib/x.so", ["/srv/lib/x.so"]],
    import: ["esm.sh:443", ["esm.sh:443"]],
  };
  for (const kind of PERMISSION_KINDS) {
    const [text, stored] = lists[kind]!;
    await t.step(kind, async () => {
      succeeded(await st.run(add(`all-${kind}`, `--allow-${kind}`)));
      deepEqual(await st.permissions(`all-${kind}`), { [kind]: true });
      succeeded(await st.run(add(`list-${kind}`, `--allow-${kind}=${text}`)));
      deepEqual(await st.permissions(`list-${kind}`), { [kind]: stored });
      succeeded(await st.run(add(`deny-${kind}`, `--deny-${kind}=${text}`)));
      deepEqual(await st.permissions(`deny-${kind}`), {
        deny: { [kind]: stored },
      });
      succeeded(await st.run(add(`denyall-${kind}`, `--deny-${kind}`)));
      deepEqual(await st.permissions(`denyall-${kind}`), {
        deny: { [kind]: true },
      });
    });
  }
  await t.step("-A, --allow-all, and deny beside them", async () => {
    const all = Object.fromEntries(
      PERMISSION_KINDS.map((kind) => [kind, true]),
    );
    succeeded(await st.run(add("a1", "-A")));
    deepEqual(await st.permissions("a1"), all);
    succeeded(
      await st.run(
        add("a2", "--allow-all", "--deny-write=./keep", "--deny-net"),
      ),
    );
    deepEqual(await st.permissions("a2"), {
      ...all,
      deny: { write: ["/srv/app/keep"], net: true },
    });
    match(
      succeeded(await st.run(["show", "a2"])),
      /^permissions: +--allow-all --deny-write=\/srv\/app\/keep --deny-net \(it reads its own directory; the store is denied to its file access, but run, ffi or unscoped read and write reach past that\)$/m,
    );
  });
  await t.step("deno run's short names, repeated flags adding up", async () => {
    succeeded(
      await st.run(
        add("short", "-R=./a", "-R", "-W./out", "-N=x.com", "-E", "-S", "-I"),
      ),
    );
    deepEqual(await st.permissions("short"), {
      read: true,
      write: ["/srv/app/out"],
      net: ["x.com"],
      env: true,
      sys: true,
      import: true,
    });
    succeeded(
      await st.run(add("twice", "--allow-read=/a", "--allow-read=/b,/a")),
    );
    deepEqual(await st.permissions("twice"), { read: ["/a", "/b"] });
  });
  await t.step("a bare flag never takes the next argument", async () => {
    succeeded(
      await st.run([
        "add",
        "order",
        "--allow-write",
        "--schedule",
        "@daily",
        "--allow-net",
        "--module",
        "job.ts",
      ]),
    );
    deepEqual(await st.permissions("order"), { write: true, net: true });
    usageError(
      await st.run([
        "add",
        "value",
        "--schedule",
        "@daily",
        "--module",
        "--allow-all",
      ]),
      "Option '--module' of 'tock add' needs a value",
    );
  });
  await t.step("show: none but the default", async () => {
    succeeded(await st.run(add("plain")));
    equal(await st.permissions("plain"), undefined);
    match(
      succeeded(await st.run(["show", "plain"])),
      /^permissions: +none but the default \(it reads its own directory; the store is always denied\)$/m,
    );
  });
});

Deno.test("tock update replaces the kinds it names; --no-permissions drops the rest", async () => {
  await using st = await store();
  succeeded(
    await st.run(
      add(
        "job",
        "--allow-read=/data",
        "--allow-write=/out/a",
        "--allow-env=A",
        "--deny-write=/out/a/keep",
      ),
    ),
  );
  // Another option keeps them.
  succeeded(await st.run(["update", "job", "--retries", "2"]));
  deepEqual(await st.permissions("job"), {
    read: ["/data"],
    write: ["/out/a"],
    env: ["A"],
    deny: { write: ["/out/a/keep"] },
  });
  succeeded(
    await st.run(["update", "job", "--allow-write=/out/b", "--allow-net"]),
  );
  deepEqual(await st.permissions("job"), {
    read: ["/data"],
    write: ["/out/b"],
    net: true,
    env: ["A"],
    deny: { write: ["/out/a/keep"] },
  });
  succeeded(await st.run(["update", "job", "--deny-write=out/b/keep"]));
  deepEqual(
    ((await st.permissions("job")) as Json).deny,
    { write: ["/srv/app/out/b/keep"] },
  );
  // A new module path keeps them.
  succeeded(await st.run(["update", "job", "--module", "/srv/other.ts"]));
  equal(((await st.permissions("job")) as Json).net, true);
  succeeded(
    await st.run(["update", "job", "--no-permissions", "--allow-env=B"]),
  );
  deepEqual(await st.permissions("job"), { env: ["B"] });
  succeeded(await st.run(["update", "job", "--no-permissions"]));
  equal(await st.permissions("job"), undefined);
  succeeded(await st.run(["update", "job", "-A"]));
  equal(((await st.permissions("job")) as Json).ffi, true);
  // Switching to a command drops them.
  succeeded(await st.run(["update", "job", "--cmd", "true"]));
  deepEqual((await cliJson<Json>(["show", "job", ...st.s])).target, {
    kind: "command",
    cmd: "true",
  });
});

Deno.test("tock add and update refuse permissions on command and function jobs, changing nothing", async () => {
  await using st = await store();
  {
    await using s = await createFileStore({ dir: `${st.dir.path}/store` });
    await addJob(s, { id: "fn", schedule: "@daily", run: "fn" }, { now: NOW });
    await addJob(s, { id: "sh", schedule: "@daily", cmd: "true" }, {
      now: NOW,
    });
    await addJob(s, { id: "mod", schedule: "@daily", module: "/a/b.ts" }, {
      now: NOW,
    });
  }
  const before = await snapshot(st.dir.path);
  usageError(
    await st.run([
      "add",
      "c",
      "--schedule",
      "@daily",
      "--cmd",
      "true",
      "--allow-write=/x",
    ]),
    "Cannot use --allow-write=/x: permissions apply to --module jobs only",
  );
  usageError(
    await st.run(["update", "sh", "--deny-net"]),
    "Cannot use --deny-net: permissions apply to --module jobs only",
  );
  usageError(
    await st.run(["update", "fn", "-A"]),
    "Cannot use --allow-all: permissions apply to --module jobs only",
  );
  usageError(
    await st.run(["update", "sh", "--no-permissions"]),
    "Cannot use --no-permissions: permissions apply to --module jobs only",
  );
  usageError(
    await st.run(["update", "mod", "--cmd", "true", "--allow-read"]),
    "Cannot use --allow-read: permissions apply to --module jobs only",
  );
  deepEqual(await snapshot(st.dir.path), before);
});

Deno.test("tock add refuses bad permission flags with one line, changing nothing", async (t) => {
  await using st = await store();
  succeeded(await st.run(add("keep", "--allow-env=A")));
  const before = await snapshot(st.dir.path);
  const cases: [string, string[], string | RegExp][] = [
    [
      "an unknown kind",
      ["--allow-disk"],
      /^tock: Unknown option '--allow-disk' for 'tock (add|update)' \(see 'tock (add|update) --help'\)$/,
    ],
    [
      "an empty list",
      ["--allow-read="],
      "Cannot use --allow-read=: an empty entry names nothing (give --allow-read alone for all of it)",
    ],
    [
      "an empty entry",
      ["--deny-env=A,"],
      "Cannot use --deny-env=A,: an empty entry names nothing (give --deny-env alone for all of it)",
    ],
    [
      "a URL for a host",
      ["--allow-net=https://api.example.com/v1"],
      "Cannot use --allow-net=https://api.example.com/v1: expected a host, with a port if needed (api.example.com:443, 10.0.0.1, [::1]:8080), not a URL",
    ],
    [
      "an unknown sys API",
      ["-S=uptime"],
      /^tock: Cannot use --allow-sys=uptime: expected one of hostname, /,
    ],
    [
      "a value for -A",
      ["--allow-all=yes"],
      /^tock: Option '--allow-all' of 'tock (add|update)' takes no value$/,
    ],
    [
      "a value for --no-permissions",
      ["--no-permissions=1"],
      /^tock: Option '--no-permissions' of 'tock (add|update)' takes no value$/,
    ],
  ];
  for (const [name, flags, message] of cases) {
    await t.step(name, async () => {
      usageError(await st.run(add("new", ...flags)), message);
      usageError(await st.run(["update", "keep", ...flags]), message);
      deepEqual(await snapshot(st.dir.path), before);
    });
  }
});

Deno.test("tock add --help and update --help describe the permission flags", async () => {
  for (const command of ["add", "update"]) {
    const help = succeeded(await cli([command, "--help"]));
    match(help, /--allow-write\[=PATH,…\]/);
    match(help, /--no-permissions/);
  }
  match(
    succeeded(await cli(["update", "--help"])),
    /A permission flag replaces what the job had for that kind/,
  );
});

const FILE = "/srv/app/jobs/jobs.json";

function parse(job: Json) {
  return parseJobsFile(
    JSON.stringify({ jobs: [{ id: "a", schedule: "@daily", ...job }] }),
    FILE,
    { now: NOW },
  );
}

Deno.test('a jobs file takes "permissions" in Deno\'s descriptor shape, paths read from its directory', () => {
  const [job] = parse({
    module: "report.ts",
    permissions: {
      read: ["./data", "/etc/app"],
      write: true,
      net: ["api.example.com:443"],
      env: ["API_TOKEN"],
      run: ["git", "../bin/tool"],
      sys: false,
      ffi: ["lib/x.so"],
      import: ["esm.sh:443"],
      deny: { write: ["data/keep"] },
    },
  }).jobs;
  deepEqual(job!.permissions, {
    read: ["/srv/app/jobs/data", "/etc/app"],
    write: true,
    net: ["api.example.com:443"],
    env: ["API_TOKEN"],
    run: ["git", "/srv/app/bin/tool"],
    ffi: ["/srv/app/jobs/lib/x.so"],
    import: ["esm.sh:443"],
    deny: { write: ["/srv/app/jobs/data/keep"] },
  });
  equal(parse({ module: "report.ts" }).jobs[0]!.permissions, undefined);
});

Deno.test('a jobs file refuses bad "permissions" with one line naming the job and the field', async (t) => {
  const prefix = `Cannot load jobs file "${FILE}": jobs[0] ("a"): `;
  const cases: [string, Json, string][] = [
    [
      "a command job",
      { cmd: "true", permissions: { read: true } },
      `"permissions" applies only to "module" jobs`,
    ],
    [
      "not an object",
      { module: "a.ts", permissions: "all" },
      `"permissions": the value must be an object such as {"write": ["./out"]}: received "all"`,
    ],
    [
      "an unknown kind",
      { module: "a.ts", permissions: { allowWrite: true } },
      `"permissions": the value has an unknown kind "allowWrite": expected read, write, net, env, run, sys, ffi, import, deny`,
    ],
    [
      "a string for a list",
      { module: "a.ts", permissions: { write: "./out" } },
      `"permissions": "write" must be true, false or a list of paths: received "./out"`,
    ],
    [
      "a bad deny entry",
      { module: "a.ts", permissions: { deny: { net: ["http://x"] } } },
      `"permissions": "deny.net" has a bad entry "http://x": expected a host, with a port if needed (api.example.com:443, 10.0.0.1, [::1]:8080), not a URL`,
    ],
    [
      "a misspelt field",
      { module: "a.ts", permission: {} },
      `unknown field "permission" (did you mean "permissions"?)`,
    ],
  ];
  for (const [name, job, message] of cases) {
    await t.step(name, () => {
      throws(() => parse(job), { message: prefix + message });
    });
  }
});
