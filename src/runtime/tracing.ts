/**
 * OpenTelemetry traces, through `@opentelemetry/api`: one `tock.run` span
 * per run (its attempts are span events), one `tock.claim` span per claim
 * step. `docs/observability.md` lists the names and attributes.
 *
 * Without a registered SDK the API hands out non-recording spans: every
 * hook here checks `isRecording()` first and builds no attributes, keeps
 * no span, for such a span. With `OTEL_DENO=true`, Deno registers its own
 * provider behind the same API, so the spans are exported without code.
 *
 * @module
 */

import {
  type Span,
  SpanStatusCode,
  trace,
  type Tracer,
} from "../deps/opentelemetry_api.ts";
import type { Clock } from "../clock.ts";
import type { TockEventDetail, TockEventType } from "./events.ts";

/** The tracer's name (the instrumentation scope). */
export const TRACER_NAME = "tock";
/** The span of one run, from its first attempt to its outcome. */
export const RUN_SPAN = "tock.run";
/** The span of one claim step. */
export const CLAIM_SPAN = "tock.claim";

/** The events that open a run's span when it has none. */
const OPENING: ReadonlySet<TockEventType> = new Set([
  "run.started",
  "run.fenced",
  "run.cancelled",
]);

/** What a claim span records when it ends. */
export interface ClaimSpanResult {
  /** Jobs the claim read under the lock. */
  readonly read: number;
  /** Runs it claimed. */
  readonly claimed: number;
  /** How long it held the lock, ms (0 when it never got it). */
  readonly holdMs: number;
}

/** Opens and closes one instance's spans; see the module documentation. */
export class Tracing {
  readonly #instance: string;
  readonly #clock: Clock;
  /**
   * A proxy: it follows whatever provider is registered, now or later
   * (Deno's own with `OTEL_DENO=true`, an SDK, or none).
   */
  readonly #tracer: Tracer = trace.getTracer(TRACER_NAME);
  /** Recording run spans by run id; empty without an SDK. */
  readonly #runs = new Map<string, Span>();

  /**
   * @param instance The instance id, an attribute of every span.
   * @param clock The scheduler's clock: span times agree with the ledger.
   */
  constructor(instance: string, clock: Clock) {
    this.#instance = instance;
    this.#clock = clock;
  }

  /**
   * Follows the scheduler's run events: `run.started` opens the run's span
   * (or adds an attempt event to it), `run.retrying` adds the failed
   * attempt, a run's end event closes it with the outcome.
   *
   * @param type The event type.
   * @param detail Its data.
   */
  event(type: TockEventType, detail: Omit<TockEventDetail, "instance">): void {
    if (!type.startsWith("run.") || detail.runId === undefined) return;
    let span = this.#runs.get(detail.runId);
    if (span === undefined) {
      // A run that ends unstarted (fenced, cancelled) still gets its span;
      // other events of a run without one have nothing to record it in.
      if (!OPENING.has(type)) return;
      span = this.#open(detail);
      if (span === undefined) return;
    }
    const attempt = detail.attempt ?? 1;
    if (type === "run.started") {
      if (attempt > 1) {
        span.addEvent("tock.attempt", { "tock.attempt": attempt });
      }
      return;
    }
    if (type === "run.retrying") {
      span.addEvent("tock.attempt.failed", {
        "tock.attempt": attempt,
        ...(detail.error ? { "tock.error": detail.error.message } : {}),
      });
      return;
    }
    const outcome = type === "run.fenced"
      ? "fenced"
      : detail.outcome ?? type.slice(4);
    span.setAttributes({ "tock.attempt": attempt, "tock.outcome": outcome });
    if (outcome !== "succeeded") {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: detail.error?.message ?? outcome,
      });
    }
    span.end(this.#clock.now());
    this.#runs.delete(detail.runId);
  }

  #open(detail: Omit<TockEventDetail, "instance">): Span | undefined {
    const span = this.#tracer.startSpan(RUN_SPAN, {
      root: true,
      startTime: this.#clock.now(),
    });
    if (!span.isRecording()) return undefined;
    span.setAttributes({
      "tock.instance": this.#instance,
      "tock.job": detail.job ?? "",
      "tock.slot": detail.slot?.toISOString() ?? "",
      "tock.run_id": detail.runId ?? "",
      "tock.attempt": detail.attempt ?? 1,
      "tock.trigger": detail.trigger ?? "",
    });
    this.#runs.set(detail.runId!, span);
    return span;
  }

  /**
   * Opens a claim step's span.
   *
   * @returns The span, or `undefined` when nothing records it.
   */
  claimStarted(): Span | undefined {
    const span = this.#tracer.startSpan(CLAIM_SPAN, {
      root: true,
      startTime: this.#clock.now(),
    });
    if (!span.isRecording()) return undefined;
    span.setAttribute("tock.instance", this.#instance);
    return span;
  }

  /**
   * Closes a claim step's span.
   *
   * @param span What {@linkcode Tracing.claimStarted} returned.
   * @param result What the claim did, or the error it failed with.
   */
  claimEnded(
    span: Span | undefined,
    result: ClaimSpanResult | { readonly error: unknown },
  ): void {
    if (span === undefined) return;
    if ("error" in result) {
      const message = result.error instanceof Error
        ? result.error.message
        : String(result.error);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    } else {
      span.setAttributes({
        "tock.claim.jobs_read": result.read,
        "tock.claim.runs_claimed": result.claimed,
        "tock.claim.lock_hold_ms": result.holdMs,
      });
    }
    span.end(this.#clock.now());
  }
}
