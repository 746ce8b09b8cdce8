import { deepEqual, equal } from "node:assert/strict";
import { spawnSupervised } from "../../src/executors/_supervisor.ts";

const FIXTURE = new URL("./fixtures/spawn_supervised.ts", import.meta.url);

Deno.test("spawnSupervised() starts the job leading its own process group", async () => {
  const child = spawnSupervised("sleep", ["5"], {
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  });
  try {
    // Deno asks for --allow-all to read /proc; a shell reads it. Right
    // after the spawn the child may not have called setsid() yet (it is
    // `setsid sh -c …`): read again until it has run `sleep`.
    let fields: string[] = [];
    for (let tries = 0; tries < 200; tries++) {
      const { stdout } = await new Deno.Command("sh", {
        args: ["-c", `cat /proc/${child.pid}/stat`],
      }).output();
      const stat = new TextDecoder().decode(stdout);
      fields = [stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))]
        .concat(stat.slice(stat.lastIndexOf(")") + 2).split(" "));
      if (fields[0] === "sleep") break;
    }
    // The command name, then state, ppid, pgrp, session.
    const [, , , pgrp, session] = fields;
    deepEqual([Number(pgrp), Number(session)], [child.pid, child.pid]);
  } finally {
    Deno.kill(-child.pid, "SIGKILL");
    await child.stdin.close();
    await child.status;
  }
});

Deno.test("spawnSupervised() falls back to detached: true where setsid is not allowed", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-run=sh", "--allow-read", FIXTURE.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(code, 0, new TextDecoder().decode(stderr));
  deepEqual(JSON.parse(new TextDecoder().decode(stdout)), {
    code: 3,
    leads: true,
  });
});
