/**
 * The fetch layer: one undici `Agent` (per-origin pools) driven through its
 * `dispatch` call, the primitive `undici.request` is built on. Every request
 * holds a permit of the host policy (per-host politeness: caps, gaps, rates,
 * backoff) and a slot of the global semaphore; retries (p-retry) and redirect
 * hops are requests like the first. This file wires the parts:
 * `fetcher_options.ts` (options, defaults, validation), `_requester.ts` (one
 * request under its permit), `_attempt.ts` (the dispatch handler),
 * `_retry_loop.ts` (retries), `_connections.ts` (the connector wrapper).
 *
 * @module
 */

import type { Agent, ProxyAgent } from "undici";
import type { HostPolicy } from "../policy/host_policy.ts";
import { createMemoryHostPolicy } from "../policy/memory_host_policy.ts";
import type { FetchResult } from "../types.ts";
import { TrawlError } from "../trawl_error.ts";
import { type AttemptLimits, EMPTY, type Exchange } from "./_attempt.ts";
import { makeAgent } from "./_agent.ts";
import { checkAllowed, checkUrl } from "./_check_url.ts";
import { Connections } from "./_connections.ts";
import { parseContentType } from "./_content_type.ts";
import { toTrawlError } from "./_error_code.ts";
import { checkFdBudget } from "./_fd_limit.ts";
import { aborted, Job, link, noop } from "./_job.ts";
import { Requester } from "./_requester.ts";
import { isRetryable, RetryLoop } from "./_retry_loop.ts";
import { RETRY_STATUSES } from "./_retry_policy.ts";
import { TimerQueue } from "./_timer_queue.ts";
import {
  type FetcherOptions,
  type FetchOptions,
  integerAtLeast,
  mergeHeaders,
  type ResolvedFetcherOptions,
  resolveFetcherOptions,
} from "./fetcher_options.ts";
import { Semaphore } from "./semaphore.ts";

export type { FetcherOptions, FetchOptions } from "./fetcher_options.ts";
export { FETCHER_DEFAULTS } from "./fetcher_options.ts";
export type { RateLimit } from "../policy/memory_host_policy.ts";

/** Cheap counters of a {@linkcode Fetcher}. */
export interface FetcherStats {
  /** Requests holding a global slot. */
  inFlight: number;
  /** Requests waiting for a host permit or a global slot. */
  queued: number;
  /** Hosts the host policy holds state for (0 when the policy does not say). */
  hosts: number;
  /** HTTP requests sent (attempts and redirect hops). */
  requests: number;
  /** Retries made. */
  retries: number;
  /** Sockets open. */
  sockets: number;
  /** Of those, idle keep-alive sockets (at most `maxIdleSockets`, give or take a closing one). */
  idleSockets: number;
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

/**
 * Make a fetcher. Throws a `TypeError` or `RangeError` on a bad option (naming
 * it, the rule and the value), and `TrawlError` `FD_LIMIT` if `maxInFlight`
 * sockets would not fit in the process's open-file limit.
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
 *
 * @example Share the crawl's host policy and hand over a permit
 * ```ts
 * import { createFetcher } from "./fetcher.ts";
 * import { createMemoryHostPolicy } from "../policy/memory_host_policy.ts";
 *
 * const hostPolicy = createMemoryHostPolicy({ maxPerHost: 2, delayMs: 500 });
 * await using fetcher = createFetcher({ hostPolicy });
 * const slot = { permit: await hostPolicy.acquire("127.0.0.1:8000") };
 * const page = await fetcher.fetch("http://127.0.0.1:8000/", { permit: slot });
 * if (slot.permit !== null) await hostPolicy.release(slot.permit, { status: null, unused: true });
 * console.log(page.status);
 * await hostPolicy.close();
 * ```
 */
export function createFetcher(options: FetcherOptions = {}): Fetcher {
  return new TrawlFetcher(resolveFetcherOptions(options));
}

const NO_OPTIONS: FetchOptions = {};

class TrawlFetcher implements Fetcher {
  #o: ResolvedFetcherOptions;
  #policy: HostPolicy;
  /** The policy was made here (closed with the fetcher). */
  #ownPolicy: boolean;
  #agent: Agent | ProxyAgent;
  #connections: Connections;
  #requester: Requester;
  #retry: RetryLoop;
  #closing = new AbortController();
  /** Fetches in progress, aborted together on close (no listener or closure per fetch). */
  #jobs = new Set<Job>();
  #unlinkSignal: () => void = () => {};
  #active = 0;
  #whenIdle: PromiseWithResolvers<void> | null = null;
  /** Attempt deadlines (`timeoutMs`). */
  #deadlines: TimerQueue;
  /** What every attempt needs to time and size its exchange (one object per fetcher). */
  #limits: AttemptLimits;

  constructor(o: ResolvedFetcherOptions) {
    this.#o = o;
    const maxSockets = checkFdBudget(o.maxInFlight);
    // Own timers, one per kind, shared by all requests (see _timer_queue.ts).
    this.#deadlines = new TimerQueue(o.timeoutMs);
    this.#limits = {
      headers: new TimerQueue(o.headersTimeoutMs),
      headersTimeoutMs: o.headersTimeoutMs,
      idle: new TimerQueue(o.bodyIdleTimeoutMs),
      bodyIdleTimeoutMs: o.bodyIdleTimeoutMs,
      maxBytes: o.maxBytes,
      truncate: false,
      allowContentType: o.allowContentType,
    };
    this.#ownPolicy = o.hostPolicy === undefined;
    this.#policy = o.hostPolicy ?? createMemoryHostPolicy({
      maxPerHost: o.maxPerHost,
      rateLimit: o.rateLimit,
      globalRate: o.globalRate,
      backoffBaseMs: o.retryBaseMs,
      maxBackoffMs: o.maxRetryDelayMs,
      maxRetryAfterMs: o.maxRetryAfterMs,
    });
    this.#connections = new Connections({
      connectTimeoutMs: o.connectTimeoutMs,
      maxSockets,
      maxIdleSockets: o.maxIdleSockets,
    });
    this.#agent = makeAgent(o, this.#connections);
    this.#requester = new Requester({
      policy: this.#policy,
      global: new Semaphore(o.maxInFlight),
      agent: this.#agent,
      deadlines: this.#deadlines,
      onEvent: o.onEvent,
      cookieJar: o.cookieJar,
    });
    this.#retry = new RetryLoop(this.#requester, o);
    this.#closing.signal.addEventListener("abort", () => {
      for (const job of this.#jobs) job.abort(aborted(job.url, "the fetcher was closed"));
    }, { once: true });
    if (o.signal) {
      const outer = o.signal;
      const onAbort = () => this.#closing.abort(outer.reason);
      if (outer.aborted) onAbort();
      else outer.addEventListener("abort", onAbort, { once: true });
      this.#unlinkSignal = () => outer.removeEventListener("abort", onAbort);
    }
  }

  get stats(): FetcherStats {
    const r = this.#requester;
    const hosts = (this.#policy as { activeHosts?: unknown }).activeHosts;
    return {
      inFlight: r.inFlight,
      queued: r.globalWaiting + r.permitWaiting,
      hosts: typeof hosts === "number" ? hosts : 0,
      requests: r.requests,
      retries: this.#retry.retries,
      sockets: this.#connections.open,
      idleSockets: this.#connections.idle,
    };
  }

  fetch(url: string | URL, options: FetchOptions = NO_OPTIONS): Promise<FetchResult> {
    this.#active++;
    return this.#fetch(String(url), options);
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
    if (this.#ownPolicy) await this.#policy.close();
    // Every fetch has settled: nothing of ours is left to wait for (a proxy's unanswered
    // CONNECT, say), so connections are dropped, not drained.
    await this.#agent.destroy();
    this.#connections.stop(); // after the agent: nothing connects any more
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The job of one fetch: the fetcher's headers and limits unless the fetch brings its own. */
  #job(input: string, options: FetchOptions): Job {
    let limits = this.#limits;
    let headers = this.#o.headers;
    try {
      const robots = options.kind === "robots";
      const anyType = robots || options.anyContentType === true;
      if (options.maxBytes !== undefined || options.truncate !== undefined || anyType) {
        limits = {
          ...limits,
          maxBytes: integerAtLeast("maxBytes", options.maxBytes ?? limits.maxBytes, 0),
          truncate: options.truncate === true,
          // robots.txt is read whatever type it is served as (RFC 9309 asks for none).
          allowContentType: anyType ? undefined : limits.allowContentType,
        };
      }
      if (options.headers !== undefined) headers = mergeHeaders(headers, options.headers);
    } catch (error) {
      throw new TrawlError("INVALID_OPTION", `${input}: ${(error as Error).message}`, {
        url: input,
        cause: error,
      });
    }
    return new Job(
      input,
      headers,
      limits,
      options.kind === "robots",
      options.permit,
      this.#o.timeoutMs,
    );
  }

  async #fetch(input: string, options: FetchOptions): Promise<FetchResult> {
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
    let job: Job | null = null;
    let unlinkCaller = noop;
    try {
      job = this.#job(input, options);
      unlinkCaller = link(options.signal, job, "aborted by the caller");
      if (this.#closing.signal.aborted) job.abort(aborted(input, "the fetcher was closed"));
      else this.#jobs.add(job);
      const o = this.#o;
      let url = checkUrl(input, o.maxUrlLength);
      let from: URL | null = null;
      for (;;) {
        if (o.allowUrl !== undefined) await checkAllowed(o.allowUrl, url, from);
        if (options.allowUrl !== undefined) await checkAllowed(options.allowUrl, url, from);
        result.finalUrl = url.href;
        if (result.attempts === 0) result.attempts = 1;
        const exchange = await this.#exchange(url, job, result, from === null, options);
        result.status = exchange.status;
        result.headers = exchange.headers;
        result.timings.ttfbMs = exchange.ttfbMs;
        if (exchange.error !== null) throw exchange.error;
        if (exchange.location !== null) {
          if (result.redirects.length >= o.maxRedirects) {
            throw new TrawlError(
              "TOO_MANY_REDIRECTS",
              `${input}: more than ${o.maxRedirects} redirects (maxRedirects)`,
              { url: input },
            );
          }
          from = url;
          url = checkUrl(exchange.location, o.maxUrlLength, url);
          result.redirects.push(url.href);
          options.onRedirect?.({
            type: "redirect",
            from: from.href,
            to: url.href,
            status: exchange.status,
          });
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
      const e = job?.reason ?? toTrawlError(error, input);
      result.error = { code: e.code, message: e.message };
      result.body = EMPTY;
      return result;
    } finally {
      unlinkCaller();
      if (job !== null) this.#jobs.delete(job);
      result.timings.totalMs = performance.now() - started;
      if (--this.#active === 0 && this.#whenIdle !== null) {
        this.#whenIdle.resolve();
        this.#whenIdle = null;
      }
    }
  }

  /**
   * One URL of the chain (the first, or a redirect hop), retries included. The
   * first attempt runs bare; only a retryable failure hands over to p-retry
   * (given that failure as its attempt 1), so the common case keeps no p-retry
   * state, nor an extra async frame, alive per request.
   */
  async #exchange(
    url: URL,
    job: Job,
    result: FetchResult,
    first: boolean,
    options: FetchOptions,
  ): Promise<Exchange> {
    const kind = job.robots ? "robots" : first ? "page" : "redirect";
    const retries = this.#o.maxRetries > 0;
    let exchange: Exchange;
    try {
      exchange = await this.#requester.send(url, job, kind);
    } catch (error) {
      if (!retries || job.reason !== null || !isRetryable(error)) throw error;
      return this.#retry.run(url, job, result, () => Promise.reject(error), options.onRetry);
    }
    if (retries && RETRY_STATUSES.has(exchange.status)) {
      const failed = exchange;
      return this.#retry.run(url, job, result, () => Promise.resolve(failed), options.onRetry);
    }
    return exchange;
  }
}
