/**
 * What is retried and how long to wait: full-jitter exponential backoff, and
 * `Retry-After` read.
 *
 * @module
 */

import type { ErrorCode } from "../trawl_error.ts";

/** HTTP statuses that are retried. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Error codes that are retried (HTTP_ERROR is only thrown for a retryable status). */
export const RETRY_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "CONNECT_TIMEOUT",
  "HEADERS_TIMEOUT",
  "BODY_TIMEOUT",
  "CONNECTION_REFUSED",
  "CONNECTION_RESET",
  "DNS_ERROR",
  "NETWORK_ERROR",
  "HTTP_ERROR",
]);

/**
 * Parse a `Retry-After` value (delta-seconds or an HTTP-date) into milliseconds
 * from `now`; `null` when absent or unparsable. Never negative.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * The backoff before retry number `retry` (0 = first retry): full jitter,
 * `random(0, min(maxMs, baseMs * 2^retry))`. A `Retry-After` is not part of it:
 * the host policy holds the host for that long, and the retry waits for its permit.
 */
export function retryDelayMs(
  retry: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** retry));
}
