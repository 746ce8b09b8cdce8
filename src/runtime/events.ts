/**
 * Typed observability events (SPEC §9), dispatched on the scheduler, which is
 * an `EventTarget`.
 *
 * @module
 */

import type { Outcome, Trigger } from "../types.ts";

/** Every event type a scheduler dispatches. */
export type TockEventType =
  | "scheduler.started"
  | "scheduler.stopping"
  | "scheduler.stopped"
  | "scheduler.error"
  | "lock.acquired"
  | "lock.released"
  | "job.claimed"
  | "run.started"
  | "run.retrying"
  | "run.succeeded"
  | "run.failed"
  | "run.timed_out"
  | "run.cancelled"
  | "run.fenced"
  | "slot.skipped"
  | "slot.missed"
  | "slot.abandoned"
  | "instance.dead";

/** What an event carries; fields depend on the type. */
export interface TockEventDetail {
  /** The instance that dispatched the event. */
  readonly instance: string;
  readonly job?: string;
  readonly slot?: Date;
  readonly runId?: string;
  readonly attempt?: number;
  readonly trigger?: Trigger;
  readonly outcome?: Outcome;
  readonly error?: { readonly name: string; readonly message: string };
  /** `lock.released`: how long the lock was held. */
  readonly holdMs?: number;
  /** Run events: how long the attempt or run took. */
  readonly durationMs?: number;
  /** `instance.dead`: the dead instance. */
  readonly other?: string;
  /** A short human note (`paused`, `overlap`, …). */
  readonly note?: string;
}

/** An observability event. */
export class TockEvent extends Event {
  /** The event's data. */
  readonly detail: TockEventDetail;
  /**
   * @param type The event type.
   * @param detail Its data.
   */
  constructor(type: TockEventType, detail: TockEventDetail) {
    super(type);
    this.detail = detail;
  }
  /** The event type, typed. */
  override get type(): TockEventType {
    return super.type as TockEventType;
  }
}
