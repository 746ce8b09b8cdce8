/**
 * The croner releases tock is compared with: `croner` (the current release)
 * and `croner9` (9.1.0, the last 9.x), each an import of `deno.json`. Their
 * versions are read from there, so the report names what was measured.
 *
 * @module
 */

import config from "../deno.json" with { type: "json" };

/** The croner systems, newest first (the keys of `deno.json`'s imports). */
export const CRONERS = ["croner", "croner9"] as const;

/** One croner system. */
export type CronerSystem = typeof CRONERS[number];

/**
 * Whether a system name is one of the croners.
 *
 * @param system A system name.
 * @returns `true` for `croner` and `croner9`.
 */
export function isCroner(system: string): system is CronerSystem {
  return (CRONERS as readonly string[]).includes(system);
}

/**
 * The npm version a croner system imports.
 *
 * @param system `croner` or `croner9`.
 * @returns The version `deno.json` pins (`11.0.1`).
 */
export function cronerVersion(system: CronerSystem): string {
  const specifier: string = config.imports[system];
  return specifier.slice(specifier.lastIndexOf("@") + 1);
}

/**
 * A croner system's name with its version, for the report.
 *
 * @param system `croner` or `croner9`.
 * @returns `croner 11.0.1`.
 */
export function cronerLabel(system: CronerSystem): string {
  return `croner ${cronerVersion(system)}`;
}
