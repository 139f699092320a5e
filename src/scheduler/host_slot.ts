/**
 * A per-host slot, after Scrapy's download slots: it holds one host's
 * concurrency, its minimum gap between request starts, and its backoff.
 *
 * @module
 */

/** Options for {@linkcode HostSlot}. */
export interface HostSlotOptions {
  /** Requests to this host in flight at once. @default {8} */
  maxInFlight?: number;
  /** Minimum gap between two request starts on this host, ms. @default {0} */
  delayMs?: number;
  /** The longest backoff after a 429 or 503 without `Retry-After`, ms. @default {60000} */
  maxBackoffMs?: number;
  /** The first backoff after a 429 or 503 without `Retry-After`; doubles each time, ms. @default {1000} */
  backoffBaseMs?: number;
}

/** How a request on a host ended, as far as politeness is concerned. */
export interface SlotOutcome {
  /** HTTP status, or `null` when no response arrived. */
  status: number | null;
  /** The server's `Retry-After`, already converted to ms; `null` or absent when none. */
  retryAfterMs?: number | null;
}

/**
 * One host's politeness state. Time is passed in (`now`, ms) so callers and tests
 * control the clock.
 *
 * @example Gap between starts
 * ```ts
 * import { HostSlot } from "./host_slot.ts";
 *
 * const slot = new HostSlot("example.com", { delayMs: 500 });
 * slot.start(0);
 * slot.finish(10, { status: 200 });
 * console.log(slot.isReady(100), slot.isReady(500)); // false true
 * ```
 */
export class HostSlot {
  /** The host (`URL.host`, port included) this slot governs. */
  readonly host: string;
  #maxInFlight: number;
  #delayMs: number;
  #crawlDelayMs = 0;
  #maxBackoffMs: number;
  #backoffBaseMs: number;
  #inFlight = 0;
  #nextStartAt = 0;
  #backoffUntil = 0;
  #backoffLevel = 0;

  /** A slot for `host`. */
  constructor(host: string, options: HostSlotOptions = {}) {
    this.host = host;
    this.#maxInFlight = options.maxInFlight ?? 8;
    this.#delayMs = options.delayMs ?? 0;
    this.#maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.#backoffBaseMs = options.backoffBaseMs ?? 1_000;
  }

  /** Requests in flight on this host. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The gap in force: the larger of the configured delay and robots.txt's `Crawl-delay`. */
  get delayMs(): number {
    return Math.max(this.#delayMs, this.#crawlDelayMs);
  }

  /**
   * Set robots.txt's `Crawl-delay` (0 clears it), at `now`: call it right before the
   * request robots.txt was checked for, so the next start keeps the gap from it.
   */
  setCrawlDelay(ms: number, now: number): void {
    this.#crawlDelayMs = Math.max(0, ms);
    this.#nextStartAt = Math.max(this.#nextStartAt, now + this.delayMs);
  }

  /** Requests allowed in flight at once (lowered to 1 while robots.txt is unknown, say). */
  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  set maxInFlight(n: number) {
    this.#maxInFlight = Math.max(1, n);
  }

  /** The earliest time (ms) a request may start, ignoring the in-flight cap. */
  get readyAt(): number {
    return Math.max(this.#nextStartAt, this.#backoffUntil);
  }

  /** Whether the slot is at its in-flight cap. */
  get full(): boolean {
    return this.#inFlight >= this.#maxInFlight;
  }

  /** Whether a request may start at `now`. */
  isReady(now: number): boolean {
    return !this.full && now >= this.readyAt;
  }

  /** Whether the slot holds nothing: no request in flight, no gap or backoff pending at `now`. */
  isIdle(now: number): boolean {
    return this.#inFlight === 0 && now >= this.readyAt;
  }

  /** A request starts at `now`. */
  start(now: number): void {
    this.#inFlight++;
    this.#nextStartAt = now + this.delayMs;
  }

  /** A request ended at `now`; a 429 or 503 backs the host off. */
  finish(now: number, outcome: SlotOutcome): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (outcome.status === 429 || outcome.status === 503) {
      this.#backoffLevel++;
      const exponential = this.#backoffBaseMs * 2 ** (this.#backoffLevel - 1);
      const waitMs = Math.min(this.#maxBackoffMs, outcome.retryAfterMs ?? exponential);
      this.#backoffUntil = Math.max(this.#backoffUntil, now + waitMs);
    } else if (outcome.status !== null && outcome.status < 500) {
      this.#backoffLevel = 0;
    }
  }
}
