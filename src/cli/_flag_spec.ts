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
  /**
   * A flag whose value is optional and joined with `=`, as `deno run`
   * takes `--allow-read` and `--allow-read=/data` (and `-R`, `-R=/data`
   * with a `short` name). Its value is the list of every use: `true` for
   * a bare one, the text for one with a value.
   */
  readonly optionalValue?: boolean;
}
