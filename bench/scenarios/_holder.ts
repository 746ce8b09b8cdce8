/**
 * The frozen claim of the frozen holder scenario (`frozen_holder.ts`): a
 * process with a store object of its own (the store's default
 * `lockIdleTimeoutMs`) that waits for the jobs' first slot, takes its
 * store's lock and reads the `limit` earliest due jobs, which holds them
 * for the lease's transaction as a claim step does until it commits. It
 * then prints one {@linkcode HolderLine} on stdout and waits for its stdin
 * to close, without committing; the scenario stops it (SIGSTOP) as soon
 * as the line arrives, and kills it when done.
 *
 * `deno run -A bench/scenarios/_holder.ts '<HolderArgs JSON>'`
 *
 * @module
 */

import { drain } from "../_daemon.ts";
import { openStore, type StoreSpec } from "../_stores.ts";
import { preciseNow, sleepUntil } from "../_time.ts";

/** Arguments of the holder child. */
export interface HolderArgs {
  readonly store: StoreSpec;
  /** The jobs' first slot, epoch ms: the read waits for it. */
  readonly dueAt: number;
  /** How many due jobs to hold (the earliest due, then by id). */
  readonly limit: number;
}

/** The line the holder prints once it holds the jobs. */
export interface HolderLine {
  /** The ids of the jobs it holds. */
  readonly held: readonly string[];
  /** When the read was answered, epoch ms. */
  readonly at: number;
}

async function hold(args: HolderArgs): Promise<void> {
  await using store = await openStore(args.store);
  await sleepUntil(args.dueAt);
  const lease = await store.lock.acquire();
  const due = await store.due(lease, Date.now(), { limit: args.limit });
  const line: HolderLine = {
    held: due.map((job) => job.spec.id),
    at: preciseNow(),
  };
  const bytes = new TextEncoder().encode(`${JSON.stringify(line)}\n`);
  for (let done = 0; done < bytes.length;) {
    done += await Deno.stdout.write(bytes.subarray(done));
  }
  await drain(Deno.stdin.readable);
  await lease.release();
}

if (import.meta.main) await hold(JSON.parse(Deno.args[0] ?? "{}"));
