/**
 * The frontier's bounds on what waits in the queue: `maxQueuedPerHost` (URLs of
 * one host this frontier added and has not handed out, counted here, so
 * approximate across processes) and `maxQueued` (the store's queued count, read
 * at most every 100 ms, plus what was added since). Links over a bound are
 * dropped, and the first drop of each reason is reported once.
 *
 * @module
 */

import type { FrontierEntry, FrontierStore } from "./frontier_store.ts";

/** Why links were dropped without being queued. */
export type DropReason = "trap" | "overQueue";

/** How often the store's queued count is read again, ms. */
const QUEUED_READ_MS = 100;

/**
 * The queue bounds of one frontier.
 *
 * @example Bound one host to 2 queued URLs
 * ```ts
 * import { QueueBounds } from "./_queue_bounds.ts";
 * import { createMemoryFrontierStore } from "./memory_frontier_store.ts";
 *
 * const bounds = new QueueBounds(createMemoryFrontierStore(), Infinity, 2);
 * const entry = { url: "https://a.test/", depth: 0, host: "a.test" };
 * bounds.added([entry, { ...entry, url: "https://a.test/2" }]);
 * console.log(bounds.hostFull("a.test")); // true
 * ```
 */
export class QueueBounds {
  #store: FrontierStore;
  #maxQueued: number;
  #maxQueuedPerHost: number;
  #onDropped?: (reason: DropReason, example: string) => void;
  #perHost = new Map<string, number>();
  #queued = 0;
  #readAt = -Infinity;
  #dropped = new Set<DropReason>();

  constructor(
    store: FrontierStore,
    maxQueued: number,
    maxQueuedPerHost: number,
    onDropped?: (reason: DropReason, example: string) => void,
  ) {
    this.#store = store;
    this.#maxQueued = maxQueued;
    this.#maxQueuedPerHost = maxQueuedPerHost;
    this.#onDropped = onDropped;
  }

  /**
   * Count `entries` (`sign` 1) or stop counting them (-1) against their hosts' bound
   * (kept only when there is one): links judged and not yet added hold their place.
   */
  reserve(entries: readonly FrontierEntry[], sign: 1 | -1): void {
    if (this.#maxQueuedPerHost === Infinity) return;
    for (const e of entries) {
      const n = (this.#perHost.get(e.host) ?? 0) + sign;
      if (n > 0) this.#perHost.set(e.host, n);
      else this.#perHost.delete(e.host);
    }
  }

  /** The store queued `entries`. */
  added(entries: readonly FrontierEntry[]): void {
    this.reserve(entries, 1);
    this.#queued += entries.length;
  }

  /** `entries` were handed out. */
  taken(entries: readonly FrontierEntry[]): void {
    this.reserve(entries, -1);
    this.#queued -= entries.length;
  }

  /** Whether `host` has `maxQueuedPerHost` URLs queued. */
  hostFull(host: string): boolean {
    return (this.#perHost.get(host) ?? 0) >= this.#maxQueuedPerHost;
  }

  /** Whether the queue holds `maxQueued` URLs (the store's count, read at most every 100 ms). */
  async full(): Promise<boolean> {
    if (this.#maxQueued === Infinity) return false;
    const now = performance.now();
    if (now - this.#readAt >= QUEUED_READ_MS) {
      this.#queued = (await this.#store.counts()).queued;
      this.#readAt = now;
    }
    return this.#queued >= this.#maxQueued;
  }

  /** Report the first link dropped for `reason`. */
  drop(reason: DropReason, url: string): void {
    if (this.#dropped.has(reason)) return;
    this.#dropped.add(reason);
    this.#onDropped?.(reason, url);
  }
}
