// Shared test helpers.
import type { AnyActorRef } from "xstate";
import type { Scheduler } from "../src/runtime/scheduler_api.ts";
import type { TockEvent, TockEventType } from "../src/runtime/events.ts";

/** Wraps an xstate actor so that `await using`/`using` stops it. */
export function disposable<T extends AnyActorRef>(actor: T): T & Disposable {
  return Object.assign(actor, { [Symbol.dispose]: () => actor.stop() });
}

/** Collects a scheduler's events of the given types, in order. */
export function collect(
  scheduler: Scheduler,
  ...types: TockEventType[]
): TockEvent[] {
  const seen: TockEvent[] = [];
  for (const type of types) {
    scheduler.addEventListener(type, (e) => seen.push(e as TockEvent));
  }
  return seen;
}
