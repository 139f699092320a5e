/**
 * The options of a crawl: their types, their defaults (in one frozen object,
 * {@linkcode CRAWL_DEFAULTS}) and the one check of every rule
 * ({@linkcode resolveCrawlOptions}), run once before a crawl starts. The check
 * of each option is in `_crawl_option_checks.ts`.
 *
 * Every error message starts with the option's name (a path such as
 * `rate.requests` for a nested field), then the rule, then the value received:
 * `maxPerHost must be an integer >= 1: received 0`. The CLI relies on that to name
 * the flag instead.
 *
 * @module
 */

import { checkKeys, object } from "./_option_checks.ts";
import { CRAWL_OPTION_CHECKS } from "./_crawl_option_checks.ts";
import type { FrontierStore } from "./frontier/frontier_store.ts";
import type { PageHistory } from "./recrawl/page_history.ts";
import type { CookieJar } from "./cookies/cookie_jar.ts";
import type { HostPolicy } from "./policy/host_policy.ts";
import type { CrawlEventListener } from "./crawl_events.ts";

/**
 * Which followed links stay in the crawl, relative to the seeds.
 *
 * @example Stay on the seeds' registrable domains
 * ```ts
 * import type { CrawlScope } from "./crawl_options.ts";
 *
 * const scope: CrawlScope = "domain";
 * ```
 */
export type CrawlScope = "host" | "domain" | "origin" | "all";

/**
 * A rate: at most `requests` per `perMs` milliseconds.
 *
 * @example Five requests a second
 * ```ts
 * import type { CrawlRate } from "./crawl_options.ts";
 *
 * const rate: CrawlRate = { requests: 5, perMs: 1000 };
 * ```
 */
export interface CrawlRate {
  /** Requests allowed per `perMs`: a finite number above 0 (0.5 per second is allowed). */
  requests: number;
  /** The window, ms: above 0, at most 2147483647 (the longest timer). */
  perMs: number;
}

/**
 * Options for `crawl()`. Each documents its CLI flag (none for the
 * programmatic ones) and its default, which lives in {@linkcode CRAWL_DEFAULTS}.
 *
 * @example A polite deep crawl
 * ```ts
 * import type { CrawlOptions } from "./crawl_options.ts";
 *
 * const options: CrawlOptions = { maxDepth: 3, maxPerHost: 2, rate: { requests: 1, perMs: 1000 } };
 * ```
 */
export interface CrawlOptions {
  /** Requests in flight across all hosts (`--concurrency`). @default {128} */
  maxInFlight?: number;
  /** Requests in flight per host (`--per-host`). @default {8} */
  maxPerHost?: number;
  /** Minimum gap between request starts on one host, ms (`--delay`). @default {0} */
  delayMs?: number;
  /**
   * Per-host rate cap (`--rate 5/s`): at most `requests` per `perMs`, enforced as a gap of
   * `perMs / requests` between request starts on that host. @default {undefined}
   */
  rate?: CrawlRate;
  /**
   * Rate cap over all hosts together (`--global-rate 50/s`); at most 200 requests/s
   * (the ceiling of the Bottleneck limiter that enforces it, in Deno). @default {undefined}
   */
  globalRate?: CrawlRate;
  /**
   * Deadline of ONE attempt (connect, headers and body), ms (`--timeout`); retries
   * get a fresh one. Must be above 0. @default {30000}
   */
  timeoutMs?: number;
  /** Time allowed to open a connection (TCP, and TLS for https), ms (`--connect-timeout`). @default {10000} */
  connectTimeoutMs?: number;
  /** Time from sending a request to its response headers, ms (`--headers-timeout`). @default {20000} */
  headersTimeoutMs?: number;
  /** Longest gap between two body chunks, ms (`--body-timeout`). @default {20000} */
  bodyIdleTimeoutMs?: number;
  /** Retries per URL after the first attempt (`--retries`). @default {3} */
  maxRetries?: number;
  /** Longest `Retry-After` honoured, ms; a longer one fails the URL (`--max-retry-after`). @default {600000} */
  maxRetryAfterMs?: number;
  /** Redirects followed per URL before `TOO_MANY_REDIRECTS`; 0 follows none (`--max-redirects`). @default {10} */
  maxRedirects?: number;
  /** Longest URL accepted, characters, for seeds, links and redirects (`--max-url-length`). @default {2083} */
  maxUrlLength?: number;
  /** Largest body accepted, bytes, on the wire and decompressed (`--max-bytes`). @default {10485760} */
  maxBytes?: number;
  /**
   * Idle keep-alive connections kept open over all hosts (`--max-idle-sockets`): the
   * bound that keeps memory from growing with the number of hosts crawled.
   * @default {undefined} (2 x `maxInFlight`, at least 64)
   */
  maxIdleSockets?: number;
  /** Link depth to follow from the seeds; 0 fetches only the seeds (`--depth`). @default {0} */
  maxDepth?: number;
  /** Stop admitting URLs after this many, seeds included (`--max-pages`). @default {Infinity} */
  maxPages?: number;
  /** Stop admitting URLs of one host after this many (`--max-pages-per-host`). @default {Infinity} */
  maxPagesPerHost?: number;
  /**
   * Most URLs waiting in the frontier (`--max-queued`): links beyond it are dropped,
   * counted as `overQueue` and warned about once, so a spider trap cannot fill the
   * memory (~200 bytes per queued URL in memory). Seed reading pauses at 10,000 (or
   * this, if lower). @default {1000000}
   */
  maxQueued?: number;
  /** Most URLs of one host waiting in the frontier (`--max-queued-per-host`). @default {100000} */
  maxQueuedPerHost?: number;
  /** Which followed links stay in the crawl (`--scope`). @default {"host"} */
  scope?: CrawlScope;
  /** Followed links must match one of these globs or `/regex/` (`--include`). @default {[]} */
  include?: readonly string[];
  /** Followed links matching any of these are dropped (`--exclude`). @default {[]} */
  exclude?: readonly string[];
  /** CSS fields, `name=selector[@attr|@html][[]]` (`--select`). @default {[]} */
  select?: readonly string[];
  /** Path or URL of an extractor module exporting `extract(ctx)` (`--extract`). @default {undefined} */
  extractModule?: string | URL;
  /** Time one page's extraction may take before it fails with `EXTRACT_TIMEOUT`, ms (`--extract-timeout`). @default {10000} */
  extractTimeoutMs?: number;
  /**
   * Memory of one extraction process, MB (`--extract-max-memory`): with `extractModule`,
   * extractors run in subprocesses with no permissions, and one that exceeds this fails
   * only its page (`EXTRACT_MEMORY`). @default {undefined} (512)
   */
  extractMaxMemoryMb?: number;
  /** URL prefixes an extractor may import remote or `data:` modules from (`--allow-extractor-import`). @default {[]} */
  allowExtractorImports?: readonly string[];
  /** Parse workers (`--workers`). @default {navigator.hardwareConcurrency - 1, at least 1} */
  workers?: number;
  /** User-Agent header (`--user-agent`). @default {"trawl/0.1 (+https://github.com/trawl)"} */
  userAgent?: string;
  /**
   * The product token that picks the robots.txt group (`--robots-agent`), independent of
   * the User-Agent header (RFC 9309: a browser-style agent must not pick the `Mozilla`
   * group). Letters, digits, `_` and `-`. @default {"trawl"}
   */
  robotsAgent?: string;
  /** Extra request headers (`--header`). @default {{}} */
  headers?: Readonly<Record<string, string>>;
  /** HTTP(S) proxy URL (`--proxy`). @default {undefined} */
  proxy?: string;
  /**
   * Without `proxy`, use the proxies of `HTTP_PROXY` / `HTTPS_PROXY` except for the
   * hosts of `NO_PROXY` (`--no-env-proxy` turns it off). @default {true}
   */
  envProxy?: boolean;
  /** Keep cookies: one jar per crawl, RFC 6265 rules (`--no-cookies` turns it off). @default {true} */
  cookies?: boolean;
  /**
   * The jar to use when `cookies` is on, for cookies set up front or read back
   * after the crawl (`--cookies FILE`). @default {a new in-memory jar}
   */
  cookieJar?: CookieJar;
  /**
   * Follow `rel="nofollow"` links and extract `noindex` pages anyway
   * (`--ignore-nofollow`); by default they are honoured. @default {false}
   */
  ignoreNofollow?: boolean;
  /**
   * Read every seed origin's sitemaps (robots.txt `Sitemap:` lines, else
   * `/sitemap.xml`) and crawl the pages they list as seeds (`--sitemaps`).
   * @default {false}
   */
  sitemaps?: boolean;
  /** Sitemaps to read first, their pages crawled as seeds (`--sitemap URL`, repeatable). @default {[]} */
  sitemapUrls?: readonly string[];
  /** Obey robots.txt (`--no-robots` turns it off). @default {true} */
  robots?: boolean;
  /** Let followed links and redirects reach private, loopback and metadata addresses (`--allow-private`). @default {false} */
  allowPrivate?: boolean;
  /** Where the frontier keeps its URLs (no flag). @default {an in-memory store} */
  store?: FrontierStore;
  /** Who decides how hard each host is hit (no flag). @default {an in-memory policy from the options above} */
  hostPolicy?: HostPolicy;
  /**
   * What earlier runs saw of each page: makes the crawl a recrawl (conditional
   * requests, a `change` on every record, `gone` records for pages no longer
   * reached; `--state` keeps it in the state file). The owner starts each run
   * with `history.startRun()`. @default {undefined}
   */
  history?: PageHistory;
  /**
   * With `history`: a page fetched less than this long ago is not fetched again
   * (`unchanged`, its stored links followed) (`--min-age`). @default {0}
   */
  minAgeMs?: number;
  /** Aborting stops the crawl at once: requests in flight end as `ABORTED` records (no flag). @default {undefined} */
  signal?: AbortSignal;
  /** Called with warnings meant for a human, an invalid seed line say (no flag). @default {undefined} */
  onWarning?: (message: string) => void;
  /** Called synchronously with every crawl event (no flag). @default {undefined} */
  onEvent?: CrawlEventListener;
}

/**
 * Options whose default is "none": they stay `undefined` in
 * {@linkcode ResolvedCrawlOptions} when not given.
 *
 * @example Name an option that may stay unset
 * ```ts
 * import type { UnsetCrawlOption } from "./crawl_options.ts";
 *
 * const option: UnsetCrawlOption = "rate";
 * ```
 */
export type UnsetCrawlOption =
  | "rate"
  | "globalRate"
  | "maxIdleSockets"
  | "extractModule"
  | "extractMaxMemoryMb"
  | "proxy"
  | "store"
  | "hostPolicy"
  | "cookieJar"
  | "history"
  | "signal"
  | "onWarning"
  | "onEvent";

/**
 * {@linkcode CrawlOptions} after {@linkcode resolveCrawlOptions}: every field
 * present, defaults applied, every rule checked. Frozen; arrays and objects are
 * copies of what was given.
 *
 * @example Read a resolved value
 * ```ts
 * import { resolveCrawlOptions, type ResolvedCrawlOptions } from "./crawl_options.ts";
 *
 * const resolved: ResolvedCrawlOptions = resolveCrawlOptions({ maxDepth: 2 });
 * console.log(resolved.maxDepth, resolved.maxPerHost); // 2 8
 * ```
 */
export type ResolvedCrawlOptions =
  & {
    readonly [K in Exclude<keyof CrawlOptions, UnsetCrawlOption>]-?: Exclude<
      CrawlOptions[K],
      undefined
    >;
  }
  & { readonly [K in UnsetCrawlOption]: CrawlOptions[K] };

/**
 * Every default of {@linkcode CrawlOptions}, in one frozen object: the only place
 * a default value lives (`crawl()`, the CLI and its `--help` read it). Options
 * with no default are present with `undefined`, so its keys are every option.
 *
 * @example Print a default
 * ```ts
 * import { CRAWL_DEFAULTS } from "./crawl_options.ts";
 *
 * console.log(CRAWL_DEFAULTS.timeoutMs); // 30000
 * ```
 */
export const CRAWL_DEFAULTS: ResolvedCrawlOptions = Object.freeze(
  {
    maxInFlight: 128,
    maxPerHost: 8,
    delayMs: 0,
    rate: undefined,
    globalRate: undefined,
    timeoutMs: 30_000,
    connectTimeoutMs: 10_000,
    headersTimeoutMs: 20_000,
    bodyIdleTimeoutMs: 20_000,
    maxRetries: 3,
    maxRetryAfterMs: 600_000,
    maxRedirects: 10,
    maxUrlLength: 2083,
    maxBytes: 10 * 2 ** 20,
    maxIdleSockets: undefined,
    maxDepth: 0,
    maxPages: Infinity,
    maxPagesPerHost: Infinity,
    maxQueued: 1_000_000,
    maxQueuedPerHost: 100_000,
    scope: "host",
    include: Object.freeze([]),
    exclude: Object.freeze([]),
    select: Object.freeze([]),
    extractModule: undefined,
    extractTimeoutMs: 10_000,
    extractMaxMemoryMb: undefined,
    allowExtractorImports: Object.freeze([]),
    workers: Math.max(1, (navigator.hardwareConcurrency ?? 2) - 1),
    userAgent: "trawl/0.1 (+https://github.com/trawl)",
    robotsAgent: "trawl",
    headers: Object.freeze({}),
    proxy: undefined,
    envProxy: true,
    cookies: true,
    cookieJar: undefined,
    ignoreNofollow: false,
    sitemaps: false,
    sitemapUrls: Object.freeze([]),
    robots: true,
    allowPrivate: false,
    store: undefined,
    hostPolicy: undefined,
    history: undefined,
    minAgeMs: 0,
    signal: undefined,
    onWarning: undefined,
    onEvent: undefined,
  } satisfies ResolvedCrawlOptions,
);

const OPTION_NAMES = Object.keys(CRAWL_DEFAULTS) as (keyof CrawlOptions)[];

/**
 * Apply the defaults to `options` and check every rule, once. Throws a
 * `TypeError` for a value of the wrong type or an unknown option (suggesting the
 * closest known one), a `RangeError` for a value out of its range or set (NaN,
 * Infinity where a finite value is needed, a fraction where an integer is, a
 * pattern or select spec that does not compile). The message names the option,
 * the rule and the value. `undefined` counts as not given. The CSS of `select`
 * specs is checked later, by the crawl (it needs the parser).
 *
 * @example A bad value throws at once
 * ```ts
 * import { resolveCrawlOptions } from "./crawl_options.ts";
 *
 * try {
 *   resolveCrawlOptions({ maxPerHost: 0 });
 * } catch (e) {
 *   console.log((e as Error).message); // "maxPerHost must be an integer >= 1: received 0"
 * }
 * ```
 */
export function resolveCrawlOptions(options: CrawlOptions): ResolvedCrawlOptions {
  const given = object("crawl options", options, "an object") as Record<string, unknown>;
  checkKeys("", given, OPTION_NAMES);
  const resolved: Record<string, unknown> = {};
  for (const name of OPTION_NAMES) {
    const value = given[name] === undefined ? CRAWL_DEFAULTS[name] : given[name];
    resolved[name] = value === undefined ? undefined : CRAWL_OPTION_CHECKS[name](name, value);
  }
  return Object.freeze(resolved) as ResolvedCrawlOptions;
}
