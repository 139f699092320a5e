/**
 * robots.txt obeyed per origin (RFC 9309), fetched once and cached.
 *
 * - Groups are matched on a product token (`productToken`), not on the
 *   User-Agent header; see `_robots_rules.ts` for the parsing rules.
 * - robots.txt is fetched with its own body cap, {@linkcode MAX_ROBOTS_BYTES}
 *   (the RFC's 500 KiB minimum): a longer file is cut there and what arrived is
 *   parsed, so a huge robots.txt never makes a site uncrawlable.
 * - 2xx: the rules apply (`"fetched"`). 3xx left over after the fetch layer's
 *   redirects (it follows them, across hosts; the rules then apply to the
 *   origin asked for) and 4xx except 429: no rules (`"unavailable"`). Both are
 *   cached for `cacheMs` (at most 24 hours).
 * - 429, 5xx, a network error or a timeout (`"unreachable"`): everything is
 *   disallowed, and robots.txt is fetched again after `unreachableRetryMs`. Once
 *   it has been unreachable without a break for more than `maxUnreachableMs`
 *   (30 days), the last copy fetched is used again, or, without one, crawling
 *   goes on as if there were no robots.txt.
 *
 * @module
 */

import { abortable } from "../_abortable.ts";
import type { PermitSlot } from "../policy/host_policy.ts";
import type { RobotsCache, RobotsOptions, RobotsVerdict } from "./robots_types.ts";
import { TrawlError } from "../trawl_error.ts";
import type { ErrorInfo, FetchPage, FetchResult } from "../types.ts";
import { canonicalHref, parseHttpUrl } from "../url.ts";
import { interpret, type Resolved, type Rules, unreachable } from "./_robots_outcome.ts";
import { matchKey } from "./_robots_pattern.ts";
import { isProductToken, productToken } from "./product_token.ts";

/**
 * The body cap of a robots.txt fetch, bytes: RFC 9309 asks crawlers to parse
 * at least the first 500 KiB; what follows is not fetched.
 *
 * @example Fetch robots.txt with the same cap
 * ```ts
 * import { MAX_ROBOTS_BYTES } from "./robots_cache.ts";
 *
 * console.log(MAX_ROBOTS_BYTES); // 512000
 * ```
 */
export const MAX_ROBOTS_BYTES = 500 * 1024;

export type {
  RobotsCache,
  RobotsCheckOptions,
  RobotsOptions,
  RobotsOutcome,
  RobotsResolvedEvent,
  RobotsVerdict,
} from "./robots_types.ts";

const DAY_MS = 86_400_000;

const DEFAULTS = {
  cacheMs: DAY_MS,
  unreachableRetryMs: 60_000,
  maxUnreachableMs: 30 * DAY_MS,
  maxCrawlDelayMs: 60_000,
  maxOrigins: 10_000,
  fetchTimeoutMs: 30_000,
} as const;

interface Entry {
  /** The rules in force, once a fetch has settled. */
  rules: Rules | null;
  /** When `rules` go stale (on the `now` clock). */
  expiresAt: number;
  /** The fetch under way, if any. */
  pending: Promise<Rules> | null;
  /** The rules of the last fetch that reached the server (fetched or unavailable). */
  lastGood: Rules | null;
  /** When the current run of unreachable fetches began; `null` when the last one got through. */
  unreachableSince: number | null;
}

function invalid(name: string, rule: string, value: unknown): TrawlError {
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  return new TrawlError("INVALID_OPTION", `${name} must be ${rule}: received ${shown}`);
}

function atLeast(name: string, value: number | undefined, fallback: number, min = 0): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < min) throw invalid(name, `a finite number >= ${min}`, v);
  return v;
}

function aborted(url: string, signal: AbortSignal): TrawlError {
  return new TrawlError("ABORTED", `robots.txt check for ${url} aborted.`, {
    url,
    cause: signal.reason,
  });
}

function validToken(options: RobotsOptions): string {
  if (options.productToken === undefined) return productToken(options.userAgent);
  if (!isProductToken(options.productToken)) {
    throw invalid("productToken", "letters, digits, '_' or '-' only", options.productToken);
  }
  return options.productToken;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Make a robots.txt cache that fetches through `fetchPage` (the crawler's
 * fetch layer, which follows redirects), with `maxBytes` {@linkcode MAX_ROBOTS_BYTES}
 * and `truncate: true`. One fetch per origin (scheme, host, port), shared by
 * concurrent checks; see the module docs for status rules. Throws
 * {@linkcode TrawlError} `INVALID_OPTION` for bad options.
 *
 * @example Check a URL before fetching it
 * ```ts
 * import { createRobotsCache } from "./robots_cache.ts";
 * import type { FetchPage } from "../types.ts";
 *
 * // fetchPage: the crawler's fetch layer
 * async function allowed(fetchPage: FetchPage, url: string): Promise<boolean> {
 *   const robots = createRobotsCache(fetchPage, {
 *     userAgent: "Mozilla/5.0 (compatible; ExampleBot/0.1; +https://example.com/bot)",
 *     productToken: "ExampleBot",
 *   });
 *   const verdict = await robots.check(url);
 *   if (!verdict.allowed) console.log("skipped:", verdict.reason);
 *   return verdict.allowed;
 * }
 * ```
 */
export function createRobotsCache(fetchPage: FetchPage, options: RobotsOptions): RobotsCache {
  const token = validToken(options);
  const cacheMs = atLeast("cacheMs", options.cacheMs, DEFAULTS.cacheMs);
  if (cacheMs > DAY_MS) throw invalid("cacheMs", `<= ${DAY_MS} (24 hours, RFC 9309)`, cacheMs);
  const retryMs = atLeast(
    "unreachableRetryMs",
    options.unreachableRetryMs,
    DEFAULTS.unreachableRetryMs,
  );
  const maxUnreachableMs = atLeast(
    "maxUnreachableMs",
    options.maxUnreachableMs,
    DEFAULTS.maxUnreachableMs,
  );
  const maxDelayMs = atLeast("maxCrawlDelayMs", options.maxCrawlDelayMs, DEFAULTS.maxCrawlDelayMs);
  const maxOrigins = atLeast("maxOrigins", options.maxOrigins, DEFAULTS.maxOrigins, 1);
  if (!Number.isInteger(maxOrigins)) throw invalid("maxOrigins", "an integer >= 1", maxOrigins);
  const timeoutMs = atLeast("fetchTimeoutMs", options.fetchTimeoutMs, DEFAULTS.fetchTimeoutMs);
  const cacheSignal = options.signal;
  const onResolved = options.onResolved;
  const now = options.now ?? Date.now;
  const context = {
    token,
    maxBytes: MAX_ROBOTS_BYTES,
    maxCrawlDelayMs: maxDelayMs,
    unreachableRetryMs: retryMs,
  };
  const entries = new Map<string, Entry>();

  const timedOut = (robotsUrl: string): Resolved => ({
    rules: unreachable(robotsUrl, `no answer in ${timeoutMs} ms`, retryMs, {
      code: "DEADLINE",
      message: `${robotsUrl}: no answer in ${timeoutMs} ms (robots.txt fetch deadline)`,
    }),
    outcome: "unreachable",
    status: null,
  });

  async function load(origin: string, permit: PermitSlot | undefined): Promise<Resolved> {
    const robotsUrl = `${origin}/robots.txt`;
    // A timer cleared when the fetch ends: AbortSignal.timeout() would keep the process
    // alive until it fires (30 s after a crawl that is long finished).
    const deadline = new AbortController();
    const timeout = deadline.signal;
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const signal = cacheSignal ? AbortSignal.any([cacheSignal, timeout]) : timeout;
    let result: FetchResult;
    try {
      result = await fetchPage(robotsUrl, {
        signal,
        permit,
        maxBytes: MAX_ROBOTS_BYTES,
        truncate: true,
      });
    } catch (cause) {
      if (cacheSignal?.aborted) throw aborted(robotsUrl, cacheSignal);
      if (timeout.aborted) return timedOut(robotsUrl);
      const message = cause instanceof Error ? cause.message : String(cause);
      const error: ErrorInfo = { code: "NETWORK_ERROR", message: `${robotsUrl}: ${message}` };
      return {
        rules: unreachable(robotsUrl, message, retryMs, error),
        outcome: "unreachable",
        status: null,
      };
    } finally {
      clearTimeout(timer);
    }
    if (cacheSignal?.aborted) throw aborted(robotsUrl, cacheSignal);
    if (timeout.aborted && result.status === null) return timedOut(robotsUrl);
    return interpret(robotsUrl, result, context);
  }

  /** Record a settled fetch in `entry`; returns the rules now in force. */
  function settle(origin: string, entry: Entry, resolved: Resolved): Rules {
    const t = now();
    let rules = resolved.rules;
    if (resolved.outcome === "unreachable") {
      entry.unreachableSince ??= t;
      const downMs = t - entry.unreachableSince;
      if (downMs > maxUnreachableMs) {
        const since = `unreachable since ${isoDate(entry.unreachableSince)}`;
        const last = entry.lastGood;
        rules = last === null
          ? { kind: "allowAll", reason: `${origin}/robots.txt ${since}: crawled as if none` }
          : last.kind === "parsed"
          ? { ...last, note: ` (the last copy fetched: robots.txt ${since})` }
          : { kind: "allowAll", reason: `${last.reason} (the last answer: robots.txt ${since})` };
      }
      // Fetch again when the retry window ends, or when the 30 days do, if sooner.
      const fallbackAt = entry.unreachableSince + maxUnreachableMs + 1;
      entry.expiresAt = downMs > maxUnreachableMs ? t + retryMs : Math.min(t + retryMs, fallbackAt);
    } else {
      entry.unreachableSince = null;
      entry.lastGood = rules;
      entry.expiresAt = t + cacheMs;
    }
    entry.rules = rules;
    if (onResolved !== undefined) {
      try {
        onResolved({
          origin,
          outcome: resolved.outcome,
          status: resolved.status,
          crawlDelayMs: rules.kind === "parsed" ? rules.crawlDelayMs : null,
        });
      } catch {
        // documented: a throwing listener is ignored
      }
    }
    return rules;
  }

  /** The entry of `origin`, made most recently used (created when missing). */
  function entryOf(origin: string): Entry {
    let entry = entries.get(origin);
    if (entry !== undefined) entries.delete(origin);
    else {
      entry = { rules: null, expiresAt: 0, pending: null, lastGood: null, unreachableSince: null };
      while (entries.size >= maxOrigins) entries.delete(entries.keys().next().value!);
    }
    entries.set(origin, entry);
    return entry;
  }

  function fresh(entry: Entry | undefined): Rules | null {
    return entry?.rules != null && entry.expiresAt > now() ? entry.rules : null;
  }

  function rulesFor(origin: string, permit: PermitSlot | undefined): Promise<Rules> | Rules {
    const entry = entryOf(origin);
    const rules = fresh(entry);
    if (rules !== null) return rules;
    if (entry.pending !== null) return entry.pending;
    const pending = load(origin, permit).then(
      (resolved) => settle(origin, entry, resolved),
    ).finally(() => {
      if (entry.pending === pending) entry.pending = null;
    });
    pending.catch(() => {}); // a check that stopped waiting must not leave it unhandled
    entry.pending = pending;
    return pending;
  }

  function verdict(rules: Rules, key: string): RobotsVerdict {
    if (rules.kind === "allowAll") {
      return { allowed: true, crawlDelayMs: null, reason: rules.reason };
    }
    if (rules.kind === "disallowAll") {
      return { allowed: false, crawlDelayMs: null, reason: rules.reason, error: rules.error };
    }
    const { allowed, line } = rules.robots.match(key);
    return allowed ? { allowed, crawlDelayMs: rules.crawlDelayMs } : {
      allowed,
      crawlDelayMs: rules.crawlDelayMs,
      reason: `disallowed for "${token}" by ${rules.robotsUrl} line ${line}${rules.note}`,
    };
  }

  /** The origin and compare key of `url`, or `null` for robots.txt itself. */
  function locate(url: string): { origin: string; key: string } | null {
    // Canonicalized as the frontier does, from one parse.
    const parsed = parseHttpUrl(url);
    if (parsed.pathname === "/robots.txt") return null;
    const normalized = canonicalHref(parsed);
    const path = normalized.slice(normalized.indexOf("/", parsed.protocol.length + 2));
    return { origin: parsed.origin, key: matchKey(path) };
  }

  const robotsTxt: RobotsVerdict = Object.freeze({
    allowed: true,
    crawlDelayMs: null,
    reason: "robots.txt itself is always allowed",
  });

  return {
    async check(url, checkOptions = {}) {
      const where = locate(url);
      if (where === null) return { ...robotsTxt };
      const signal = checkOptions.signal;
      if (signal?.aborted) throw aborted(url, signal);
      let rules = rulesFor(where.origin, checkOptions.permit);
      if (rules instanceof Promise) {
        rules = await abortable(rules, signal, () => aborted(url, signal!));
      }
      return verdict(rules, where.key);
    },
    async sitemaps(url, checkOptions = {}) {
      const origin = parseHttpUrl(url).origin;
      const signal = checkOptions.signal;
      let rules = rulesFor(origin, checkOptions.permit);
      if (rules instanceof Promise) {
        rules = await abortable(rules, signal, () => aborted(url, signal!));
      }
      return rules.kind === "parsed" ? rules.robots.sitemaps : [];
    },
    peek(url) {
      const where = locate(url);
      if (where === null) return { ...robotsTxt };
      const rules = fresh(entries.get(where.origin));
      return rules === null ? undefined : verdict(rules, where.key);
    },
  };
}
