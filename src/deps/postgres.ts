/**
 * postgres.js, pinned: the one place its version is named, so that the
 * PostgreSQL store resolves from any Deno project, without tock's import
 * map.
 *
 * @module
 */

import postgres from "npm:postgres@3.4.9";

export default postgres;
