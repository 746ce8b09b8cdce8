/**
 * `tock serve --http ADDR [--http-token TOKEN]`: the JSON API and
 * `/metrics` of a store, without a scheduler.
 *
 * @module
 */

import { positionals } from "../_args.ts";
import { type Command, GLOBAL_HELP } from "../_command.ts";
import { UsageError } from "../_errors.ts";
import { openStore, redact, storeRef } from "../_store.ts";
import {
  accessText,
  HTTP_FLAGS,
  HTTP_HELP,
  httpFlags,
} from "../http/http_flags.ts";
import { createMetrics } from "../http/metrics.ts";
import { serveHttp } from "../http/serve_http.ts";

/** `tock serve --http ADDR [--http-token TOKEN]`. */
export const serveCommand: Command = {
  name: "serve",
  summary:
    "serve the status page, JSON API and /metrics of a store (no scheduler)",
  usage: `Usage: tock serve --http ADDR [--http-token TOKEN]

Serves the status page of a store (jobs, a live run timeline, instances,
each job's history, logs and next slots), its jobs, history, status and
logs as JSON (the shapes of the read commands' --json), and /metrics
(Prometheus), until SIGINT or SIGTERM. It reads the store without its lock.
Without a token the store is opened read-only and every write is refused.

${HTTP_HELP}
${GLOBAL_HELP}

Example:
  tock serve --http 127.0.0.1:8787`,
  flags: HTTP_FLAGS,
  async run(parsed, ctx) {
    positionals("serve", parsed, []);
    const http = httpFlags(parsed, ctx);
    if (!http) throw new UsageError("Missing --http ADDR");
    const ref = storeRef(parsed, ctx);
    await using store = await openStore(ref, {
      create: false,
      readOnly: http.token === undefined,
    });
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    ctx.signal?.addEventListener("abort", onAbort, { once: true });
    const signals: Deno.Signal[] = ctx.signals ? ["SIGINT", "SIGTERM"] : [];
    for (const name of signals) Deno.addSignalListener(name, onAbort);
    try {
      if (ctx.signal?.aborted) stop.abort();
      const server = serveHttp({
        store,
        storeName: redact(ref),
        http,
        signal: stop.signal,
        now: ctx.now,
        metrics: createMetrics(ctx.now),
      });
      ctx.out(
        `serving ${server.url}/ (the status page of store ${redact(ref)}; ${
          accessText(http)
        })`,
      );
      await server.finished;
    } finally {
      ctx.signal?.removeEventListener("abort", onAbort);
      for (const name of signals) Deno.removeSignalListener(name, onAbort);
    }
  },
};
