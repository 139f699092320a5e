/**
 * One host's politeness state inside the memory host policy: permits held, the
 * gap between grants, backoff, the robots.txt cap and the queue of waiting
 * `acquire` calls. Pure bookkeeping: time is passed in, nothing here sets a timer.
 *
 * @module
 */

import type { HostPermit, RequestKind, RequestOutcome } from "./host_policy.ts";
import { GrantStamp } from "./_grant_stamp.ts";

/** A waiting `acquire`. */
export interface Waiter {
  /** What the request is for. */
  readonly kind: RequestKind;
  /** The signal it may abort through (`undefined` when none). */
  readonly signal: AbortSignal | undefined;
  /** Settle with a permit. */
  resolve(permit: HostPermit): void;
  /** Settle with a failure. */
  reject(reason: unknown): void;
  /** Stop listening to the signal (set once a listener was added). */
  forget: (() => void) | null;
}

/** The fixed settings every host state of one policy shares. */
export interface HostSettings {
  /** Permits of one host at once. */
  readonly maxPerHost: number;
  /** The gap from the policy's options (delay, rate, `rateLimit.minTimeMs`), ms. */
  readonly baseGapMs: number;
  /** First exponential backoff, ms. */
  readonly backoffBaseMs: number;
  /** Longest exponential backoff, ms. */
  readonly maxBackoffMs: number;
  /** Longest `Retry-After` hold, ms. */
  readonly maxRetryAfterMs: number;
  /** How long an idle state is kept, ms. */
  readonly idleMs: number;
}

/** What a release did to the host's backoff, for the policy's event. */
export interface BackoffChange {
  /** The hold now in force, ms from now. */
  delayMs: number;
  /** Why, for humans. */
  reason: string;
}

/** Told of a backoff a release started or raised. */
export type BackoffSink = (state: HostState, change: BackoffChange) => void;

/** The permit object: `host` and `kind` in view, the grant's bookkeeping private. */
export class Permit implements HostPermit {
  readonly host: string;
  readonly kind: RequestKind;
  #state: HostState | null;
  readonly #stamp: GrantStamp;

  constructor(state: HostState, kind: RequestKind, stamp: GrantStamp) {
    this.host = state.host;
    this.kind = kind;
    this.#state = state;
    this.#stamp = stamp;
  }

  /** {@linkcode GrantStamp.confirm} for `permit`, if `owner` made it and holds it; else 0. */
  static confirm(permit: HostPermit, owner: object, now: number, maxLagMs: number): number {
    if (!(permit instanceof Permit)) return 0;
    const state = permit.#state;
    if (state === null || state.closed || state.owner !== owner) return 0;
    return permit.#stamp.confirm(state, now, maxLagMs);
  }

  /**
   * Give `permit` back to its host state, once: returns that state, or `null` for a
   * permit released before, or not made by `owner`.
   */
  static settle(
    permit: HostPermit,
    owner: object,
    now: number,
    outcome: RequestOutcome,
    onBackoff: BackoffSink | null,
  ): HostState | null {
    if (!(permit instanceof Permit)) return null;
    const state = permit.#state;
    if (state === null || state.closed || state.owner !== owner) return null;
    permit.#state = null;
    state.release(permit.kind, permit.#stamp, now, outcome, onBackoff);
    return state;
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** One host's state. */
export class HostState {
  readonly host: string;
  /** The policy this state belongs to. */
  readonly owner: object;
  readonly #settings: HostSettings;
  /** Permits held, every kind. */
  inFlight = 0;
  /** Permits held of kind other than `"robots"`. */
  otherInFlight = 0;
  /** robots.txt is awaited: one non-robots permit at most. */
  robotsPending: boolean;
  /** robots.txt's `Crawl-delay`, ms (0 for none). */
  crawlDelayMs = 0;
  /** When the last permit was granted (`-Infinity` before the first). */
  lastGrantAt = -Infinity;
  /** The last grant or release (the idle time counts from it). */
  lastUsedAt = -Infinity;
  /** Permits granted so far (each permit's `seq` is the count at its grant). */
  grants = 0;
  /** Exponential backoff in force until then. */
  backoffUntil = 0;
  /** `Retry-After` hold in force until then. */
  holdUntil = 0;
  /** Backoff level (0 = none); the next exponential delay is `base * 2^level`. */
  backoffLevel = 0;
  /** `grants` when the current backoff began: failures of permits up to it are of that outage. */
  backoffSeq = 0;
  /** A grant waits for rate-limiter tokens (blocks further grants until it is through). */
  pending = false;
  /** A per-host reservoir window runs until then (state kept while it runs). */
  tokenUntil = 0;
  /** The per-host reservoir was empty: no grant is tried before then. */
  refusedUntil = 0;
  /** Waiting `acquire` calls, in arrival order (`null` while none ever waited). */
  waiters: Waiter[] | null = null;
  /** The wake-up timer while a waiter waits on time. */
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** When that timer is due (policy clock). */
  timerAt = 0;
  /** Set when the policy closed or dropped this state: its permits release as no-ops. */
  closed = false;

  constructor(host: string, owner: object, settings: HostSettings, robotsPending: boolean) {
    this.host = host;
    this.owner = owner;
    this.#settings = settings;
    this.robotsPending = robotsPending;
  }

  /** The gap between grants in force, ms. */
  get gapMs(): number {
    return Math.max(this.#settings.baseGapMs, this.crawlDelayMs);
  }

  /** Permits of kind other than `"robots"` allowed at once now. */
  get maxInFlight(): number {
    return this.robotsPending ? 1 : this.#settings.maxPerHost;
  }

  /** The earliest time a grant may happen by time alone (gap, backoff, hold, empty reservoir). */
  get readyAt(): number {
    const gapEnd = this.lastGrantAt + this.gapMs;
    const a = this.backoffUntil > gapEnd ? this.backoffUntil : gapEnd;
    const b = this.refusedUntil > a ? this.refusedUntil : a;
    return this.holdUntil > b ? this.holdUntil : b;
  }

  /** Whether a permit of `kind` could be granted but for time (caps, robots, pending). */
  capAdmits(kind: RequestKind): boolean {
    if (this.pending || this.inFlight >= this.#settings.maxPerHost) return false;
    return kind === "robots" || !this.robotsPending || this.otherInFlight < 1;
  }

  /** Whether a permit of `kind` may be granted at `now`. */
  admits(kind: RequestKind, now: number): boolean {
    return this.capAdmits(kind) && now >= this.readyAt;
  }

  /** Whether the state holds nothing worth keeping at `now`. */
  isIdle(now: number): boolean {
    return this.inFlight === 0 && !this.pending && (this.waiters === null ||
      this.waiters.length === 0) &&
      !this.robotsPending && now >= this.readyAt &&
      now >= this.tokenUntil && now >= this.lastUsedAt + this.#settings.idleMs;
  }

  /** Whether a page request waits on time alone (the caps would admit it, the gap or a backoff not). */
  timeBlocked(now: number): boolean {
    return now < this.readyAt && this.capAdmits("page");
  }

  /** Grant a permit of `kind` at `now` (callers checked {@linkcode HostState.admits}). */
  grant(kind: RequestKind, now: number): Permit {
    this.lastUsedAt = now;
    this.inFlight++;
    if (kind !== "robots") this.otherInFlight++;
    return new Permit(this, kind, GrantStamp.grant(this, now));
  }

  /** The bookkeeping of a release (see {@linkcode Permit.settle}). */
  release(
    kind: RequestKind,
    stamp: GrantStamp,
    now: number,
    outcome: RequestOutcome,
    onBackoff: BackoffSink | null,
  ): void {
    this.inFlight--;
    if (kind !== "robots") this.otherInFlight--;
    this.lastUsedAt = now;
    stamp.released(this, outcome, now);
    if (outcome.unused === true) return;
    const status = outcome.status;
    if (status === 429 || status === 503) {
      this.#failure(status, stamp.seq, now, outcome.retryAfterMs ?? null, onBackoff);
    } else if (status !== null && status < 500) {
      // The host answers: the outage is over.
      this.backoffLevel = 0;
      this.backoffUntil = 0;
    }
  }

  #failure(
    status: number,
    seq: number,
    now: number,
    retryAfterMs: number | null,
    onBackoff: BackoffSink | null,
  ): void {
    const s = this.#settings;
    if (retryAfterMs !== null) {
      if (!(retryAfterMs > 0)) return;
      const holdMs = Math.min(retryAfterMs, s.maxRetryAfterMs);
      if (holdMs <= 0 || now + holdMs <= this.holdUntil) return;
      this.holdUntil = now + holdMs;
      onBackoff?.(this, {
        delayMs: holdMs,
        reason: `HTTP ${status}, Retry-After: ${seconds(retryAfterMs)}` +
          (holdMs < retryAfterMs ? ` (capped at ${seconds(holdMs)})` : ""),
      });
      return;
    }
    // Once per outage: a failure of a permit granted before this backoff began tells nothing new.
    if (this.backoffLevel > 0 && seq <= this.backoffSeq) return;
    const delayMs = Math.min(s.maxBackoffMs, s.backoffBaseMs * 2 ** this.backoffLevel);
    if (!(delayMs > 0)) return; // no backoff configured
    // The level stops rising at the cap (2 ** level stays finite).
    if (delayMs < s.maxBackoffMs || this.backoffLevel === 0) this.backoffLevel++;
    this.backoffSeq = this.grants;
    if (now + delayMs > this.backoffUntil) this.backoffUntil = now + delayMs;
    onBackoff?.(this, { delayMs, reason: `HTTP ${status}` });
  }
}
