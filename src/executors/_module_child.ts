/**
 * The bootstrap of a module job's child process (started by
 * `run_module.ts`, never imported). Arguments: the module's URL, the
 * attempt's context as JSON (`jobId`, `slot` ISO, `runId`, `attempt`,
 * `trigger`, `catchup`, `instance`), and what the hint of a refused
 * permission needs as JSON (the job's `permissions`, the store's
 * `protectedPaths`).
 *
 * It imports the module, calls its default export with the context (its
 * `signal` aborts on SIGTERM), awaits it and exits 0. Any failure (load,
 * no default function, a throw, an unhandled rejection) ends it with exit
 * code 1 and, as the last line on stderr, `Name: message` on one line; a
 * message in which Deno refuses a permission names the flag that grants
 * it (see `permission_hint.ts`), in the log as in the ledger.
 *
 * @module
 */

import { errorInfo } from "../errors.ts";
import {
  type PermissionHintOptions,
  withPermissionHint,
} from "../jobs/permission_hint.ts";

const encoder = new TextEncoder();

async function fail(error: unknown, prefix = ""): Promise<never> {
  const { name, message } = errorInfo(error);
  const text = `${name}: ${
    withPermissionHint(`${prefix}${oneLine(message)}`, hintOptions())
  }`;
  const bytes = encoder.encode(`\n${text}\n`);
  try {
    let done = 0;
    while (done < bytes.length) {
      done += await Deno.stderr.write(bytes.subarray(done));
    }
  } finally {
    Deno.exit(1);
  }
}

/** The first line, plus the source location Deno puts on the last one. */
function oneLine(message: string): string {
  const lines = message.split("\n");
  const first = lines[0]!.trim();
  const at = /^\s*at (\S+:\d+:\d+)\s*$/.exec(lines.at(-1) ?? "");
  return lines.length > 1 && at ? `${first} (at ${at[1]})` : first;
}

/** The job, as the hint needs it; nothing when the argument is unreadable. */
function hintOptions(): PermissionHintOptions {
  try {
    const { jobId } = JSON.parse(Deno.args[1] ?? "{}");
    const { permissions, protectedPaths } = JSON.parse(Deno.args[2] ?? "{}");
    return { jobId: String(jobId), permissions, protectedPaths };
  } catch {
    return { jobId: "ID" };
  }
}

async function main(): Promise<void> {
  const [url = "", json = "{}"] = Deno.args;
  const context = JSON.parse(json);
  const controller = new AbortController();
  Deno.addSignalListener("SIGTERM", () => {
    controller.abort(
      new DOMException("The run was stopped (SIGTERM)", "AbortError"),
    );
  });
  let module: { default?: unknown };
  try {
    module = await import(url);
  } catch (error) {
    return await fail(error, `Cannot load module "${url}": `);
  }
  const handler = module.default;
  if (typeof handler !== "function") {
    return await fail(
      new TypeError(
        `Cannot run module "${url}": its default export is not a function (${typeof handler})`,
      ),
    );
  }
  // A handler that only waits for its signal has no pending operation, and
  // Deno would exit under it: keep the process alive until it settles, as
  // an in-process handler would be awaited.
  setInterval(() => {}, 1 << 30);
  try {
    await handler(Object.freeze({
      ...context,
      slot: new Date(context.slot),
      signal: controller.signal,
    }));
  } catch (error) {
    return await fail(error);
  }
  Deno.exit(0);
}

globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  fail(event.reason);
});
globalThis.addEventListener("error", (event) => {
  event.preventDefault();
  fail(event.error);
});

main();
