/**
 * One request, the only way the fetcher sends one: a host permit from the
 * policy (or the one handed in), a global slot, the permit confirmed (a shared
 * policy grants a stale one again), the exchange under its deadline, then the
 * permit back with the outcome. First attempts, retries,
 * redirect hops and robots.txt requests all pass here.
 *
 * @module
 */

import type { Dispatcher } from "undici";
import type { CookieJar } from "../cookies/cookie_jar.ts";
import type { RequestEvent, ResponseEvent } from "../crawl_events.ts";
import type {
  AcquireOptions,
  HostPermit,
  HostPolicy,
  RequestKind,
  RequestOutcome,
} from "../policy/host_policy.ts";
import type { ErrorCode } from "../trawl_error.ts";
import { Attempt, type Exchange } from "./_attempt.ts";
import { toTrawlError } from "./_error_code.ts";
import type { Job } from "./_job.ts";
import { parseRetryAfter } from "./_retry_policy.ts";
import type { TimerQueue } from "./_timer_queue.ts";
import type { Semaphore } from "./semaphore.ts";

/** What a {@linkcode Requester} works with (the fetcher's parts). */
export interface RequesterParts {
  policy: HostPolicy;
  global: Semaphore;
  agent: Dispatcher;
  /** Deadlines of attempts (`timeoutMs`). */
  deadlines: TimerQueue;
  onEvent: ((event: RequestEvent | ResponseEvent) => void) | undefined;
  /** Cookies sent with each request and kept from each response; `undefined` for none. */
  cookieJar: CookieJar | undefined;
}

/** `tryAcquire` options per kind, made once (no object per request). */
const KIND: Readonly<Record<RequestKind, AcquireOptions>> = {
  page: { kind: "page" },
  retry: { kind: "retry" },
  redirect: { kind: "redirect" },
  robots: { kind: "robots" },
};
const UNUSED: RequestOutcome = { status: null, unused: true };
const NO_RESPONSE: RequestOutcome = { status: null };

/** How long ago the attempt's request was written (for the host policy's gap). */
function sentBefore(attempt: Attempt): number | undefined {
  return attempt.sentAt === null ? undefined : performance.now() - attempt.sentAt;
}
const noop = () => {};

/** `headers` with the jar's cookies added (after any `Cookie` header given by the user). */
function withCookie(headers: Record<string, string>, cookie: string): Record<string, string> {
  const given = headers.cookie;
  return { ...headers, cookie: given ? `${given}; ${cookie}` : cookie };
}

/** Sends the requests of one fetcher. */
export class Requester {
  /** Requests sent. */
  requests = 0;
  /** Requests holding a global slot. */
  inFlight = 0;
  /** Requests waiting for a host permit. */
  permitWaiting = 0;
  /** Requests waiting for a global slot. */
  globalWaiting = 0;
  #policy: HostPolicy;
  #global: Semaphore;
  #agent: Dispatcher;
  #deadlines: TimerQueue;
  #onEvent: RequesterParts["onEvent"];
  #jar: CookieJar | undefined;

  constructor(parts: RequesterParts) {
    this.#jar = parts.cookieJar;
    this.#policy = parts.policy;
    this.#global = parts.global;
    this.#agent = parts.agent;
    this.#deadlines = parts.deadlines;
    this.#onEvent = parts.onEvent;
  }

  /**
   * One exchange with `url` for `job`, as a request of `kind`. Rejects with a
   * `TrawlError` (the job's abort reason when it was aborted).
   */
  async send(url: URL, job: Job, kind: RequestKind): Promise<Exchange> {
    if (job.reason !== null) throw job.reason;
    const host = url.host;
    let permit: HostPermit | null = null;
    const slot = job.slot;
    if (slot !== undefined) {
      job.slot = undefined; // the first request only
      if (slot.permit !== null && slot.permit.host === host) {
        permit = slot.permit;
        slot.permit = null;
      }
    }
    if (permit === null) permit = await this.#acquire(host, kind, job);
    let outcome = UNUSED;
    let attempt: Attempt | null = null;
    try {
      if (!this.#global.tryAcquire()) {
        this.globalWaiting++;
        try {
          await this.#global.acquire(job.signal);
        } finally {
          this.globalWaiting--;
        }
      }
      this.inFlight++;
      try {
        if (job.reason !== null) throw job.reason;
        // Last, after any wait for a global slot: a stale permit is granted again.
        const confirmed = this.#policy.confirm?.(permit, job.signal);
        if (confirmed) await this.#confirm(confirmed, job);
        attempt = new Attempt(url.href, job.limits);
        outcome = NO_RESPONSE;
        const exchange = await this.#exchange(url, job, kind, attempt);
        const status = exchange.status;
        if (status === 429 || status === 503) {
          exchange.retryAfterMs = parseRetryAfter(exchange.headers["retry-after"]);
          outcome = {
            status,
            retryAfterMs: exchange.retryAfterMs,
            sentBeforeMs: sentBefore(attempt),
          };
        } else {
          outcome = { status, sentBeforeMs: sentBefore(attempt) };
        }
        return exchange;
      } finally {
        this.inFlight--;
        this.#global.release();
      }
    } finally {
      // A failure after the headers still tells the policy the host answered.
      if (outcome === NO_RESPONSE && attempt!.sentAt !== null) {
        outcome = { status: attempt!.status, sentBeforeMs: sentBefore(attempt!) };
      }
      // Nobody waits for the policy's bookkeeping; a failing shared policy must not fail the fetch.
      this.#policy.release(permit, outcome).catch(noop);
    }
  }

  /** A permit: at once if the host admits one (no signal made), else waited for. */
  async #acquire(host: string, kind: RequestKind, job: Job): Promise<HostPermit> {
    const permit = await this.#policy.tryAcquire(host, KIND[kind]);
    if (permit !== null) return permit;
    this.permitWaiting++;
    try {
      return await this.#policy.acquire(host, { kind, signal: job.signal });
    } catch (error) {
      throw job.reason ?? toTrawlError(error, job.url);
    } finally {
      this.permitWaiting--;
    }
  }

  /** Wait for a permit's confirmation; a failure is the job's (its abort reason first). */
  async #confirm(confirmed: Promise<void>, job: Job): Promise<void> {
    this.permitWaiting++;
    try {
      await confirmed;
    } catch (error) {
      throw job.reason ?? toTrawlError(error, job.url);
    } finally {
      this.permitWaiting--;
    }
  }

  /** The exchange itself, under its deadline, told to `onEvent`. */
  async #exchange(url: URL, job: Job, kind: RequestKind, attempt: Attempt): Promise<Exchange> {
    this.requests++;
    const href = attempt.href;
    job.attempt = attempt;
    const deadline = this.#deadlines.add(job);
    const onEvent = this.#onEvent;
    onEvent?.({ type: "request", url: href, host: url.host, kind });
    let status: number | null = null;
    let code: ErrorCode | null = null;
    try {
      // undici's own low-level call (request() is built on it): the attempt is the
      // handler, so the body arrives as chunks with no stream object per response.
      const jar = this.#jar;
      const cookie = jar === undefined ? undefined : await jar.cookieHeader(href);
      this.#agent.dispatch({
        origin: url.origin,
        path: url.pathname + url.search,
        method: "GET",
        headers: cookie === undefined ? job.headers : withCookie(job.headers, cookie),
      }, attempt);
      const exchange = await attempt.exchange;
      status = exchange.status;
      if (jar !== undefined && exchange.setCookies !== null) {
        await jar.store(href, exchange.setCookies);
      }
      return exchange;
    } catch (error) {
      const e = attempt.reason ?? toTrawlError(error, href);
      code = e.code;
      throw e;
    } finally {
      deadline.cancel();
      job.attempt = null;
      onEvent?.({
        type: "response",
        url: href,
        host: url.host,
        kind,
        status: status ?? attempt.status,
        code,
        ms: attempt.elapsedMs,
      });
    }
  }
}
