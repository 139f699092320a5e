/**
 * The crawl scheduler: a global in-flight cap plus one {@linkcode HostSlot} per
 * host. It answers one question for the crawl loop, "which hosts may not start a
 * request now?", so the frontier can hand out URLs of ready hosts only and one slow
 * host never blocks the others.
 *
 * @module
 */

import { HostSlot, type SlotOutcome } from "./host_slot.ts";

/** Options for {@linkcode Scheduler}. */
export interface SchedulerOptions {
  /** Requests in flight across all hosts. @default {128} */
  maxInFlight?: number;
  /** Requests in flight per host. @default {8} */
  maxPerHost?: number;
  /** Minimum gap between request starts on one host, ms. @default {0} */
  delayMs?: number;
  /** The longest backoff after a 429 or 503 without `Retry-After`, ms. @default {60000} */
  maxBackoffMs?: number;
  /** The first backoff after a 429 or 503 without `Retry-After`, ms. @default {1000} */
  backoffBaseMs?: number;
  /** A clock, for tests. @default {performance.now} */
  now?: () => number;
}

/**
 * Decides when a host may take another request.
 *
 * @example Admit while ready
 * ```ts
 * import { Scheduler } from "./scheduler.ts";
 *
 * const scheduler = new Scheduler({ maxInFlight: 2, maxPerHost: 1 });
 * scheduler.start("a.test");
 * console.log(scheduler.blockedHosts().has("a.test"), scheduler.free); // true 1
 * scheduler.finish("a.test", { status: 200 });
 * console.log(scheduler.blockedHosts().has("a.test"), scheduler.free); // false 2
 * ```
 */
export class Scheduler {
  #maxInFlight: number;
  #slotOptions: SchedulerOptions;
  #now: () => number;
  #slots = new Map<string, HostSlot>();
  /** Slots that are busy or waiting out a gap: the only ones that can be blocked. */
  #active = new Set<HostSlot>();
  #inFlight = 0;

  /** A scheduler with the given caps and delays. */
  constructor(options: SchedulerOptions = {}) {
    this.#maxInFlight = options.maxInFlight ?? 128;
    this.#slotOptions = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Requests in flight across all hosts. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** How many more requests may start now under the global cap. */
  get free(): number {
    return Math.max(0, this.#maxInFlight - this.#inFlight);
  }

  /** Hosts that have a slot (seen at least once). */
  get hosts(): number {
    return this.#slots.size;
  }

  /** The slot of `host`, made on first use. */
  slot(host: string): HostSlot {
    let slot = this.#slots.get(host);
    if (!slot) {
      slot = new HostSlot(host, {
        maxInFlight: this.#slotOptions.maxPerHost ?? 8,
        delayMs: this.#slotOptions.delayMs ?? 0,
        maxBackoffMs: this.#slotOptions.maxBackoffMs,
        backoffBaseMs: this.#slotOptions.backoffBaseMs,
      });
      this.#slots.set(host, slot);
    }
    return slot;
  }

  /** Set `host`'s robots.txt `Crawl-delay`, ms, counted from now (see {@linkcode HostSlot.setCrawlDelay}). */
  setCrawlDelay(host: string, ms: number): void {
    const slot = this.slot(host);
    slot.setCrawlDelay(ms, this.#now());
    this.#active.add(slot);
  }

  /** Change `host`'s in-flight cap; `undefined` restores `maxPerHost`. */
  setMaxInFlight(host: string, n: number | undefined): void {
    this.slot(host).maxInFlight = n ?? this.#slotOptions.maxPerHost ?? 8;
  }

  /** Whether `host` may start a request now (global cap included). */
  isReady(host: string): boolean {
    if (this.free === 0) return false;
    const slot = this.#slots.get(host);
    return slot === undefined || slot.isReady(this.#now());
  }

  /** Hosts that may not start a request now. Cost: O(active hosts). */
  blockedHosts(): Set<string> {
    const now = this.#now();
    const blocked = new Set<string>();
    for (const slot of this.#active) {
      if (slot.isIdle(now)) this.#active.delete(slot);
      else if (!slot.isReady(now)) blocked.add(slot.host);
    }
    return blocked;
  }

  /**
   * Milliseconds until the next blocked host becomes ready by time alone (a gap or a
   * backoff ending); `null` when no host waits on time.
   */
  nextWakeMs(): number | null {
    const now = this.#now();
    let soonest = Infinity;
    for (const slot of this.#active) {
      if (!slot.full && slot.readyAt > now) soonest = Math.min(soonest, slot.readyAt);
    }
    return soonest === Infinity ? null : Math.max(1, Math.ceil(soonest - now));
  }

  /** A request on `host` starts. Callers check {@linkcode Scheduler.isReady} first. */
  start(host: string): void {
    const slot = this.slot(host);
    slot.start(this.#now());
    this.#active.add(slot);
    this.#inFlight++;
  }

  /** A request on `host` ended; 429 and 503 back the host off. */
  finish(host: string, outcome: SlotOutcome): void {
    const slot = this.slot(host);
    slot.finish(this.#now(), outcome);
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }
}
