/**
 * The one place URLs are canonicalized. Every part that compares, stores or
 * matches URLs (frontier dedupe, robots.txt, scope, output records) goes through
 * {@linkcode normalizeUrl} first.
 *
 * @module
 */

import { TrawlError } from "./trawl_error.ts";

const MAX_MESSAGE_INPUT = 200;
const ESCAPE = /%([0-9A-Fa-f]{2})?/g;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Quote an input for an error message, cut when very long. */
function quote(input: string): string {
  const cut = input.length > MAX_MESSAGE_INPUT
    ? `${input.slice(0, MAX_MESSAGE_INPUT)}... (${input.length} chars)`
    : input;
  return JSON.stringify(cut);
}

/**
 * Decode escapes of unreserved characters; uppercase the hex of the others. A
 * stray `%` (not followed by two hex digits) becomes `%25`: left alone, it could
 * pair with a decoded digit (`%4%31` -> `%41`) and break idempotence.
 */
function normalizeEscapes(text: string): string {
  if (!text.includes("%")) return text;
  return text.replace(ESCAPE, (_match, hex: string | undefined) => {
    if (hex === undefined) return "%25";
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/**
 * Parse `input` (relative to `base` when given) and return its canonical form:
 * scheme and host lowercased, IDN hosts in punycode, default port removed,
 * fragment removed, dot segments resolved, percent-encoding normalized in path
 * and query (escapes of unreserved characters `A-Z a-z 0-9 - . _ ~` decoded, the
 * hex of other escapes uppercased, a stray `%` escaped as `%25`), an empty path
 * made `/`. The query is otherwise kept as is (parameters are not sorted). Odd IPv4 forms such as
 * `http://0x7f.1/` become dotted decimal (WHATWG URL parsing).
 *
 * Throws {@linkcode TrawlError} `INVALID_URL` when the input cannot be parsed
 * (the message quotes it) and `UNSUPPORTED_SCHEME` for schemes other than
 * `http:` and `https:`.
 *
 * @example Canonicalize a link
 * ```ts
 * import { normalizeUrl } from "./url.ts";
 *
 * normalizeUrl("HTTP://Example.COM:80/a/./b/../%7euser?q=%2f#top");
 * // "http://example.com/a/~user?q=%2F"
 * normalizeUrl("../x", "https://example.com/a/b/"); // "https://example.com/a/x"
 * ```
 */
export function normalizeUrl(input: string, base?: string | URL): string {
  return canonicalHref(parseHttpUrl(input, base));
}

/**
 * Parse `input` (relative to `base` when given) as an http(s) URL, with the
 * errors {@linkcode normalizeUrl} throws. Pair it with {@linkcode canonicalHref}
 * when the parsed URL is needed too (its host and origin are already canonical).
 *
 * @example Parse once, use the URL and its canonical form
 * ```ts
 * import { canonicalHref, parseHttpUrl } from "./url.ts";
 *
 * const url = parseHttpUrl("/a/../%7eb#x", "https://Example.com/");
 * console.log(url.host, canonicalHref(url)); // "example.com" "https://example.com/~b"
 * ```
 */
export function parseHttpUrl(input: string, base?: string | URL): URL {
  let url: URL;
  try {
    url = base === undefined ? new URL(input) : new URL(input, base);
  } catch (cause) {
    const where = base === undefined ? "" : ` relative to ${quote(String(base))}`;
    throw new TrawlError(
      "INVALID_URL",
      `Invalid URL ${quote(input)}${where}: expected an absolute http(s) URL such as ` +
        `"https://example.com/".`,
      { cause, url: input },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TrawlError(
      "UNSUPPORTED_SCHEME",
      `Unsupported scheme "${url.protocol.slice(0, -1)}" in ${quote(input)}: ` +
        `only http and https URLs can be crawled.`,
      { url: input },
    );
  }
  return url;
}

/**
 * The canonical form of a parsed http(s) URL (see {@linkcode normalizeUrl}): its
 * `href` without the fragment, percent-escapes normalized. Reads the URL, never
 * changes it (no re-parse: this runs for every link of every page).
 *
 * @example Canonical form of a parsed URL
 * ```ts
 * import { canonicalHref } from "./url.ts";
 *
 * canonicalHref(new URL("HTTP://EXAMPLE.com:80/%7euser?q=%2f#top")); // "http://example.com/~user?q=%2F"
 * ```
 */
export function canonicalHref(url: URL): string {
  const href = url.href;
  const hashAt = href.indexOf("#");
  const bare = hashAt < 0 ? href : href.slice(0, hashAt);
  // Without escapes, the href up to the fragment is already the canonical form.
  if (!bare.includes("%")) return bare;
  // An empty but present query keeps its "?".
  const search = url.search === "" ? (bare.endsWith("?") ? "?" : "") : url.search;
  const auth = url.username === "" && url.password === ""
    ? ""
    : `${url.username}${url.password === "" ? "" : `:${url.password}`}@`;
  return `${url.protocol}//${auth}${url.host}${normalizeEscapes(url.pathname)}${
    normalizeEscapes(search)
  }`;
}

/**
 * The host of a URL as `URL.host` gives it: lowercased, punycode, with the port
 * when it is not the scheme's default. Throws {@linkcode TrawlError}
 * `INVALID_URL` when `url` cannot be parsed.
 *
 * @example Group URLs by host
 * ```ts
 * import { hostOf } from "./url.ts";
 *
 * hostOf("https://Example.com:8443/a"); // "example.com:8443"
 * hostOf("http://example.com:80/"); // "example.com"
 * ```
 */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch (cause) {
    throw new TrawlError("INVALID_URL", `Invalid URL ${quote(url)}: cannot read its host.`, {
      cause,
      url,
    });
  }
}
