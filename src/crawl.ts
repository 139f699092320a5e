/**
 * The crawler: the one place the parts are wired together. Data flow, per URL:
 * seeds -> frontier (normalize, dedupe, scope, budgets, in a `FrontierStore`) ->
 * crawl loop (the one backpressure check, ready hosts only) -> host policy (one
 * permit per request: cap, gap, robots.txt probing, backoff) -> robots.txt ->
 * fetch layer (global cap, timeouts, retries, redirects checked hop by hop,
 * private-address guard) -> parse pool (workers: decode, links, fields,
 * extractor) -> frontier (new links) and one record out, acknowledged once
 * handed over.
 *
 * The parts live in `src/crawl/`: `_engine.ts` (the loop, `needsBackout`, record
 * hand-over and acks), `_url_pipeline.ts` (one URL), `_seed_pump.ts` (seed
 * intake), `_records.ts` (record ids and failure records).
 *
 * @module
 */

import { createCookieJar } from "./cookies/cookie_jar.ts";
import { createFetcher } from "./fetch/fetcher.ts";
import { createParsePool } from "./parse/parse_pool.ts";
import { checkSelectSpecs } from "./parse/select_spec.ts";
import { checkExtractor } from "./parse/check_extractor_graph.ts";
import { checkExtractorLoads } from "./parse/check_extractor_loads.ts";
import { createFrontier } from "./frontier/frontier.ts";
import { createMemoryFrontierStore } from "./frontier/memory_frontier_store.ts";
import { createRobotsCache } from "./robots/robots_cache.ts";
import { createAddressGuard } from "./guard/address_guard.ts";
import { createMemoryHostPolicy } from "./policy/memory_host_policy.ts";
import { CrawlStats } from "./crawl_stats.ts";
import type { CrawlEvent } from "./crawl_events.ts";
import {
  type CrawlOptions,
  resolveCrawlOptions,
  type ResolvedCrawlOptions,
} from "./crawl_options.ts";
import type { CrawlRecord } from "./types.ts";
import { CrawlEngine } from "./crawl/_engine.ts";
import { UrlPipeline } from "./crawl/_url_pipeline.ts";
import type { Seed, SeedSource } from "./crawl/_seed_pump.ts";
import { createWorkerPool } from "./parse/worker_pool.ts";
import type { ParsedSitemap } from "./sitemaps/parse_sitemap.ts";
import { SITEMAP_LIMITS, sitemapSeeds } from "./sitemaps/sitemap_seeds.ts";
import type { SitemapJob } from "./sitemaps/_sitemap_job.ts";

export type { CrawlOptions, CrawlScope } from "./crawl_options.ts";
export type { Seed } from "./crawl/_seed_pump.ts";

/**
 * A running crawl: iterate it for records; read `stats` at any time.
 *
 * A record's URL is acknowledged (finished in the frontier store) when the
 * consumer asks for the next record, that is once the loop body that received it
 * (a sink's `write`, say) has completed. Breaking out of the loop leaves the last
 * record unacknowledged: a resumed durable crawl delivers it again.
 */
export interface CrawlRun extends AsyncIterable<CrawlRecord> {
  /** Live counters, built from the crawl's events. */
  readonly stats: CrawlStats;
  /** Stop admitting work; requests in flight finish and their records are still yielded. */
  stop(): void;
}

/** Bodies worth downloading: HTML for pages, plain text for robots.txt. Others are skipped unread. */
const FETCHED_TYPES: ReadonlySet<string> = new Set([
  "text/html",
  "application/xhtml+xml",
  "text/plain",
]);
const MAX_PARSE_BACKLOG_PAGES = 4096;
/** URLs queued in the frontier before seed intake pauses (seeds wait; they are not dropped). */
const SEED_PAUSE_AT = 10_000;
/**
 * Pages posted ahead to each parse worker. Under fetch load the main thread runs in
 * 10-40 ms stretches (undici's tick queues, GC); 16 small pages are ~4 ms of work, so
 * the worker ran dry between stretches. 128 keeps it fed (crawl of 10,000 15 KB pages
 * at 500 in flight: 3.2-3.5 s vs 3.8-4.0 s with 16).
 */
const PARSE_JOBS_PER_WORKER = 128;
/**
 * ...but big pages fewer at a time: each page posted ahead is held twice (the copy in
 * the worker's inbox and the one kept to re-send). 128 heavy 400 KB pages ahead held
 * ~100 MB; 4 MiB keeps ~10 (heavy crawl peak RSS 558 -> 447 MB, small pages unaffected).
 */
const PARSE_BYTES_PER_WORKER = 4 * 2 ** 20;

/**
 * Crawl from `seeds`, yielding exactly one record per attempted URL, in completion
 * order. Options are checked at once: a bad one throws a `RangeError` or
 * `TypeError` naming it. Iteration drives the crawl; breaking out of the loop
 * stops it.
 *
 * @example Crawl two pages and print titles
 * ```ts ignore
 * import { crawl } from "./crawl.ts";
 *
 * for await (const record of crawl(["https://example.com/", "https://example.org/"])) {
 *   console.log(record.status, record.url, record.title);
 * }
 * ```
 */
export function crawl(
  seeds: Iterable<string | Seed> | AsyncIterable<string | Seed>,
  options: CrawlOptions = {},
): CrawlRun {
  return new Crawl(seeds, resolveCrawlOptions(options));
}

class Crawl implements CrawlRun {
  readonly stats = new CrawlStats();
  #seeds: SeedSource;
  #options: ResolvedCrawlOptions;
  #started = false;
  #stopped = false;
  #engine: CrawlEngine | null = null;

  constructor(seeds: SeedSource, options: ResolvedCrawlOptions) {
    this.#seeds = seeds;
    this.#options = options;
  }

  stop(): void {
    this.#stopped = true;
    this.#engine?.stop();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<CrawlRecord> {
    if (this.#started) throw new TypeError("a crawl can be iterated only once");
    this.#started = true;
    const o = this.#options;
    // Bad --select CSS is a usage error before anything is fetched, not a failure on every page;
    // so is an extractor that imports what the sandbox refuses (its module graph is checked).
    if (o.select.length > 0) await checkSelectSpecs(o.select);
    if (o.extractModule !== undefined) {
      await checkExtractor(o.extractModule, { allowImports: o.allowExtractorImports });
      await checkExtractorLoads(o.extractModule, {
        timeoutMs: o.extractTimeoutMs,
        allowImports: o.allowExtractorImports,
      });
    }
    const abort = new AbortController();
    const outer = o.signal;
    const onAbort = () => abort.abort(outer?.reason);
    if (outer?.aborted) onAbort();
    outer?.addEventListener("abort", onAbort, { once: true });
    const engine = this.#wire(abort);
    this.#engine = engine;
    if (this.#stopped) engine.stop();
    try {
      yield* engine.records();
    } finally {
      outer?.removeEventListener("abort", onAbort);
    }
  }

  /** Build the parts from the options and hand them to the engine. */
  #wire(abort: AbortController): CrawlEngine {
    const o = this.#options;
    const stats = this.stats;
    const signal = abort.signal;
    const emit = o.onEvent === undefined
      ? (event: CrawlEvent) => stats.handle(event)
      : (event: CrawlEvent) => {
        stats.handle(event);
        o.onEvent!(event);
      };
    const ownStore = o.store === undefined;
    const store = o.store ?? createMemoryFrontierStore();
    const frontier = createFrontier(store, {
      maxDepth: o.maxDepth,
      scope: o.scope,
      include: o.include,
      exclude: o.exclude,
      maxPages: o.maxPages,
      maxPagesPerHost: o.maxPagesPerHost,
      maxUrlLength: o.maxUrlLength,
      maxQueued: o.maxQueued,
      maxQueuedPerHost: o.maxQueuedPerHost,
      onAdded: (host, count) => emit({ type: "queued", host, count }),
      onDropped: (reason, example) =>
        o.onWarning?.(
          reason === "trap"
            ? `dropping links whose path looks like a spider trap (a segment repeated 3 times, ` +
              `or over 32 segments), e.g. ${example}; counted as "trap" in the link stats`
            : `the frontier holds --max-queued ${o.maxQueued} URLs (or --max-queued-per-host ` +
              `${o.maxQueuedPerHost} of one host): dropping new links, e.g. ${example}; counted ` +
              `as "overQueue"; raise them, or crawl with --state to keep the queue on disk`,
        ),
    });
    const ownPolicy = o.hostPolicy === undefined;
    const policy = o.hostPolicy ?? createMemoryHostPolicy({
      maxPerHost: o.maxPerHost,
      delayMs: o.delayMs,
      rate: o.rate,
      globalRate: o.globalRate,
      awaitRobots: o.robots,
      maxRetryAfterMs: o.maxRetryAfterMs,
      onEvent: emit,
    });
    const guard = createAddressGuard({ allowPrivate: o.allowPrivate });
    const fetcher = createFetcher({
      maxInFlight: o.maxInFlight,
      // Connections per origin: the policy holds the per-host cap; the pool must not bind first.
      maxPerHost: o.maxPerHost,
      hostPolicy: policy,
      timeoutMs: o.timeoutMs,
      connectTimeoutMs: o.connectTimeoutMs,
      headersTimeoutMs: o.headersTimeoutMs,
      bodyIdleTimeoutMs: o.bodyIdleTimeoutMs,
      maxRetries: o.maxRetries,
      maxRetryAfterMs: o.maxRetryAfterMs,
      maxRedirects: o.maxRedirects,
      maxBytes: o.maxBytes,
      maxUrlLength: o.maxUrlLength,
      maxIdleSockets: o.maxIdleSockets,
      userAgent: o.userAgent,
      headers: o.headers,
      proxy: o.proxy,
      envProxy: o.envProxy,
      cookieJar: o.cookies ? o.cookieJar ?? createCookieJar() : undefined,
      // Connections go only to addresses the guard checked in this very lookup, so a
      // name cannot pass `check` with one answer and connect with another (DNS rebinding).
      lookup: o.proxy === undefined && !o.allowPrivate ? guard.lookup : undefined,
      allowUrl: async (url: URL) => {
        await guard.check(url, { signal });
        return true;
      },
      allowContentType: (type: string | null) => type === null || FETCHED_TYPES.has(type),
      onEvent: emit,
    });
    const pool = createParsePool({
      workers: o.workers,
      maxQueued: MAX_PARSE_BACKLOG_PAGES,
      maxJobsPerWorker: PARSE_JOBS_PER_WORKER,
      maxBytesPerWorker: PARSE_BYTES_PER_WORKER,
      // Load the workers while robots.txt and the first pages are fetched.
      lazy: false,
      select: o.select,
      extractModule: o.extractModule,
      extractTimeoutMs: o.extractTimeoutMs,
      extractMaxMemoryMb: o.extractMaxMemoryMb,
      allowExtractorImports: o.allowExtractorImports,
      // An error an extractor raised after its page was done: told, charged to no page.
      onLateError: ({ error, label }) =>
        o.onWarning?.(
          `the extractor raised an error after its page was done${
            label ? ` (${label})` : ""
          }: ${error.code} ${error.message}`,
        ),
    });
    const robots = o.robots
      ? createRobotsCache((url, options) => fetcher.fetch(url, { ...options, kind: "robots" }), {
        userAgent: o.userAgent,
        productToken: o.robotsAgent,
        signal,
        onResolved: ({ origin, outcome, status, crawlDelayMs }) =>
          emit({ type: "robots", origin, outcome, status, crawlDelayMs }),
      })
      : null;
    // The pipeline and the engine call each other: the engine is made right after.
    const engine: { current?: CrawlEngine } = {};
    // Sitemaps: parsed in a worker of their own, made when the first one is read.
    let sitemapPool: ReturnType<typeof createWorkerPool<SitemapJob, ParsedSitemap>> | null = null;
    const lastmods = new Map<string, string>();
    const seeds = sitemapSeeds(this.#seeds, {
      fetch: (url) =>
        fetcher.fetch(url, {
          signal,
          anyContentType: true,
          maxBytes: SITEMAP_LIMITS.maxBytes,
        }),
      robots: robots === null ? null : {
        allowed: (url) => robots.check(url, { signal }),
        sitemaps: (url) => robots.sitemaps(url, { signal }),
      },
      parse: (url, body) => {
        sitemapPool ??= createWorkerPool<SitemapJob, ParsedSitemap>(
          new URL("./sitemaps/_sitemap_job.ts", import.meta.url),
          { exportName: "parseSitemapJob", workers: 1, name: "sitemaps" },
        );
        return sitemapPool.run({ url, body }, { signal, transfer: [body.buffer as ArrayBuffer] });
      },
      output: (record) => engine.current!.output(record),
      claim: (key) => frontier.claim(key),
      lastmod: (url, lastmod) => lastmods.set(url, lastmod),
      stopping: () => engine.current!.stopping,
      named: (url) => guard.allowAddressesOf(url).catch(() => {}),
    }, { discover: o.sitemaps, sitemaps: o.sitemapUrls });
    const pipeline = new UrlPipeline({
      frontier,
      policy,
      fetcher,
      pool,
      robots,
      maxDepth: o.maxDepth,
      history: o.history ?? null,
      minAgeMs: o.minAgeMs,
      ignoreNofollow: o.ignoreNofollow,
      lastmod: (url) => lastmods.get(url),
      signal,
      emit,
      notify: () => engine.current!.notify(),
      backlog: (bytes) => engine.current!.backlog(bytes),
    });
    engine.current = new CrawlEngine(seeds, {
      frontier,
      policy,
      pool,
      pipeline,
      maxInFlight: o.maxInFlight,
      seedPauseAt: Math.min(o.maxQueued, SEED_PAUSE_AT),
      abort,
      emit,
      onWarning: o.onWarning,
      // A seed on a private address lets its own crawl reach that address (also when a
      // resumed crawl reads it again: it is then already in the frontier).
      onSeed: (url) => guard.allowAddressesOf(url).catch(() => {}),
      history: o.history ?? null,
      reachedAll: () => {
        const links = frontier.stats;
        return links.overLimit === 0 && links.overQueue === 0 && stats.overLimitSeeds === 0;
      },
      onSeedsRead: () => {
        if (o.maxDepth === 0) {
          stats.total = stats.seeds - stats.duplicateSeeds - stats.overLimitSeeds;
        }
      },
      close: async () => {
        await Promise.allSettled([fetcher.close(), pool.close(), sitemapPool?.close()]);
        if (ownPolicy) await policy.close();
        if (ownStore) await frontier.close();
      },
    });
    return engine.current;
  }
}
