/**
 * The per-host politeness contract: one owner for every rule about how hard a
 * host may be hit. Every request to a host (a URL's first attempt, its retries,
 * its redirect hops, and robots.txt itself) holds a {@linkcode HostPermit} from
 * the crawl's {@linkcode HostPolicy} while it runs, and gives it back with its
 * outcome. The in-memory default is `createMemoryHostPolicy`
 * (`memory_host_policy.ts`); a shared implementation (Redis) keeps the same
 * contract across processes, so the interface is async and keyed by host.
 *
 * ## Contract (every implementation)
 *
 * - **Cap.** At most `maxPerHost` permits of one host are held at once. While a
 *   host's robots.txt is awaited (`awaitRobots` is on and
 *   {@linkcode HostPolicy.robotsKnown} was not called for it), at most one
 *   permit of kind other than `"robots"` is held: the request that fetches
 *   robots.txt on its behalf. `"robots"` requests are never held back by that
 *   cap, nor count toward its one (a robots.txt fetch redirected to another host
 *   must not wait for that host's own robots.txt); they do count toward
 *   `maxPerHost`, so a holder of a host's last permit must not wait for a
 *   robots.txt permit of the same host.
 * - **Gap.** Two permits of one host are granted at least `gapMs` apart, where
 *   `gapMs` is the largest of the configured delay, the rate's gap
 *   (`perMs / requests`) and the host's `Crawl-delay`. The gap is kept between
 *   grants, of every kind: take a permit right before its request, not early.
 * - **Backoff.** A release with status 429 or 503 holds the host back: for
 *   `Retry-After` when given (up to `maxRetryAfterMs`), else an exponential
 *   backoff that rises once per outage (failures of requests granted before the
 *   backoff began do not raise it again) and falls back on the first success
 *   (a status below 500 other than 429; a 5xx other than 503, or no response,
 *   neither raises nor resets it).
 * - **Waiting.** `acquire` waits (abortable through its signal) until a permit
 *   can be granted; `tryAcquire` never waits. Neither grants a permit after
 *   `close()`; waiting ones reject then (`TrawlError` code `ABORTED`).
 * - **Release.** Every granted permit is released exactly once; releasing a
 *   permit twice, or one this policy did not grant, does nothing. A permit
 *   released `unused` owes no gap, unless another permit of the host was granted
 *   after it.
 * - **Forgetting.** An implementation may forget a host once it is idle (nothing
 *   held or waiting, gap and backoff over): it is then new again, with its
 *   robots.txt awaited and its `Crawl-delay` unknown. So callers report
 *   {@linkcode HostPolicy.robotsKnown} after every robots.txt check of a request,
 *   not only after fetching robots.txt; that is cheap when nothing changed.
 *
 * @module
 */

/**
 * What a request is for: a URL's first attempt, a retry of it, a redirect hop, or
 * a robots.txt fetch.
 *
 * @example Tag a robots.txt request
 * ```ts
 * import type { RequestKind } from "./host_policy.ts";
 *
 * const kind: RequestKind = "robots";
 * ```
 */
export type RequestKind = "page" | "retry" | "redirect" | "robots";

/**
 * The right to send one request to `host`, held while it runs.
 *
 * @example Read a permit
 * ```ts
 * import type { HostPermit } from "./host_policy.ts";
 *
 * const describe = (p: HostPermit) => `${p.kind} request to ${p.host}`;
 * ```
 */
export interface HostPermit {
  /** The host (`URL.host`, port included) it was granted for. */
  readonly host: string;
  /** What the request is for. */
  readonly kind: RequestKind;
}

/**
 * A permit handed along with a fetch: the fetch layer takes it (sets `permit` to
 * `null`) for its first request when the host matches, instead of acquiring a
 * new one. Whoever made the slot releases a permit still in it afterwards.
 *
 * @example Hand the permit the crawl loop got to the fetch
 * ```ts
 * import type { PermitSlot } from "./host_policy.ts";
 *
 * const slot: PermitSlot = { permit: null };
 * ```
 */
export interface PermitSlot {
  /** The permit not yet used, or `null` once taken. */
  permit: HostPermit | null;
}

/**
 * How a request ended, as far as politeness is concerned.
 *
 * @example A 503 asking for two minutes
 * ```ts
 * import type { RequestOutcome } from "./host_policy.ts";
 *
 * const outcome: RequestOutcome = { status: 503, retryAfterMs: 120_000 };
 * ```
 */
export interface RequestOutcome {
  /** HTTP status, or `null` when no response arrived (or no request was sent). */
  status: number | null;
  /** The server's `Retry-After`, in ms; `null` or absent when none. @default {null} */
  retryAfterMs?: number | null;
  /** The permit was never used for a request (no gap is charged for it). @default {false} */
  unused?: boolean;
  /**
   * How long before this release the request was written to its connection, ms. The
   * gap to the host's next request then counts from that moment, not from the grant,
   * so a new connection's set-up cannot shorten the gap the server sees.
   * @default {undefined} (counted from the grant)
   */
  sentBeforeMs?: number;
}

/**
 * Options for {@linkcode HostPolicy.acquire} and {@linkcode HostPolicy.tryAcquire}.
 *
 * @example Wait at most 5 s for a retry's turn
 * ```ts
 * import type { AcquireOptions } from "./host_policy.ts";
 *
 * const options: AcquireOptions = { kind: "retry", signal: AbortSignal.timeout(5000) };
 * ```
 */
export interface AcquireOptions {
  /** What the request is for. @default {"page"} */
  kind?: RequestKind;
  /**
   * Stop waiting: `acquire` rejects with the signal's reason (`tryAcquire`, which
   * never waits, does not read it). @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * The owner of per-host politeness (see the module doc for the contract).
 *
 * @example Hold a permit around one request
 * ```ts
 * import type { HostPolicy } from "./host_policy.ts";
 *
 * async function polite(policy: HostPolicy, url: URL): Promise<number> {
 *   const permit = await policy.acquire(url.host);
 *   let status: number | null = null;
 *   try {
 *     status = (await fetch(url)).status;
 *     return status;
 *   } finally {
 *     await policy.release(permit, { status });
 *   }
 * }
 * ```
 */
export interface HostPolicy {
  /** A permit if `host` admits a request now, else `null`. Never waits. */
  tryAcquire(host: string, options?: AcquireOptions): Promise<HostPermit | null>;
  /** Wait until `host` admits a request, then grant a permit. Rejects when `options.signal` aborts. */
  acquire(host: string, options?: AcquireOptions): Promise<HostPermit>;
  /** Give a permit back with how its request ended. */
  release(permit: HostPermit, outcome: RequestOutcome): Promise<void>;
  /**
   * Optional: the request of `permit` is about to be written. A policy whose grants
   * are stamped on a clock other processes share may find the permit stale (its
   * request was held up so long that one granted since, elsewhere, could go out
   * within the gap): it returns a promise that resolves once the gap holds again
   * counted from now, the permit keeping its place under the cap; `null` to go
   * ahead at once. The promise rejects when `signal` aborts or the policy closes.
   */
  confirm?(permit: HostPermit, signal?: AbortSignal): Promise<void> | null;
  /**
   * robots.txt of `host` is known: lift the one-request cap at once (waking
   * waiters) and apply its `Crawl-delay` (ms; `null` for none), counted from the
   * host's last grant. Call it after every robots.txt check of a request (see
   * "Forgetting" in the module doc). Rejects with a `RangeError` for a negative or
   * non-finite delay.
   */
  robotsKnown(host: string, crawlDelayMs: number | null): Promise<void>;
  /**
   * Hosts that would refuse `tryAcquire` now (for the frontier's `excludeHosts`).
   * May be a subset (a shared policy answers from what it last saw); `tryAcquire`
   * stays the authority.
   */
  blockedHosts(): Promise<ReadonlySet<string>>;
  /** Milliseconds until a blocked host may become ready by time alone; `null` when none waits on time. */
  nextReadyMs(): number | null;
  /** Reject every waiting `acquire`, stop timers and limiters. */
  close(): Promise<void>;
}
