/**
 * Formatting of figures for `RESULTS.md`: numbers, spreads and markdown
 * tables.
 *
 * @module
 */

import type { Spread } from "./_stats.ts";

/**
 * A number for a table: thousands separated, at most 3 significant
 * decimals below 10, 1 below 100, none above.
 *
 * @param value The number, or `null`.
 * @returns The text (`–` for `null`).
 */
export function formatNumber(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  const digits = abs === 0 || Number.isInteger(value)
    ? 0
    : abs < 10
    ? 2
    : abs < 100
    ? 1
    : 0;
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/**
 * A spread as `median (min–max)`; the bracket is left out when there was one
 * run or all runs agree.
 *
 * @param spread The figure over the repeats.
 * @param unit Appended to the median (` ms`, `%`).
 * @returns The text.
 */
export function formatSpread(spread: Spread | undefined, unit = ""): string {
  if (!spread || spread.median === null) return "–";
  const median = `${formatNumber(spread.median)}${unit}`;
  if (spread.min === spread.max) return median;
  return `${median} (${formatNumber(spread.min)}–${formatNumber(spread.max)})`;
}

/**
 * A markdown table.
 *
 * @param head The header cells.
 * @param rows The rows' cells.
 * @returns The table, one line per row.
 */
export function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [
    line(head),
    line(head.map(() => "---")),
    ...rows.map(line),
  ].join("\n");
}
