/**
 * Id validation shared by the stores: ids become file names in the file
 * store, so they are checked before they touch a path.
 *
 * @module
 */

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The id syntax, for messages. */
export const ID_SYNTAX = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}";

/**
 * Tells whether a value is a valid job or instance id.
 *
 * @param id The value to check.
 * @returns True if it matches {@linkcode ID_SYNTAX}.
 */
export function isValidId(id: unknown): id is string {
  return typeof id === "string" && ID_PATTERN.test(id);
}

/**
 * Throws a `TypeError` unless `id` is a valid instance id.
 *
 * @param id The instance id.
 * @param action What was attempted, for the message (`write heartbeat`).
 * @throws {TypeError} If the id is invalid.
 */
export function assertInstanceId(id: unknown, action: string): void {
  if (!isValidId(id)) {
    throw new TypeError(
      `Cannot ${action}: instance id ${
        JSON.stringify(id)
      } must match ${ID_SYNTAX}`,
    );
  }
}
