/**
 * robots.txt obeyed per origin (RFC 9309), fetched once and cached.
 *
 * Status rules:
 * - 2xx: the body (first 500 KiB) is parsed; the group of our product token
 *   applies, else `*`.
 * - 3xx left over after the fetch layer's redirects, and 4xx except 429: the
 *   file is "unavailable", everything is allowed (cached for `cacheMs`).
 * - 429, 5xx, a network error or a timeout: "unreachable", everything is
 *   disallowed for `unreachableRetryMs`, then the file is fetched again. 429 is
 *   treated like 5xx (as large crawlers do): a server asking us to slow down is
 *   not a server saying "no rules".
 *
 * @module
 */

import { abortable } from "../_abortable.ts";
import { TrawlError } from "../trawl_error.ts";
import type { ErrorInfo, FetchPage, FetchResult } from "../types.ts";
import { canonicalHref, parseHttpUrl } from "../url.ts";
import { type ParsedRobots, parseRobots } from "./_robots_rules.ts";
import { productToken } from "./product_token.ts";

/** RFC 9309 asks crawlers to parse at least 500 KiB; the rest is ignored. */
const MAX_ROBOTS_BYTES = 500 * 1024;

/**
 * The answer for one URL.
 *
 * @example Honour a verdict
 * ```ts
 * import type { RobotsVerdict } from "./robots_cache.ts";
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
 * Options for {@linkcode createRobotsCache}.
 *
 * @example Short cache, quick retry
 * ```ts
 * import type { RobotsOptions } from "./robots_cache.ts";
 *
 * const options: RobotsOptions = {
 *   userAgent: "trawl/0.1 (+https://example.com/bot)",
 *   cacheMs: 3_600_000,
 *   unreachableRetryMs: 10_000,
 * };
 * ```
 */
export interface RobotsOptions {
  /** The full User-Agent string; its product token selects the robots.txt group. */
  userAgent: string;
  /** How long a fetched robots.txt (or a 4xx "allow all") is kept. @default {86400000} */
  cacheMs?: number;
  /** How long an unreachable robots.txt (5xx, 429, network error) disallows everything before it is fetched again. @default {60000} */
  unreachableRetryMs?: number;
  /** Upper bound on the `Crawl-delay` honoured. @default {60000} */
  maxCrawlDelayMs?: number;
  /** How many origins are cached; the least recently used is dropped beyond it. @default {10000} */
  maxOrigins?: number;
  /** Deadline for one robots.txt fetch; when it passes the origin counts as unreachable. @default {30000} */
  fetchTimeoutMs?: number;
  /** Aborts every robots.txt fetch (e.g. the crawl's signal); aborted fetches are not cached. @default {undefined} */
  signal?: AbortSignal;
}

/**
 * Options for {@linkcode RobotsCache.check}.
 *
 * @example Give up waiting after 5 s
 * ```ts
 * import type { RobotsCheckOptions } from "./robots_cache.ts";
 *
 * const options: RobotsCheckOptions = { signal: AbortSignal.timeout(5000) };
 * ```
 */
export interface RobotsCheckOptions {
  /** Stop waiting for the answer (the shared robots.txt fetch goes on for other callers). @default {undefined} */
  signal?: AbortSignal;
}

/**
 * Answers "may I fetch this URL?" from cached robots.txt files.
 *
 * @example Check with a deadline
 * ```ts
 * import type { RobotsCache } from "./robots_cache.ts";
 *
 * declare const robots: RobotsCache;
 * const { allowed } = await robots.check("https://example.com/a", {
 *   signal: AbortSignal.timeout(5000),
 * });
 * ```
 */
export interface RobotsCache {
  /**
   * The verdict for `url`. Throws {@linkcode TrawlError} `INVALID_URL` or
   * `UNSUPPORTED_SCHEME` for URLs that cannot be crawled, and `ABORTED` when
   * `options.signal` (or the cache's own signal) aborts.
   */
  check(url: string, options?: RobotsCheckOptions): Promise<RobotsVerdict>;
}

type Rules =
  | { kind: "parsed"; robots: ParsedRobots; crawlDelayMs: number | null; robotsUrl: string }
  | { kind: "allowAll"; reason: string }
  | { kind: "disallowAll"; reason: string; error?: ErrorInfo };

interface Entry {
  rules: Promise<Rules>;
  expiresAt: number;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) {
    throw new TrawlError("INVALID_OPTION", `${name} must be a finite number >= 0, got ${v}.`);
  }
  return v;
}

function aborted(url: string, signal: AbortSignal): TrawlError {
  return new TrawlError("ABORTED", `robots.txt check for ${url} aborted.`, {
    url,
    cause: signal.reason,
  });
}

/**
 * Make a robots.txt cache that fetches through `fetchPage` (the crawler's
 * fetch layer, which follows redirects). One fetch per origin (scheme, host,
 * port), shared by concurrent checks; see the module docs for status rules.
 * Throws {@linkcode TrawlError} `INVALID_OPTION` for bad options.
 *
 * @example Check a URL before fetching it
 * ```ts
 * import { createRobotsCache } from "./robots_cache.ts";
 * import type { FetchPage } from "../types.ts";
 *
 * declare const fetchPage: FetchPage; // the crawler's fetch layer
 * const robots = createRobotsCache(fetchPage, { userAgent: "trawl/0.1 (+https://example.com/bot)" });
 * const verdict = await robots.check("https://example.com/private/page");
 * if (!verdict.allowed) console.log("skipped:", verdict.reason);
 * ```
 */
export function createRobotsCache(fetchPage: FetchPage, options: RobotsOptions): RobotsCache {
  const token = productToken(options.userAgent);
  const cacheMs = nonNegative("cacheMs", options.cacheMs, 86_400_000);
  const retryMs = nonNegative("unreachableRetryMs", options.unreachableRetryMs, 60_000);
  const maxDelayMs = nonNegative("maxCrawlDelayMs", options.maxCrawlDelayMs, 60_000);
  const maxOrigins = nonNegative("maxOrigins", options.maxOrigins, 10_000);
  const timeoutMs = nonNegative("fetchTimeoutMs", options.fetchTimeoutMs, 30_000);
  const cacheSignal = options.signal;
  const entries = new Map<string, Entry>();

  const unreachable = (robotsUrl: string, why: string, error?: ErrorInfo): Rules => ({
    kind: "disallowAll",
    reason: `${robotsUrl} unreachable (${why}): everything disallowed for ${retryMs} ms, ` +
      `then it is fetched again`,
    error,
  });

  const timedOut = (robotsUrl: string): Rules =>
    unreachable(robotsUrl, `no answer in ${timeoutMs} ms`, {
      code: "DEADLINE",
      message: `${robotsUrl}: no answer in ${timeoutMs} ms (robots.txt fetch deadline)`,
    });

  function interpret(robotsUrl: string, origin: string, result: FetchResult): Rules {
    const { status, error } = result;
    if (status === null) {
      return error
        ? unreachable(robotsUrl, `${error.code}: ${error.message}`, error)
        : unreachable(robotsUrl, "no response");
    }
    if (status === 429 || status >= 500) return unreachable(robotsUrl, `HTTP ${status}`);
    if (status < 200 || status >= 300) {
      return { kind: "allowAll", reason: `${robotsUrl} unavailable (HTTP ${status}): no rules` };
    }
    if (error !== null && result.body.length === 0) {
      return unreachable(robotsUrl, `HTTP ${status} but ${error.code}: ${error.message}`);
    }
    let bytes = result.body;
    let text: string;
    if (bytes.length > MAX_ROBOTS_BYTES) {
      bytes = bytes.subarray(0, MAX_ROBOTS_BYTES);
      text = new TextDecoder().decode(bytes);
      text = text.slice(0, Math.max(0, text.lastIndexOf("\n"))); // drop the cut line
    } else {
      text = new TextDecoder().decode(bytes);
    }
    const robots = parseRobots(origin, text, token);
    const seconds = robots.crawlDelaySeconds;
    const crawlDelayMs = seconds === undefined || !Number.isFinite(seconds) || seconds < 0
      ? null
      : Math.min(Math.round(seconds * 1000), maxDelayMs);
    return { kind: "parsed", robots, crawlDelayMs, robotsUrl };
  }

  async function load(origin: string): Promise<Rules> {
    const robotsUrl = `${origin}/robots.txt`;
    // A timer cleared when the fetch ends: AbortSignal.timeout() would keep the process
    // alive until it fires (30 s after a crawl that is long finished).
    const deadline = new AbortController();
    const timeout = deadline.signal;
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const signal = cacheSignal ? AbortSignal.any([cacheSignal, timeout]) : timeout;
    let result: FetchResult;
    try {
      result = await fetchPage(robotsUrl, { signal });
    } catch (cause) {
      if (cacheSignal?.aborted) throw aborted(robotsUrl, cacheSignal);
      const message = cause instanceof Error ? cause.message : String(cause);
      return timeout.aborted ? timedOut(robotsUrl) : unreachable(robotsUrl, message, {
        code: "NETWORK_ERROR",
        message: `${robotsUrl}: ${message}`,
      });
    } finally {
      clearTimeout(timer);
    }
    if (cacheSignal?.aborted) throw aborted(robotsUrl, cacheSignal);
    if (timeout.aborted && result.status === null) return timedOut(robotsUrl);
    return interpret(robotsUrl, origin, result);
  }

  function rulesFor(origin: string): Promise<Rules> {
    const found = entries.get(origin);
    entries.delete(origin);
    if (found !== undefined && found.expiresAt > Date.now()) {
      entries.set(origin, found); // most recently used goes last
      return found.rules;
    }
    const entry = { expiresAt: Infinity } as Entry;
    entry.rules = load(origin).then((rules) => {
      entry.expiresAt = Date.now() + (rules.kind === "disallowAll" ? retryMs : cacheMs);
      return rules;
    }, (error) => {
      if (entries.get(origin) === entry) entries.delete(origin);
      throw error;
    });
    entries.set(origin, entry);
    while (entries.size > maxOrigins) entries.delete(entries.keys().next().value!);
    return entry.rules;
  }

  return {
    async check(url, checkOptions = {}) {
      // Canonicalized as the frontier does, from one parse.
      const parsed = parseHttpUrl(url);
      const normalized = canonicalHref(parsed);
      const path = normalized.slice(normalized.indexOf("/", parsed.protocol.length + 2));
      if (parsed.pathname === "/robots.txt") {
        return { allowed: true, crawlDelayMs: null, reason: "robots.txt itself is always allowed" };
      }
      const rules = await abortable(
        rulesFor(parsed.origin),
        checkOptions.signal,
        () => aborted(url, checkOptions.signal!),
      );
      if (rules.kind === "allowAll") {
        return { allowed: true, crawlDelayMs: null, reason: rules.reason };
      }
      if (rules.kind === "disallowAll") {
        return { allowed: false, crawlDelayMs: null, reason: rules.reason, error: rules.error };
      }
      const { allowed, line } = rules.robots.match(path);
      return allowed ? { allowed, crawlDelayMs: rules.crawlDelayMs } : {
        allowed,
        crawlDelayMs: rules.crawlDelayMs,
        reason: `disallowed for "${token}" by ${rules.robotsUrl} line ${line}`,
      };
    },
  };
}
