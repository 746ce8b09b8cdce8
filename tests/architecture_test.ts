// Dependency direction (STYLE.md §1): types/errors ← schedule ← actors ←
// runtime ← cli, and types/errors ← store|lock ← runtime. Nothing imports
// cli/; machines import no backend, Deno API or clock; only the clock
// module reads the wall clock.
import { deepEqual } from "node:assert/strict";

const LAYERS: Record<string, string[]> = {
  "types.ts": [],
  "errors.ts": [],
  schedule: ["types.ts", "errors.ts", "schedule"],
  lock: ["types.ts", "errors.ts", "lock"],
  store: ["types.ts", "errors.ts", "lock", "store"],
  actors: ["types.ts", "errors.ts", "schedule", "actors"],
  runtime: [
    "types.ts",
    "errors.ts",
    "schedule",
    "lock",
    "store",
    "actors",
    "runtime",
  ],
  testing: ["types.ts", "errors.ts", "lock", "store", "runtime", "testing"],
  cli: [
    "types.ts",
    "errors.ts",
    "schedule",
    "lock",
    "store",
    "actors",
    "runtime",
    "cli",
  ],
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
      const [, spec] of text.matchAll(
        /^\s*(?:import|export)[^"']*["']([^"']+)["']/gm,
      )
    ) {
      if (!spec!.startsWith(".")) continue;
      const target = layerOf(resolve(path, spec!));
      if (!LAYERS[layer]?.includes(target)) {
        wrong.push(
          `${path.slice(root.length + 1)} -> ${spec} (${layer} -> ${target})`,
        );
      }
      if (
        target === "store" && layer === "actors" && !/import type/.test(text)
      ) {
        wrong.push(`${path} imports a store value`);
      }
    }
  }
  deepEqual(wrong, []);
});

Deno.test("architecture: only the clock module reads the wall clock", async () => {
  const offenders: string[] = [];
  const root = new URL("../src", import.meta.url).pathname;
  for await (const path of sources(root)) {
    if (path.endsWith("runtime/clock.ts")) continue;
    const text = (await Deno.readTextFile(path)).replace(
      /\/\/.*$|\/\*[\s\S]*?\*\//gm,
      "",
    );
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
