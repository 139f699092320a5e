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
/** An escape {@linkcode normalizeEscapes} changes: stray, lowercase hex, or of an unreserved character. */
const ESCAPE_TO_CHANGE = /%(?![0-9A-F]{2})|%(?:3[0-9]|[46][1-9A-F]|[57][0-9A]|2[DE]|5F|7E)/;

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
 * (the message quotes it) or its host is in 0.0.0.0/8 or written as a bare
 * number (see {@linkcode parseHttpUrl}), and `UNSUPPORTED_SCHEME` for schemes other than
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
 * errors {@linkcode normalizeUrl} throws. A host that parses to an address in
 * 0.0.0.0/8, or that is written as one bare number (`http://2130706433/`),
 * is refused as `INVALID_URL` with a hint: these are typos (`http:8080//host/`
 * parses as host 0.0.31.144), never crawlable hosts. Pair it with {@linkcode canonicalHref}
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
  // A host ending in a digit is an IPv4 address (WHATWG parsing): the cheap test first.
  const last = url.hostname.charCodeAt(url.hostname.length - 1);
  if (last >= 48 && last <= 57) {
    const hint = numericHostHint(input, url.hostname);
    if (hint !== null) {
      const end = hint.endsWith("?") ? "" : ".";
      throw new TrawlError("INVALID_URL", `Invalid URL ${quote(input)}: ${hint}${end}`, {
        url: input,
      });
    }
  }
  return url;
}

/** The authority as written in an absolute or scheme-relative input. */
const AUTHORITY = /^(?:https?:[/\\]*|[/\\]{2})([^/\\?#]*)/i;
/** A single IPv4 number part (decimal, hex or octal), maybe with a trailing dot. */
const BARE_NUMBER = /^(?:0x[0-9a-f]*|[0-9]+)\.?$/i;
/** `http:8080//host/path`: a port typed before the slashes. */
const PORT_TYPO = /^(https?):[/\\]*([0-9]+)[/\\]{2,}([^/\\?#]+)(.*)$/is;

/** The host of an input as written (no userinfo, no port); `null` for a relative input. */
function writtenHost(input: string): string | null {
  const authority = AUTHORITY.exec(input.trimStart())?.[1];
  if (authority === undefined) return null;
  const host = authority.slice(authority.lastIndexOf("@") + 1);
  return host.startsWith("[") ? host : host.replace(/:[0-9]*$/, "");
}

/**
 * Why an IPv4 host (`hostname`, dotted decimal) cannot be crawled, or `null`
 * when it can: a host in 0.0.0.0/8 ("this network", where no server lives), or
 * a host written as one bare number (`http://8080/`, `http://2130706433/`),
 * both most often typos.
 */
function numericHostHint(input: string, hostname: string): string | null {
  // The usual case, cheaply: the dotted address is written in the input itself.
  if (!hostname.startsWith("0.") && input.includes(hostname)) return null;
  const written = writtenHost(input);
  let bare = written !== null && BARE_NUMBER.test(written);
  if (bare) {
    // The input names this host itself (not a base it is relative to).
    try {
      bare = new URL(`http://${written}/`).hostname === hostname;
    } catch {
      bare = false;
    }
  }
  if (!bare && !hostname.startsWith("0.")) return null;
  const typo = PORT_TYPO.exec(input.trim());
  if (typo !== null) {
    const [, scheme, port, host, rest] = typo;
    return `the host parses as ${hostname}; did you mean ${scheme.toLowerCase()}://${host}:${port}` +
      `${rest === "" ? "/" : rest}?`;
  }
  if (bare) {
    const number = written!.replace(/\.$/, "");
    return `the host parses as the number ${number} (the IPv4 address ${hostname})`;
  }
  return `the host ${hostname} is in 0.0.0.0/8 ("this network"), which no request can reach`;
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
  // Without escapes to change, the href up to the fragment is already the canonical form.
  if (!bare.includes("%") || !ESCAPE_TO_CHANGE.test(bare)) return bare;
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
