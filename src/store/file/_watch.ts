/**
 * Change notification for the file store directory: the kernel's file
 * events (`Deno.watchFs`, inotify on Linux) tell an idle instance that
 * another process committed, so it need not look at the directory several
 * times a second. Where events are not available, the caller polls.
 *
 * @module
 */

/** A running watch; `close()` stops it and `done` settles after that. */
export interface DirWatch {
  close(): void;
  readonly done: Promise<void>;
}

/**
 * Calls `onEvent` whenever something in `dir` (not below it) changes.
 *
 * @param dir The directory.
 * @param onEvent Called for each batch of events.
 * @returns The watch, or `undefined` when the platform cannot watch (the
 * caller then polls).
 */
export function watchDir(
  dir: string,
  onEvent: () => void,
): DirWatch | undefined {
  let watcher: Deno.FsWatcher;
  try {
    watcher = Deno.watchFs(dir, { recursive: false });
  } catch {
    return undefined;
  }
  let closed = false;
  const done = (async () => {
    try {
      for await (const _ of watcher) {
        if (!closed) onEvent();
      }
    } catch {
      // A watch that fails ends; the caller's slow poll still runs.
    }
  })();
  return {
    close() {
      if (closed) return;
      closed = true;
      try {
        watcher.close();
      } catch { /* already closed */ }
    },
    done,
  };
}
