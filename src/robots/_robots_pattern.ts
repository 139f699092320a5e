/**
 * Internal: robots.txt path patterns (RFC 9309 sections 2.2.2 and 2.2.3), and
 * the one form both a rule and a URL take before they are compared.
 *
 * The compare form of a text:
 * - escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded, the
 *   hex of other escapes is uppercased, a stray `%` becomes `%25` (the URL side
 *   already is in this form: `canonicalHref` did it);
 * - characters `encodeURI` escapes (non-ASCII as UTF-8, space, `"`, `<`, `>`,
 *   `[`, `]`, `|`, ...) are escaped, existing escapes kept;
 * - `%2A` and `%24` become a literal `*` and `$`: in a rule they are how a
 *   literal `*` or `$` is written (section 2.2.3), and in a URL `*` and `%2A`
 *   name the same thing for matching purposes.
 *
 * In a rule, an unescaped `*` matches any sequence and a `$` ending the rule
 * anchors it at the end of the URL; a `$` elsewhere is a literal `$`.
 *
 * @module
 */

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const ESCAPE = /%([0-9A-Fa-f]{2})?/g;
/** Characters `encodeURI` keeps, plus `%` (escapes are kept as they are). */
const KEPT = /^[A-Za-z0-9;,/?:@&=+$\-_.!~*'()#%]*$/;
const STAR_OR_DOLLAR = /%2A|%24/g;

/** Decode escapes of unreserved characters, uppercase the hex of the others, escape a stray `%`. */
function normalizeEscapes(text: string): string {
  return text.replace(ESCAPE, (_match, hex: string | undefined) => {
    if (hex === undefined) return "%25";
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/** Escape what `encodeURI` escapes, keeping existing escapes. */
function escapeRest(text: string): string {
  if (KEPT.test(text)) return text;
  let out = "";
  for (const char of text) {
    if (KEPT.test(char)) out += char;
    else {
      try {
        out += encodeURI(char);
      } catch {
        out += "%EF%BF%BD"; // a lone surrogate: U+FFFD, as a UTF-8 decoder would give
      }
    }
  }
  return out;
}

/**
 * The compare form of a URL's path and query, already canonical (see
 * `canonicalHref`: escapes normalized).
 */
export function matchKey(pathAndQuery: string): string {
  const escaped = escapeRest(pathAndQuery);
  return escaped.includes("%") ? escaped.replace(STAR_OR_DOLLAR, literal) : escaped;
}

function literal(escape: string): string {
  return escape === "%2A" ? "*" : "$";
}

/** The compare form of a literal piece of a rule (between wildcards). */
function rulePiece(text: string): string {
  if (!text.includes("%")) return escapeRest(text);
  return escapeRest(normalizeEscapes(text)).replace(STAR_OR_DOLLAR, literal);
}

/** A compiled rule path. */
export interface PathPattern {
  /** The literal pieces between `*` wildcards (one piece: no wildcard). */
  readonly pieces: readonly string[];
  /** Whether the pattern ended with `$` (the URL must end where the pattern does). */
  readonly anchored: boolean;
  /** Octets of the pattern in compare form, wildcards included: longer is more specific. */
  readonly length: number;
}

/**
 * Compile a rule's value; `null` for an empty value (a rule that matches
 * nothing). A value starting with neither `/` nor `*` gets a leading `/`.
 */
export function compilePattern(value: string): PathPattern | null {
  if (value === "") return null;
  const raw = value.startsWith("/") || value.startsWith("*") ? value : `/${value}`;
  const anchored = raw.endsWith("$");
  const body = anchored ? raw.slice(0, -1) : raw;
  const pieces = body.split("*").map(rulePiece);
  const length = pieces.reduce((sum, piece) => sum + piece.length, 0) + pieces.length - 1 +
    (anchored ? 1 : 0);
  return { pieces, anchored, length };
}

/**
 * Whether `pattern` matches `key`, its first piece being known to start `key`.
 * Leftmost-first search of each piece is exact for `*`-only patterns, and
 * linear in the key per piece.
 */
export function restMatches(pattern: PathPattern, key: string): boolean {
  const { pieces, anchored } = pattern;
  let at = pieces[0].length;
  if (pieces.length === 1) return !anchored || key.length === at;
  const last = pieces.length - 1;
  for (let i = 1; i < last; i++) {
    const found = key.indexOf(pieces[i], at);
    if (found < 0) return false;
    at = found + pieces[i].length;
  }
  const tail = pieces[last];
  if (!anchored) return key.indexOf(tail, at) >= 0;
  return key.length - tail.length >= at && key.endsWith(tail);
}
