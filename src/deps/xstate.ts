/**
 * xstate, pinned: the one place its version is named, so that `mod.ts`
 * resolves from any Deno project, without tock's import map.
 *
 * @module
 */

export * from "npm:xstate@5.33.3";
