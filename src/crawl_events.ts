/**
 * The typed events of a crawl: what `CrawlOptions.onEvent` receives and what
 * `CrawlStats` is built from. A discriminated union on `type`. The fetch layer
 * and the host policy produce some of them (requests, retries, redirects,
 * backoffs); the crawler the rest. Shared types only: no part imports another
 * through this file.
 *
 * @module
 */

import type { ErrorCode } from "./trawl_error.ts";
import type { CrawlRecord, FieldStatus, LinkOutcome } from "./types.ts";
import type { RequestKind } from "./policy/host_policy.ts";

/**
 * A request was sent (a permit was granted and the exchange began).
 *
 * @example
 * ```ts
 * import type { RequestEvent } from "./crawl_events.ts";
 *
 * const e: RequestEvent = { type: "request", url: "https://a.test/", host: "a.test", kind: "page" };
 * ```
 */
export interface RequestEvent {
  /** Discriminant. */
  type: "request";
  /** The URL requested. */
  url: string;
  /** Its host. */
  host: string;
  /** What the request is for. */
  kind: RequestKind;
}

/**
 * A request ended (response headers and body read, or failed).
 *
 * @example
 * ```ts
 * import type { ResponseEvent } from "./crawl_events.ts";
 *
 * const e: ResponseEvent = {
 *   type: "response", url: "https://a.test/", host: "a.test", kind: "page",
 *   status: 200, code: null, ms: 84,
 * };
 * ```
 */
export interface ResponseEvent {
  /** Discriminant. */
  type: "response";
  /** The URL requested. */
  url: string;
  /** Its host. */
  host: string;
  /** What the request was for. */
  kind: RequestKind;
  /** HTTP status; `null` when no response arrived. */
  status: number | null;
  /** The failure's code; `null` when the exchange completed. */
  code: ErrorCode | null;
  /** From sending the request to the end of the body, ms. */
  ms: number;
}

/**
 * A URL's request failed in a retryable way and will be tried again.
 *
 * @example
 * ```ts
 * import type { RetryEvent } from "./crawl_events.ts";
 *
 * const e: RetryEvent = {
 *   type: "retry", url: "https://a.test/", attempt: 2, delayMs: 250, code: "HTTP_ERROR", status: 503,
 * };
 * ```
 */
export interface RetryEvent {
  /** Discriminant. */
  type: "retry";
  /** The URL being retried (a redirect hop's URL when the hop failed). */
  url: string;
  /** The attempt about to be made (2 = the first retry). */
  attempt: number;
  /** The backoff wait before it, ms (the host policy may hold it back longer). */
  delayMs: number;
  /** Why the previous attempt failed. */
  code: ErrorCode;
  /** The previous attempt's status; `null` when no response arrived. */
  status: number | null;
}

/**
 * A redirect is followed.
 *
 * @example
 * ```ts
 * import type { RedirectEvent } from "./crawl_events.ts";
 *
 * const e: RedirectEvent = { type: "redirect", from: "http://a.test/", to: "https://a.test/", status: 301 };
 * ```
 */
export interface RedirectEvent {
  /** Discriminant. */
  type: "redirect";
  /** The URL that redirected. */
  from: string;
  /** Where it points (absolute). */
  to: string;
  /** The redirect's status (301, 302, 303, 307, 308). */
  status: number;
}

/**
 * A host is held back after a 429 or 503.
 *
 * @example
 * ```ts
 * import type { BackoffEvent } from "./crawl_events.ts";
 *
 * const e: BackoffEvent = { type: "backoff", host: "a.test", delayMs: 1000, reason: "HTTP 503" };
 * ```
 */
export interface BackoffEvent {
  /** Discriminant. */
  type: "backoff";
  /** The host. */
  host: string;
  /** How long no request to it starts, ms from now. */
  delayMs: number;
  /** Why, for humans (`"HTTP 429"`, `"HTTP 503, Retry-After: 120"`). */
  reason: string;
}

/**
 * A host's politeness settings changed (its first request, a robots.txt `Crawl-delay`).
 *
 * @example
 * ```ts
 * import type { PolitenessEvent } from "./crawl_events.ts";
 *
 * const e: PolitenessEvent = { type: "politeness", host: "a.test", gapMs: 2000, maxInFlight: 8 };
 * ```
 */
export interface PolitenessEvent {
  /** Discriminant. */
  type: "politeness";
  /** The host. */
  host: string;
  /** The gap between request starts now in force, ms. */
  gapMs: number;
  /** Requests allowed in flight at once now. */
  maxInFlight: number;
}

/**
 * robots.txt of an origin was resolved.
 *
 * @example
 * ```ts
 * import type { RobotsEvent } from "./crawl_events.ts";
 *
 * const e: RobotsEvent = {
 *   type: "robots", origin: "https://a.test", outcome: "fetched", status: 200, crawlDelayMs: null,
 * };
 * ```
 */
export interface RobotsEvent {
  /** Discriminant. */
  type: "robots";
  /** The origin. */
  origin: string;
  /**
   * `"fetched"` (2xx, rules apply), `"unavailable"` (4xx: all allowed),
   * `"unreachable"` (5xx, 429 or no answer: all disallowed for a while).
   */
  outcome: "fetched" | "unavailable" | "unreachable";
  /** The HTTP status; `null` when no response arrived. */
  status: number | null;
  /** The `Crawl-delay` of the group in force, ms; `null` for none. */
  crawlDelayMs: number | null;
}

/**
 * A seed line was read.
 *
 * @example
 * ```ts
 * import type { SeedEvent } from "./crawl_events.ts";
 *
 * const e: SeedEvent = { type: "seed", url: "https://a.test/", outcome: "added" };
 * ```
 */
export interface SeedEvent {
  /** Discriminant. */
  type: "seed";
  /** The seed as written. */
  url: string;
  /** Queued, a repeat of an earlier seed, invalid, or refused by a page budget. */
  outcome: "added" | "duplicate" | "invalid" | "overLimit";
}

/**
 * The links of one page went to the frontier.
 *
 * @example
 * ```ts
 * import type { LinksEvent } from "./crawl_events.ts";
 * import { emptyLinkOutcome } from "./types.ts";
 *
 * const e: LinksEvent = {
 *   type: "links", url: "https://a.test/", found: 3,
 *   outcome: { ...emptyLinkOutcome(), added: 2, duplicate: 1 },
 * };
 * ```
 */
export interface LinksEvent {
  /** Discriminant. */
  type: "links";
  /** The page they were found on. */
  url: string;
  /** Links on the page. */
  found: number;
  /** Where they went. */
  outcome: LinkOutcome;
}

/**
 * URLs of a host entered the frontier (seeds or links).
 *
 * @example
 * ```ts
 * import type { QueuedEvent } from "./crawl_events.ts";
 *
 * const e: QueuedEvent = { type: "queued", host: "a.test", count: 12 };
 * ```
 */
export interface QueuedEvent {
  /** Discriminant. */
  type: "queued";
  /** The host. */
  host: string;
  /** How many URLs. */
  count: number;
}

/**
 * The frontier's sizes, sent by the crawl loop as they change (at most every few ms).
 *
 * @example
 * ```ts
 * import type { FrontierEvent } from "./crawl_events.ts";
 *
 * const e: FrontierEvent = { type: "frontier", queued: 120, inFlight: 8 };
 * ```
 */
export interface FrontierEvent {
  /** Discriminant. */
  type: "frontier";
  /** URLs waiting. */
  queued: number;
  /** URLs being worked on by this crawl. */
  inFlight: number;
}

/**
 * A record was made (one per attempted URL).
 *
 * @example
 * ```ts
 * import type { RecordEvent } from "./crawl_events.ts";
 *
 * const log = (e: RecordEvent) => console.log(e.host, e.record.status, e.attempts);
 * ```
 */
export interface RecordEvent {
  /** Discriminant. */
  type: "record";
  /** The record. */
  record: CrawlRecord;
  /** The host of `record.url` (`""` for a URL that did not parse). */
  host: string;
  /** Fetch attempts it took (0 when nothing was fetched). */
  attempts: number;
  /** Statuses of the page's typed fields (schema or typed `--select`), when any were checked. */
  fields?: Record<string, FieldStatus>;
}

/**
 * Every event of a crawl, discriminated on `type`.
 *
 * @example Log retries and backoffs
 * ```ts
 * import type { CrawlEvent } from "./crawl_events.ts";
 *
 * function onEvent(event: CrawlEvent): void {
 *   if (event.type === "retry") console.log(`retry ${event.attempt} of ${event.url} in ${event.delayMs} ms`);
 *   else if (event.type === "backoff") console.log(`${event.host} backs off ${event.delayMs} ms`);
 * }
 * ```
 */
export type CrawlEvent =
  | RequestEvent
  | ResponseEvent
  | RetryEvent
  | RedirectEvent
  | BackoffEvent
  | PolitenessEvent
  | RobotsEvent
  | SeedEvent
  | LinksEvent
  | QueuedEvent
  | FrontierEvent
  | RecordEvent;

/**
 * A listener of crawl events. Called synchronously; it must not throw or block.
 *
 * @example
 * ```ts
 * import type { CrawlEventListener } from "./crawl_events.ts";
 *
 * const listener: CrawlEventListener = (e) => { if (e.type === "record") console.log(e.record.url); };
 * ```
 */
export type CrawlEventListener = (event: CrawlEvent) => void;
