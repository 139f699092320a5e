/**
 * The worker pool's job for sitemaps: the body arrives transferred, the parse
 * runs off the crawl's event loop.
 *
 * @module
 */

import { type ParsedSitemap, parseSitemap } from "./parse_sitemap.ts";

/** Input of one job. */
export interface SitemapJob {
  url: string;
  body: Uint8Array;
}

/** Parse one sitemap (the pool calls it in a worker). */
export function parseSitemapJob(job: SitemapJob): Promise<ParsedSitemap> {
  return parseSitemap(job.body, { url: job.url });
}
