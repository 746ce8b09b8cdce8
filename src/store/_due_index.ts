/**
 * An index that answers "which jobs need the claim step by `until`" in time
 * proportional to the answer, not to the number of jobs: a min-heap of
 * `nextDueAt` with lazy deletion, the jobs with a backlog, and the jobs with
 * active runs by the instance running them (so that a claim reads the runs
 * of dead instances, not every run).
 *
 * @module
 */

import type { JobId, JobState } from "../types.ts";
import type { DueOptions } from "./store.ts";

interface HeapEntry {
  readonly at: number;
  readonly id: JobId;
}

/** Tracks due times of jobs; see the module doc. */
export class DueIndex {
  #heap: HeapEntry[] = [];
  #dueAt = new Map<JobId, number>();
  #active = new Set<JobId>();
  #backlog = new Set<JobId>();
  /** Jobs with active runs, by the instance running them. */
  #byInstance = new Map<string, Set<JobId>>();
  #instancesOf = new Map<JobId, readonly string[]>();

  /**
   * Records a job's new state, or its deletion (`undefined`).
   *
   * @param id The job.
   * @param state Its state, or `undefined` if it was deleted.
   */
  set(id: JobId, state: JobState | undefined): void {
    const at = state?.nextDueAt;
    if (at === undefined || !Number.isFinite(at)) this.#dueAt.delete(id);
    else if (this.#dueAt.get(id) !== at) {
      this.#dueAt.set(id, at);
      this.#push({ at, id });
    }
    if (state && (state.runs.length > 0 || state.backlog.length > 0)) {
      this.#active.add(id);
    } else this.#active.delete(id);
    if (state && state.backlog.length > 0) this.#backlog.add(id);
    else this.#backlog.delete(id);
    this.#setInstances(id, state ? state.runs.map((r) => r.instance) : []);
    // Stale entries stay in the heap until they outnumber the live ones.
    if (this.#heap.length > 2 * this.#dueAt.size + 64) this.#rebuild();
  }

  /** Forgets every job. */
  clear(): void {
    this.#heap = [];
    this.#dueAt.clear();
    this.#active.clear();
    this.#backlog.clear();
    this.#byInstance.clear();
    this.#instancesOf.clear();
  }

  /**
   * The jobs due by `until` (inclusive), the jobs with a backlog, and the
   * jobs with runs of dead instances (every job with runs when
   * `options.all`), ordered by due time (jobs without one first), then by id.
   *
   * @param until The instant, epoch milliseconds.
   * @param options Which jobs with active runs to include.
   * @returns Their ids, each once.
   */
  due(until: number, options: DueOptions = {}): JobId[] {
    this.#dropStale();
    const found = new Set<JobId>(
      options.all ? this.#active : this.#backlog,
    );
    if (!options.all && options.isDead) {
      for (const [instance, jobs] of this.#byInstance) {
        if (options.isDead(instance)) { for (const id of jobs) found.add(id); }
      }
    }
    const heap = this.#heap;
    const stack = heap.length > 0 ? [0] : [];
    while (stack.length > 0) {
      const at = stack.pop()!;
      const entry = heap[at]!;
      if (entry.at > until) continue;
      if (this.#dueAt.get(entry.id) === entry.at) found.add(entry.id);
      if (2 * at + 1 < heap.length) stack.push(2 * at + 1);
      if (2 * at + 2 < heap.length) stack.push(2 * at + 2);
    }
    const key = (id: JobId) => this.#dueAt.get(id) ?? -Infinity;
    return [...found].sort((a, b) =>
      key(a) - key(b) || (a < b ? -1 : a > b ? 1 : 0)
    );
  }

  /**
   * The earliest due time among jobs that `accept` admits, visiting heap
   * entries in due order, so the cost grows with the entries skipped.
   *
   * @param accept Whether a job counts.
   * @returns The due time, or `undefined` if no admitted job has one.
   */
  earliest(accept: (id: JobId) => boolean): number | undefined {
    this.#dropStale();
    const heap = this.#heap;
    // A second heap of heap positions, ordered by their due time.
    const frontier: number[] = heap.length > 0 ? [0] : [];
    const at = (i: number) => heap[frontier[i]!]!.at;
    while (frontier.length > 0) {
      const top = frontier[0]!;
      const last = frontier.pop()!;
      if (frontier.length > 0) {
        let i = 0;
        frontier[0] = last;
        while (true) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < frontier.length && at(l) < at(m)) m = l;
          if (r < frontier.length && at(r) < at(m)) m = r;
          if (m === i) break;
          [frontier[i], frontier[m]] = [frontier[m]!, frontier[i]!];
          i = m;
        }
      }
      const entry = heap[top]!;
      if (this.#dueAt.get(entry.id) === entry.at && accept(entry.id)) {
        return entry.at;
      }
      for (const child of [2 * top + 1, 2 * top + 2]) {
        if (child >= heap.length) continue;
        frontier.push(child);
        let i = frontier.length - 1;
        while (i > 0) {
          const p = (i - 1) >> 1;
          if (at(p) <= at(i)) break;
          [frontier[i], frontier[p]] = [frontier[p]!, frontier[i]!];
          i = p;
        }
      }
    }
    return undefined;
  }

  /**
   * The jobs with active runs or a backlog.
   *
   * @returns Their ids.
   */
  active(): Iterable<JobId> {
    return this.#active;
  }

  #setInstances(id: JobId, instances: readonly string[]): void {
    const before = this.#instancesOf.get(id) ?? [];
    if (before.length === 0 && instances.length === 0) return;
    for (const instance of before) {
      const jobs = this.#byInstance.get(instance);
      jobs?.delete(id);
      if (jobs?.size === 0) this.#byInstance.delete(instance);
    }
    for (const instance of instances) {
      let jobs = this.#byInstance.get(instance);
      if (!jobs) this.#byInstance.set(instance, jobs = new Set());
      jobs.add(id);
    }
    if (instances.length > 0) this.#instancesOf.set(id, instances);
    else this.#instancesOf.delete(id);
  }

  /**
   * Pops stale entries off the top. A claim leaves one stale entry per job
   * it advanced, at the old due time, so they gather at the top: without
   * this, every later query would walk them all.
   */
  #dropStale(): void {
    const heap = this.#heap;
    while (heap.length > 0) {
      const top = heap[0]!;
      if (this.#dueAt.get(top.id) === top.at) return;
      const last = heap.pop()!;
      if (heap.length === 0) return;
      let at = 0;
      while (true) {
        const left = 2 * at + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right]!.at < heap[left]!.at
          ? right
          : left;
        if (heap[child]!.at >= last.at) break;
        heap[at] = heap[child]!;
        at = child;
      }
      heap[at] = last;
    }
  }

  #push(entry: HeapEntry): void {
    const heap = this.#heap;
    heap.push(entry);
    let at = heap.length - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (heap[parent]!.at <= entry.at) break;
      heap[at] = heap[parent]!;
      at = parent;
    }
    heap[at] = entry;
  }

  #rebuild(): void {
    this.#heap = [];
    for (const [id, at] of this.#dueAt) this.#push({ at, id });
  }
}
