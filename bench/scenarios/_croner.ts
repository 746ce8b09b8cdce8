/**
 * Both croner releases behind one constructor type, for the scenarios that
 * run them (start lag, idle).
 *
 * @module
 */

import { Cron } from "croner";
import { Cron as Cron9 } from "croner9";
import type { CronerSystem } from "../_peers.ts";

/** What the bench uses of a `Cron` of either croner release. */
export interface CronJob {
  stop(): void;
}

/** A `Cron` constructor of either croner release. */
export type CronClass = new (
  pattern: string,
  options: Record<string, never>,
  run: () => void,
) => CronJob;

/** Each croner system's `Cron`. */
export const CRON_CLASSES: Record<CronerSystem, CronClass> = {
  croner: Cron,
  croner9: Cron9,
};
