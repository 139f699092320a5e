/**
 * One politeness for every job a scheduler runs at the same time. Each job's
 * crawl gets its own view, a {@linkcode HostPolicy}: a permit from the view is a
 * permit of the job's own memory policy (its cap, gap, robots.txt cap, backoff
 * and `Retry-After` holds, exactly as a lone crawl) AND a grant of the layer all
 * views share, which holds, per host, every job's permits together to the
 * strictest settings of the jobs on that host: the smallest `--per-host`, the
 * largest gap of `--delay`, `--rate` and `Crawl-delay`. So two jobs crawling one
 * host with `--per-host 1 --delay 200` never have 2 requests there in flight and
 * start them at least 200 ms apart, while a host only one job crawls gets that
 * job's settings. A job counts on a host from its first request there until its
 * crawl ends (its view is closed). Backoff after 429/503 stays per job.
 *
 * @module
 */

import type {
  AcquireOptions,
  HostPermit,
  HostPolicy,
  RequestKind,
  RequestOutcome,
} from "../policy/host_policy.ts";
import {
  createMemoryHostPolicy,
  type MemoryHostPolicy,
  type MemoryHostPolicyOptions,
} from "../policy/memory_host_policy.ts";
import { MAX_SEND_LAG_MS, POLICY_DEFAULTS } from "../policy/_policy_options.ts";
import {
  closedError,
  type JobHostSettings,
  type SharedGrant,
  SharedHosts,
} from "./_shared_hosts.ts";
import { sleepMs } from "../_abortable.ts";

/**
 * Options for {@linkcode createSharedHostPolicy}.
 *
 * @example The default clock
 * ```ts
 * import type { SharedHostPolicyOptions } from "./shared_host_policy.ts";
 *
 * const options: SharedHostPolicyOptions = { now: () => performance.now() };
 * ```
 */
export interface SharedHostPolicyOptions {
  /** The clock, ms. @default {performance.now} */
  now?: () => number;
}

/** Every default of {@linkcode SharedHostPolicyOptions}. */
const DEFAULTS = Object.freeze({ now: () => performance.now() });

/**
 * A job's view of the shared policy: a {@linkcode HostPolicy} to hand to
 * `crawl()`; `close()` ends the job's part in the shared layer.
 *
 * @example Read the view's own memory policy
 * ```ts
 * import type { JobHostPolicy } from "./shared_host_policy.ts";
 *
 * const inFlight = (view: JobHostPolicy, host: string) => view.own.hostState(host)?.inFlight ?? 0;
 * ```
 */
export interface JobHostPolicy extends HostPolicy {
  /** The job's own memory policy (its settings alone). */
  readonly own: MemoryHostPolicy;
}

/**
 * The policy jobs share: make one view per crawl with {@linkcode SharedHostPolicy.forJob}.
 *
 * @example Two crawls, one host policy
 * ```ts ignore
 * import { crawl } from "../crawl.ts";
 * import { createSharedHostPolicy } from "./shared_host_policy.ts";
 *
 * const shared = createSharedHostPolicy();
 * const a = shared.forJob({ maxPerHost: 1, delayMs: 200 });
 * const b = shared.forJob({ maxPerHost: 4 });
 * await Promise.all([
 *   Array.fromAsync(crawl(["http://127.0.0.1:8000/"], { hostPolicy: a, maxPerHost: 1, delayMs: 200 })),
 *   Array.fromAsync(crawl(["http://127.0.0.1:8000/x"], { hostPolicy: b, maxPerHost: 4 })),
 * ]);
 * await a.close();
 * await b.close();
 * ```
 */
export interface SharedHostPolicy {
  /**
   * A view for one crawl with that crawl's settings (the same options as
   * `createMemoryHostPolicy`; `maxPerHost`, `delayMs`, `rate` and
   * `rateLimit.minTimeMs` also join the shared layer).
   */
  forJob(options?: MemoryHostPolicyOptions): JobHostPolicy;
  /** What the shared layer holds for `host` now: permits over all jobs, cap and gap in force. */
  hostState(host: string): { inFlight: number; maxPerHost: number; gapMs: number } | null;
  /** Hosts the shared layer holds. */
  readonly activeHosts: number;
}

/**
 * Make a shared host policy.
 *
 * @example Two views hold one host's cap together
 * ```ts
 * import { createSharedHostPolicy } from "./shared_host_policy.ts";
 *
 * const shared = createSharedHostPolicy();
 * const a = shared.forJob({ maxPerHost: 1 });
 * const b = shared.forJob({ maxPerHost: 4 });
 * const held = await a.tryAcquire("a.test");
 * console.log(await b.tryAcquire("a.test")); // null: job a's cap of 1 holds for both
 * await a.release(held!, { status: 200 });
 * await a.close();
 * await b.close();
 * ```
 */
export function createSharedHostPolicy(options: SharedHostPolicyOptions = {}): SharedHostPolicy {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`options must be an object: received ${String(options)}`);
  }
  const now = options.now ?? DEFAULTS.now;
  if (typeof now !== "function") {
    throw new TypeError(`now must be a function: received ${String(now)}`);
  }
  const hosts = new SharedHosts(now);
  let nextJob = 0;
  return {
    forJob: (jobOptions = {}) => new JobView(hosts, ++nextJob, jobOptions, now),
    hostState: (host) => hosts.view(host),
    get activeHosts() {
      return hosts.size;
    },
  };
}

/** A permit of a view: the job's own permit plus the shared grant. */
class ViewPermit implements HostPermit {
  readonly host: string;
  readonly kind: RequestKind;
  readonly own: HostPermit;
  readonly shared: SharedGrant;

  constructor(own: HostPermit, shared: SharedGrant) {
    this.host = own.host;
    this.kind = own.kind;
    this.own = own;
    this.shared = shared;
  }
}

const UNUSED: RequestOutcome = { status: null, unused: true };

class JobView implements JobHostPolicy {
  readonly own: MemoryHostPolicy;
  readonly #hosts: SharedHosts;
  readonly #job: number;
  readonly #settings: JobHostSettings;
  readonly #now: () => number;
  #closed = false;

  constructor(
    hosts: SharedHosts,
    job: number,
    options: MemoryHostPolicyOptions,
    now: () => number,
  ) {
    this.own = createMemoryHostPolicy({ now, ...options });
    this.#now = now;
    const rateGap = options.rate === undefined ? 0 : options.rate.perMs / options.rate.requests;
    this.#settings = {
      maxPerHost: options.maxPerHost ?? POLICY_DEFAULTS.maxPerHost,
      gapMs: Math.max(options.delayMs ?? 0, rateGap, options.rateLimit?.minTimeMs ?? 0),
    };
    this.#hosts = hosts;
    this.#job = job;
    hosts.addJob(job);
  }

  async tryAcquire(host: string, options?: AcquireOptions): Promise<HostPermit | null> {
    if (this.#closed) return null;
    const own = await this.own.tryAcquire(host, options);
    if (own === null) return null;
    const shared = this.#closed ? null : this.#hosts.tryGrant(this.#job, host, this.#settings);
    if (shared === null) {
      await this.own.release(own, UNUSED);
      return null;
    }
    return new ViewPermit(own, shared);
  }

  async acquire(host: string, options?: AcquireOptions): Promise<HostPermit> {
    const own = await this.own.acquire(host, options);
    try {
      const shared = await this.#hosts.grant(this.#job, host, this.#settings, options?.signal);
      return new ViewPermit(own, shared);
    } catch (error) {
      await this.own.release(own, UNUSED);
      throw error;
    }
  }

  async release(permit: HostPermit, outcome: RequestOutcome): Promise<void> {
    if (!(permit instanceof ViewPermit)) return;
    this.#hosts.release(permit.shared, outcome);
    await this.own.release(permit.own, outcome);
  }

  /** Confirmed at the send by the job's own policy, then by the layer all jobs share. */
  confirm(permit: HostPermit, signal?: AbortSignal): Promise<void> | null {
    if (!(permit instanceof ViewPermit)) return null;
    const own = this.own.confirm?.(permit.own, signal) ?? null;
    if (own === null && permit.shared.confirm(this.#now(), MAX_SEND_LAG_MS) === 0) return null;
    return this.#confirmShared(permit.shared, own, signal);
  }

  async #confirmShared(
    shared: SharedGrant,
    own: Promise<void> | null,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (own !== null) await own;
    for (;;) {
      if (this.#closed) throw closedError();
      const waitMs = shared.confirm(this.#now(), MAX_SEND_LAG_MS);
      if (waitMs === 0) return;
      await sleepMs(waitMs, signal);
    }
  }

  async robotsKnown(host: string, crawlDelayMs: number | null): Promise<void> {
    await this.own.robotsKnown(host, crawlDelayMs);
    if (!this.#closed) this.#hosts.crawlDelay(this.#job, host, this.#settings, crawlDelayMs ?? 0);
  }

  async blockedHosts(): Promise<ReadonlySet<string>> {
    const blocked = new Set(await this.own.blockedHosts());
    // Only hosts held by time: a host at the shared cap is taken, and its request waits
    // in the shared queue for another job's release (which this job's loop never hears).
    this.#hosts.timeBlocked(this.#job, blocked);
    return blocked;
  }

  nextReadyMs(): number | null {
    const own = this.own.nextReadyMs();
    const shared = this.#hosts.nextReadyMs(this.#job);
    if (own === null) return shared;
    return shared === null ? own : Math.min(own, shared);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hosts.removeJob(this.#job);
    await this.own.close();
  }
}
