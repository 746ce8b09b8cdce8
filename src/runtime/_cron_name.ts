/**
 * `Deno.cron` names and the job ids `cron()` stores them under.
 *
 * Deno allows ASCII letters, digits, whitespace, `-` and `_`, at most 64
 * characters (`validate_cron_name` in Deno's `ext/cron/lib.rs`); job ids
 * allow no whitespace and start with a letter or digit. So a name of words
 * separated by single spaces is stored with each space written as a dot
 * (`sample cron` → `sample.cron`, `log-a-message` unchanged), and any other
 * name (a leading `_` or `-`, a tab, two spaces in a row, an empty name) as
 * `0..` and the name in base64url (`_cleanup` → `0..X2NsZWFudXA`). No id of
 * the first kind contains `..`, so two names never share an id.
 *
 * @module
 */

/** Deno's limit on a cron name's length. */
const MAX_CRON_NAME = 64;

const WORDS = /^[A-Za-z0-9][A-Za-z0-9_-]*(?: [A-Za-z0-9_-]+)*$/;
/** Rust's `is_ascii_whitespace`: space, tab, LF, form feed, CR. */
const ALLOWED = /^[A-Za-z0-9_\- \t\n\f\r]*$/;

/**
 * Checks a cron name as `Deno.cron` does.
 *
 * @param name The name.
 * @returns What is wrong with it, or `undefined` when it is valid.
 */
export function cronNameProblem(name: string): string | undefined {
  if (name.length > MAX_CRON_NAME) {
    return `a name is at most ${MAX_CRON_NAME} characters long: received ${name.length}`;
  }
  if (!ALLOWED.test(name)) {
    return "a name holds only letters, digits, whitespace, hyphens and underscores";
  }
  return undefined;
}

/**
 * The job id a valid cron name is stored under.
 *
 * @param name A name {@linkcode cronNameProblem} accepts.
 * @returns A job id (`[A-Za-z0-9][A-Za-z0-9._-]{0,127}`), distinct for
 * distinct names.
 */
export function cronJobId(name: string): string {
  if (WORDS.test(name)) return name.replaceAll(" ", ".");
  const base64 = btoa(name).replaceAll("+", "-").replaceAll("/", "_");
  return `0..${base64.replace(/=+$/, "")}`;
}
