/**
 * Crawl scope relative to the set of seeds.
 *
 * @module
 */

import { getDomain } from "tldts";

/**
 * Which links a crawl follows, relative to the set of seeds: `"host"` (same
 * hostname as a seed, any scheme or port), `"domain"` (same registrable domain
 * as a seed), `"origin"` (same scheme, host and port as a seed), `"all"` (any
 * http(s) URL).
 *
 * @example Stay on the seeds' sites
 * ```ts
 * import type { FrontierScope } from "./_scope.ts";
 *
 * const scope: FrontierScope = "domain";
 * ```
 */
export type FrontierScope = "host" | "domain" | "origin" | "all";

/**
 * The registrable domain of a hostname per the Public Suffix List, private
 * section included (so `a.github.io` and `b.github.io` are different sites); the
 * hostname itself for IPs, `localhost` and names without a known suffix.
 */
export function domainOf(hostname: string): string {
  if (hostname.startsWith("[")) return hostname;
  return getDomain(hostname, { allowPrivateDomains: true }) ?? hostname;
}

/** The key a URL is compared on under `scope` (`null` for "all"). */
export function scopeKey(url: URL, scope: FrontierScope): string | null {
  switch (scope) {
    case "host":
      return url.hostname;
    case "domain":
      return domainOf(url.hostname);
    case "origin":
      return url.origin;
    case "all":
      return null;
  }
}
