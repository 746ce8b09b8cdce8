import { deepEqual, throws } from "node:assert/strict";
import { moduleFlags } from "../../src/executors/_module_flags.ts";
import { parsePermissionFlags } from "../../src/jobs/permission_flags.ts";

const URL_ = new URL("file:///srv/jobs/report.ts");
const STORE = ["/srv/jobs/.tock", "/home/me/link/.tock"];
const DENIED = [
  "--deny-read=/srv/jobs/.tock,/home/me/link/.tock",
  "--deny-write=/srv/jobs/.tock,/home/me/link/.tock",
];
const IMPORT_DEFAULTS = [
  "deno.land:443",
  "jsr.io:443",
  "esm.sh:443",
  "cdn.jsdelivr.net:443",
  "raw.githubusercontent.com:443",
  "user.githubusercontent.com:443",
];

function flags(job: string[], runner: string[] = [], url = URL_) {
  return moduleFlags({
    module: "./report.ts",
    url,
    runner: parsePermissionFlags(runner),
    job: parsePermissionFlags(job),
    protectedPaths: STORE,
  });
}

Deno.test("moduleFlags() by default: read the module's directory, the store denied", () => {
  deepEqual(flags([]), ["--allow-read=/srv/jobs", ...DENIED]);
  deepEqual(
    moduleFlags({ module: "./report.ts", url: URL_, protectedPaths: [] }),
    ["--allow-read=/srv/jobs"],
  );
});

Deno.test("moduleFlags() adds the job's grants to the defaults, one flag per kind", () => {
  deepEqual(
    flags(["--allow-read=/data", "--allow-write=/out/x.txt", "--allow-env"]),
    [
      "--allow-read=/srv/jobs,/data",
      "--allow-write=/out/x.txt",
      "--allow-env",
      ...DENIED,
    ],
  );
  // Deno would take `--allow-read=/srv/jobs --allow-read` as the list only.
  deepEqual(flags(["--allow-read"]), ["--allow-read", ...DENIED]);
  deepEqual(
    flags(["--allow-net=api.example.com:443"], [
      "--allow-net",
      "--allow-env=A",
    ]),
    ["--allow-read=/srv/jobs", "--allow-net", "--allow-env=A", ...DENIED],
  );
});

Deno.test("moduleFlags() keeps the store denied under every grant", async (t) => {
  const grants: [string, string[]][] = [
    ["-A", ["-A"]],
    ["--allow-all", ["--allow-all"]],
    ["--allow-write=/ and --allow-read=/", [
      "--allow-write=/",
      "--allow-read=/",
    ]],
    ["--allow-read and --allow-write", ["--allow-read", "--allow-write"]],
    ["the store's own paths", [
      "--allow-read=/srv/jobs/.tock",
      "--allow-write=/srv/jobs/.tock",
    ]],
  ];
  for (const [name, job] of grants) {
    await t.step(name, () => {
      const got = flags(job);
      deepEqual(got.slice(-2), DENIED, got.join(" "));
    });
    await t.step(`${name}, from the runner`, () => {
      deepEqual(flags([], job).slice(-2), DENIED);
    });
  }
  await t.step("the job's own denials join the store's", () => {
    deepEqual(flags(["--allow-write", "--deny-write=/srv/jobs/keep"]), [
      "--allow-read=/srv/jobs",
      "--allow-write",
      DENIED[0],
      `${DENIED[1]},/srv/jobs/keep`,
    ]);
    // Denying all reads denies the store too.
    deepEqual(flags(["--deny-read"]), [
      "--allow-read=/srv/jobs",
      "--deny-read",
      DENIED[1],
    ]);
  });
});

Deno.test("moduleFlags() keeps Deno's default import hosts in any import list", () => {
  deepEqual(flags([], [], new URL("https://x.dev/job.ts")), [
    `--allow-import=${["x.dev", ...IMPORT_DEFAULTS].join(",")}`,
    ...DENIED,
  ]);
  deepEqual(flags(["--allow-import=example.com:443"]), [
    "--allow-read=/srv/jobs",
    `--allow-import=${["example.com:443", ...IMPORT_DEFAULTS].join(",")}`,
    ...DENIED,
  ]);
  deepEqual(flags(["--allow-import"]), [
    "--allow-read=/srv/jobs",
    "--allow-import",
    ...DENIED,
  ]);
});

Deno.test("moduleFlags() refuses what Deno's flags cannot say", () => {
  throws(
    () =>
      moduleFlags({
        module: "/x.ts",
        url: new URL("file:///x.ts"),
        protectedPaths: [],
      }),
    /its directory is the filesystem root/,
  );
  throws(
    () =>
      moduleFlags({
        module: "./a.ts",
        url: URL_,
        protectedPaths: ["/srv/a,b/.tock"],
      }),
    /the store's path contains a comma/,
  );
});
