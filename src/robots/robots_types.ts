/**
 * The types of the robots.txt cache: its options, its verdicts and the event
 * it reports per fetch. {@linkcode createRobotsCache} in `robots_cache.ts`
 * makes the cache.
 *
 * @module
 */

import type { PermitSlot } from "../policy/host_policy.ts";
import type { ErrorInfo } from "../types.ts";

/**
 * How a fetch of robots.txt ended (RFC 9309 section 2.3.1): `"fetched"` (2xx,
 * its rules apply), `"unavailable"` (4xx, or redirects exhausted: no rules),
 * `"unreachable"` (5xx, 429 or no answer: everything disallowed).
 *
 * @example Branch on it
 * ```ts
 * import type { RobotsOutcome } from "./robots_types.ts";
 *
 * const allowsAll = (o: RobotsOutcome) => o === "unavailable";
 * ```
 */
export type RobotsOutcome = "fetched" | "unavailable" | "unreachable";

/**
 * The answer for one URL.
 *
 * @example Honour a verdict
 * ```ts
 * import type { RobotsVerdict } from "./robots_types.ts";
 *
 * const verdict: RobotsVerdict = { allowed: true, crawlDelayMs: 2000 };
 * if (verdict.allowed && verdict.crawlDelayMs !== null) console.log("wait", verdict.crawlDelayMs);
 * ```
 */
export interface RobotsVerdict {
  /** Whether the URL may be fetched. */
  allowed: boolean;
  /** `Crawl-delay` of our group in milliseconds (capped); `null` when none applies. */
  crawlDelayMs: number | null;
  /** Why, for humans (the matching rule's line, or the robots.txt status). */
  reason?: string;
  /**
   * Set when robots.txt got no HTTP answer at all (DNS, connection, TLS, timeout):
   * the fetch's error. The origin is then disallowed (RFC 9309), and this is also
   * why its pages cannot be fetched, so report it rather than a robots refusal.
   */
  error?: ErrorInfo;
}

/**
 * What {@linkcode RobotsOptions.onResolved} receives: one fetch of an origin's
 * robots.txt and how it ended.
 *
 * @example Turn it into a crawl event
 * ```ts
 * import type { RobotsResolvedEvent } from "./robots_types.ts";
 *
 * const log = (e: RobotsResolvedEvent) => console.log(e.origin, e.outcome, e.status);
 * ```
 */
export interface RobotsResolvedEvent {
  /** The origin (`https://example.com`). */
  origin: string;
  /**
   * `"fetched"` (2xx, rules apply), `"unavailable"` (4xx, redirects exhausted:
   * all allowed), `"unreachable"` (5xx, 429 or no answer: all disallowed, unless
   * the 30-day rule applies).
   */
  outcome: RobotsOutcome;
  /** The HTTP status; `null` when no response arrived. */
  status: number | null;
  /** The `Crawl-delay` now in force for the origin, ms (capped); `null` for none. */
  crawlDelayMs: number | null;
}

/**
 * Options for `createRobotsCache`.
 *
 * @example A browser-style User-Agent, our own product token
 * ```ts
 * import type { RobotsOptions } from "./robots_types.ts";
 *
 * const options: RobotsOptions = {
 *   userAgent: "Mozilla/5.0 (compatible; ExampleBot/0.1; +https://example.com/bot)",
 *   productToken: "ExampleBot",
 *   unreachableRetryMs: 10_000,
 * };
 * ```
 */
export interface RobotsOptions {
  /** The full User-Agent string; without `productToken`, its first word is the product token. */
  userAgent: string;
  /**
   * The product token robots.txt groups are matched against, case-insensitively
   * (`--robots-agent`): letters, digits, `_` and `-`. It is used only for group
   * matching, never sent.
   * @default {the product token of `userAgent` (its leading run of letters, digits, `_` and `-`)}
   */
  productToken?: string;
  /** How long a fetched robots.txt (or a 4xx "allow all") is kept; at most 24 hours (RFC 9309 section 2.4). @default {86400000} */
  cacheMs?: number;
  /** How long an unreachable robots.txt (5xx, 429, network error) disallows everything before it is fetched again. @default {60000} */
  unreachableRetryMs?: number;
  /**
   * After robots.txt has been unreachable without a break for longer than this,
   * the last copy fetched applies again, or no rules when there is none.
   * @default {2592000000} (30 days)
   */
  maxUnreachableMs?: number;
  /** Upper bound on the `Crawl-delay` honoured. @default {60000} */
  maxCrawlDelayMs?: number;
  /** How many origins are cached; the least recently used is dropped beyond it. @default {10000} */
  maxOrigins?: number;
  /** Deadline for one robots.txt fetch; when it passes the origin counts as unreachable. @default {30000} */
  fetchTimeoutMs?: number;
  /** Aborts every robots.txt fetch (e.g. the crawl's signal); aborted fetches are not cached. @default {undefined} */
  signal?: AbortSignal;
  /**
   * Called once per fetch of an origin's robots.txt, when it has been
   * interpreted and before any check waiting for it resumes. It must not throw
   * (a throw is ignored).
   * @default {undefined}
   */
  onResolved?: (event: RobotsResolvedEvent) => void;
  /** The clock for cache expiry and the 30-day rule, ms. @default {Date.now} */
  now?: () => number;
}

/**
 * Options for {@linkcode RobotsCache.check}.
 *
 * @example Give up waiting after 5 s, lend the permit the page got
 * ```ts
 * import type { RobotsCheckOptions } from "./robots_types.ts";
 * import type { PermitSlot } from "../policy/host_policy.ts";
 *
 * const slot: PermitSlot = { permit: { host: "example.com", kind: "page" } };
 * const options: RobotsCheckOptions = { signal: AbortSignal.timeout(5000), permit: slot };
 * ```
 */
export interface RobotsCheckOptions {
  /** Stop waiting for the answer (the shared robots.txt fetch goes on for other callers). @default {undefined} */
  signal?: AbortSignal;
  /**
   * A permit for the robots.txt request, handed to `fetchPage` only when this
   * check starts the fetch; a check answered from the cache, or joining a fetch
   * already under way, leaves the slot untouched.
   * @default {undefined}
   */
  permit?: PermitSlot;
}

/**
 * Answers "may I fetch this URL?" from cached robots.txt files.
 *
 * @example Check with a deadline, or peek without waiting
 * ```ts
 * import type { RobotsCache } from "./robots_types.ts";
 *
 * async function allowed(robots: RobotsCache, url: string): Promise<boolean> {
 *   const known = robots.peek(url); // no await when the origin is cached
 *   const verdict = known ?? await robots.check(url, { signal: AbortSignal.timeout(5000) });
 *   return verdict.allowed;
 * }
 * ```
 */
export interface RobotsCache {
  /**
   * The verdict for `url`, fetching its origin's robots.txt when needed. Throws
   * {@linkcode TrawlError} `INVALID_URL` or `UNSUPPORTED_SCHEME` for URLs that
   * cannot be crawled, and `ABORTED` when `options.signal` (or the cache's own
   * signal) aborts.
   */
  check(url: string, options?: RobotsCheckOptions): Promise<RobotsVerdict>;
  /**
   * The verdict for `url` from the cache, never fetching: `undefined` when its
   * origin's robots.txt is not known yet, is being fetched, or has expired.
   * Throws like {@linkcode RobotsCache.check} for bad URLs.
   */
  peek(url: string): RobotsVerdict | undefined;
  /**
   * The `Sitemap:` URLs of `url`'s origin (fetching its robots.txt if needed, as
   * `check` does); empty when robots.txt names none or could not be read.
   */
  sitemaps(url: string, options?: RobotsCheckOptions): Promise<readonly string[]>;
}
