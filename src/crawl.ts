/**
 * The crawler: the one place the parts are wired together. Data flow, per URL:
 * seeds -> frontier (normalize, dedupe, scope) -> scheduler (global cap, per-host
 * slot) -> robots.txt -> fetch layer (semaphore, timeouts, retries, size limits,
 * private-address guard on every hop) -> parse pool (workers: decode, links, fields,
 * extractor) -> frontier (new links) and one record out.
 *
 * @module
 */

import { createFetcher, type Fetcher } from "./fetch/fetcher.ts";
import { parseRetryAfter } from "./fetch/_retry_policy.ts";
import { createParsePool, type ParsePool } from "./parse/parse_pool.ts";
import { checkSelectSpecs } from "./parse/select_spec.ts";
import { createFrontier, type Frontier } from "./frontier/frontier.ts";
import { createMemoryFrontierStore } from "./frontier/memory_frontier_store.ts";
import type { FrontierStore, Lease } from "./frontier/frontier_store.ts";
import { createRobotsCache, type RobotsCache, type RobotsVerdict } from "./robots/robots_cache.ts";
import { type AddressGuard, createAddressGuard } from "./guard/address_guard.ts";
import { Scheduler } from "./scheduler/scheduler.ts";
import { CrawlStats } from "./crawl_stats.ts";
import { serializeError, TrawlError } from "./trawl_error.ts";
import type { CrawlRecord, ErrorInfo, FetchResult } from "./types.ts";

/** A seed: a URL, optionally with the line it came from (for error messages). */
export interface Seed {
  /** The URL as written. */
  url: string;
  /** 1-based line number in the seed file. @default {undefined} */
  line?: number;
}

/** Which followed links stay in the crawl, relative to the seeds. */
export type CrawlScope = "host" | "domain" | "origin" | "all";

/** Options for {@linkcode crawl}. Each maps to one CLI flag. */
export interface CrawlOptions {
  /** Requests in flight across all hosts (`--concurrency`). @default {128} */
  maxInFlight?: number;
  /** Requests in flight per host (`--per-host`). @default {8} */
  maxPerHost?: number;
  /**
   * Minimum gap between request starts on one host, ms (`--delay`), counted when the
   * crawler starts a request (a new connection's set-up can delay the first arrival).
   * @default {0}
   */
  delayMs?: number;
  /**
   * Per-host rate cap (`--rate 5/s`): at most `requests` per `perMs`, enforced as a gap of
   * `perMs / requests` between request starts on that host. @default {undefined}
   */
  rate?: { requests: number; perMs: number };
  /** Total deadline per request, retries included, ms (`--timeout`). @default {30000} */
  timeoutMs?: number;
  /** Retries per URL after the first attempt (`--retries`). @default {3} */
  maxRetries?: number;
  /** Link depth to follow from the seeds; 0 fetches only the seeds (`--depth`). @default {0} */
  maxDepth?: number;
  /** Stop admitting URLs after this many (seeds included) (`--max-pages`). @default {Infinity} */
  maxPages?: number;
  /** Stop admitting URLs of one host after this many (`--max-pages-per-host`). @default {Infinity} */
  maxPagesPerHost?: number;
  /** Which followed links stay in the crawl (`--scope`). @default {"host"} */
  scope?: CrawlScope;
  /** Followed links must match one of these globs or `/regex/` (`--include`). @default {[]} */
  include?: string[];
  /** Followed links matching any of these are dropped (`--exclude`). @default {[]} */
  exclude?: string[];
  /** CSS fields, `name=selector[@attr|@html][[]]` (`--select`). @default {[]} */
  select?: string[];
  /** Path or URL of an extractor module exporting `extract(ctx)` (`--extract`). @default {undefined} */
  extractModule?: string;
  /** Parse workers (`--workers`). @default {navigator.hardwareConcurrency - 1, at least 1} */
  workers?: number;
  /** User-Agent header; its product token selects the robots.txt group (`--user-agent`). @default {"trawl/0.1 (+https://github.com/trawl)"} */
  userAgent?: string;
  /** Extra request headers (`--header`). @default {{}} */
  headers?: Record<string, string>;
  /** HTTP(S) proxy URL (`--proxy`). @default {undefined} */
  proxy?: string;
  /** Obey robots.txt (`--no-robots` turns it off). @default {true} */
  robots?: boolean;
  /** Let followed links and redirects reach private, loopback and metadata addresses (`--allow-private`). @default {false} */
  allowPrivate?: boolean;
  /** Largest body accepted, bytes, on the wire and decompressed. @default {10485760} */
  maxBytes?: number;
  /** URLs waiting in the frontier before seed intake pauses. @default {10000} */
  maxQueued?: number;
  /** Where the frontier keeps its URLs. @default {an in-memory store} */
  store?: FrontierStore;
  /** Aborting stops the crawl at once: requests in flight end as `ABORTED` records. @default {undefined} */
  signal?: AbortSignal;
  /** Called with warnings meant for a human (an invalid seed line, say). @default {undefined} */
  onWarning?: (message: string) => void;
}

/** A running crawl: iterate it for records; read `stats` at any time. */
export interface CrawlRun extends AsyncIterable<CrawlRecord> {
  /** Live counters. */
  readonly stats: CrawlStats;
  /** Stop admitting work; requests in flight finish and their records are still yielded. */
  stop(): void;
}

/** Bodies worth downloading: HTML for pages, plain text for robots.txt. Others are skipped unread. */
const FETCHED_TYPES = new Set(["text/html", "application/xhtml+xml", "text/plain"]);
const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"]);
const MAX_PENDING_RECORDS = 1024;
/**
 * Body bytes fetched and waiting for (or in) the parse pool before admission pauses:
 * the backlog is bounded by size, as Scrapy bounds its scraper slot, not by a page
 * count that a burst of small pages would hit at once. 16 MiB is ~1,000 small pages
 * (0.2 s of a worker's parsing) or ~40 heavy ones; measured with the Tokenizer scan,
 * 64 MiB gave no faster latency crawl and a heavy-page crawl peak of 425-444 MB RSS
 * against 347-390 MB with 16 MiB.
 */
const MAX_PARSE_BACKLOG_BYTES = 16 * 2 ** 20;
const MAX_PARSE_BACKLOG_PAGES = 4096;
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
 * Crawl from `seeds`, yielding exactly one record per attempted URL, in completion order.
 * Iteration drives the crawl; breaking out of the loop stops it.
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
  return new CrawlEngine(seeds, options);
}

class CrawlEngine implements CrawlRun {
  readonly stats = new CrawlStats();
  #seeds: Iterable<string | Seed> | AsyncIterable<string | Seed>;
  #options: CrawlOptions;
  #abort = new AbortController();
  #stopping = false;
  #started = false;
  #seedsDone = false;
  #finished = false;
  #failure: unknown = undefined;
  #out: CrawlRecord[] = [];
  #outHead = 0;
  /** Body bytes handed to the parse pool and not yet parsed. */
  #parseBacklogBytes = 0;
  /** Resolved (and replaced) whenever anything changes: a record, a finished task, a seed, stop(). */
  #changed = Promise.withResolvers<void>();

  constructor(
    seeds: Iterable<string | Seed> | AsyncIterable<string | Seed>,
    options: CrawlOptions,
  ) {
    this.#seeds = seeds;
    this.#options = options;
  }

  stop(): void {
    this.#stopping = true;
    this.#notify();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<CrawlRecord> {
    if (this.#started) throw new TypeError("a crawl can be iterated only once");
    this.#started = true;
    const signal = this.#options.signal;
    const onAbort = () => this.#abort.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const running = this.#run().catch((error) => (this.#failure = error)).finally(() => {
      this.#finished = true;
      this.#notify();
    });
    try {
      while (true) {
        const record = this.#shift();
        if (record) {
          yield record;
          continue;
        }
        if (this.#finished) break;
        await this.#changed.promise;
      }
      if (this.#failure !== undefined) throw this.#failure;
    } finally {
      // The crawl ended, or the consumer broke out early: either way, wind down.
      this.#abort.abort();
      this.#notify();
      await running;
      signal?.removeEventListener("abort", onAbort);
    }
  }

  #notify(): void {
    this.#changed.resolve();
    this.#changed = Promise.withResolvers<void>();
  }

  #shift(): CrawlRecord | undefined {
    if (this.#outHead >= this.#out.length) return undefined;
    const record = this.#out[this.#outHead++];
    if (this.#outHead === this.#out.length) {
      this.#out = [];
      this.#outHead = 0;
    }
    this.#notify();
    return record;
  }

  #emit(record: CrawlRecord, attempts: number): void {
    this.stats.addRecord(record, attempts);
    this.#out.push(record);
    this.#notify();
  }

  async #run(): Promise<void> {
    const o = this.#options;
    const maxDepth = o.maxDepth ?? 0;
    const userAgent = o.userAgent ?? "trawl/0.1 (+https://github.com/trawl)";
    const signal = this.#abort.signal;
    const rateGapMs = o.rate ? o.rate.perMs / o.rate.requests : 0;
    // Bad --select CSS is a usage error before anything is fetched, not a failure on every page.
    if (o.select?.length) await checkSelectSpecs(o.select);
    const scheduler = new Scheduler({
      maxInFlight: o.maxInFlight ?? 128,
      maxPerHost: o.maxPerHost ?? 8,
      delayMs: Math.max(o.delayMs ?? 0, rateGapMs),
    });
    const frontier = createFrontier(o.store ?? createMemoryFrontierStore(), {
      maxDepth,
      scope: o.scope ?? "host",
      include: o.include ?? [],
      exclude: o.exclude ?? [],
      maxPages: o.maxPages ?? Infinity,
      maxPagesPerHost: o.maxPagesPerHost ?? Infinity,
    });
    const guard = createAddressGuard({ allowPrivate: o.allowPrivate ?? false });
    const fetcher = createFetcher({
      // The scheduler holds the caps; the fetcher's own match them so they never bind first.
      maxInFlight: o.maxInFlight ?? 128,
      maxPerHost: o.maxPerHost ?? 8,
      timeoutMs: o.timeoutMs ?? 30_000,
      maxRetries: o.maxRetries ?? 3,
      maxBytes: o.maxBytes,
      userAgent,
      headers: o.headers ?? {},
      proxy: o.proxy,
      // Connections go only to addresses the guard checked in this very lookup, so a
      // name cannot pass `check` with one answer and connect with another (DNS rebinding).
      lookup: o.proxy === undefined && !o.allowPrivate ? guard.lookup : undefined,
      allowUrl: async (url: URL) => {
        await guard.check(url, { signal });
        return true;
      },
      allowContentType: (type: string | null) => type === null || FETCHED_TYPES.has(type),
    });
    const pool = createParsePool({
      workers: o.workers,
      maxQueued: MAX_PARSE_BACKLOG_PAGES,
      maxJobsPerWorker: PARSE_JOBS_PER_WORKER,
      maxBytesPerWorker: PARSE_BYTES_PER_WORKER,
      // Load the workers while robots.txt and the first pages are fetched.
      lazy: false,
      select: o.select ?? [],
      extractModule: o.extractModule,
    });
    const robots = (o.robots ?? true)
      ? createRobotsCache((url, o) => fetcher.fetch(url, { signal: o?.signal }), { userAgent })
      : null;
    const robotsKnown = new Set<string>();
    // A redirect hop is a new URL: robots.txt must allow it, and it is fetched once per
    // crawl, like a link (marked seen, so a later link to it is a duplicate; a hop to a URL
    // already seen ends this fetch with DUPLICATE_REDIRECT instead of fetching it again).
    const followRedirect = async (target: URL, from: URL | null): Promise<boolean> => {
      if (from === null) return true;
      if (robots) {
        const verdict = await robots.check(target.href, { signal });
        if (!verdict.allowed) throw robotsRefusal(target.href, verdict, from.href);
      }
      if (!(await frontier.markSeen(target.href))) {
        throw new TrawlError(
          "DUPLICATE_REDIRECT",
          `${from.href} redirects to ${target.href}, which this crawl has already seen; ` +
            `it is fetched (and recorded) once`,
          { url: target.href },
        );
      }
      return true;
    };
    const wiring: Wiring = {
      scheduler,
      frontier,
      guard,
      fetcher,
      pool,
      robots,
      robotsKnown,
      followRedirect,
      maxDepth,
      signal,
    };

    const tasks = new Set<Promise<void>>();
    const pump = this.#pumpSeeds(frontier, signal);
    try {
      while (!signal.aborted) {
        // The one backpressure check: a global slot, room in the parse backlog, room for records.
        while (
          !this.#stopping && !signal.aborted && scheduler.free > 0 &&
          this.#parseBacklogBytes < MAX_PARSE_BACKLOG_BYTES && pool.size < pool.capacity &&
          this.#out.length - this.#outHead < MAX_PENDING_RECORDS
        ) {
          const [lease] = await frontier.take(1, { excludeHosts: scheduler.blockedHosts() });
          if (!lease) break;
          // Until a host's robots.txt is known, it gets one request at a time: its Crawl-delay
          // may forbid more, and waiting tasks would sit on global slots.
          if (robots && !robotsKnown.has(lease.entry.host)) {
            scheduler.setMaxInFlight(lease.entry.host, 1);
          }
          scheduler.start(lease.entry.host);
          const task = this.#process(lease, wiring).finally(() => {
            tasks.delete(task);
            this.#notify();
          });
          tasks.add(task);
        }
        const changed = this.#changed.promise;
        const { queued } = await frontier.counts();
        this.stats.queued = queued;
        this.stats.inFlight = scheduler.inFlight;
        if (tasks.size === 0 && (this.#stopping || (this.#seedsDone && queued === 0))) break;
        await sleepUntil(changed, scheduler.nextWakeMs());
      }
      await Promise.allSettled(tasks);
    } finally {
      this.#stopping = true;
      this.#notify();
      await pump;
      await Promise.allSettled([fetcher.close(), pool.close()]);
      this.stats.queued = (await frontier.counts()).queued;
      this.stats.inFlight = 0;
    }
  }

  /** Feed seeds into the frontier, pausing while it holds `maxQueued` URLs. */
  async #pumpSeeds(frontier: Frontier, signal: AbortSignal): Promise<void> {
    const maxQueued = this.#options.maxQueued ?? 10_000;
    const seeds = toAsyncIterator(this.#seeds);
    try {
      // Once --max-pages URLs are admitted, no seed can get in: stop reading (a 10-million-line
      // file is not read to the end for nothing).
      while (!this.#stopping && !signal.aborted && !frontier.full) {
        const changed = this.#changed.promise;
        if ((await frontier.counts()).queued >= maxQueued) {
          await changed;
          continue;
        }
        for (let n = 0; n < 64; n++) {
          const next = await seeds.next();
          if (next.done) {
            this.#seedsDone = true;
            if ((this.#options.maxDepth ?? 0) === 0) {
              this.stats.total = this.stats.seeds - this.stats.duplicateSeeds -
                this.stats.overLimitSeeds;
            }
            return;
          }
          const seed = typeof next.value === "string" ? { url: next.value } : next.value;
          await this.#addSeed(frontier, seed);
          if (frontier.full) break;
        }
      }
    } catch (error) {
      // A seed source that fails (an unreadable file, say) is fatal: nothing more can be admitted.
      this.#failure = error;
      this.#abort.abort(error);
    } finally {
      if (!this.#seedsDone) await seeds.return?.();
      this.#seedsDone = true;
      this.#notify();
    }
  }

  async #addSeed(frontier: Frontier, seed: Seed): Promise<void> {
    this.stats.seeds++;
    const outcome = await frontier.addSeed(seed.url);
    this.#notify();
    if (outcome.ok) return;
    if (outcome.duplicate) {
      this.stats.duplicateSeeds++;
      return;
    }
    if (outcome.overLimit) {
      this.stats.overLimitSeeds++;
      return;
    }
    this.stats.invalidSeeds++;
    const error = outcome.error!;
    const where = seed.line === undefined ? "seed" : `line ${seed.line}`;
    this.#options.onWarning?.(`${where}: ${error.message}`);
    this.#emit(failureRecord(seed.url, 0, error), 0);
  }

  async #process(lease: Lease, w: Wiring): Promise<void> {
    const { url, depth, host } = lease.entry;
    const started = performance.now();
    let result: FetchResult | null = null;
    let record: CrawlRecord;
    let slotHeld = true;
    const releaseSlot = () => {
      if (!slotHeld) return;
      slotHeld = false;
      w.scheduler.finish(host, {
        status: result?.status ?? null,
        retryAfterMs: parseRetryAfter(result?.headers["retry-after"]),
      });
      this.#notify();
    };
    try {
      // A seed on a private address lets its own crawl reach that address.
      if (depth === 0) await w.guard.allowAddressesOf(url).catch(() => {});
      if (w.robots) {
        const verdict = await w.robots.check(url, { signal: w.signal });
        if (!w.robotsKnown.has(host)) {
          w.robotsKnown.add(host);
          w.scheduler.setMaxInFlight(host, undefined);
          if (verdict.crawlDelayMs !== null) w.scheduler.setCrawlDelay(host, verdict.crawlDelayMs);
        }
        if (!verdict.allowed) throw robotsRefusal(url, verdict);
      }
      result = await w.fetcher.fetch(url, { signal: w.signal, allowUrl: w.followRedirect });
      releaseSlot();
      record = {
        url,
        finalUrl: result.status === null ? null : result.finalUrl,
        status: result.status,
        depth,
        title: null,
        fetchedAt: new Date().toISOString(),
        ms: 0,
        bytes: result.bytes,
        error: result.error && { code: result.error.code, message: result.error.message },
        data: null,
      };
      const html = result.contentType === null || HTML_TYPES.has(result.contentType);
      if (result.error === null && result.status !== null && result.status < 300 && html) {
        const size = result.body.byteLength;
        this.#parseBacklogBytes += size;
        const page = await w.pool.parse({
          url,
          finalUrl: result.finalUrl,
          status: result.status,
          headers: result.headers,
          body: result.body,
          depth,
        }, { signal: w.signal }).finally(() => {
          this.#parseBacklogBytes -= size;
          this.#notify();
        });
        record.title = page.title;
        record.data = page.data;
        record.error = page.error && { code: page.error.code, message: page.error.message };
        const found = page.links.length;
        this.stats.addLinks(
          depth < w.maxDepth
            ? { found, ...(await w.frontier.addLinks(depth, page.links)) }
            : { found, overDepth: found },
        );
      }
    } catch (error) {
      const { code, message } = serializeError(
        error,
        w.signal.aborted ? "ABORTED" : "NETWORK_ERROR",
      );
      record = failureRecord(url, depth, { code, message });
      if (result) {
        Object.assign(record, {
          finalUrl: result.finalUrl,
          status: result.status,
          bytes: result.bytes,
        });
      }
    } finally {
      releaseSlot();
      await w.frontier.done(lease);
    }
    record.ms = Math.round(performance.now() - started);
    this.#emit(record, result?.attempts ?? 0);
  }
}

/** Wait for `changed`, or `ms` milliseconds when given. */
async function sleepUntil(changed: Promise<void>, ms: number | null): Promise<void> {
  if (ms === null) return await changed;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([changed, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

interface Wiring {
  scheduler: Scheduler;
  frontier: Frontier;
  guard: AddressGuard;
  fetcher: Fetcher;
  pool: ParsePool;
  robots: RobotsCache | null;
  /** Hosts whose robots.txt verdict arrived (their cap and Crawl-delay are set). */
  robotsKnown: Set<string>;
  /** The per-fetch hook for redirect hops: robots.txt and dedupe. */
  followRedirect: (target: URL, from: URL | null) => Promise<boolean>;
  maxDepth: number;
  signal: AbortSignal;
}

/**
 * The error of a URL robots.txt does not allow. When robots.txt got no answer at all
 * (DNS, connection, TLS, timeout), that failure is the record's error: it is why the
 * page cannot be fetched either, and "disallowed" would hide it.
 */
function robotsRefusal(url: string, verdict: RobotsVerdict, from?: string): TrawlError {
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

function failureRecord(url: string, depth: number, error: ErrorInfo): CrawlRecord {
  return {
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

function toAsyncIterator<T>(source: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  const it = source[Symbol.iterator]();
  return {
    next: () => Promise.resolve(it.next()),
    return: (value?: unknown) =>
      Promise.resolve(it.return?.(value) ?? { done: true, value: undefined }),
  } as AsyncIterator<T>;
}
