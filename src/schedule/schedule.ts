/**
 * The parsed forms of a schedule (what `parseSchedule()` returns and
 * `nextSlot()` reads), in a file of their own so that neither imports the
 * other for its types.
 *
 * @module
 */

/** A cron schedule, matched against the wall clock of `tz`. */
export interface CronSchedule {
  /** Discriminant. */
  readonly kind: "cron";
  /** The expression or alias, trimmed (the compiled form is cached by it). */
  readonly text: string;
  /** IANA time zone. */
  readonly tz: string;
  /** The expression has a leading seconds field. */
  readonly seconds: boolean;
  /**
   * The hour field starts with `*` (`*`, `*\/2`), so DST changes follow
   * real time (both passes of a repeated hour run, a gap is skipped);
   * otherwise the job has fixed hours (a gap runs once after it, a repeat
   * runs once, first).
   */
  readonly realTime: boolean;
  /**
   * Set (to `true`) when a restricted day of month and day of week must
   * both match, as with the `+` modifier (`0 12 1-7 * +MON`); absent, either
   * may (Vixie's OR).
   */
  readonly domAndDow?: true;
}

/** A fixed-rate schedule: `anchor + k * everyMs` for every integer `k`. */
export interface IntervalSchedule {
  /** Discriminant. */
  readonly kind: "interval";
  /** The schedule text, trimmed. */
  readonly text: string;
  /** The zone an explicit `from` instant was read in (not used for slots). */
  readonly tz: string;
  /** The period, in milliseconds. */
  readonly everyMs: number;
  /** Epoch ms on the grid; `undefined` means epoch 0. */
  readonly anchor: number | undefined;
}

/** A one-shot schedule. */
export interface OnceSchedule {
  /** Discriminant. */
  readonly kind: "once";
  /** The schedule text, trimmed. */
  readonly text: string;
  /** The zone a wall time was read in. */
  readonly tz: string;
  /** Epoch ms of the only slot. */
  readonly at: number;
}

/** A parsed schedule. */
export type Schedule = CronSchedule | IntervalSchedule | OnceSchedule;
