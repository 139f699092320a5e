/**
 * The check of each crawl option, one per option in a table keyed by its name
 * ({@linkcode CRAWL_OPTION_CHECKS}), that `resolveCrawlOptions` runs on every
 * value given or defaulted. The checks it is built from are in
 * `_option_checks.ts`; the rules of one option alone (a scope, a select spec,
 * a header, a proxy, an interface's methods) are here.
 *
 * @module
 */

import { parseSelectSpec } from "./parse/select_spec.ts";
import {
  boolean,
  callable,
  type Check,
  duration,
  finiteAtLeastZero,
  headerValue,
  implementing,
  integer,
  object,
  patterns,
  rate,
  show,
  string,
  strings,
} from "./_option_checks.ts";
import type { CrawlOptions, CrawlScope } from "./crawl_options.ts";
import type { FrontierStore } from "./frontier/frontier_store.ts";
import type { PageHistory } from "./recrawl/page_history.ts";
import type { CookieJar } from "./cookies/cookie_jar.ts";
import { isProductToken } from "./robots/product_token.ts";
import type { HostPolicy } from "./policy/host_policy.ts";

/** Bottleneck admits about 230 jobs/s in Deno: a global rate above this is not held. */
const MAX_GLOBAL_RATE_PER_S = 200;

/** Names of the methods of `T`, to check an object given for an interface. */
type MethodsOf<T> = {
  [K in keyof T]-?: T[K] extends (...args: never[]) => unknown ? K : never;
}[keyof T];
// Records, not lists, so the compiler fails when an interface gains a method.
const STORE_METHODS: Record<MethodsOf<FrontierStore>, true> = {
  add: true,
  take: true,
  done: true,
  release: true,
  renew: true,
  counts: true,
  addScopeKeys: true,
  scopeKeys: true,
  close: true,
};
const POLICY_METHODS: Record<MethodsOf<HostPolicy>, true> = {
  tryAcquire: true,
  acquire: true,
  release: true,
  robotsKnown: true,
  blockedHosts: true,
  nextReadyMs: true,
  close: true,
};

const HISTORY_METHODS: Record<MethodsOf<PageHistory>, true> = {
  startRun: true,
  reach: true,
  remember: true,
  unreached: true,
  forget: true,
};

/**
 * One check per option: the value (never `undefined`) to its resolved form, or a
 * throw whose message starts with the option's name.
 *
 * @example Check one value
 * ```ts
 * import { CRAWL_OPTION_CHECKS } from "./_crawl_option_checks.ts";
 *
 * console.log(CRAWL_OPTION_CHECKS.maxPerHost("maxPerHost", 4)); // 4
 * ```
 */
export const CRAWL_OPTION_CHECKS: { [K in keyof CrawlOptions]-?: Check<CrawlOptions[K]> } = {
  maxInFlight: integer(1),
  maxPerHost: integer(1),
  delayMs: duration("zero"),
  rate: rate,
  globalRate: (name, value) => {
    const checked = rate(name, value);
    if ((checked.requests * 1000) / checked.perMs > MAX_GLOBAL_RATE_PER_S) {
      throw new RangeError(
        `${name} must be at most ${MAX_GLOBAL_RATE_PER_S} requests per second (the ceiling ` +
          `of its limiter in Deno): received ${checked.requests} per ${checked.perMs} ms`,
      );
    }
    return checked;
  },
  timeoutMs: duration("positive"),
  connectTimeoutMs: duration("positive"),
  headersTimeoutMs: duration("positive"),
  bodyIdleTimeoutMs: duration("positive"),
  maxRetries: integer(0),
  maxRetryAfterMs: duration("zero"),
  maxRedirects: integer(0),
  maxUrlLength: integer(1),
  maxBytes: integer(1),
  maxIdleSockets: integer(0),
  maxDepth: integer(0),
  maxPages: integer(1, true),
  maxPagesPerHost: integer(1, true),
  maxQueued: integer(1, true),
  maxQueuedPerHost: integer(1, true),
  scope: (name, value) => {
    const scopes: readonly CrawlScope[] = ["host", "domain", "origin", "all"];
    if (scopes.includes(string(name, value) as CrawlScope)) return value as CrawlScope;
    throw new RangeError(`${name} must be one of ${scopes.join(", ")}: received ${show(value)}`);
  },
  include: patterns,
  exclude: patterns,
  select: (name, value) => {
    const specs = strings(name, value);
    const fields = new Set<string>();
    for (const spec of specs) {
      let field;
      try {
        field = parseSelectSpec(spec);
      } catch (cause) {
        throw new RangeError(
          `${name} must be specs name=selector[@text|@html|@attr][[]]: ${(cause as Error).message}`,
          { cause },
        );
      }
      if (fields.has(field.name)) {
        throw new RangeError(
          `${name} must name each field once: received ${show(field.name)} twice (${show(spec)})`,
        );
      }
      fields.add(field.name);
    }
    return specs;
  },
  extractModule: (name, value) => {
    if (value instanceof URL) return value;
    if (string(name, value, "a string or a URL").trim() !== "") return value as string;
    throw new RangeError(`${name} must be a path or URL: received ${show(value)}`);
  },
  extractTimeoutMs: duration("positive"),
  extractMaxMemoryMb: integer(16),
  allowExtractorImports: strings,
  workers: integer(1),
  userAgent: (name, value) => {
    if (string(name, value).trim() !== "") return headerValue(name, value);
    throw new RangeError(`${name} must be a non-empty string: received ${show(value)}`);
  },
  robotsAgent: (name, value) => {
    if (isProductToken(string(name, value))) return value as string;
    throw new RangeError(
      `${name} must be a product token (letters, digits, _ and -): received ${show(value)}`,
    );
  },
  headers: (name, value) => {
    const result: Record<string, string> = {};
    for (const [key, item] of Object.entries(object(name, value, "an object of name: value"))) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) {
        throw new RangeError(`${name} must have HTTP token names: received ${show(key)}`);
      }
      result[key] = headerValue(`${name}[${JSON.stringify(key)}]`, item);
    }
    return result;
  },
  proxy: (name, value) => {
    const url = URL.parse(string(name, value));
    if (url?.protocol === "http:" || url?.protocol === "https:") return value as string;
    throw new RangeError(
      `${name} must be an http: or https: URL such as http://127.0.0.1:3128: received ${
        show(value)
      }`,
    );
  },
  envProxy: boolean,
  cookies: boolean,
  cookieJar: implementing<CookieJar>("CookieJar", { cookieHeader: true, store: true }),
  ignoreNofollow: boolean,
  sitemaps: boolean,
  sitemapUrls: (name, value) => {
    const urls = strings(name, value);
    for (const url of urls) {
      const parsed = URL.parse(url);
      if (parsed?.protocol !== "http:" && parsed?.protocol !== "https:") {
        throw new RangeError(`${name} must be http(s) URLs: received ${show(url)}`);
      }
    }
    return urls;
  },
  robots: boolean,
  allowPrivate: boolean,
  store: implementing<FrontierStore>("FrontierStore", STORE_METHODS),
  hostPolicy: implementing<HostPolicy>("HostPolicy", POLICY_METHODS),
  history: implementing<PageHistory>("PageHistory", HISTORY_METHODS),
  minAgeMs: finiteAtLeastZero,
  signal: (name, value) => {
    if (value instanceof AbortSignal) return value;
    throw new TypeError(`${name} must be an AbortSignal: received ${show(value)}`);
  },
  onWarning: callable,
  onEvent: callable,
};
