/**
 * `GET /api/events`: Server-Sent Events that tell the status page the store
 * changed. One loop waits on the store's own change notifications (file
 * events, LISTEN/NOTIFY), only while some page listens, and fans each
 * change out to every listener; the page then reads what it shows. Nothing
 * here reads the store on a timer: a comment line every 15 s only keeps
 * idle connections open through proxies.
 *
 * @module
 */

import type { JobStore } from "../../store/store.ts";

/** How often an idle stream sends a comment line, ms. */
const KEEPALIVE_MS = 15_000;

/** How long after a failed wait the loop waits again, ms. */
const RETRY_MS = 1_000;

const encoder = new TextEncoder();

/** The change feed of one server. */
export interface ChangeFeed {
  /** A new listener's event stream (`text/event-stream`). */
  open(): ReadableStream<Uint8Array>;
  /** Ends every stream and the loop; settles once the loop has ended. */
  close(): Promise<void>;
}

/** Creates the change feed of `store`. */
export function createChangeFeed(store: JobStore): ChangeFeed {
  const listeners = new Set<ReadableStreamDefaultController<Uint8Array>>();
  let loop: AbortController | undefined;
  let looping: Promise<void> = Promise.resolve();
  let closed = false;

  const send = (text: string) => {
    const bytes = encoder.encode(text);
    for (const listener of listeners) {
      try {
        listener.enqueue(bytes);
      } catch {
        listeners.delete(listener);
      }
    }
  };

  const watch = async (signal: AbortSignal) => {
    let seq = 0;
    while (!signal.aborted) {
      try {
        if (!store.changed) return;
        await store.changed(signal);
        seq += 1;
        send(`id: ${seq}\nevent: change\ndata: {}\n\n`);
      } catch {
        if (signal.aborted) return;
        // A lost connection to the database: wait, then listen again.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, RETRY_MS);
          signal.addEventListener("abort", done, { once: true });
          function done() {
            clearTimeout(timer);
            signal.removeEventListener("abort", done);
            resolve();
          }
        });
      }
    }
  };

  const keepalive = setInterval(() => {
    if (listeners.size > 0) send(": keepalive\n\n");
  }, KEEPALIVE_MS);
  Deno.unrefTimer(keepalive);

  const stopIfIdle = () => {
    if (listeners.size > 0 || !loop) return;
    loop.abort();
    loop = undefined;
  };

  return {
    open() {
      let own: ReadableStreamDefaultController<Uint8Array>;
      return new ReadableStream<Uint8Array>({
        start(controller) {
          own = controller;
          if (closed) {
            controller.close();
            return;
          }
          listeners.add(controller);
          // Tells the page it is connected (and when to reconnect).
          controller.enqueue(
            encoder.encode("retry: 2000\nevent: open\ndata: {}\n\n"),
          );
          if (!loop) {
            loop = new AbortController();
            const previous = looping;
            const signal = loop.signal;
            looping = previous.then(() => watch(signal));
          }
        },
        cancel() {
          listeners.delete(own);
          stopIfIdle();
        },
      });
    },
    async close() {
      if (closed) return await looping;
      closed = true;
      clearInterval(keepalive);
      for (const listener of listeners) {
        try {
          listener.close();
        } catch {
          // Already closed by its client.
        }
      }
      listeners.clear();
      loop?.abort();
      loop = undefined;
      await looping;
    },
  };
}
