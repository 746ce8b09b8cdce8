/**
 * The HTTP server of `tock serve` and `tock start --http`: the JSON API
 * (the shapes of the read commands' `--json`), the job actions (only with
 * the token), and `/metrics`. It only reads the store without its lock and
 * writes through the job operations, each one short lock turn, so a slow
 * client holds nothing the schedulers need.
 *
 * @module
 */

import type { JobStore } from "../../store/store.ts";
import { JobNotFoundError } from "../../errors.ts";
import { validateJobId } from "../../jobs/define_job.ts";
import { CliFailure, oneLine, UsageError } from "../_errors.ts";
import {
  historyView,
  jobsView,
  jobView,
  logsView,
  nextView,
  slotsView,
  statusView,
} from "../views.ts";
import { instantValue, integerValue } from "../_args.ts";
import { TIMELINE_MAX_MS, timelineView } from "../timeline_view.ts";
import { LOOKS_DEAD_MS } from "../status_json.ts";
import { type ChangeFeed, createChangeFeed } from "./change_feed.ts";
import { pageAsset } from "./page.ts";
import { guardWrite, ownOrigins } from "./guard_write.ts";
import { JOB_ACTIONS, jobAction } from "./job_action.ts";
import type { HttpFlags } from "./http_flags.ts";
import { urlHost } from "./listen_addr.ts";
import type { Metrics } from "./metrics.ts";

/**
 * Headers every response carries. The page loads only its own script and
 * style, talks only to this server, and cannot be framed.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** The largest request body read (a note or a range is small). */
const MAX_BODY = 64 * 1024;

/** Options for {@linkcode serveHttp}. */
export interface ServeHttpOptions {
  /** The store the API reads and the actions change. */
  readonly store: JobStore;
  /** The store's name as `status` prints it (credentials hidden). */
  readonly storeName: string;
  /** Where to listen, and the bearer token writes need (none: read-only). */
  readonly http: HttpFlags;
  /** Stops the server. */
  readonly signal: AbortSignal;
  /** Wall-clock time, epoch ms. */
  readonly now: () => number;
  /** The metrics `/metrics` renders. */
  readonly metrics: Metrics;
}

/** A running server. */
export interface HttpServer {
  /** Its base URL (`http://127.0.0.1:8787`). */
  readonly url: string;
  /** Settles once the server has stopped (after the signal aborts). */
  readonly finished: Promise<void>;
}

/**
 * Starts the server; it runs until `signal` aborts.
 *
 * @throws {CliFailure} When it cannot listen (the port is taken, the
 * address is not this machine's, or permission is denied).
 */
export function serveHttp(options: ServeHttpOptions): HttpServer {
  const { addr } = options.http;
  let origins = new Set<string>();
  let server: Deno.HttpServer<Deno.NetAddr>;
  const feed = createChangeFeed(options.store);
  // Event streams never end by themselves: end them when the server stops,
  // so that its graceful shutdown does not wait for them.
  options.signal.addEventListener("abort", () => void feed.close(), {
    once: true,
  });
  try {
    server = Deno.serve({
      hostname: addr.hostname,
      port: addr.port,
      signal: options.signal,
      onListen() {},
    }, async (request) => {
      const response = await respond(request, options, origins, feed);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        response.headers.set(name, value);
      }
      return response;
    });
  } catch (e) {
    void feed.close();
    throw new CliFailure(
      `Cannot serve HTTP on ${addr.hostname}:${addr.port}: ${
        oneLine((e as Error)?.message ?? String(e))
      }`,
      { cause: e },
    );
  }
  const bound = server.addr;
  origins = ownOrigins(bound.hostname, bound.port);
  return {
    url: `http://${urlHost(bound.hostname)}:${bound.port}`,
    finished: server.finished.then(() => feed.close()),
  };
}

async function respond(
  request: Request,
  options: ServeHttpOptions,
  origins: ReadonlySet<string>,
  feed: ChangeFeed,
): Promise<Response> {
  const url = new URL(request.url);
  try {
    const parts = url.pathname.split("/").slice(1).map(decode);
    if (request.method === "POST") {
      const [api, jobs, id, action, ...rest] = parts;
      if (
        api !== "api" || jobs !== "jobs" || id === undefined ||
        action === undefined || rest.length > 0 ||
        !JOB_ACTIONS.includes(action)
      ) {
        return error(404, `Not found: POST ${url.pathname}`);
      }
      const { token } = options.http;
      const refused = guardWrite(request, {
        origins,
        ...(token !== undefined ? { token } : {}),
      });
      if (refused) return error(refused.status, refused.error);
      const body = await readBody(request);
      return json(
        await jobAction(
          options.store,
          jobId(id),
          action,
          body,
          options.now(),
        ),
      );
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return error(405, `Method not allowed: ${request.method}`);
    }
    return await read(parts, url.searchParams, options, feed);
  } catch (e) {
    if (e instanceof JobNotFoundError) return error(404, e.message);
    if (
      e instanceof UsageError || e instanceof CliFailure ||
      e instanceof RangeError || e instanceof TypeError
    ) {
      return error(400, e.message);
    }
    return error(500, (e as Error)?.message ?? String(e));
  }
}

async function read(
  parts: readonly string[],
  query: URLSearchParams,
  options: ServeHttpOptions,
  feed: ChangeFeed,
): Promise<Response> {
  const { store } = options;
  const asset = pageAsset(parts.join("/"));
  if (asset) {
    return new Response(asset.body, {
      headers: { "content-type": asset.contentType },
    });
  }
  const [first, second, third, fourth, ...rest] = parts;
  if (first === "api" && second === "jobs" && third !== undefined) {
    if (fourth === "next" && rest.length === 0) {
      const count = limitOf(query, "count") ?? 10;
      return json(await nextView(store, jobId(third), Math.min(count, 1000)));
    }
    if (fourth === "slots" && rest.length === 0) {
      const now = options.now();
      const from = instantOf(query, "from", now);
      const to = instantOf(query, "to", now);
      return json(
        await slotsView(store, jobId(third), from, to, limitOf(query) ?? 100),
      );
    }
  }
  if (fourth !== undefined) return notFound(parts);
  if (first === "metrics" && second === undefined) {
    return new Response(
      await options.metrics.render(store, options.now()),
      { headers: { "content-type": options.metrics.contentType } },
    );
  }
  if (first !== "api") return notFound(parts);
  if (second === "jobs" && third === undefined) {
    return json(await jobsView(store));
  }
  if (second === "jobs" && third !== undefined) {
    return json(await jobView(store, jobId(third)));
  }
  if (second === "history" && third === undefined) {
    const job = query.get("job");
    const limit = limitOf(query);
    return json(
      await historyView(store, {
        ...(job !== null ? { job: jobId(job) } : {}),
        ...(limit !== undefined ? { limit } : {}),
      }),
    );
  }
  if (second === "events" && third === undefined) {
    return new Response(feed.open(), {
      headers: { "content-type": "text/event-stream; charset=utf-8" },
    });
  }
  if (second === "server" && third === undefined) {
    return json({
      store: options.storeName,
      writable: options.http.token !== undefined,
      now: new Date(options.now()).toISOString(),
      looksDeadMs: LOOKS_DEAD_MS,
    });
  }
  if (second === "timeline" && third === undefined) {
    const now = options.now();
    const minutes = limitOf(query, "minutes") ?? 60;
    const spanMs = minutes * 60_000;
    if (spanMs > TIMELINE_MAX_MS) {
      throw new UsageError(
        `Invalid minutes: expected at most ${
          TIMELINE_MAX_MS / 60_000
        } (a day), received ${minutes}`,
      );
    }
    const to = query.has("to") ? instantOf(query, "to", now) : now;
    return json(await timelineView(store, { to, spanMs, now }));
  }
  if (second === "status" && third === undefined) {
    return json(await statusView(store, options.storeName, options.now()));
  }
  if (second === "logs" && third !== undefined) {
    const run = query.get("run");
    const limit = limitOf(query);
    return json(
      await logsView(store, jobId(third), {
        ...(run !== null ? { run } : {}),
        ...(limit !== undefined ? { limit } : {}),
      }),
    );
  }
  return notFound(parts);
}

function jobId(text: string): string {
  try {
    return validateJobId(text);
  } catch (e) {
    throw new UsageError(oneLine((e as Error).message), { cause: e });
  }
}

function limitOf(
  query: URLSearchParams,
  name = "limit",
): number | undefined {
  const text = query.get(name);
  return text === null ? undefined : integerValue(name, text, 1, 1_000_000);
}

/** An ISO 8601 instant from the query (the zone: UTC unless it says). */
function instantOf(
  query: URLSearchParams,
  name: string,
  now: number,
): number {
  const text = query.get(name);
  if (text === null) throw new UsageError(`Missing ${name}`);
  return instantValue(name, text, "UTC", now);
}

async function readBody(request: Request): Promise<unknown> {
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY) {
    throw new UsageError("Body too large");
  }
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length > MAX_BODY) throw new UsageError("Body too large");
  const text = new TextDecoder().decode(bytes).trim();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError("Invalid body: not JSON");
  }
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new UsageError(`Invalid path segment: "${part}"`);
  }
}

function notFound(parts: readonly string[]): Response {
  return error(404, `Not found: /${parts.join("/")}`);
}

function json(value: unknown): Response {
  return new Response(JSON.stringify(value), {
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

function error(status: number, message: string): Response {
  return new Response(JSON.stringify({ error: oneLine(message) }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}
