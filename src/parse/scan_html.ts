/**
 * The default extraction: one streaming htmlparser2 pass, no tree.
 *
 * @module
 */

import { Parser } from "htmlparser2";
import type { PageLink } from "../types.ts";

/** What {@linkcode scanHtml} finds on a page. */
export interface HtmlScan {
  /** `<title>` text, trimmed, whitespace collapsed; `null` when absent. */
  title: string | null;
  /** `<meta name="description">` content, trimmed; `null` when absent. */
  description: string | null;
  /** `<link rel="canonical">` as an absolute URL; `null` when absent or invalid. */
  canonical: string | null;
  /** `<html lang>`; `null` when absent. */
  lang: string | null;
  /** The document's base URL: `<base href>` resolved against the page URL, else the page URL. */
  baseUrl: string;
  /** `a[href]`, `area[href]` and `link[rel~=next][href]`, resolved, http(s) only, deduplicated. */
  links: PageLink[];
}

const WS_RUN = /[\t\n\f\r ]+/g;

/**
 * Scan HTML text for title, description, canonical, lang and links, in one
 * streaming pass. Links resolve against `<base href>` (wherever it appears) or
 * `pageUrl`; fragments are dropped, anything not http/https is dropped, and
 * duplicates are merged in order. A link is `nofollow` when every occurrence
 * carries `rel="nofollow"`, or when `<meta name="robots">` says `nofollow` or
 * `none`.
 *
 * @example Links and title of a small page
 * ```ts
 * import { scanHtml } from "./scan_html.ts";
 *
 * const scan = scanHtml(
 *   '<title> Hi </title><a href="/a#x">a</a><a href="b" rel="nofollow">b</a>',
 *   "https://example.com/dir/",
 * );
 * console.log(scan.title, scan.links);
 * // "Hi" [{url: "https://example.com/a", nofollow: false}, {url: "https://example.com/dir/b", nofollow: true}]
 * ```
 */
export function scanHtml(html: string, pageUrl: string): HtmlScan {
  let title: string | null = null;
  let inTitle = false;
  let titleText = "";
  let description: string | null = null;
  let canonicalHref: string | null = null;
  let lang: string | null = null;
  let baseHref: string | null = null;
  let pageNofollow = false;
  const raw: { href: string; nofollow: boolean }[] = [];

  const parser = new Parser({
    onopentag(name, attrs) {
      switch (name) {
        case "a":
        case "area":
          if (attrs.href !== undefined) {
            raw.push({ href: attrs.href, nofollow: hasRel(attrs.rel, "nofollow") });
          }
          break;
        case "link":
          if (attrs.href === undefined) break;
          if (canonicalHref === null && hasRel(attrs.rel, "canonical")) canonicalHref = attrs.href;
          if (hasRel(attrs.rel, "next")) {
            raw.push({ href: attrs.href, nofollow: hasRel(attrs.rel, "nofollow") });
          }
          break;
        case "meta": {
          const metaName = attrs.name?.toLowerCase();
          if (metaName === "description" && description === null && attrs.content !== undefined) {
            description = attrs.content.trim();
          } else if (metaName === "robots" && attrs.content) {
            pageNofollow ||= /\b(?:nofollow|none)\b/i.test(attrs.content);
          }
          break;
        }
        case "base":
          if (baseHref === null && attrs.href !== undefined) baseHref = attrs.href;
          break;
        case "html":
          if (lang === null && attrs.lang !== undefined) lang = attrs.lang.trim() || null;
          break;
        case "title":
          if (title === null) inTitle = true;
          break;
      }
    },
    ontext(text) {
      if (inTitle) titleText += text;
    },
    onclosetag(name) {
      if (name === "title" && inTitle) {
        inTitle = false;
        title = titleText.replace(WS_RUN, " ").trim();
      }
    },
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  parser.end(html);
  if (inTitle) title = titleText.replace(WS_RUN, " ").trim(); // unclosed <title>

  const baseUrl = (baseHref !== null && resolveHttp(baseHref, pageUrl)) || pageUrl;
  const seen = new Map<string, PageLink>();
  for (const { href, nofollow } of raw) {
    const url = resolveHttp(href, baseUrl);
    if (url === null) continue;
    const known = seen.get(url);
    if (known) known.nofollow &&= nofollow;
    else seen.set(url, { url, nofollow });
  }
  const links = [...seen.values()];
  if (pageNofollow) { for (const link of links) link.nofollow = true; }
  const canonical = canonicalHref === null ? null : resolveHttp(canonicalHref, baseUrl);
  return { title, description, canonical, lang, baseUrl, links };
}

/**
 * Resolve `href` against `base`: the absolute URL without its fragment, or
 * `null` when it does not parse or is not http/https.
 *
 * @example Resolve and filter
 * ```ts
 * import { resolveHttp } from "./scan_html.ts";
 *
 * console.log(resolveHttp("../x?y#z", "https://a.test/b/c")); // "https://a.test/x?y"
 * console.log(resolveHttp("mailto:me@a.test", "https://a.test/")); // null
 * ```
 */
export function resolveHttp(href: string, base: string): string | null {
  const url = URL.parse(href, base);
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) return null;
  url.hash = "";
  return url.href;
}

function hasRel(rel: string | undefined, token: string): boolean {
  return rel !== undefined && rel.toLowerCase().split(/[\t\n\f\r ]+/).includes(token);
}
