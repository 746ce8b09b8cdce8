// Instants worth testing schedules at: the DST changes of the zones the
// schedule properties use, leap days and year ends; and an arbitrary that
// draws mostly near them.
import fc from "fast-check";

const DAY = 86_400_000;

function nthSunday(year: number, month: number, n: number): number {
  const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
  return 1 + ((7 - first) % 7) + 7 * (n - 1);
}

function lastSunday(year: number, month: number): number {
  const last = new Date(Date.UTC(year, month, 0));
  return last.getUTCDate() - last.getUTCDay();
}

/**
 * The instants (UTC, to the hour) around which schedules change behaviour,
 * for the years `from` to `to`: DST changes in New York, Berlin, Lord Howe
 * (30-minute changes) and Santiago (changes at midnight), leap days, year
 * ends.
 */
export function focusInstants(from: number, to: number): number[] {
  const focus: number[] = [];
  for (let y = from; y <= to; y++) {
    focus.push(
      Date.UTC(y, 2, nthSunday(y, 3, 2), 7), // New York spring forward
      Date.UTC(y, 10, nthSunday(y, 11, 1), 6), // New York fall back
      Date.UTC(y, 2, lastSunday(y, 3), 1), // Berlin
      Date.UTC(y, 9, lastSunday(y, 10), 1),
      Date.UTC(y, 3, nthSunday(y, 4, 1) - 1, 15), // Lord Howe fall back
      Date.UTC(y, 9, nthSunday(y, 10, 1) - 1, 15, 30), // Lord Howe spring
      Date.UTC(y, 3, nthSunday(y, 4, 1), 3), // Santiago
      Date.UTC(y, 8, nthSunday(y, 9, 1), 4),
      Date.UTC(y, 1, 28, 12), // leap days
      Date.UTC(y, 11, 31, 12), // year ends
    );
  }
  return focus;
}

/** Mostly within two days before and one after a focus instant; else any instant from 1990 to 2060. */
export function nearFocus(focus: readonly number[]): fc.Arbitrary<number> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.tuple(
        fc.constantFrom(...focus),
        fc.integer({ min: -2 * DAY, max: DAY }),
      ).map(([instant, delta]) => instant + delta),
    },
    {
      weight: 1,
      arbitrary: fc.integer({
        min: Date.UTC(1990, 0, 1),
        max: Date.UTC(2060, 0, 1),
      }),
    },
  );
}
