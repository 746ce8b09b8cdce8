/**
 * Typed observability events, dispatched on the scheduler, which is an
 * `EventTarget`; `docs/library.md` ("Events") says when each is sent.
 *
 * @module
 */

import type { ErrorInfo, Outcome, Trigger } from "../types.ts";

/** Every event type a scheduler dispatches. */
export type TockEventType =
  | "scheduler.started"
  | "scheduler.stopping"
  | "scheduler.stopped"
  | "scheduler.error"
  | "store.error"
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
  /** Job, run and slot events: the job's id. */
  readonly job?: string;
  /** Job, run and slot events: the slot's scheduled instant. */
  readonly slot?: Date;
  /** `job.claimed` and run events: the run's id. */
  readonly runId?: string;
  /** Run events: the 1-based attempt number. */
  readonly attempt?: number;
  /** `job.claimed` and run events: why the slot runs. */
  readonly trigger?: Trigger;
  /** Run end and slot events: the outcome recorded. */
  readonly outcome?: Outcome;
  /**
   * `scheduler.error`, `store.error`, `run.retrying` and failed runs: what
   * went wrong.
   */
  readonly error?: ErrorInfo;
  /** `lock.released`: how long the lock was held, in ms. */
  readonly holdMs?: number;
  /** Run end events: ms from the first attempt's start to the end. */
  readonly durationMs?: number;
  /** `instance.dead`: the id of the instance judged dead. */
  readonly other?: string;
  /**
   * A short human note (`paused`, `overlap`, …); on `run.fenced`,
   * `unstarted` when the attempt never started (self-fencing), absent when
   * a run that ended had been recovered by another instance.
   */
  readonly note?: string;
  /**
   * Slot events for a span of slots with one fate (a long gap, counted in
   * one claim): its last slot; `slot` is its first.
   */
  readonly until?: Date;
  /** Slot events for a span: how many slots it holds. */
  readonly count?: number;
}

/** An observability event. */
export class TockEvent extends Event {
  /** The event's data. */
  readonly detail: TockEventDetail;
  /**
   * Creates an event; the scheduler dispatches it, callers only listen.
   *
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
