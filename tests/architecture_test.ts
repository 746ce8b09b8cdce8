// The layers of src/ (see docs/architecture.md), each importing only the
// ones below it:
//
//   types.ts, errors.ts, clock.ts, deps    leaves (deps: the npm packages,
//                                          each pinned in one file)
//   schedule ← jobs ← actors               pure: no I/O, no clock reads
//   lock ← store                           persistence
//   turns                                  lock turns: read, decide, commit
//   executors                              command, module, function runs
//   runtime                                wiring: createScheduler()
//   cli                                    the command line (not actors)
//
// Only `withStoreLock()` takes a store's lock; only the clock module reads
// the wall clock; machines import no backend, Deno API or clock.
import { deepEqual } from "node:assert/strict";

const BASE = ["types.ts", "errors.ts", "deps"];
const LAYERS: Record<string, string[]> = {
  deps: [],
  "types.ts": [],
  "errors.ts": ["types.ts"],
  "clock.ts": [],
  schedule: [...BASE, "schedule"],
  jobs: [...BASE, "schedule", "jobs"],
  lock: [...BASE, "lock"],
  store: [...BASE, "lock", "store"],
  actors: [...BASE, "schedule", "jobs", "actors"],
  turns: [...BASE, "clock.ts", "schedule", "jobs", "lock", "store", "turns"],
  executors: [...BASE, "clock.ts", "jobs", "store", "executors"],
  runtime: [
    ...BASE,
    "clock.ts",
    "schedule",
    "jobs",
    "lock",
    "store",
    "actors",
    "turns",
    "executors",
    "runtime",
  ],
  testing: [...BASE, "clock.ts", "lock", "store", "testing"],
  // The command line drives the runtime; it never reaches into the actors.
  cli: [
    ...BASE,
    "clock.ts",
    "schedule",
    "jobs",
    "lock",
    "store",
    "turns",
    "executors",
    "runtime",
    "cli",
  ],
};

/** Layers that may import these only as types (`import type`). */
const TYPE_ONLY: Record<string, string[]> = {
  jobs: ["store"],
  actors: ["store", "lock"],
};

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* sources(path);
    else if (path.endsWith(".ts")) yield path;
  }
}

function layerOf(path: string): string {
  const rest = path.slice(path.indexOf("src/") + 4);
  return rest.includes("/") ? rest.slice(0, rest.indexOf("/")) : rest;
}

function resolve(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

Deno.test("architecture: src/ imports only go down the layers", async () => {
  const wrong: string[] = [];
  const root = new URL("../src", import.meta.url).pathname;
  for await (const path of sources(root)) {
    const text = await Deno.readTextFile(path);
    const layer = layerOf(path);
    for (
      const [statement, spec] of text.matchAll(
        /^\s*(?:import|export)[^"']*["']([^"']+)["']/gm,
      )
    ) {
      if (!spec!.startsWith(".")) continue;
      const target = layerOf(resolve(path, spec!));
      if (TYPE_ONLY[layer]?.includes(target)) {
        if (!/^\s*(?:import|export) type /.test(statement)) {
          wrong.push(
            `${path.slice(root.length + 1)} imports a ${target} value`,
          );
        }
        continue;
      }
      if (!LAYERS[layer]?.includes(target)) {
        wrong.push(
          `${path.slice(root.length + 1)} -> ${spec} (${layer} -> ${target})`,
        );
      }
    }
  }
  deepEqual(wrong, []);
});

Deno.test("architecture: only the clock module reads the wall clock", async () => {
  const offenders: string[] = [];
  const root = new URL("../src", import.meta.url).pathname;
  for await (const path of sources(root)) {
    if (path.endsWith("src/clock.ts")) continue;
    const text = code(await Deno.readTextFile(path));
    if (/Date\.now\(|new Date\(\)|performance\.now\(/.test(text)) {
      offenders.push(path.slice(root.length + 1));
    }
  }
  deepEqual(offenders, []);
});

Deno.test("architecture: machines import no backend, Deno API or clock", async () => {
  const offenders: string[] = [];
  const root = new URL("../src/actors", import.meta.url).pathname;
  for await (const path of sources(root)) {
    const text = await Deno.readTextFile(path);
    if (/\bDeno\.|setTimeout\(|runtime\/|_store\.ts|_lock\.ts/.test(text)) {
      offenders.push(path);
    }
  }
  deepEqual(offenders, []);
});

/** A relative `import … from`, `export … from` or bare `import "…"`. */
const IMPORT =
  /^\s*(?:(?:import|export)\s[^;]*?\bfrom\s*|import\s*)["'](\.[^"']+)["']/gm;

/** Strips comments, so that documentation may name what code may not do. */
function code(text: string): string {
  return text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, "");
}

Deno.test("architecture: only withStoreLock() takes a store's lock", async () => {
  const offenders: string[] = [];
  const root = new URL("../src", import.meta.url).pathname;
  for await (const path of sources(root)) {
    // The lock implementations acquire the locks they wrap.
    if (path.includes("/src/lock/")) continue;
    if (path.endsWith("src/store/with_store_lock.ts")) continue;
    if (
      /\block\s*\.\s*(?:acquire|tryAcquire)\s*\(/.test(
        code(await Deno.readTextFile(path)),
      )
    ) {
      offenders.push(path.slice(root.length + 1));
    }
  }
  deepEqual(offenders, []);
});

Deno.test("architecture: no import cycles in src/, type imports included", async () => {
  const root = new URL("../src", import.meta.url).pathname;
  const edges = new Map<string, string[]>();
  for await (const path of sources(root)) {
    const text = await Deno.readTextFile(path);
    edges.set(
      path,
      [...text.matchAll(IMPORT)].map(([, spec]) => resolve(path, spec!)),
    );
  }
  const cycles: string[] = [];
  const done = new Set<string>();
  const visit = (path: string, trail: string[]) => {
    if (trail.includes(path)) {
      const loop = trail.slice(trail.indexOf(path)).concat(path);
      cycles.push(loop.map((p) => p.slice(root.length + 1)).join(" -> "));
      return;
    }
    if (done.has(path)) return;
    for (const next of edges.get(path) ?? []) visit(next, [...trail, path]);
    done.add(path);
  };
  for (const path of edges.keys()) visit(path, []);
  deepEqual(cycles, []);
});
