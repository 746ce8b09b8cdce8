// Runs the command line in this process, capturing what it prints.
import { runCli, type RunCliOptions } from "../../src/cli/main.ts";

/** What one in-process `tock` run printed and returned. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** 2026-01-15T12:00:00Z, a fixed "now" for deterministic output. */
export const NOW: number = Date.UTC(2026, 0, 15, 12);

/** Options of {@linkcode cli}: the context, plus environment variables. */
export interface CliOptions extends RunCliOptions {
  readonly vars?: Readonly<Record<string, string>>;
}

/** Runs `tock ...args` in process; `now` defaults to {@linkcode NOW}. */
export async function cli(
  args: readonly string[],
  options: CliOptions = {},
): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const { vars = {}, ...rest } = options;
  const code = await runCli(args, {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    env: (name) => vars[name],
    now: () => NOW,
    ...rest,
  });
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

/** Runs `tock ...args --json` and parses what it printed. */
export async function cliJson<T = unknown>(
  args: readonly string[],
  options: CliOptions = {},
): Promise<T> {
  const result = await cli([...args, "--json"], options);
  if (result.code !== 0) {
    throw new Error(`tock ${args.join(" ")} failed: ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as T;
}

/** A temporary directory, removed on dispose. */
export async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "tock-cli-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/** Every file under a directory with its content (to prove nothing changed). */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  async function walk(path: string) {
    let entries;
    try {
      entries = await Array.fromAsync(Deno.readDir(path));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) {
      const full = `${path}/${entry.name}`;
      if (entry.isDirectory) await walk(full);
      else if (entry.isFile) {
        files[full.slice(dir.length)] = await Deno.readTextFile(full);
      }
    }
  }
  await walk(dir);
  return files;
}
