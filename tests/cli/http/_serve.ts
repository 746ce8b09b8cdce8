// A `tock start --http` or `tock serve --http` in this process, on an
// ephemeral port, stopped by an abort signal on dispose.
import { runCli } from "../../../src/cli/main.ts";

/** A running command with an HTTP server. */
export interface Served extends AsyncDisposable {
  /** The server's base URL. */
  readonly url: string;
  /** What the command printed so far. */
  readonly out: string[];
  /** Stops the command; resolves with its exit status. */
  stop(): Promise<number>;
}

/** Runs `tock ...args` (which must serve) until disposed. */
export async function served(
  args: readonly string[],
  options: {
    readonly vars?: Readonly<Record<string, string>>;
    readonly now?: () => number;
  } = {},
): Promise<Served> {
  const out: string[] = [];
  const err: string[] = [];
  const stop = new AbortController();
  const { promise: listening, resolve } = Promise.withResolvers<string>();
  const done = runCli(args, {
    out: (text) => {
      out.push(text);
      const m = /serving (http:\/\/[^\s/]+)/.exec(text);
      if (m) resolve(m[1]!);
    },
    err: (text) => err.push(text),
    env: (name) => options.vars?.[name],
    ...(options.now ? { now: options.now } : {}),
    signal: stop.signal,
  });
  const url = await Promise.race([
    listening,
    done.then((code) => {
      throw new Error(`tock ${args.join(" ")} exited ${code}: ${err}`);
    }),
  ]);
  let code: Promise<number> | undefined;
  const halt = () => {
    stop.abort();
    return code ??= done;
  };
  return {
    url,
    out,
    stop: halt,
    async [Symbol.asyncDispose]() {
      await halt();
    },
  };
}

/** Fetches JSON and the response (its body read). */
export async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? undefined : JSON.parse(text),
  };
}

/** A sample of the Prometheus text format. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * A strict parser of the Prometheus text exposition format (0.0.4): every
 * line is a `# HELP`, a `# TYPE` (before its samples), a sample of a
 * declared family, or blank; label values use only the three escapes.
 */
export function parseExposition(text: string): {
  types: Map<string, string>;
  samples: Sample[];
} {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  const sampleRe = new RegExp(
    `^(${NAME})(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*",?)*)\\})? (\\S+)$`,
  );
  const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g;
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "") continue;
    let m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
    if (m) continue;
    m = new RegExp(
      `^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`,
    ).exec(line);
    if (m) {
      if (types.has(m[1]!)) throw new Error(`line ${i + 1}: second TYPE`);
      types.set(m[1]!, m[2]!);
      continue;
    }
    m = sampleRe.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not exposition: ${line}`);
    const name = m[1]!;
    const family = types.has(name)
      ? name
      : name.replace(/_(bucket|sum|count)$/, "");
    if (!types.has(family)) {
      throw new Error(`line ${i + 1}: sample before its TYPE: ${name}`);
    }
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (m[2] ?? "").matchAll(labelRe)) {
      labels[key!] = raw!.replace(
        /\\([\\"n])/g,
        (_, c) => c === "n" ? "\n" : c,
      );
    }
    const value = m[3] === "+Inf"
      ? Infinity
      : m[3] === "-Inf"
      ? -Infinity
      : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== "NaN") {
      throw new Error(`line ${i + 1}: bad value ${m[3]}`);
    }
    samples.push({ name, labels, value });
  }
  return { types, samples };
}
