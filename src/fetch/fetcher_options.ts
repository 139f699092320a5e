/**
 * The options of the fetcher and of one fetch: their shapes, every default in
 * one object ({@linkcode FETCHER_DEFAULTS}), and the validation run once, up
 * front, by `createFetcher` ({@linkcode resolveFetcherOptions}).
 *
 * @module
 */

import type { CookieJar } from "../cookies/cookie_jar.ts";
import type { LookupFunction } from "node:net";
import type { RedirectEvent, RequestEvent, ResponseEvent, RetryEvent } from "../crawl_events.ts";
import type { HostPolicy, PermitSlot } from "../policy/host_policy.ts";
import type { RateLimit, RequestRate } from "../policy/memory_host_policy.ts";
import { type EnvProxies, envProxies } from "./_env_proxies.ts";
import {
  duration as timer,
  finiteAtLeastZero,
  integerAtLeast,
  optional,
  show,
} from "../_option_checks.ts";

export { integerAtLeast } from "../_option_checks.ts";

/** A timer duration in ms: over 0 and no longer than `setTimeout` can wait. */
const duration = timer("positive");

/** Options for `createFetcher`. */
export interface FetcherOptions {
  /** Requests in flight at once, over all hosts (the global semaphore). @default {128} */
  maxInFlight?: number;
  /**
   * Requests in flight at once per host (`URL.host`, port included): the built-in
   * host policy's cap, and the size of each origin's connection pool. With
   * `hostPolicy`, keep it at least that policy's own cap. @default {8}
   */
  maxPerHost?: number;
  /**
   * The owner of per-host politeness: every request (first attempts, retries,
   * redirect hops, robots.txt) holds one of its permits while it runs. When
   * absent the fetcher makes a memory host policy from `maxPerHost`, `rateLimit`,
   * `globalRateLimit`, `retryBaseMs`, `maxRetryDelayMs` and `maxRetryAfterMs`, and
   * closes it with itself; a given one is left open.
   * @default {undefined}
   */
  hostPolicy?: HostPolicy;
  /** Time allowed to open a connection (TCP, and TLS for https). @default {10000} */
  connectTimeoutMs?: number;
  /** Time from sending the request to the response headers. @default {20000} */
  headersTimeoutMs?: number;
  /** Longest gap between two body chunks. @default {20000} */
  bodyIdleTimeoutMs?: number;
  /**
   * Deadline of ONE attempt, from sending the request (connection included) to
   * the end of its body (`DEADLINE`, not retried). Waiting for a host permit, a
   * global slot or a retry's backoff is not counted: a `Retry-After` of 90 s is
   * waited for with the default. The caller's `signal` bounds the whole fetch.
   * @default {30000}
   */
  timeoutMs?: number;
  /** Retries after the first attempt (network errors, timeouts, 408/425/429/5xx). @default {3} */
  maxRetries?: number;
  /**
   * Backoff base: retry `n` waits `random(0, min(maxRetryDelayMs, retryBaseMs * 2^n))`,
   * then for its host permit. Also the built-in policy's first backoff of a host
   * after a 429/503 without `Retry-After`. @default {250}
   */
  retryBaseMs?: number;
  /** Cap on one jittered backoff wait (and on the built-in policy's host backoff). @default {30000} */
  maxRetryDelayMs?: number;
  /**
   * The longest `Retry-After` (429/503) waited for: the host is held back that
   * long and the retry waits for its permit. A longer one ends the URL with
   * `RETRY_AFTER_TOO_LONG`. @default {600000}
   */
  maxRetryAfterMs?: number;
  /** Redirects followed before `TOO_MANY_REDIRECTS`. @default {10} */
  maxRedirects?: number;
  /** Body cap, on the wire and after decompression (`TOO_LARGE`). @default {10485760} */
  maxBytes?: number;
  /** Longest URL accepted (`URL_TOO_LONG`). @default {2083} */
  maxUrlLength?: number;
  /**
   * Rate limit per host, for the built-in policy (`minTimeMs` is a gap between
   * requests; `maxPerInterval` a reservoir, at most 200 requests/s). Refused with
   * `hostPolicy` (configure that policy instead). @default {undefined}
   */
  rateLimit?: RateLimit;
  /**
   * Rate limit over all hosts, for the built-in policy: `maxPerInterval` requests
   * per `intervalMs`, or (alone) one request per `minTimeMs`. At most 200
   * requests/s (Bottleneck's ceiling in Deno). Refused with `hostPolicy`.
   * @default {undefined}
   */
  globalRateLimit?: RateLimit;
  /**
   * Checked for every URL about to be requested: the first (`from` is `null`) and
   * each redirect hop (`from` is the URL that redirected to it). `false` gives
   * `REDIRECT_BLOCKED`; a thrown `TrawlError` keeps its code (e.g. `BLOCKED_ADDRESS`).
   * @default {undefined}
   */
  allowUrl?: (url: URL, from: URL | null) => boolean | Promise<boolean>;
  /**
   * Checked with the media type (lowercased, no parameters; `null` if absent)
   * before the body is read; `false` gives `SKIPPED_CONTENT_TYPE`. @default {undefined} (all accepted)
   */
  allowContentType?: (type: string | null) => boolean;
  /** The User-Agent header. @default {"trawl/0.1 (+https://github.com/trawl)"} */
  userAgent?: string;
  /**
   * Extra request headers (a fetch's own `headers` go over them). Sent by default:
   * `User-Agent`, a browser-like `Accept` and `Accept-Encoding: gzip, deflate, br`.
   * @default {{}}
   */
  headers?: Record<string, string>;
  /**
   * An HTTP proxy URL (undici `ProxyAgent`). `connectTimeoutMs` then times the
   * connection to the proxy, with undici's coarser timer (about 1 s resolution).
   * @default {undefined}
   */
  proxy?: string;
  /**
   * Without `proxy`: use the proxies named by `HTTP_PROXY` / `HTTPS_PROXY` (or
   * lowercase), except for hosts in `NO_PROXY`, through undici's
   * `EnvHttpProxyAgent`. Read once, when the fetcher is made; without the
   * permission to read them, none is used.
   * @default {true}
   */
  envProxy?: boolean;
  /**
   * Cookies: the `Cookie` header of every request (retries, redirect hops and
   * robots.txt too) comes from it, and every response's `Set-Cookie` goes into it.
   * @default {undefined}
   */
  cookieJar?: CookieJar;
  /**
   * Resolves hostnames for new connections (Node's `net.connect` `lookup`). The crawl
   * passes its address guard's, so a socket only opens to an address that was just
   * checked (no DNS rebinding between `allowUrl` and the connection); an error it
   * calls back with (a `TrawlError` keeps its code) becomes the result's error.
   * Not used with `proxy` (the proxy resolves names).
   * @default {the system resolver}
   */
  lookup?: LookupFunction;
  /** Idle keep-alive time of a pooled connection. @default {4000} */
  keepAliveTimeoutMs?: number;
  /**
   * Idle keep-alive connections kept over all origins; past it the least recently
   * used idle one is closed, so memory does not grow with the number of hosts
   * crawled. The default keeps two warm connections per in-flight slot: with one, a
   * crawl of 1,000 hosts closed and reopened connections so often that it ran 35%
   * slower (20,000 pages: 2,871 against 4,710 pages/s before the bound), while
   * 5,000 hosts stay within 1.3x the RSS of 1,000 (bench/hosts_bench.ts).
   * @default {max(64, 2 * maxInFlight)}
   */
  maxIdleSockets?: number;
  /** Told of every request sent and every response (or failure); must not throw. @default {undefined} */
  onEvent?: (event: RequestEvent | ResponseEvent) => void;
  /** Aborts every fetch of this fetcher (results get `ABORTED`). @default {undefined} */
  signal?: AbortSignal;
}

/** Options for `Fetcher.fetch`. */
export interface FetchOptions {
  /** Aborts this fetch, waits included: the result gets `ABORTED`. @default {undefined} */
  signal?: AbortSignal;
  /**
   * Checked for this fetch only, after the fetcher's own `allowUrl` passes, with the
   * same arguments and rules (the crawler dedupes redirect targets with it).
   * @default {undefined}
   */
  allowUrl?: (url: URL, from: URL | null) => boolean | Promise<boolean>;
  /** Request headers for this fetch, over the fetcher's (names case-insensitive). @default {undefined} */
  headers?: Record<string, string>;
  /**
   * What the fetch is for: `"robots"` makes every request of it (retries and
   * redirect hops too) a robots.txt request for the host policy, and reads its body
   * whatever its content type (`allowContentType` does not apply). @default {"page"}
   */
  kind?: "page" | "robots";
  /** Read the body whatever its content type (`allowContentType` does not apply): a sitemap. @default {false} */
  anyContentType?: boolean;
  /**
   * A permit already held: taken (`permit` set to `null`) for the first request
   * when its host matches, instead of acquiring one. @default {undefined}
   */
  permit?: PermitSlot;
  /** Body cap for this fetch, bytes. @default {the fetcher's maxBytes} */
  maxBytes?: number;
  /**
   * Keep the first `maxBytes` of a longer body (and drop the connection) instead of
   * failing with `TOO_LARGE`. For a compressed body the cap applies to the
   * decompressed bytes. @default {false}
   */
  truncate?: boolean;
  /** Told before each retry; must not throw. @default {undefined} */
  onRetry?: (event: RetryEvent) => void;
  /** Told of each redirect followed; must not throw. @default {undefined} */
  onRedirect?: (event: RedirectEvent) => void;
}

/**
 * Every default of {@linkcode FetcherOptions} in one place (`maxIdleSockets` is
 * `max(minIdleSockets, 2 * maxInFlight)`).
 *
 * @example Read a default
 * ```ts
 * import { FETCHER_DEFAULTS } from "./fetcher_options.ts";
 *
 * console.log(FETCHER_DEFAULTS.timeoutMs); // 30000
 * ```
 */
export const FETCHER_DEFAULTS = {
  maxInFlight: 128,
  maxPerHost: 8,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 20_000,
  bodyIdleTimeoutMs: 20_000,
  timeoutMs: 30_000,
  maxRetries: 3,
  retryBaseMs: 250,
  maxRetryDelayMs: 30_000,
  maxRetryAfterMs: 600_000,
  maxRedirects: 10,
  maxBytes: 10 * 1024 * 1024,
  maxUrlLength: 2083,
  userAgent: "trawl/0.1 (+https://github.com/trawl)",
  keepAliveTimeoutMs: 4000,
  minIdleSockets: 64,
  envProxy: true,
} as const;

/** {@linkcode FetcherOptions} validated, with every default applied. */
export interface ResolvedFetcherOptions {
  maxInFlight: number;
  maxPerHost: number;
  hostPolicy: HostPolicy | undefined;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyIdleTimeoutMs: number;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  maxRetryDelayMs: number;
  maxRetryAfterMs: number;
  maxRedirects: number;
  maxBytes: number;
  maxUrlLength: number;
  rateLimit: RateLimit | undefined;
  /** `globalRateLimit` as the memory policy's reservoir. */
  globalRate: RequestRate | undefined;
  allowUrl: FetcherOptions["allowUrl"];
  allowContentType: FetcherOptions["allowContentType"];
  /** The request headers, names lowercased: defaults, user agent, then `headers`. */
  headers: Record<string, string>;
  proxy: string | undefined;
  /** The proxies of the environment (`envProxy`), when any is set and no `proxy` is given. */
  envProxy: EnvProxies | undefined;
  cookieJar: CookieJar | undefined;
  lookup: LookupFunction | undefined;
  keepAliveTimeoutMs: number;
  maxIdleSockets: number;
  onEvent: FetcherOptions["onEvent"];
  signal: AbortSignal | undefined;
}

function cookieJarOf(value: unknown): CookieJar | undefined {
  if (value === undefined) return undefined;
  const jar = value as Partial<CookieJar> | null;
  if (typeof jar?.cookieHeader === "function" && typeof jar.store === "function") {
    return jar as CookieJar;
  }
  throw new TypeError(
    `cookieJar must be a CookieJar (methods cookieHeader, store): received ${show(value)}`,
  );
}

function headersOf(name: string, value: unknown): Record<string, string> {
  const headers = optional<Record<string, unknown>>(name, value, "object") ?? {};
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(headers)) {
    if (typeof v !== "string") {
      throw new TypeError(`${name}["${key}"] must be a string: received ${show(v)}`);
    }
    out[key.toLowerCase()] = v;
  }
  return out;
}

/**
 * `headers` over `base`, names lowercased (a fetch's own headers over the fetcher's).
 *
 * @example Add a header to one fetch
 * ```ts
 * import { mergeHeaders } from "./fetcher_options.ts";
 *
 * console.log(mergeHeaders({ "user-agent": "a" }, { "User-Agent": "b" })); // { "user-agent": "b" }
 * ```
 */
export function mergeHeaders(
  base: Record<string, string>,
  headers: Record<string, string>,
): Record<string, string> {
  return { ...base, ...headersOf("headers", headers) };
}

function globalRateOf(value: unknown): RequestRate | undefined {
  const limit = optional<RateLimit>("globalRateLimit", value, "object");
  if (limit === undefined) return undefined;
  if (limit.maxPerInterval !== undefined) {
    if (limit.minTimeMs !== undefined && limit.minTimeMs !== 0) {
      throw new RangeError(
        `globalRateLimit.minTimeMs must be absent or 0 with maxPerInterval (the global limit is ` +
          `one reservoir): received ${show(limit.minTimeMs)}`,
      );
    }
    return {
      requests: integerAtLeast("globalRateLimit.maxPerInterval", limit.maxPerInterval, 1),
      perMs: duration("globalRateLimit.intervalMs", limit.intervalMs ?? 1000),
    };
  }
  const minTimeMs = duration("globalRateLimit.minTimeMs", limit.minTimeMs);
  return { requests: 1, perMs: minTimeMs };
}

/**
 * Validate `options` once, up front (a `TypeError` or `RangeError` naming the
 * option, the rule and the value received), and apply the defaults.
 *
 * @example A bad option
 * ```ts
 * import { resolveFetcherOptions } from "./fetcher_options.ts";
 *
 * try {
 *   resolveFetcherOptions({ maxPerHost: 0 });
 * } catch (e) {
 *   console.log((e as Error).message); // maxPerHost must be an integer >= 1: received 0
 * }
 * ```
 */
export function resolveFetcherOptions(options: FetcherOptions = {}): ResolvedFetcherOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`options must be an object: received ${show(options)}`);
  }
  const o = options;
  const d = FETCHER_DEFAULTS;
  const maxInFlight = integerAtLeast("maxInFlight", o.maxInFlight ?? d.maxInFlight, 1);
  const hostPolicy = optional<HostPolicy>("hostPolicy", o.hostPolicy, "object");
  if (hostPolicy !== undefined) {
    for (const method of ["tryAcquire", "acquire", "release"] as const) {
      if (typeof hostPolicy[method] !== "function") {
        throw new TypeError(
          `hostPolicy must be a HostPolicy: received an object without ${method}()`,
        );
      }
    }
    for (const name of ["rateLimit", "globalRateLimit"] as const) {
      if (o[name] !== undefined) {
        throw new TypeError(
          `${name} must be absent with hostPolicy (it configures the built-in policy; set it on ` +
            `that policy instead): received ${show(o[name])}`,
        );
      }
    }
  }
  const userAgent = optional<string>("userAgent", o.userAgent, "string") ?? d.userAgent;
  const proxy = optional<string>("proxy", o.proxy, "string");
  if (proxy !== undefined && !URL.canParse(proxy)) {
    throw new TypeError(`proxy must be a URL: received ${show(proxy)}`);
  }
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`signal must be an AbortSignal: received ${show(signal)}`);
  }
  return {
    maxInFlight,
    maxPerHost: integerAtLeast("maxPerHost", o.maxPerHost ?? d.maxPerHost, 1),
    hostPolicy,
    connectTimeoutMs: duration("connectTimeoutMs", o.connectTimeoutMs ?? d.connectTimeoutMs),
    headersTimeoutMs: duration("headersTimeoutMs", o.headersTimeoutMs ?? d.headersTimeoutMs),
    bodyIdleTimeoutMs: duration("bodyIdleTimeoutMs", o.bodyIdleTimeoutMs ?? d.bodyIdleTimeoutMs),
    timeoutMs: duration("timeoutMs", o.timeoutMs ?? d.timeoutMs),
    maxRetries: integerAtLeast("maxRetries", o.maxRetries ?? d.maxRetries, 0),
    retryBaseMs: finiteAtLeastZero("retryBaseMs", o.retryBaseMs ?? d.retryBaseMs),
    maxRetryDelayMs: finiteAtLeastZero("maxRetryDelayMs", o.maxRetryDelayMs ?? d.maxRetryDelayMs),
    maxRetryAfterMs: finiteAtLeastZero("maxRetryAfterMs", o.maxRetryAfterMs ?? d.maxRetryAfterMs),
    maxRedirects: integerAtLeast("maxRedirects", o.maxRedirects ?? d.maxRedirects, 0),
    maxBytes: integerAtLeast("maxBytes", o.maxBytes ?? d.maxBytes, 0),
    maxUrlLength: integerAtLeast("maxUrlLength", o.maxUrlLength ?? d.maxUrlLength, 1),
    rateLimit: optional<RateLimit>("rateLimit", o.rateLimit, "object"),
    globalRate: globalRateOf(o.globalRateLimit),
    allowUrl: optional("allowUrl", o.allowUrl, "function"),
    allowContentType: optional("allowContentType", o.allowContentType, "function"),
    headers: {
      "user-agent": userAgent,
      // What a browser asks for (some servers answer 406 or a bare page to no Accept).
      "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
      "accept-encoding": "gzip, deflate, br",
      ...headersOf("headers", o.headers),
    },
    proxy,
    envProxy: proxy === undefined &&
        (optional<boolean>("envProxy", o.envProxy, "boolean") ?? d.envProxy)
      ? envProxies()
      : undefined,
    cookieJar: cookieJarOf(o.cookieJar),
    lookup: optional("lookup", o.lookup, "function"),
    keepAliveTimeoutMs: duration(
      "keepAliveTimeoutMs",
      o.keepAliveTimeoutMs ?? d.keepAliveTimeoutMs,
    ),
    maxIdleSockets: integerAtLeast(
      "maxIdleSockets",
      o.maxIdleSockets ?? Math.max(d.minIdleSockets, 2 * maxInFlight),
      0,
    ),
    onEvent: optional("onEvent", o.onEvent, "function"),
    signal,
  };
}
