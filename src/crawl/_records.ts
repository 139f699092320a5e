/**
 * Records: one per attempted URL. Their stable `id`, the failure record, and the
 * error of a URL robots.txt refuses.
 *
 * @module
 */

import { type ErrorInfo, TrawlError } from "../trawl_error.ts";
import type { CrawlRecord } from "../types.ts";

/** Two 32-bit lanes of a multiplicative string hash (cyrb53's mixing), 64 bits in all. */
function hash64(text: string): string {
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, "0") + (h1 >>> 0).toString(16).padStart(8, "0");
}

/**
 * The stable id of a URL's record: 16 hex digits hashed from the normalized URL,
 * so the same URL gets the same id in every run and resume of a crawl (a custom
 * sink can dedupe by it after a crash). Within one crawl URLs are unique, and two
 * of a million URLs share an id with probability about 3e-8.
 */
export function recordId(url: string): string {
  return hash64(url);
}

/** The id of a seed line that is not a URL (it has no normalized form): its line and text. */
export function invalidSeedId(raw: string, line: number | undefined): string {
  return hash64(`seed ${line ?? ""} ${raw}`);
}

/** A record for a URL that failed before (or without) a response. */
export function failureRecord(
  id: string,
  url: string,
  depth: number,
  error: ErrorInfo,
): CrawlRecord {
  return {
    id,
    url,
    finalUrl: null,
    status: null,
    depth,
    title: null,
    fetchedAt: new Date().toISOString(),
    ms: 0,
    bytes: 0,
    error,
    data: null,
  };
}

/** What robots.txt said, as far as a refusal needs it. */
export interface RobotsRefusal {
  /** Why, for humans (the matching rule's line). */
  reason?: string;
  /** robots.txt got no HTTP answer: that failure. */
  error?: ErrorInfo;
}

/**
 * The error of a URL robots.txt does not allow. When robots.txt got no answer at all
 * (DNS, connection, TLS, timeout), that failure is the record's error: it is why the
 * page cannot be fetched either, and "disallowed" would hide it.
 */
export function robotsRefusal(url: string, verdict: RobotsRefusal, from?: string): TrawlError {
  const what = from === undefined ? url : `${url} (redirect target of ${from})`;
  if (verdict.error) {
    return new TrawlError(
      verdict.error.code,
      `${what} not fetched: robots.txt could not be fetched: ${verdict.error.message}`,
      { url },
    );
  }
  const why = verdict.reason ? `: ${verdict.reason}` : "";
  return new TrawlError("ROBOTS_DISALLOWED", `robots.txt disallows ${what}${why}`, { url });
}
