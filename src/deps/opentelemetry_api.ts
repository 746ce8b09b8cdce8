/**
 * The OpenTelemetry API, pinned: the one place its version is named, so that
 * `mod.ts` resolves from any Deno project, without tock's import map.
 *
 * @module
 */

export * from "npm:@opentelemetry/api@1.9.0";
