// G3 over a settled world: what the ledger must say about every slot.
import type { JobStore } from "../../src/store/store.ts";
import { scheduleOf } from "../../src/jobs/job_state.ts";
import { slotsBetween } from "../../src/schedule/slots_between.ts";
import type { LedgerEntry } from "../../src/types.ts";

/** What a property finds wrong. */
export class Violation extends Error {
  override name = "Violation";
}

/**
 * G3: every scheduled slot up to each job's cursor has exactly one outcome
 * (ranges expanded), or is pending; counters agree with the ledger; and a
 * run's entry carries the attempt its instance reported last.
 *
 * @param store The store, read after the world settled.
 * @param attempts The last attempt each reported run made, by run id.
 */
export async function checkLedger(
  store: JobStore,
  attempts: ReadonlyMap<string, number>,
): Promise<void> {
  for (const { spec, state } of await store.jobs()) {
    const history = (await store.history({ job: spec.id })).filter((e) =>
      e.trigger !== "manual"
    );
    const schedule = scheduleOf(spec, state.createdAt);
    const from = spec.startAt !== undefined
      ? spec.startAt - 1
      : state.createdAt;
    const slots = new Set(
      slotsBetween(schedule, from, state.cursor, 1_000_000).slots,
    );
    const singles = new Map<number, LedgerEntry>();
    let counted = 0;
    const perOutcome: Record<string, number> = {};
    for (const entry of history) {
      const count = entry.count ?? 1;
      counted += count;
      const reported = entry.runId && attempts.get(entry.runId);
      if (
        reported && entry.outcome !== "abandoned" && entry.attempt !== reported
      ) {
        throw new Violation(
          `G3: ${spec.id} run ${entry.runId} at ${
            new Date(entry.slot).toISOString()
          } recorded attempt ${entry.attempt}, its last was ${reported}`,
        );
      }
      perOutcome[entry.outcome] = (perOutcome[entry.outcome] ?? 0) + count;
      if (
        !slots.has(entry.slot) ||
        (entry.until !== undefined && !slots.has(entry.until))
      ) {
        throw new Violation(
          `G3: ${spec.id} ledger names ${
            new Date(entry.slot).toISOString()
          }, not a slot up to the cursor`,
        );
      }
      if (entry.count !== undefined) {
        // A range holds `count` consecutive slots, from `slot` to `until`.
        const span = slotsBetween(
          schedule,
          entry.slot - 1,
          entry.until!,
          entry.count + 1,
        ).slots;
        if (
          span.length !== entry.count || span[span.length - 1] !== entry.until
        ) {
          throw new Violation(
            `G3: ${spec.id} range ${new Date(entry.slot).toISOString()}..${
              new Date(entry.until!).toISOString()
            } of ${entry.count} does not hold consecutive slots`,
          );
        }
        for (const slot of span) {
          if (singles.has(slot)) {
            throw new Violation(
              `G3: ${spec.id} slot ${
                new Date(slot).toISOString()
              } has two outcomes`,
            );
          }
          singles.set(slot, entry);
        }
      }
      if (entry.count === undefined) {
        if (singles.has(entry.slot)) {
          throw new Violation(
            `G3: ${spec.id} slot ${
              new Date(entry.slot).toISOString()
            } has two outcomes`,
          );
        }
        singles.set(entry.slot, entry);
      }
    }
    const pending = [...state.runs, ...state.backlog].filter((r) =>
      r.trigger !== "manual"
    );
    if (counted + pending.length !== slots.size) {
      throw new Violation(
        `G3: ${spec.id} has ${slots.size} slots up to the cursor but ${counted} ledger outcomes and ${pending.length} pending`,
      );
    }
    for (const [outcome, n] of Object.entries(perOutcome)) {
      if (state.counters[outcome as keyof typeof state.counters] !== n) {
        throw new Violation(
          `G3: ${spec.id} counter ${outcome} is ${
            state.counters[outcome as keyof typeof state.counters]
          }, ledger has ${n}`,
        );
      }
    }
  }
}
