/**
 * Sitemaps as a seed source: the seeds pass through, and each sitemap (named
 * with `--sitemap`, given as a seed line, or discovered from robots.txt
 * `Sitemap:` lines and `/sitemap.xml` with `--sitemaps`) is fetched through the
 * crawl's own fetch layer (guard, robots.txt, host policy), parsed in a worker,
 * and its URLs come out as seeds. Sitemaps are read one at a time, so at most
 * one body is in memory; nested indexes are followed to {@linkcode MAX_NESTING}
 * levels, and a sitemap already read in this crawl is not read again (an index
 * that lists itself ends). Each sitemap gives one record (`kind: "sitemap"`).
 *
 * @module
 */

import type { Seed, SeedSource } from "../crawl/_seed_pump.ts";
import { recordId } from "../crawl/_records.ts";
import { serializeError, TrawlError } from "../trawl_error.ts";
import type { CrawlRecord, FetchResult } from "../types.ts";
import { normalizeUrl } from "../url.ts";
import type { ParsedSitemap } from "./parse_sitemap.ts";
import { SITEMAP_LIMITS } from "./parse_sitemap.ts";

/** Index levels followed below a sitemap named or discovered (the protocol allows one). */
export const MAX_NESTING = 3;

/** What the expansion uses of the crawl, wired by `src/crawl.ts`. */
export interface SitemapParts {
  /** Fetch through the crawl's fetch layer (any content type, the sitemap byte cap). */
  fetch(url: string): Promise<FetchResult>;
  /** robots.txt of the URL's origin: may it be fetched, and its `Sitemap:` lines; `null` without robots.txt. */
  robots: {
    allowed(url: string): Promise<{ allowed: boolean; reason?: string }>;
    sitemaps(url: string): Promise<readonly string[]>;
  } | null;
  /** Parse a body off the main thread. */
  parse(url: string, body: Uint8Array): Promise<ParsedSitemap>;
  /** Hand a sitemap's record to the output. */
  output(record: CrawlRecord): void;
  /** `true` the first time `key` is claimed in this crawl (and its resumes). */
  claim(key: string): Promise<boolean>;
  /** A page listed with a `<lastmod>`. */
  lastmod(url: string, lastmod: string): void;
  /** Whether the crawl is stopping. */
  stopping(): boolean;
  /**
   * A sitemap named by the user (a seed line, `--sitemap`) is a seed: its own
   * address may be private, as a seed's may (see the address guard).
   */
  named(url: string): Promise<void>;
}

/** Options for {@linkcode sitemapSeeds}. */
export interface SitemapSeedsOptions {
  /** Discover sitemaps for every seed's origin (robots.txt, else `/sitemap.xml`). @default {false} */
  discover?: boolean;
  /** Sitemaps to read first. @default {[]} */
  sitemaps?: readonly string[];
}

/** Whether a seed line names a sitemap rather than a page: `.xml`, `.xml.gz` or `sitemap` in its path. */
export function isSitemapUrl(url: string): boolean {
  const path = URL.parse(url)?.pathname.toLowerCase() ?? "";
  return /\.xml(\.gz)?$/.test(path) || /sitemap[^/]*$/.test(path);
}

/**
 * The seeds of `seeds`, with sitemaps expanded into the pages they list.
 *
 * @example Seeds from a site's sitemaps
 * ```ts ignore
 * import { sitemapSeeds } from "./sitemap_seeds.ts";
 *
 * declare const parts: import("./sitemap_seeds.ts").SitemapParts;
 * for await (const seed of sitemapSeeds(["https://example.com/"], parts, { discover: true })) {
 *   console.log(seed);
 * }
 * ```
 */
export async function* sitemapSeeds(
  seeds: SeedSource,
  parts: SitemapParts,
  options: SitemapSeedsOptions = {},
): AsyncGenerator<string | Seed> {
  const read = new Set<string>();
  const origins = new Set<string>();
  for (const url of options.sitemaps ?? []) {
    await parts.named(url);
    yield* expand(url, 0, parts, read);
  }
  for await (const seed of seeds) {
    if (parts.stopping()) return;
    const raw = typeof seed === "string" ? seed : seed.url;
    const url = URL.parse(raw.trim());
    if (url !== null && (url.protocol === "http:" || url.protocol === "https:")) {
      if (isSitemapUrl(url.href)) {
        await parts.named(url.href);
        yield* expand(url.href, 0, parts, read);
        continue;
      }
      yield seed;
      if (options.discover && !origins.has(url.origin)) {
        origins.add(url.origin);
        const named = parts.robots === null ? [] : await parts.robots.sitemaps(url.href);
        const found = named.length > 0 ? named : [`${url.origin}/sitemap.xml`];
        for (const sitemap of found) yield* expand(sitemap, 0, parts, read);
      }
    } else yield seed;
  }
}

/** One sitemap: its record, then its pages (or, for an index, its sitemaps' pages). */
async function* expand(
  raw: string,
  level: number,
  parts: SitemapParts,
  read: Set<string>,
): AsyncGenerator<string> {
  let url: string;
  try {
    url = normalizeUrl(raw);
  } catch {
    return; // not a URL: nothing to read (the line was a seed typo or a bad <loc>)
  }
  if (read.has(url) || parts.stopping()) return;
  read.add(url);
  const record: CrawlRecord = {
    id: recordId(url),
    url,
    finalUrl: null,
    status: null,
    depth: 0,
    title: null,
    fetchedAt: new Date().toISOString(),
    ms: 0,
    bytes: 0,
    error: null,
    data: null,
    kind: "sitemap",
  };
  const started = performance.now();
  let parsed: ParsedSitemap | null = null;
  try {
    const verdict = parts.robots === null ? { allowed: true } : await parts.robots.allowed(url);
    if (!verdict.allowed) {
      throw new TrawlError(
        "ROBOTS_DISALLOWED",
        `robots.txt disallows ${url}${verdict.reason ? `: ${verdict.reason}` : ""}`,
      );
    }
    const result = await parts.fetch(url);
    record.finalUrl = result.status === null ? null : result.finalUrl;
    record.status = result.status;
    record.bytes = result.bytes;
    if (result.error !== null) record.error = result.error;
    else {
      parsed = await parts.parse(url, result.body);
      record.error = parsed.error;
      record.data = { type: parsed.kind, entries: parsed.entries.length, bytes: parsed.bytes };
    }
  } catch (error) {
    record.error = serializeError(error, "NETWORK_ERROR");
  }
  record.ms = Math.round(performance.now() - started);
  if (await parts.claim(`sitemap ${url}`)) parts.output(record);
  if (parsed === null || parsed.error !== null) return;
  const base = new URL(url);
  for (const entry of parsed.entries) {
    if (parts.stopping()) return;
    if (parsed.kind === "sitemapindex") {
      if (level + 1 <= MAX_NESTING) yield* expand(entry.url, level + 1, parts, read);
      continue;
    }
    // The protocol: a sitemap lists URLs of its own host only.
    const page = URL.parse(entry.url, base);
    if (page === null || page.host !== base.host) continue;
    if (entry.lastmod) {
      try {
        parts.lastmod(normalizeUrl(page.href), entry.lastmod);
      } catch { /* not a crawlable URL: the seed pump reports it */ }
    }
    yield page.href;
  }
}

export { SITEMAP_LIMITS };
