/**
 * The fetch layer: one undici `Agent` (per-origin pools) driven through its
 * `dispatch` call, the primitive `undici.request` is built on, capped by a
 * global semaphore and per-host slots, with timeouts, retries, per-host rate
 * limits, manual redirects and streaming size limits.
 *
 * @module
 */

import { type LookupFunction, Socket } from "node:net";
import pRetry from "p-retry";
import { Agent, buildConnector, Client, type Dispatcher, Pool, ProxyAgent } from "undici";
import type { FetchResult } from "../types.ts";
import { TrawlError } from "../trawl_error.ts";
import { whenAborted } from "../_abortable.ts";
import { checkUrl } from "./_check_url.ts";
import { parseContentType } from "./_content_type.ts";
import { toTrawlError } from "./_error_code.ts";
import { checkFdBudget } from "./_fd_limit.ts";
import { Hosts, type RateLimit, sleep } from "./_hosts.ts";
import { BodyDecoder, concatBytes, type DecodeTarget, isDecodable } from "./_decode_body.ts";
import { type Timeout, type TimeoutTarget, TimerQueue } from "./_timer_queue.ts";
import { parseRetryAfter, RETRY_CODES, RETRY_STATUSES, retryDelayMs } from "./_retry_policy.ts";
import { Semaphore } from "./semaphore.ts";

export type { RateLimit } from "./_hosts.ts";

/** Options for {@linkcode createFetcher}. */
export interface FetcherOptions {
  /** Requests in flight at once, over all hosts (the global semaphore). @default {128} */
  maxInFlight?: number;
  /** Requests in flight at once per host (`URL.host`, port included). @default {8} */
  maxPerHost?: number;
  /** Time allowed to open a connection (TCP, and TLS for https). @default {10000} */
  connectTimeoutMs?: number;
  /** Time from sending the request to the response headers. @default {20000} */
  headersTimeoutMs?: number;
  /** Longest gap between two body chunks. @default {20000} */
  bodyIdleTimeoutMs?: number;
  /** Total deadline for one URL: retries, backoff waits and redirects included. @default {30000} */
  timeoutMs?: number;
  /** Retries after the first attempt (network errors, timeouts, 408/425/429/5xx). @default {3} */
  maxRetries?: number;
  /** Backoff base: retry `n` waits `random(0, min(maxRetryDelayMs, retryBaseMs * 2^n))`. @default {250} */
  retryBaseMs?: number;
  /** Cap on one backoff wait, `Retry-After` included. @default {30000} */
  maxRetryDelayMs?: number;
  /** Redirects followed before `TOO_MANY_REDIRECTS`. @default {10} */
  maxRedirects?: number;
  /** Body cap, on the wire and after decompression (`TOO_LARGE`). @default {10485760} */
  maxBytes?: number;
  /** Longest URL accepted (`URL_TOO_LONG`). @default {2083} */
  maxUrlLength?: number;
  /** Rate limit per host (Bottleneck, off the hot path when unset). @default {undefined} */
  rateLimit?: RateLimit;
  /** Rate limit over all hosts. Keep it well under ~200 requests/s (Bottleneck's ceiling in Deno). @default {undefined} */
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
  /** Extra request headers. @default {{}} */
  headers?: Record<string, string>;
  /**
   * An HTTP proxy URL (undici `ProxyAgent`). `connectTimeoutMs` then times the
   * connection to the proxy, with undici's coarser timer (about 1 s resolution).
   * @default {undefined}
   */
  proxy?: string;
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
  /** Aborts every fetch of this fetcher (results get `ABORTED`). @default {undefined} */
  signal?: AbortSignal;
}

/** Options for {@linkcode Fetcher.fetch}. */
export interface FetchOptions {
  /** Aborts this fetch: the result gets `ABORTED`. @default {undefined} */
  signal?: AbortSignal;
  /**
   * Checked for this fetch only, after the fetcher's own `allowUrl` passes, with the
   * same arguments and rules (the crawler dedupes redirect targets with it).
   * @default {undefined}
   */
  allowUrl?: (url: URL, from: URL | null) => boolean | Promise<boolean>;
}

/** Cheap counters of a {@linkcode Fetcher}. */
export interface FetcherStats {
  /** Requests holding a global slot. */
  inFlight: number;
  /** Requests waiting for a host slot or a global slot. */
  queued: number;
  /** Hosts with a request waiting or running. */
  hosts: number;
  /** HTTP requests sent (attempts and redirect hops). */
  requests: number;
  /** Retries made. */
  retries: number;
}

/** A reusable fetcher; see {@linkcode createFetcher}. */
export interface Fetcher extends AsyncDisposable {
  /** Fetch one URL. Never rejects: failures are results with `error` set. */
  fetch(url: string | URL, options?: FetchOptions): Promise<FetchResult>;
  /** Abort what is running, wait for it to settle, and close all connections. */
  close(): Promise<void>;
  /** Counters, read without cost. */
  readonly stats: FetcherStats;
}

interface Exchange {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  bytes: number;
  ttfbMs: number;
  location: string | null;
  skipped: boolean;
}

/**
 * One fetch in progress: why it was aborted (deadline, caller, close), the
 * attempt to abort with it, and an AbortSignal made only when something has to
 * wait (a busy slot, a backoff): the hot path allocates no AbortController.
 */
class Job implements TimeoutTarget {
  readonly url: string;
  reason: TrawlError | null = null;
  attempt: Attempt | null = null;
  #ctl: AbortController | null = null;
  #timeoutMs: number;

  constructor(url: string, timeoutMs: number) {
    this.url = url;
    this.#timeoutMs = timeoutMs;
  }

  /** The total deadline passed. */
  timedOut(): void {
    this.abort(
      new TrawlError("DEADLINE", `${this.url}: not done within ${this.#timeoutMs} ms (timeoutMs)`, {
        url: this.url,
      }),
    );
  }

  /** Aborts when the job does (made on first use). */
  get signal(): AbortSignal {
    if (this.#ctl === null) {
      this.#ctl = new AbortController();
      if (this.reason !== null) this.#ctl.abort(this.reason);
    }
    return this.#ctl.signal;
  }

  abort(reason: TrawlError): void {
    if (this.reason !== null) return;
    this.reason = reason;
    this.#ctl?.abort(reason);
    this.attempt?.abort(reason);
  }
}

const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const EMPTY = new Uint8Array(0);

function positive(name: string, value: number, integer = true): number {
  if (
    typeof value !== "number" || Number.isNaN(value) || value < 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw new TrawlError(
      "INVALID_OPTION",
      `${name} must be a non-negative ${integer ? "integer" : "number"}, got ${value}`,
    );
  }
  return value;
}

/** undici's parsed headers (fresh per response) with repeated ones joined, in place. */
function flattenHeaders(
  raw: Record<string, string | string[] | undefined>,
): Record<string, string> {
  for (const name in raw) {
    const value = raw[name];
    if (typeof value === "string") continue;
    if (value === undefined) delete raw[name];
    else raw[name] = value.join(", ");
  }
  return raw as Record<string, string>;
}

/**
 * Make a fetcher. Throws `FD_LIMIT` if `maxInFlight` sockets would not fit in
 * the process's open-file limit, and `INVALID_OPTION` on a bad option.
 *
 * @example Fetch one page and close
 * ```ts
 * import { createFetcher } from "./fetcher.ts";
 *
 * await using fetcher = createFetcher({ maxInFlight: 64, maxPerHost: 4, timeoutMs: 10_000 });
 * const page = await fetcher.fetch("http://127.0.0.1:8000/");
 * if (page.error) console.log(page.error.code, page.error.message);
 * else console.log(page.status, page.contentType, page.body.length);
 * ```
 */
export function createFetcher(options: FetcherOptions = {}): Fetcher {
  return new TrawlFetcher(options);
}

class TrawlFetcher implements Fetcher {
  #global: Semaphore;
  #hosts: Hosts;
  #agent: Agent | ProxyAgent;
  #headers: Record<string, string>;
  #closing = new AbortController();
  /** Fetches in progress, aborted together on close (no listener or closure per fetch). */
  #jobs = new Set<Job>();
  #unlinkSignal: () => void = () => {};
  #active = 0;
  #whenIdle: PromiseWithResolvers<void> | null = null;
  #deadlines: TimerQueue;
  /** What every Attempt needs to time and size its exchange (one object per fetcher). */
  #limits: AttemptLimits;
  #connectTimers: TimerQueue;
  #sockets = 0;
  #socketBudget: number;
  #requests = 0;
  #retries = 0;
  #inFlight = 0;
  #globalWaiting = 0;
  #connectTimeoutMs: number;
  #timeoutMs: number;
  #maxRetries: number;
  #retryBaseMs: number;
  #maxRetryDelayMs: number;
  #maxRedirects: number;
  #maxUrlLength: number;
  #allowUrl: FetcherOptions["allowUrl"];

  constructor(options: FetcherOptions) {
    const maxInFlight = positive("maxInFlight", options.maxInFlight ?? 128);
    const maxPerHost = positive("maxPerHost", options.maxPerHost ?? 8);
    if (maxInFlight < 1 || maxPerHost < 1) {
      throw new TrawlError("INVALID_OPTION", "maxInFlight and maxPerHost must be at least 1");
    }
    this.#socketBudget = checkFdBudget(maxInFlight);
    this.#connectTimeoutMs = positive(
      "connectTimeoutMs",
      options.connectTimeoutMs ?? 10_000,
      false,
    );
    const headersTimeoutMs = positive(
      "headersTimeoutMs",
      options.headersTimeoutMs ?? 20_000,
      false,
    );
    const bodyIdleTimeoutMs = positive(
      "bodyIdleTimeoutMs",
      options.bodyIdleTimeoutMs ?? 20_000,
      false,
    );
    this.#timeoutMs = positive("timeoutMs", options.timeoutMs ?? 30_000, false);
    this.#maxRetries = positive("maxRetries", options.maxRetries ?? 3);
    this.#retryBaseMs = positive("retryBaseMs", options.retryBaseMs ?? 250, false);
    this.#maxRetryDelayMs = positive("maxRetryDelayMs", options.maxRetryDelayMs ?? 30_000, false);
    this.#maxRedirects = positive("maxRedirects", options.maxRedirects ?? 10);
    const maxBytes = positive("maxBytes", options.maxBytes ?? 10 * 1024 * 1024);
    this.#maxUrlLength = positive("maxUrlLength", options.maxUrlLength ?? 2083);
    // Own timers, one per kind, shared by all requests (see _timer_queue.ts).
    this.#deadlines = new TimerQueue(this.#timeoutMs);
    this.#limits = {
      headers: new TimerQueue(headersTimeoutMs),
      headersTimeoutMs,
      idle: new TimerQueue(bodyIdleTimeoutMs),
      bodyIdleTimeoutMs,
      maxBytes,
      allowContentType: options.allowContentType,
    };
    this.#connectTimers = new TimerQueue(this.#connectTimeoutMs);
    this.#allowUrl = options.allowUrl;
    this.#global = new Semaphore(maxInFlight);
    this.#hosts = new Hosts(maxPerHost, options.rateLimit, options.globalRateLimit);
    this.#headers = {
      "user-agent": options.userAgent ?? "trawl/0.1 (+https://github.com/trawl)",
      "accept-encoding": "gzip, deflate, br",
      ...Object.fromEntries(
        Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
      ),
    };
    const keepAliveTimeout = positive("keepAliveTimeoutMs", options.keepAliveTimeoutMs ?? 4000);
    const common = {
      connections: maxPerHost,
      pipelining: 1,
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout,
      keepAliveMaxTimeout: Math.max(keepAliveTimeout, 4000),
    };
    if (options.proxy !== undefined) {
      const via = ` through the proxy ${options.proxy}`;
      this.#agent = new ProxyAgent({
        uri: options.proxy,
        ...common,
        // undici's own timer (about 1 s resolution), behind ours.
        connectTimeout: this.#connectTimeoutMs,
        // The client that asks the proxy for CONNECT tunnels: a proxy that never answers
        // is given up after connectTimeoutMs (undici's default would wait 300 s).
        clientFactory: (origin, opts) =>
          new Pool(origin, { ...opts, headersTimeout: this.#connectTimeoutMs }),
        // Every pool the proxy agent makes (to the proxy for http targets, through a
        // CONNECT tunnel for https ones) gets the connector it built, wrapped in ours.
        factory: (origin, options) => {
          const opts = options as Pool.Options; // undici types this argument as Object
          const base = opts.connect;
          const connect = typeof base === "function" ? this.#guarded(base, via) : base;
          return opts.connections === 1
            ? new Client(origin, { ...opts, connect })
            : new Pool(origin, { ...opts, connect });
        },
      });
    } else {
      const base = buildConnector(
        { timeout: 0, lookup: options.lookup } as buildConnector.BuildOptions,
      );
      this.#agent = new Agent({ ...common, connect: this.#guarded(base, "") });
    }
    this.#closing.signal.addEventListener("abort", () => {
      for (const job of this.#jobs) job.abort(aborted(job.url, "the fetcher was closed"));
    }, { once: true });
    if (options.signal) {
      const outer = options.signal;
      const onAbort = () => this.#closing.abort(outer.reason);
      if (outer.aborted) onAbort();
      else outer.addEventListener("abort", onAbort, { once: true });
      this.#unlinkSignal = () => outer.removeEventListener("abort", onAbort);
    }
  }

  get stats(): FetcherStats {
    return {
      inFlight: this.#inFlight,
      queued: this.#globalWaiting + this.#hosts.waiting,
      hosts: this.#hosts.size,
      requests: this.#requests,
      retries: this.#retries,
    };
  }

  fetch(url: string | URL, options: FetchOptions = {}): Promise<FetchResult> {
    this.#active++;
    return this.#fetch(String(url), options.signal, options.allowUrl);
  }

  async close(): Promise<void> {
    if (!this.#closing.signal.aborted) {
      this.#closing.abort(new TrawlError("ABORTED", "The fetcher was closed"));
    }
    this.#unlinkSignal();
    if (this.#active > 0) {
      this.#whenIdle ??= Promise.withResolvers<void>();
      await this.#whenIdle.promise;
    }
    for (const timers of [this.#deadlines, this.#limits.headers, this.#limits.idle]) timers.stop();
    await this.#hosts.close();
    // Every fetch has settled: nothing of ours is left to wait for (a proxy's unanswered
    // CONNECT, say), so connections are dropped, not drained.
    await this.#agent.destroy();
    this.#connectTimers.stop(); // after the agent: nothing connects any more
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Wrap an undici connector: our own connect timer (undici's has ~1 s resolution)
   * and the socket count held against the open-file budget. `via` ends messages.
   */
  #guarded(base: buildConnector.connector, via: string): buildConnector.connector {
    return (opts, callback) => {
      if (this.#sockets >= this.#socketBudget) {
        callback(
          new TrawlError(
            "FD_LIMIT",
            `${this.#sockets} sockets open: at the open-file budget ${this.#socketBudget}; lower maxInFlight or keepAliveTimeoutMs`,
          ),
          null,
        );
        return;
      }
      let settled = false;
      // A plain connector returns the socket it is opening; a proxy tunnel's returns a promise.
      let socket: unknown = null;
      const timer = this.#connectTimers.add(() => {
        settled = true;
        if (socket instanceof Socket) socket.destroy();
        callback(
          new TrawlError(
            "CONNECT_TIMEOUT",
            `${opts.protocol}//${opts.host}: no connection within ${this.#connectTimeoutMs} ms${via} (connectTimeoutMs)`,
          ),
          null,
        );
      });
      socket = base(opts, (error, sock) => {
        if (settled) {
          sock?.destroy();
          return;
        }
        settled = true;
        timer.cancel();
        if (error || !sock) return callback(error ?? new Error("no socket"), null);
        this.#sockets++;
        sock.once("close", () => this.#sockets--);
        callback(null, sock);
      });
    };
  }

  async #fetch(
    input: string,
    callerSignal: AbortSignal | undefined,
    allowHere: FetchOptions["allowUrl"],
  ): Promise<FetchResult> {
    const started = performance.now();
    const result: FetchResult = {
      url: input,
      finalUrl: input,
      redirects: [],
      status: null,
      headers: {},
      body: EMPTY,
      contentType: null,
      charset: null,
      bytes: 0,
      attempts: 0,
      timings: { ttfbMs: null, totalMs: 0 },
      error: null,
    };
    const job = new Job(input, this.#timeoutMs);
    const deadline = this.#deadlines.add(job);
    const unlinkCaller = link(callerSignal, job, "aborted by the caller");
    if (this.#closing.signal.aborted) job.abort(aborted(input, "the fetcher was closed"));
    else this.#jobs.add(job);
    try {
      let url = checkUrl(input, this.#maxUrlLength);
      let from: URL | null = null;
      for (;;) {
        if (this.#allowUrl !== undefined) {
          await this.#checkAllowed(this.#allowUrl, url, from);
        }
        if (allowHere !== undefined) await this.#checkAllowed(allowHere, url, from);
        result.finalUrl = url.href;
        // The first attempt runs bare; only a retryable failure hands over to
        // p-retry (given that failure as its attempt 1), so the common case
        // keeps no p-retry state, nor an extra async frame, alive per request.
        if (result.attempts === 0) result.attempts = 1;
        let exchange: Exchange;
        try {
          exchange = await this.#attempt(url, job);
        } catch (error) {
          if (this.#maxRetries === 0 || job.reason !== null || !isRetryable(error)) throw error;
          exchange = await this.#retry(url, job, result, () => Promise.reject(error));
        }
        if (this.#maxRetries > 0 && RETRY_STATUSES.has(exchange.status)) {
          const first = exchange;
          exchange = await this.#retry(url, job, result, () => Promise.resolve(first));
        }
        result.status = exchange.status;
        result.headers = exchange.headers;
        result.timings.ttfbMs = exchange.ttfbMs;
        if (exchange.location !== null) {
          if (result.redirects.length >= this.#maxRedirects) {
            throw new TrawlError(
              "TOO_MANY_REDIRECTS",
              `${input}: more than ${this.#maxRedirects} redirects (maxRedirects)`,
              { url: input },
            );
          }
          from = url;
          url = checkUrl(exchange.location, this.#maxUrlLength, url);
          result.redirects.push(url.href);
          continue;
        }
        const { type, charset } = parseContentType(exchange.headers["content-type"]);
        result.contentType = type;
        result.charset = charset;
        result.body = exchange.body;
        result.bytes = exchange.bytes;
        if (exchange.skipped) {
          result.error = {
            code: "SKIPPED_CONTENT_TYPE",
            message: `${url.href}: content type ${type} not accepted (allowContentType)`,
          };
        } else if (exchange.status >= 400) {
          result.error = { code: "HTTP_ERROR", message: `${url.href}: HTTP ${exchange.status}` };
        }
        return result;
      }
    } catch (error) {
      const e = job.reason ?? toTrawlError(error, input);
      result.error = { code: e.code, message: e.message };
      result.body = EMPTY;
      return result;
    } finally {
      deadline.cancel();
      unlinkCaller();
      this.#jobs.delete(job);
      result.timings.totalMs = performance.now() - started;
      if (--this.#active === 0 && this.#whenIdle !== null) {
        this.#whenIdle.resolve();
        this.#whenIdle = null;
      }
    }
  }

  async #checkAllowed(
    allowUrl: (url: URL, from: URL | null) => boolean | Promise<boolean>,
    url: URL,
    from: URL | null,
  ): Promise<void> {
    let allowed: boolean;
    try {
      allowed = await allowUrl(url, from);
    } catch (error) {
      if (error instanceof TrawlError) throw error;
      throw new TrawlError(
        "REDIRECT_BLOCKED",
        `${url.href}: allowUrl threw: ${error instanceof Error ? error.message : String(error)}`,
        { url: url.href, cause: error },
      );
    }
    if (!allowed) {
      throw new TrawlError(
        "REDIRECT_BLOCKED",
        `${url.href}: refused by allowUrl${from ? ` (redirect target of ${from.href})` : ""}`,
        { url: url.href },
      );
    }
  }

  /** The retries, under p-retry; `replay` gives the first attempt's outcome again. */
  async #retry(
    url: URL,
    job: Job,
    result: FetchResult,
    replay: (() => Promise<Exchange>) | null,
  ): Promise<Exchange> {
    let last: Exchange | null = null;
    let statusError: TrawlError | null = null;
    let retry = 0;
    const check = (exchange: Exchange): Exchange => {
      if (!RETRY_STATUSES.has(exchange.status)) return exchange;
      last = exchange;
      statusError = new TrawlError("HTTP_ERROR", `${url.href}: HTTP ${exchange.status}`, {
        url: url.href,
      });
      throw statusError;
    };
    try {
      return await pRetry(() => {
        last = null;
        const attempt = replay ?? (() => this.#attempt(url, job));
        replay = null;
        return attempt().then(check);
      }, {
        retries: this.#maxRetries,
        minTimeout: 0,
        // No `signal` option: the job's abort reaches the running attempt
        // directly, and the backoff wait below takes the job's signal.
        shouldRetry: ({ error }) => job.reason === null && isRetryable(error),
        onFailedAttempt: async ({ error, retriesLeft }) => {
          if (retriesLeft <= 0 || job.reason !== null || !isRetryable(error)) return;
          const retryAfter = last ? parseRetryAfter(last.headers["retry-after"]) : null;
          if (retryAfter !== null && (last!.status === 429 || last!.status === 503)) {
            this.#hosts.pause(url.host, Math.min(retryAfter, this.#maxRetryDelayMs));
          }
          this.#retries++;
          result.attempts++;
          await sleep(
            retryDelayMs(retry++, this.#retryBaseMs, this.#maxRetryDelayMs, retryAfter),
            job.signal,
          );
        },
      });
    } catch (error) {
      if (error === statusError && last !== null) return last;
      throw error;
    }
  }

  /**
   * One HTTP exchange under the host slot, rate limits and the global slot
   * (one async frame: thousands of these are alive at once).
   */
  async #attempt(url: URL, job: Job): Promise<Exchange> {
    const host = url.host;
    const admitted = this.#hosts.enter(host, job);
    if (admitted !== null) await admitted;
    try {
      if (!this.#global.tryAcquire()) {
        this.#globalWaiting++;
        try {
          await this.#global.acquire(job.signal);
        } finally {
          this.#globalWaiting--;
        }
      }
      this.#inFlight++;
      try {
        if (job.reason !== null) throw job.reason;
        this.#requests++;
        const attempt = new Attempt(url.href, this.#limits);
        job.attempt = attempt;
        try {
          // undici's own low-level call (request() is built on it): the attempt is the
          // handler, so the body arrives as chunks with no stream object per response.
          this.#agent.dispatch({
            origin: url.origin,
            path: url.pathname + url.search,
            method: "GET",
            headers: this.#headers,
          }, attempt);
          return await attempt.exchange;
        } catch (error) {
          throw attempt.reason ?? toTrawlError(error, url.href);
        } finally {
          job.attempt = null;
        }
      } finally {
        this.#inFlight--;
        this.#global.release();
      }
    } finally {
      this.#hosts.leave(host);
    }
  }
}

function isRetryable(error: unknown): boolean {
  return error instanceof TrawlError && RETRY_CODES.has(error.code);
}

const noop = () => {};

/**
 * Abort `job` (code `ABORTED`, message `why`) when `signal` aborts; returns the
 * function that undoes the link. `whenAborted` keeps one listener per signal,
 * however many fetches share it (addEventListener is O(listeners) in Deno).
 */
function link(signal: AbortSignal | undefined, job: Job, why: string): () => void {
  if (signal === undefined) return noop;
  if (signal.aborted) {
    job.abort(aborted(job.url, why));
    return noop;
  }
  return whenAborted(signal, () => job.abort(aborted(job.url, why)));
}

function aborted(url: string, why: string): TrawlError {
  return new TrawlError("ABORTED", `${url}: ${why}`, { url });
}

/** What every {@linkcode Attempt} of one fetcher needs: its timers and limits. */
interface AttemptLimits {
  headers: TimerQueue;
  headersTimeoutMs: number;
  idle: TimerQueue;
  bodyIdleTimeoutMs: number;
  maxBytes: number;
  allowContentType: FetcherOptions["allowContentType"];
}

/** A body not wanted (a redirect, a status to retry, a refused type) is read up to this, then the connection is dropped. */
const DISCARD_LIMIT = 128 * 1024;

/** What an attempt does with the body chunks: */
const enum Body {
  /** keep them as they are; */
  Keep,
  /** decompress them (`content-encoding`); */
  Decode,
  /** drop them (up to DISCARD_LIMIT). */
  Discard,
}

/**
 * One HTTP exchange: the handler undici's Agent calls back as the request is
 * written (start the headers timer), as the headers arrive (decide what to do
 * with the body), and per body chunk (count the wire bytes, time the gaps,
 * collect or decompress). It holds the controller that aborts the request, and
 * settles `exchange` once. Collecting here, not through `request()`'s body
 * stream, spares a Node stream and its bookkeeping on every response.
 */
class Attempt implements Dispatcher.DispatchHandler, TimeoutTarget, DecodeTarget {
  /** Why it was aborted (a headers or body timeout, too large, a deadline, the caller), or null. */
  reason: TrawlError | null = null;
  /** Settles once: the response (body read), or the failure. */
  readonly exchange: Promise<Exchange>;
  #resolve!: (exchange: Exchange) => void;
  #reject!: (error: unknown) => void;
  #settled = false;
  #href: string;
  #limits: AttemptLimits;
  #started = performance.now();
  #controller: Dispatcher.DispatchController | null = null;
  /** The headers timer until the response starts, then the body-idle timer. */
  #timer: Timeout | null = null;
  /** Set when the response headers arrive. */
  #response: Exchange | null = null;
  #body = Body.Keep;
  #chunks: Uint8Array[] = [];
  /** Body bytes received so far, as sent (before any decompression). */
  #wireBytes = 0;
  #decoder: BodyDecoder | null = null;

  constructor(href: string, limits: AttemptLimits) {
    this.#href = href;
    this.#limits = limits;
    this.exchange = new Promise<Exchange>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** The headers timer or the body-idle timer fired. */
  timedOut(): void {
    this.#timer = null;
    const limits = this.#limits;
    this.abort(
      this.#response !== null
        ? new TrawlError(
          "BODY_TIMEOUT",
          `${this.#href}: no body data for ${limits.bodyIdleTimeoutMs} ms (bodyIdleTimeoutMs)`,
          { url: this.#href },
        )
        : new TrawlError(
          "HEADERS_TIMEOUT",
          `${this.#href}: no response headers within ${limits.headersTimeoutMs} ms (headersTimeoutMs)`,
          { url: this.#href },
        ),
    );
  }

  /** Abort the request (now, or as soon as undici starts it); `exchange` rejects with `reason` at once. */
  abort(reason: TrawlError): void {
    if (this.#settled) return;
    this.reason = reason;
    this.#fail(reason);
    this.#controller?.abort(reason);
  }

  #succeed(): void {
    this.#settled = true;
    this.#stopTimer();
    this.#response!.bytes = this.#wireBytes;
    this.#resolve(this.#response!);
  }

  #fail(error: unknown): void {
    this.#settled = true;
    this.#stopTimer();
    this.#decoder?.destroy();
    this.#chunks = [];
    this.#reject(error);
  }

  /** The response is complete without the rest of its body: drop the connection. */
  #dropBody(controller: Dispatcher.DispatchController): void {
    this.#succeed();
    controller.abort(new TrawlError("ABORTED", `${this.#href}: body not wanted`));
  }

  #stopTimer(): void {
    this.#timer?.cancel();
    this.#timer = null;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#settled) {
      controller.abort(this.reason ?? new TrawlError("ABORTED", `${this.#href}: attempt ended`));
      return;
    }
    this.#timer = this.#limits.headers.add(this);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    rawHeaders: Record<string, string | string[]>,
  ): void {
    if (this.#settled || statusCode < 200) return; // 1xx: the real response follows
    this.#stopTimer();
    const headers = flattenHeaders(rawHeaders);
    const response: Exchange = {
      status: statusCode,
      headers,
      body: EMPTY,
      bytes: 0,
      ttfbMs: performance.now() - this.#started,
      location: null,
      skipped: false,
    };
    this.#response = response;
    const allowType = this.#limits.allowContentType;
    if (REDIRECTS.has(statusCode) && headers.location) {
      response.location = headers.location;
      this.#body = Body.Discard;
    } else if (RETRY_STATUSES.has(statusCode)) {
      this.#body = Body.Discard;
    } else if (
      allowType !== undefined && !allowType(parseContentType(headers["content-type"]).type)
    ) {
      response.skipped = true;
      this.#body = Body.Discard;
    } else if (isDecodable(headers["content-encoding"])) {
      this.#body = Body.Decode;
      this.#decoder = new BodyDecoder({
        encoding: headers["content-encoding"],
        maxBytes: this.#limits.maxBytes,
        url: this.#href,
      }, this);
    }
    if (this.#body === Body.Discard && Number(headers["content-length"]) > DISCARD_LIMIT) {
      return this.#dropBody(controller);
    }
    this.#timer = this.#limits.idle.add(this);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Uint8Array): void {
    if (this.#settled) return;
    this.#wireBytes += chunk.length;
    const { maxBytes } = this.#limits;
    if (this.#wireBytes > maxBytes) {
      this.abort(
        new TrawlError(
          "TOO_LARGE",
          `${this.#href}: body over maxBytes ${maxBytes} on the wire; raise maxBytes to accept it`,
          { url: this.#href },
        ),
      );
      return;
    }
    this.#timer?.restart();
    if (this.#body === Body.Keep) this.#chunks.push(chunk);
    else if (this.#body === Body.Decode) this.#decoder!.write(chunk);
    else if (this.#wireBytes > DISCARD_LIMIT) this.#dropBody(controller);
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    const response = this.#response!;
    if (this.#body === Body.Decode) {
      this.#stopTimer();
      this.#decoder!.end(); // decoded() or failed() follows
      return;
    }
    if (this.#body === Body.Keep && this.#wireBytes > 0) {
      // Copied out: undici's chunks are views into the socket's read buffers.
      response.body = concatBytes(this.#chunks, this.#wireBytes);
      this.#chunks = [];
    }
    this.#succeed();
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    if (!this.#settled) this.#fail(error); // an abort of ours settled before undici reports it
  }

  /** The decoder's outcome: the body, decompressed. */
  decoded(body: Uint8Array): void {
    if (this.#settled) return;
    this.#response!.body = body;
    this.#succeed();
  }

  /** The decoder's outcome: too large, or not decodable. */
  failed(error: TrawlError): void {
    this.abort(error);
  }

  /** The decoder's input is full: stop the socket's reads. */
  pause(): void {
    this.#controller?.pause();
  }

  /** The decoder drained. */
  resume(): void {
    if (!this.#settled) this.#controller?.resume();
  }
}
