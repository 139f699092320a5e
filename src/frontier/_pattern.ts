/**
 * include/exclude patterns: globs over the whole normalized URL, or `/regex/flags`.
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";

const REGEX_FORM = /^\/(.+)\/([a-z]*)$/s;

/**
 * Compile one pattern to a `RegExp`. A pattern of the form `/source/flags` is a
 * regular expression (searched anywhere in the URL; `g` and `y` are dropped, they
 * make matching stateful); anything else is a glob matched against the whole URL:
 * `*` any run of characters, `?` one character, everything else literal.
 * Throws `INVALID_OPTION` naming the pattern when it does not compile.
 */
export function compilePattern(pattern: string, option: string): RegExp {
  const regex = REGEX_FORM.exec(pattern);
  if (regex !== null) {
    try {
      return new RegExp(regex[1], regex[2].replace(/[gy]/g, ""));
    } catch (cause) {
      throw new TrawlError(
        "INVALID_OPTION",
        `Invalid ${option} pattern ${JSON.stringify(pattern)}: ${(cause as Error).message}. ` +
          `Write a glob like "https://example.com/docs/*" or a regex like "/\\/docs\\//i".`,
        { cause },
      );
    }
  }
  if (pattern === "") {
    throw new TrawlError(
      "INVALID_OPTION",
      `Invalid ${option} pattern "": an empty glob matches nothing. ` +
        `Write a glob like "https://example.com/docs/*" or a regex like "/\\/docs\\//i".`,
    );
  }
  let source = "^";
  for (const char of pattern) {
    if (char === "*") source += "[^]*";
    else if (char === "?") source += "[^]";
    else source += char.replace(/[\\^$.|+()[\]{}/-]/g, "\\$&");
  }
  return new RegExp(`${source}$`, "u");
}

/** Compile a list of patterns once (see {@linkcode compilePattern}). */
export function compilePatterns(patterns: readonly string[] | undefined, option: string): RegExp[] {
  return (patterns ?? []).map((p) => compilePattern(p, option));
}
