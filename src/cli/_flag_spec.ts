/**
 * The shape of one command-line flag, shared by the argument parser and the
 * job fields (a file of its own so that neither imports the other for it).
 *
 * @module
 */

/** One flag of a command, as `node:util` `parseArgs` takes it. */
export interface FlagSpec {
  readonly type: "string" | "boolean";
  readonly multiple?: boolean;
  readonly short?: string;
}
