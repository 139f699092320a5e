/**
 * Per-host admission: a slot semaphore per host, an optional Bottleneck rate
 * limiter per host (and globally), and `Retry-After` pauses that hold back one
 * host only. Host state is dropped once idle, so memory follows active hosts.
 *
 * @module
 */

import Bottleneck from "bottleneck";
import { Semaphore } from "./semaphore.ts";
import { abortable } from "../_abortable.ts";

/** A rate limit: `minTimeMs` between request starts, and/or `maxPerInterval` per `intervalMs`. */
export interface RateLimit {
  /** Minimum time between two request starts. @default {0} */
  minTimeMs?: number;
  /** At most this many request starts per `intervalMs`. @default {undefined} */
  maxPerInterval?: number;
  /** The window for `maxPerInterval`. @default {1000} */
  intervalMs?: number;
}

interface HostState {
  sem: Semaphore;
  users: number;
  pausedUntil: number;
}

function limiterOptions(limit: RateLimit): Bottleneck.ConstructorOptions {
  const minTime = limit.minTimeMs ?? 0;
  if (limit.maxPerInterval === undefined) return { minTime };
  return {
    minTime,
    reservoir: limit.maxPerInterval,
    reservoirRefreshAmount: limit.maxPerInterval,
    reservoirRefreshInterval: limit.intervalMs ?? 1000,
  };
}

const noop = () => Promise.resolve();

/** Abortable sleep. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function gate(limiter: Bottleneck, signal: AbortSignal): Promise<void> {
  // Bottleneck has no cancellation: an aborted wait leaves a no-op job behind.
  return abortable(limiter.schedule(noop), signal, () => signal.reason);
}

/** The per-host gates of one fetcher. */
export class Hosts {
  #states = new Map<string, HostState>();
  #maxPerHost: number;
  #group: Bottleneck.Group | null;
  #global: Bottleneck | null;

  constructor(maxPerHost: number, perHost?: RateLimit, global?: RateLimit) {
    this.#maxPerHost = maxPerHost;
    this.#group = perHost ? new Bottleneck.Group(limiterOptions(perHost)) : null;
    this.#global = global ? new Bottleneck(limiterOptions(global)) : null;
  }

  /** Hosts with a request waiting or running. */
  get size(): number {
    return this.#states.size;
  }

  /** Requests waiting for a host slot. */
  get waiting(): number {
    let n = 0;
    for (const state of this.#states.values()) n += state.sem.waiting;
    return n;
  }

  /**
   * Take a slot on `host`, then pass its pause and rate limits. Pair with
   * {@linkcode Hosts.leave}. Returns `null` when admitted at once (the hot path:
   * no promise, and `waiter.signal` is not read), else a promise that settles
   * on admission or rejects when `waiter.signal` aborts.
   */
  enter(host: string, waiter: { readonly signal: AbortSignal }): Promise<void> | null {
    let state = this.#states.get(host);
    if (state === undefined) {
      state = { sem: new Semaphore(this.#maxPerHost), users: 0, pausedUntil: 0 };
      this.#states.set(host, state);
    }
    state.users++;
    if (
      state.pausedUntil === 0 && this.#group === null && this.#global === null &&
      state.sem.tryAcquire()
    ) {
      return null;
    }
    return this.#enterSlow(host, state, waiter.signal);
  }

  async #enterSlow(host: string, state: HostState, signal: AbortSignal): Promise<void> {
    try {
      if (!state.sem.tryAcquire()) await state.sem.acquire(signal);
    } catch (error) {
      this.#drop(host, state);
      throw error;
    }
    try {
      if (state.pausedUntil !== 0) await this.#waitPause(state, signal);
      if (this.#group) await gate(this.#group.key(host), signal);
      if (this.#global) await gate(this.#global, signal);
    } catch (error) {
      this.leave(host);
      throw error;
    }
  }

  /** Release the slot taken by {@linkcode Hosts.enter}. */
  leave(host: string): void {
    const state = this.#states.get(host);
    if (state === undefined) return;
    state.sem.release();
    this.#drop(host, state);
  }

  /** Hold back new requests to `host` for `ms` (a `Retry-After`). */
  pause(host: string, ms: number): void {
    let state = this.#states.get(host);
    if (state === undefined) {
      // Kept while the pause lasts; dropped by the next request that leaves after it.
      state = { sem: new Semaphore(this.#maxPerHost), users: 0, pausedUntil: 0 };
      this.#states.set(host, state);
    }
    state.pausedUntil = Math.max(state.pausedUntil, Date.now() + ms);
  }

  /** Stop the rate limiters' timers. */
  async close(): Promise<void> {
    if (this.#group) {
      const group = this.#group;
      await Promise.all(group.keys().map((key) => group.deleteKey(key)));
      clearInterval((group as unknown as { interval: number }).interval);
    }
    await this.#global?.disconnect();
  }

  async #waitPause(state: HostState, signal: AbortSignal): Promise<void> {
    for (
      let wait = state.pausedUntil - Date.now();
      wait > 0;
      wait = state.pausedUntil - Date.now()
    ) {
      await sleep(wait, signal);
    }
    state.pausedUntil = 0; // over: back to the fast path
  }

  #drop(host: string, state: HostState): void {
    if (--state.users === 0 && state.pausedUntil <= Date.now()) this.#states.delete(host);
  }
}
