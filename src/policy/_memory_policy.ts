/**
 * The memory host policy's engine: host states in a map, waiters and their
 * timers, the optional Bottleneck limiters, events. Public face and options:
 * `memory_host_policy.ts`.
 *
 * @module
 */

import type { BackoffEvent, PolitenessEvent } from "../crawl_events.ts";
import { TrawlError } from "../trawl_error.ts";
import { sleepMs, whenAborted } from "../_abortable.ts";
import type { AcquireOptions, HostPermit, RequestKind, RequestOutcome } from "./host_policy.ts";
import type { HostStateView, MemoryHostPolicy } from "./memory_host_policy.ts";
import {
  type BackoffChange,
  type HostSettings,
  HostState,
  Permit,
  type Waiter,
} from "./_host_state.ts";
import { RateLimiters, type TakeResult } from "./_rate_limiters.ts";
import { MAX_SEND_LAG_MS, type ResolvedOptions } from "./_policy_options.ts";

const NO_PERMIT: Promise<HostPermit | null> = Promise.resolve(null);
const DONE: Promise<void> = Promise.resolve();
const UNUSED: RequestOutcome = { status: null, unused: true };
/** Host count below which no sweep of idle states runs on a new host. */
const MIN_SWEEP = 64;

function closedError(): TrawlError {
  return new TrawlError("ABORTED", "the host policy is closed");
}

/** The memory host policy (see `createMemoryHostPolicy`). */
export class MemoryPolicy implements MemoryHostPolicy {
  readonly #settings: HostSettings;
  readonly #awaitRobots: boolean;
  readonly #now: () => number;
  readonly #onEvent: ((e: BackoffEvent | PolitenessEvent) => void) | null;
  readonly #limiters: RateLimiters | null;
  readonly #perHostWindowMs: number;
  readonly #hosts = new Map<string, HostState>();
  #sweepAt = MIN_SWEEP;
  /** The global reservoir was empty: `tryAcquire` refuses at once before then. */
  #globalRefusedUntil = 0;
  #closing: Promise<void> | null = null;
  readonly #onBackoff: ((state: HostState, change: BackoffChange) => void) | null;
  readonly #wake = (state: HostState): void => {
    state.timer = undefined;
    if (state.closed) return;
    this.#pump(state);
    this.#dropIfIdle(state, this.#now());
  };

  constructor(o: ResolvedOptions) {
    this.#settings = {
      maxPerHost: o.maxPerHost,
      baseGapMs: o.baseGapMs,
      backoffBaseMs: o.backoffBaseMs,
      maxBackoffMs: o.maxBackoffMs,
      maxRetryAfterMs: o.maxRetryAfterMs,
      idleMs: o.idleMs,
    };
    this.#awaitRobots = o.awaitRobots;
    this.#now = o.now;
    const onEvent = o.onEvent;
    this.#onEvent = onEvent;
    this.#onBackoff = onEvent === null ? null : (state, change) =>
      onEvent({
        type: "backoff",
        host: state.host,
        delayMs: change.delayMs,
        reason: change.reason,
      });
    this.#limiters = o.perHostReservoir === null && o.globalReservoir === null
      ? null
      : new RateLimiters(o.perHostReservoir, o.globalReservoir, closedError, o.limiterOptions);
    this.#perHostWindowMs = o.perHostReservoir?.intervalMs ?? 0;
  }

  get activeHosts(): number {
    return this.#hosts.size;
  }

  tryAcquire(host: string, options?: AcquireOptions): Promise<HostPermit | null> {
    if (this.#closing !== null) return NO_PERMIT;
    const kind: RequestKind = options?.kind ?? "page";
    const state = this.#hosts.get(host) ?? this.#create(host);
    if (state.waiters !== null && state.waiters.length > 0) this.#pump(state);
    const now = this.#now();
    if (!state.admits(kind, now)) return NO_PERMIT;
    if (this.#limiters === null) return Promise.resolve(state.grant(kind, now));
    if (now < this.#globalRefusedUntil) return NO_PERMIT;
    return this.#tryTokens(state, state.grant(kind, now));
  }

  acquire(host: string, options?: AcquireOptions): Promise<HostPermit> {
    if (this.#closing !== null) return Promise.reject(closedError());
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const kind: RequestKind = options?.kind ?? "page";
    const state = this.#hosts.get(host) ?? this.#create(host);
    if (state.waiters !== null && state.waiters.length > 0) this.#pump(state);
    const now = this.#now();
    // Waiters left after the pump are held by something that holds this request too,
    // unless it is a robots.txt request passing pages held by the robots cap.
    if (state.admits(kind, now)) {
      const permit = state.grant(kind, now);
      if (this.#limiters !== null) return this.#takeTokens(state, permit, signal);
      return Promise.resolve(permit);
    }
    return new Promise<HostPermit>((resolve, reject) => {
      const waiter: Waiter = { kind, signal, resolve, reject, forget: null };
      (state.waiters ??= []).push(waiter);
      if (signal !== undefined) {
        waiter.forget = whenAborted(signal, () => this.#abandon(state, waiter, signal.reason));
      }
      if (state.capAdmits(kind)) this.#arm(state, now);
    });
  }

  release(permit: HostPermit, outcome: RequestOutcome): Promise<void> {
    const now = this.#now();
    const state = Permit.settle(permit, this, now, outcome, this.#onBackoff);
    if (state === null) return DONE;
    if (state.waiters !== null && state.waiters.length > 0) this.#pump(state);
    this.#dropIfIdle(state, now);
    return DONE;
  }

  confirm(permit: HostPermit, signal?: AbortSignal): Promise<void> | null {
    if (this.#closing !== null) return null;
    const waitMs = Permit.confirm(permit, this, this.#now(), MAX_SEND_LAG_MS);
    return waitMs === 0 ? null : this.#confirmLater(permit, waitMs, signal);
  }

  /** Wait out the gap of what was granted since `permit`, then confirm it. */
  async #confirmLater(permit: HostPermit, waitMs: number, signal?: AbortSignal): Promise<void> {
    while (waitMs > 0) {
      await sleepMs(waitMs, signal);
      if (this.#closing !== null) throw closedError();
      waitMs = Permit.confirm(permit, this, this.#now(), MAX_SEND_LAG_MS);
    }
  }

  robotsKnown(host: string, crawlDelayMs: number | null): Promise<void> {
    if (
      crawlDelayMs !== null &&
      (typeof crawlDelayMs !== "number" || !Number.isFinite(crawlDelayMs) || crawlDelayMs < 0)
    ) {
      return Promise.reject(
        new RangeError(
          `crawlDelayMs must be null or a finite number >= 0: received ${String(crawlDelayMs)}`,
        ),
      );
    }
    if (this.#closing !== null) return DONE;
    const delayMs = crawlDelayMs ?? 0;
    const state = this.#hosts.get(host);
    if (state === undefined) {
      // Kept for a grant about to follow (for `idleMs`, like any idle state).
      this.#create(host, false, delayMs);
      return DONE;
    }
    if (!state.robotsPending && state.crawlDelayMs === delayMs) return DONE;
    const before = state.gapMs;
    const wasPending = state.robotsPending;
    state.robotsPending = false;
    state.crawlDelayMs = delayMs;
    if (wasPending || state.gapMs !== before) this.#politeness(state);
    if (state.waiters !== null && state.waiters.length > 0) this.#pump(state);
    this.#dropIfIdle(state, this.#now());
    return DONE;
  }

  blockedHosts(): Promise<ReadonlySet<string>> {
    const now = this.#now();
    const blocked = new Set<string>();
    for (const state of this.#hosts.values()) {
      if (state.isIdle(now)) this.#drop(state);
      else if (!state.admits("page", now)) blocked.add(state.host);
    }
    return Promise.resolve(blocked);
  }

  nextReadyMs(): number | null {
    const now = this.#now();
    let soonest = this.#globalRefusedUntil > now ? this.#globalRefusedUntil : Infinity;
    for (const state of this.#hosts.values()) {
      if (state.timeBlocked(now)) soonest = Math.min(soonest, state.readyAt);
    }
    return soonest === Infinity ? null : Math.max(1, Math.ceil(soonest - now));
  }

  hostState(host: string): HostStateView | null {
    const state = this.#hosts.get(host);
    if (state === undefined) return null;
    const until = Math.max(state.backoffUntil, state.holdUntil);
    return {
      inFlight: state.inFlight,
      gapMs: state.gapMs,
      backoffUntilMs: until > this.#now() ? until : null,
      robotsPending: state.robotsPending,
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const state of this.#hosts.values()) {
      state.closed = true;
      this.#disarm(state);
      const waiters = state.waiters;
      if (waiters === null) continue;
      state.waiters = null;
      for (const w of waiters) {
        w.forget?.();
        w.reject(closedError());
      }
    }
    this.#hosts.clear();
    await this.#limiters?.close();
  }

  #create(host: string, robotsPending = this.#awaitRobots, crawlDelayMs = 0): HostState {
    if (this.#hosts.size >= this.#sweepAt) this.#sweep();
    const state = new HostState(host, this, this.#settings, robotsPending);
    state.crawlDelayMs = crawlDelayMs;
    state.lastUsedAt = this.#now(); // kept idleMs even if nothing is granted
    this.#hosts.set(host, state);
    this.#politeness(state);
    return state;
  }

  #politeness(state: HostState): void {
    this.#onEvent?.({
      type: "politeness",
      host: state.host,
      gapMs: state.gapMs,
      maxInFlight: state.maxInFlight,
    });
  }

  /** Drop idle states; amortized O(1) per new host (runs when the count doubled since). */
  #sweep(): void {
    const now = this.#now();
    for (const state of this.#hosts.values()) this.#dropIfIdle(state, now);
    this.#sweepAt = Math.max(MIN_SWEEP, 2 * this.#hosts.size);
  }

  #dropIfIdle(state: HostState, now: number): void {
    if (state.isIdle(now)) this.#drop(state);
  }

  #drop(state: HostState): void {
    if (this.#hosts.get(state.host) === state) this.#hosts.delete(state.host);
    state.closed = true;
    this.#disarm(state);
    if (this.#limiters?.perHost) this.#limiters.forget(state.host);
  }

  /** Grant waiting `acquire`s while the host admits them, in order; arm the timer if time holds them. */
  #pump(state: HostState): void {
    const waiters = state.waiters;
    while (waiters !== null && waiters.length > 0 && !state.closed) {
      // At the cap, or a grant waits for tokens: a release or the tokens pump again.
      if (!state.capAdmits("robots")) break;
      let i = 0;
      if (!state.capAdmits("page")) {
        // The robots cap: only robots.txt requests pass (in order); pages wait for robotsKnown.
        while (i < waiters.length && waiters[i].kind !== "robots") i++;
        if (i === waiters.length) break;
      }
      const now = this.#now();
      if (now < state.readyAt) {
        this.#arm(state, now);
        return;
      }
      const w = i === 0 ? waiters.shift()! : waiters.splice(i, 1)[0];
      w.forget?.();
      const permit = state.grant(w.kind, now);
      if (this.#limiters !== null) {
        this.#takeTokens(state, permit, w.signal).then(w.resolve, w.reject);
        break; // the state is pending until the tokens come
      }
      w.resolve(permit);
    }
    this.#disarm(state);
  }

  #arm(state: HostState, now: number): void {
    const at = state.readyAt;
    if (state.timer !== undefined) {
      if (state.timerAt === at) return;
      clearTimeout(state.timer);
    }
    state.timerAt = at;
    state.timer = setTimeout(this.#wake, Math.max(1, Math.ceil(at - now)), state);
  }

  #disarm(state: HostState): void {
    if (state.timer === undefined) return;
    clearTimeout(state.timer);
    state.timer = undefined;
  }

  #abandon(state: HostState, waiter: Waiter, reason: unknown): void {
    const waiters = state.waiters;
    const i = waiters === null ? -1 : waiters.indexOf(waiter);
    if (i < 0) return;
    waiters!.splice(i, 1);
    waiter.reject(reason);
    if (state.closed) return;
    this.#pump(state);
    this.#dropIfIdle(state, this.#now());
  }

  /** The grant of `permit` went through the limiters: it counts from now. */
  #granted(state: HostState): void {
    state.pending = false;
    const now = this.#now();
    state.lastGrantAt = now;
    if (this.#perHostWindowMs > 0) state.tokenUntil = now + this.#perHostWindowMs;
    if (state.waiters !== null && state.waiters.length > 0) this.#pump(state);
  }

  /** The grant of `permit` did not go through: undo it as an unused permit (pumps waiters on). */
  #ungranted(state: HostState, permit: HostPermit): void {
    state.pending = false;
    this.release(permit, UNUSED);
  }

  async #tryTokens(state: HostState, permit: HostPermit): Promise<HostPermit | null> {
    state.pending = true;
    const limiters = this.#limiters!;
    let result: TakeResult = "globalEmpty";
    try {
      result = await limiters.tryTake(state.host);
    } catch {
      // a limiter failing refuses, as an empty one would
    }
    if (result === "taken" && !state.closed) {
      this.#granted(state);
      return permit;
    }
    // Bottleneck refills on its heartbeat: no point asking again before the next one.
    const now = this.#now();
    if (result === "hostEmpty") state.refusedUntil = now + limiters.hostRetryMs;
    else if (result === "globalEmpty") this.#globalRefusedUntil = now + limiters.globalRetryMs;
    this.#ungranted(state, permit);
    return null;
  }

  async #takeTokens(
    state: HostState,
    permit: HostPermit,
    signal: AbortSignal | undefined,
  ): Promise<HostPermit> {
    state.pending = true;
    try {
      await this.#limiters!.take(state.host, signal);
    } catch (error) {
      this.#ungranted(state, permit);
      throw error;
    }
    if (state.closed) throw closedError();
    this.#granted(state);
    return permit;
  }
}
