/**
 * The in-memory {@linkcode HostPolicy}: the one owner of per-host politeness for
 * the crawler and the standalone fetcher in one process. Per host it holds the
 * cap (`maxPerHost`, and one request while robots.txt is awaited), the gap
 * between grants (delay, rate, `Crawl-delay`), backoff after 429/503 and
 * `Retry-After` holds; optional reservoir limits per host and over all hosts go
 * through Bottleneck. Host state is dropped once idle, so memory follows the
 * hosts being crawled, not every host seen.
 *
 * @module
 */

import type { BackoffEvent, PolitenessEvent } from "../crawl_events.ts";
import type { HostPolicy } from "./host_policy.ts";
import { MemoryPolicy } from "./_memory_policy.ts";
import { resolveOptions } from "./_policy_options.ts";

/**
 * A rate limit per host: `minTimeMs` between grants, and/or at most
 * `maxPerInterval` grants per `intervalMs` window (a Bottleneck reservoir).
 *
 * @example Two requests a second per host, at least 100 ms apart
 * ```ts
 * import type { RateLimit } from "./memory_host_policy.ts";
 *
 * const limit: RateLimit = { minTimeMs: 100, maxPerInterval: 2, intervalMs: 1000 };
 * ```
 */
export interface RateLimit {
  /** Minimum time between two grants on a host (joins the gap), ms. @default {0} */
  minTimeMs?: number;
  /** At most this many grants per `intervalMs` on a host. @default {undefined} */
  maxPerInterval?: number;
  /** The window for `maxPerInterval`, ms. @default {1000} */
  intervalMs?: number;
}

/**
 * A request rate: `requests` per `perMs`.
 *
 * @example Five a second
 * ```ts
 * import type { RequestRate } from "./memory_host_policy.ts";
 *
 * const rate: RequestRate = { requests: 5, perMs: 1000 };
 * ```
 */
export interface RequestRate {
  /** Requests per window (an integer for `globalRate`). */
  requests: number;
  /** The window, ms. */
  perMs: number;
}

/**
 * Options for {@linkcode createMemoryHostPolicy}.
 *
 * @example A polite crawl
 * ```ts
 * import type { MemoryHostPolicyOptions } from "./memory_host_policy.ts";
 *
 * const options: MemoryHostPolicyOptions = { maxPerHost: 2, delayMs: 500, awaitRobots: true };
 * ```
 */
export interface MemoryHostPolicyOptions {
  /** Permits of one host held at once. @default {8} */
  maxPerHost?: number;
  /** Minimum gap between two grants on a host, ms. @default {0} */
  delayMs?: number;
  /** Per-host rate: adds a gap of `perMs / requests` between grants. @default {undefined} */
  rate?: RequestRate;
  /**
   * Per-host rate limit: `minTimeMs` joins the gap; `maxPerInterval` is a
   * reservoir per host (Bottleneck.Group). At most 200 requests/s. @default {undefined}
   */
  rateLimit?: RateLimit;
  /**
   * A reservoir over all hosts: `requests` grants every `perMs` (one Bottleneck
   * limiter). At most 200 requests/s: Bottleneck admits about 230 jobs/s in Deno.
   * @default {undefined}
   */
  globalRate?: RequestRate;
  /**
   * Hold a new host to one permit of kind other than `"robots"` until
   * {@linkcode HostPolicy.robotsKnown} is called for it. A host whose state was
   * dropped (idle) is new again. @default {false}
   */
  awaitRobots?: boolean;
  /** The first backoff after a 429/503 without `Retry-After`; doubles per outage, ms. @default {1000} */
  backoffBaseMs?: number;
  /** The longest such backoff, ms. @default {60000} */
  maxBackoffMs?: number;
  /** The longest `Retry-After` honoured, ms (longer ones are cut to it). @default {600000} */
  maxRetryAfterMs?: number;
  /**
   * How long a host's state is kept once idle (nothing held, waiting or pending),
   * ms: its `Crawl-delay`, robots.txt status and backoff level go with it.
   * @default {1000}
   */
  idleMs?: number;
  /** Told of backoffs and politeness changes; must not throw. @default {undefined} */
  onEvent?: (event: BackoffEvent | PolitenessEvent) => void;
  /** The clock, ms. @default {performance.now} */
  now?: () => number;
}

/**
 * One host's politeness as the policy sees it now (for stats).
 *
 * @example Print a host's state
 * ```ts
 * import type { HostStateView } from "./memory_host_policy.ts";
 *
 * const show = (s: HostStateView) => `${s.inFlight} in flight, gap ${s.gapMs} ms`;
 * ```
 */
export interface HostStateView {
  /** Permits held, every kind. */
  inFlight: number;
  /** The gap between grants in force, ms. */
  gapMs: number;
  /** When its backoff or `Retry-After` hold ends, on the policy's clock; `null` when none. */
  backoffUntilMs: number | null;
  /** robots.txt is awaited (one non-robots permit at most). */
  robotsPending: boolean;
}

/**
 * The memory host policy: a {@linkcode HostPolicy} plus read-only views for stats.
 *
 * @example Read a host's state
 * ```ts
 * import { createMemoryHostPolicy } from "./memory_host_policy.ts";
 *
 * const policy = createMemoryHostPolicy();
 * const permit = await policy.tryAcquire("a.test");
 * console.log(policy.hostState("a.test")?.inFlight); // 1
 * await policy.release(permit!, { status: 200 });
 * await policy.close();
 * ```
 */
export interface MemoryHostPolicy extends HostPolicy {
  /** `host`'s state, or `null` when the policy holds none for it (never seen, or dropped once idle). */
  hostState(host: string): HostStateView | null;
  /** Hosts the policy holds state for now (those not idle, roughly). */
  readonly activeHosts: number;
}

/**
 * Make the in-memory host policy. See {@linkcode HostPolicy} for the contract;
 * the options say how polite it is.
 *
 * A success (any status below 500 but 429) resets the backoff level and ends an
 * exponential backoff at once; a `Retry-After` hold lasts its time. A permit
 * released `unused` owes no gap if no grant followed it; reservoir tokens it took
 * are not given back. Call `robotsKnown` after every robots.txt check of a
 * request (it is cheap when nothing changes): a host forgotten while idle comes
 * back without its `Crawl-delay`.
 *
 * @example Hold a permit around a request
 * ```ts
 * import { createMemoryHostPolicy } from "./memory_host_policy.ts";
 *
 * const policy = createMemoryHostPolicy({ maxPerHost: 2, delayMs: 100 });
 * const permit = await policy.acquire("a.test", { kind: "page" });
 * await policy.release(permit, { status: 200 });
 * console.log(await policy.tryAcquire("a.test")); // null: within the 100 ms gap
 * await policy.close();
 * ```
 */
export function createMemoryHostPolicy(options?: MemoryHostPolicyOptions): MemoryHostPolicy {
  return new MemoryPolicy(resolveOptions(options));
}
