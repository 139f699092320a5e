/**
 * The retries of one URL (or redirect hop), under p-retry: after a retryable
 * failure, wait the jittered backoff, then send again through the requester,
 * which waits for a host permit (so the policy's gap, rate, `Crawl-delay` and
 * 429/503 holds, `Retry-After` included, apply to retries too).
 *
 * @module
 */

import pRetry from "p-retry";
import type { RetryEvent } from "../crawl_events.ts";
import type { RequestKind } from "../policy/host_policy.ts";
import type { FetchResult } from "../types.ts";
import { TrawlError } from "../trawl_error.ts";
import type { Exchange } from "./_attempt.ts";
import type { Job } from "./_job.ts";
import type { Requester } from "./_requester.ts";
import { RETRY_CODES, RETRY_STATUSES, retryDelayMs } from "./_retry_policy.ts";
import { sleepMs } from "../_abortable.ts";

/** The retry settings (from the fetcher's options). */
export interface RetrySettings {
  maxRetries: number;
  retryBaseMs: number;
  maxRetryDelayMs: number;
  maxRetryAfterMs: number;
}

/** Whether a failure of an attempt is worth another. */
export function isRetryable(error: unknown): boolean {
  return error instanceof TrawlError && RETRY_CODES.has(error.code);
}

/** Runs the retries of one fetcher. */
export class RetryLoop {
  /** Retries made. */
  retries = 0;
  #requester: Requester;
  #s: RetrySettings;

  constructor(requester: Requester, settings: RetrySettings) {
    this.#requester = requester;
    this.#s = settings;
  }

  /**
   * Retry `url` after its first attempt failed: `replay` gives that attempt's
   * outcome again (p-retry counts it as attempt 1). Resolves with the last
   * exchange (a retryable status when retries ran out; with `error` set when its
   * `Retry-After` is over `maxRetryAfterMs`); rejects with the last failure.
   */
  async run(
    url: URL,
    job: Job,
    result: FetchResult,
    replay: () => Promise<Exchange>,
    onRetry: ((event: RetryEvent) => void) | undefined,
  ): Promise<Exchange> {
    const s = this.#s;
    const kind: RequestKind = job.robots ? "robots" : "retry";
    let first: (() => Promise<Exchange>) | null = replay;
    let last: Exchange | null = null;
    let statusError: TrawlError | null = null;
    let retry = 0;
    const check = (exchange: Exchange): Exchange => {
      if (!RETRY_STATUSES.has(exchange.status)) return exchange;
      last = exchange;
      const after = exchange.retryAfterMs;
      if (after !== null && after > s.maxRetryAfterMs) {
        exchange.error = new TrawlError(
          "RETRY_AFTER_TOO_LONG",
          `${url.href}: HTTP ${exchange.status} asks to retry after ${seconds(after)}, more than ` +
            `maxRetryAfterMs ${s.maxRetryAfterMs} ms (--max-retry-after); not retried`,
          { url: url.href },
        );
        return exchange;
      }
      statusError = new TrawlError("HTTP_ERROR", `${url.href}: HTTP ${exchange.status}`, {
        url: url.href,
      });
      throw statusError;
    };
    try {
      return await pRetry(() => {
        last = null;
        const attempt = first ?? (() => this.#requester.send(url, job, kind));
        first = null;
        return attempt().then(check);
      }, {
        retries: s.maxRetries,
        minTimeout: 0,
        // No `signal` option: the job's abort reaches the running attempt
        // directly, and the backoff wait below takes the job's signal.
        shouldRetry: ({ error }) => job.reason === null && isRetryable(error),
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft <= 0 || job.reason !== null || !isRetryable(error)) return;
          // The backoff; the host policy then holds the retry for its gap, its
          // backoff and a Retry-After (passed to it when the response's permit was released).
          const delayMs = retryDelayMs(retry++, s.retryBaseMs, s.maxRetryDelayMs);
          this.retries++;
          result.attempts++;
          onRetry?.({
            type: "retry",
            url: url.href,
            attempt: attemptNumber + 1,
            delayMs,
            code: (error as TrawlError).code,
            status: (last as Exchange | null)?.status ?? null,
          });
          await sleepMs(delayMs, job.signal);
        },
      });
    } catch (error) {
      if (error === statusError && last !== null) return last;
      throw error;
    }
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
