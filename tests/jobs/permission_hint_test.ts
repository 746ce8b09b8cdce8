import { equal } from "node:assert/strict";
import {
  splitPermissionHint,
  withPermissionHint,
} from "../../src/jobs/permission_hint.ts";

/** Deno 2.9's message for a refused permission. */
function refused(kind: string, value?: string): string {
  return `Requires ${kind} access${
    value === undefined ? "" : ` to "${value}"`
  }, run again with the --allow-${kind} flag`;
}

Deno.test("withPermissionHint() names the flag that grants what Deno refused", async (t) => {
  const cases: [string, string, string][] = [
    [
      "write",
      refused("write", "/var/reports/x.txt"),
      `Requires write access to "/var/reports/x.txt": grant it with --allow-write=/var/reports/x.txt (tock update report --allow-write=/var/reports/x.txt)`,
    ],
    [
      "read",
      refused("read", "/etc/app.conf"),
      `Requires read access to "/etc/app.conf": grant it with --allow-read=/etc/app.conf (tock update report --allow-read=/etc/app.conf)`,
    ],
    [
      "net",
      refused("net", "api.example.com:443"),
      `Requires net access to "api.example.com:443": grant it with --allow-net=api.example.com:443 (tock update report --allow-net=api.example.com:443)`,
    ],
    [
      "env",
      refused("env", "API_TOKEN"),
      `Requires env access to "API_TOKEN": grant it with --allow-env=API_TOKEN (tock update report --allow-env=API_TOKEN)`,
    ],
    [
      "env, all of it",
      refused("env"),
      `Requires env access: grant it with --allow-env (tock update report --allow-env)`,
    ],
    [
      "run",
      refused("run", "git"),
      `Requires run access to "git": grant it with --allow-run=git (tock update report --allow-run=git)`,
    ],
    [
      "sys",
      refused("sys", "hostname"),
      `Requires sys access to "hostname": grant it with --allow-sys=hostname (tock update report --allow-sys=hostname)`,
    ],
    [
      "ffi",
      refused("ffi", "/lib/libc.so.6"),
      `Requires ffi access to "/lib/libc.so.6": grant it with --allow-ffi=/lib/libc.so.6 (tock update report --allow-ffi=/lib/libc.so.6)`,
    ],
    [
      "import, while loading",
      `Cannot load module "https://x.dev/a.ts": ${
        refused("import", "esm.sh:443")
      }`,
      `Cannot load module "https://x.dev/a.ts": Requires import access to "esm.sh:443": grant it with --allow-import=esm.sh:443 (tock update report --allow-import=esm.sh:443)`,
    ],
    [
      "a path the shell must quote",
      refused("write", `/tmp/it's here/x"y.txt`),
      `Requires write access to "/tmp/it's here/x"y.txt": grant it with '--allow-write=/tmp/it'\\''s here/x"y.txt' (tock update report '--allow-write=/tmp/it'\\''s here/x"y.txt')`,
    ],
    [
      "a path Deno's lists cannot name",
      refused("write", "/tmp/a,b.txt"),
      `Requires write access to "/tmp/a,b.txt": grant it with --allow-write (tock update report --allow-write)`,
    ],
  ];
  for (const [name, message, expected] of cases) {
    await t.step(name, () => {
      equal(withPermissionHint(message, { jobId: "report" }), expected);
    });
  }
});

Deno.test("withPermissionHint() keeps the job's list in the update it suggests", () => {
  equal(
    withPermissionHint(refused("write", "/c/x"), {
      jobId: "sync",
      permissions: { write: ["/a", "/b"], read: true },
    }),
    `Requires write access to "/c/x": grant it with --allow-write=/c/x (tock update sync --allow-write=/a,/b,/c/x)`,
  );
});

Deno.test("withPermissionHint() says when no flag can grant it", async (t) => {
  await t.step("the store's files", () => {
    for (const kind of ["read", "write"]) {
      equal(
        withPermissionHint(refused(kind, "/srv/.tock/journal"), {
          jobId: "a",
          permissions: { read: true, write: true },
          protectedPaths: ["/srv/.tock"],
        }),
        `Requires ${kind} access to "/srv/.tock/journal": the store's files are never granted to a job`,
      );
    }
    // A sibling whose name starts like the store's is not the store.
    equal(
      withPermissionHint(refused("write", "/srv/.tock-old"), {
        jobId: "a",
        protectedPaths: ["/srv/.tock"],
      }),
      `Requires write access to "/srv/.tock-old": grant it with --allow-write=/srv/.tock-old (tock update a --allow-write=/srv/.tock-old)`,
    );
  });
  await t.step("the job's own denials", () => {
    equal(
      withPermissionHint(refused("write", "/data/keep/x"), {
        jobId: "a",
        permissions: { write: true, deny: { write: ["/data/keep"] } },
      }),
      `Requires write access to "/data/keep/x": the job denies it (--deny-write=/data/keep)`,
    );
    equal(
      withPermissionHint(refused("net", "x.com:443"), {
        jobId: "a",
        permissions: { deny: { net: ["x.com"] } },
      }),
      `Requires net access to "x.com:443": the job denies it (--deny-net=x.com)`,
    );
    equal(
      withPermissionHint(refused("env", "AWS_KEY"), {
        jobId: "a",
        permissions: { deny: { env: ["AWS_*"] } },
      }),
      `Requires env access to "AWS_KEY": the job denies it (--deny-env=AWS_*)`,
    );
    equal(
      withPermissionHint(refused("sys"), {
        jobId: "a",
        permissions: { deny: { sys: true } },
      }),
      `Requires sys access: the job denies it (--deny-sys)`,
    );
  });
});

Deno.test("withPermissionHint() leaves other messages, and grants the job has, as they are", () => {
  for (
    const message of [
      "bad input: 42",
      "Requires write access, which is odd",
      `Cannot load module "file:///a.ts": Module not found`,
    ]
  ) {
    equal(withPermissionHint(message, { jobId: "a" }), message);
  }
  const message = refused("write", "/x");
  equal(
    withPermissionHint(message, { jobId: "a", permissions: { write: true } }),
    message,
  );
});

Deno.test("withPermissionHint() keeps a value that looks like a replacement pattern", () => {
  equal(
    withPermissionHint(`x: ${refused("write", "/out/$&x")} (y)`, {
      jobId: "a",
    }),
    `x: Requires write access to "/out/$&x": grant it with '--allow-write=/out/$&x' (tock update a '--allow-write=/out/$&x') (y)`,
  );
});

Deno.test("splitPermissionHint() separates the hint from the message", () => {
  const message = withPermissionHint(refused("write", "/x"), { jobId: "a" });
  const { text, hint } = splitPermissionHint(message);
  equal(text, `Requires write access to "/x"`);
  equal(
    hint,
    ": grant it with --allow-write=/x (tock update a --allow-write=/x)",
  );
  equal(text + hint, message);
  equal(splitPermissionHint("boom").hint, "");
});
