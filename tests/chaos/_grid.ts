// The slot grid of the per-second schedules the chaos harness uses,
// computed independently of src/schedule (a black-box check must not trust
// the code it checks).

/** A regular grid of slots: `first`, `first + step`, … (epoch ms). */
export interface Grid {
  readonly first: number;
  readonly step: number;
}

/**
 * The grid of a schedule created at `createdAt`: slots strictly after the
 * creation instant. Intervals are anchored at creation; cron seconds steps
 * that divide a minute are aligned to the epoch.
 *
 * @throws {RangeError} For a schedule the harness does not use.
 */
export function gridOf(schedule: string, createdAt: number): Grid {
  const every = /^every (\d+)s$/.exec(schedule);
  if (every) {
    const step = Number(every[1]) * 1000;
    return { first: createdAt + step, step };
  }
  const cron = /^(\*|\*\/(\d+)) \* \* \* \* \*$/.exec(schedule);
  if (cron) {
    const seconds = cron[2] === undefined ? 1 : Number(cron[2]);
    if (60 % seconds === 0) {
      const step = seconds * 1000;
      return { first: Math.floor(createdAt / step) * step + step, step };
    }
  }
  throw new RangeError(`Cannot compute the grid of schedule "${schedule}"`);
}

/** The grid's slots in `[from, to]`, oldest first. */
export function slotsIn(grid: Grid, from: number, to: number): number[] {
  const out: number[] = [];
  const k = Math.max(0, Math.ceil((from - grid.first) / grid.step));
  for (let slot = grid.first + k * grid.step; slot <= to; slot += grid.step) {
    out.push(slot);
  }
  return out;
}

/** Whether an instant is a slot of the grid. */
export function onGrid(grid: Grid, slot: number): boolean {
  return slot >= grid.first && (slot - grid.first) % grid.step === 0;
}
