/**
 * `GET /metrics`: the Prometheus text exposition format, written by
 * prom-client. Counters per job and outcome come from the store (the jobs'
 * counters, which the ledger's entries add up to); the start-lag and
 * lock-hold histograms and the claims count come from a scheduler's events,
 * so they exist only beside a daemon (`tock start --http`).
 *
 * @module
 */

import client from "../../deps/prom_client.ts";
import type { JobStore } from "../../store/store.ts";
import type { TockEvent } from "../../runtime/events.ts";
import { type Outcome, OUTCOMES } from "../../types.ts";
import { LOOKS_DEAD_MS } from "../status_json.ts";

const RUN_OUTCOMES: ReadonlySet<Outcome> = new Set([
  "succeeded",
  "failed",
  "timed_out",
  "cancelled",
]);

/** Seconds: a slot's start lag and a lock hold are both short. */
const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The metrics of one server. */
export interface Metrics {
  /**
   * Listens to a scheduler's events (start lag, lock holds, claims).
   *
   * @returns A function that stops listening.
   */
  observe(scheduler: EventTarget): () => void;
  /** The exposition at `now`, read from the store without its lock. */
  render(store: JobStore, now: number): Promise<string>;
  /** The exposition's content type. */
  readonly contentType: string;
}

/**
 * Creates the metrics of one server.
 *
 * @param now The clock the start lag is measured on (epoch ms).
 */
export function createMetrics(now: () => number): Metrics {
  const events = new client.Registry();
  const startLag = new client.Histogram({
    name: "tock_start_lag_seconds",
    help: "Seconds from a slot to its run's first attempt starting",
    buckets: BUCKETS,
    registers: [events],
  });
  const lockHold = new client.Histogram({
    name: "tock_lock_hold_seconds",
    help: "Seconds this instance held the store lock per claim turn",
    buckets: BUCKETS,
    registers: [events],
  });
  const claims = new client.Counter({
    name: "tock_claims_total",
    help: "Runs claimed by this instance",
    registers: [events],
  });
  const onEvent = (event: Event) => {
    const { type, detail } = event as TockEvent;
    if (type === "run.started" && detail.attempt === 1 && detail.slot) {
      startLag.observe(Math.max(0, now() - detail.slot.getTime()) / 1000);
    } else if (type === "lock.released" && detail.holdMs !== undefined) {
      lockHold.observe(detail.holdMs / 1000);
    } else if (type === "job.claimed") claims.inc();
  };
  return {
    contentType: events.contentType,
    observe(scheduler) {
      const types = ["run.started", "lock.released", "job.claimed"];
      for (const type of types) scheduler.addEventListener(type, onEvent);
      return () => {
        for (const type of types) scheduler.removeEventListener(type, onEvent);
      };
    },
    async render(store, at) {
      const [jobs, instances] = await Promise.all([
        store.jobs(),
        store.instances(),
      ]);
      const registry = new client.Registry();
      const runs = new client.Counter({
        name: "tock_runs_total",
        help: "Runs recorded, by job and outcome",
        labelNames: ["job", "outcome"],
        registers: [registry],
      });
      const slots = new client.Counter({
        name: "tock_slots_total",
        help: "Slots recorded without a run (skipped, missed, abandoned)",
        labelNames: ["job", "outcome"],
        registers: [registry],
      });
      const alive = new client.Gauge({
        name: "tock_instances_alive",
        help: "Instances whose heartbeat is recent",
        registers: [registry],
      });
      const inProgress = new client.Gauge({
        name: "tock_runs_in_progress",
        help: "Runs claimed or running",
        registers: [registry],
      });
      for (const job of jobs) {
        for (const outcome of OUTCOMES) {
          const n = job.state.counters[outcome] ?? 0;
          const counter = RUN_OUTCOMES.has(outcome) ? runs : slots;
          counter.inc({ job: job.spec.id, outcome }, n);
        }
      }
      alive.set(
        instances.filter((i) => at - i.heartbeatAt <= LOOKS_DEAD_MS).length,
      );
      inProgress.set(jobs.reduce((n, job) => n + job.state.runs.length, 0));
      return await client.Registry.merge([registry, events]).metrics();
    },
  };
}
