/**
 * The {@linkcode HostPolicy} of a crawl shared by many processes through Redis:
 * the per-host cap, the gap (delay, rate, `Crawl-delay`) and the 429/503 backoff
 * hold across every process, on Redis's clock.
 *
 * It is a composition: a memory policy in each process keeps the local parts
 * (waiters served in arrival order, the robots.txt cap, which is per process
 * because each process fetches robots.txt for itself, aborts, events), and every
 * permit it grants must also pass a Lua script on the host's shared state
 * (`_redis_policy_scripts.ts`).
 *
 * A grant is stamped on Redis's clock, but its request is written later by its
 * process, and the other processes only know the stamp. So the gap gets a send
 * slack, and {@linkcode HostPolicy.confirm} checks each permit just before its
 * request goes out: one whose request was held up past half its slack (a global
 * slot, robots.txt, a loaded machine, the first request's warm-up) is granted
 * again, waiting for the gap from whatever was granted meanwhile. The global rate (`globalRate`) is a Bottleneck
 * reservoir clustered over the same Redis (`datastore: "ioredis"`), shared by
 * every process. Per-host reservoirs (`rateLimit.maxPerInterval`) are not
 * offered: use `rate` or `delayMs`, which the script holds exactly.
 *
 * Permits of a process that died lapse after `permitTtlMs`. Other processes
 * change the shared state, so `nextReadyMs` is never `null`: it is at most
 * `pollMs`, and a crawl loop that found nothing to do looks again then.
 *
 * @module
 */

import { Redis } from "ioredis";
import type { AcquireOptions, HostPermit, HostPolicy, RequestOutcome } from "./host_policy.ts";
import type { MemoryHostPolicyOptions } from "./memory_host_policy.ts";
import { MemoryPolicy } from "./_memory_policy.ts";
import { resolveOptions } from "./_policy_options.ts";
import { GRANT, REGRANT, RELEASE, ROBOTS } from "./_redis_policy_scripts.ts";
import { RedisPermit, type Settings } from "./_redis_permit.ts";
import { connectRedis, crawlPrefix, type RedisClient } from "../_redis_client.ts";
import { finiteAtLeastZero, finitePositive } from "../_option_checks.ts";
import { TrawlError } from "../trawl_error.ts";

/** Defaults of {@linkcode RedisHostPolicyOptions} (the rest as the memory policy's). */
export const REDIS_POLICY_DEFAULTS = Object.freeze({
  permitTtlMs: 120_000,
  pollMs: 100,
  sharedIdleMs: 60_000,
  redisTimeoutMs: 60_000,
  sendSlackMs: 20,
  firstSendSlackMs: 100,
});

/**
 * Options for {@linkcode createRedisHostPolicy}: the memory policy's (but no
 * injected clock and no per-host reservoir) plus where the shared state lives.
 *
 * @example Two requests at once per host, 100 ms apart, across all workers
 * ```ts
 * import type { RedisHostPolicyOptions } from "./redis_host_policy.ts";
 *
 * const options: RedisHostPolicyOptions = { crawl: "docs", maxPerHost: 2, delayMs: 100 };
 * ```
 */
export interface RedisHostPolicyOptions extends Omit<MemoryHostPolicyOptions, "now" | "rateLimit"> {
  /** The crawl's name (keys `trawl:{crawl}:ph:HOST`, `...:pin:HOST`). */
  crawl: string;
  /** `redis://HOST:PORT/DB`. @default {"redis://127.0.0.1:6379/0"} */
  url?: string;
  /** A permit not released for this long (its process died) stops counting, ms. @default {120000} */
  permitTtlMs?: number;
  /** Longest wait before looking at the shared state again, ms. @default {100} */
  pollMs?: number;
  /** How long an idle host's shared state (Crawl-delay, backoff level) is kept, ms. @default {60000} */
  sharedIdleMs?: number;
  /** Give up once Redis was unreachable this long, ms. @default {60000} */
  redisTimeoutMs?: number;
  /**
   * Added to a non-zero gap, ms: a grant is made on Redis's clock but the request is
   * written a little later by its process (event-loop lag), and two processes' lags
   * differ; this keeps the gap the server sees at least the configured one. @default {20}
   */
  sendSlackMs?: number;
  /**
   * The send slack of a process's first grant on a host, ms: its request opens a
   * connection (the very first one also warms up the fetch stack) and is written
   * later than the rest. @default {100}
   */
  firstSendSlackMs?: number;
}

type Runner = (...args: (string | number)[]) => Promise<number[]>;
const DONE: Promise<void> = Promise.resolve();

/**
 * Create the shared policy of crawl `options.crawl`.
 *
 * @example One request at a time per host across every worker
 * ```ts ignore
 * import { createRedisHostPolicy } from "./redis_host_policy.ts";
 *
 * const policy = createRedisHostPolicy({ crawl: "docs", url: "redis://127.0.0.1:6379/0", maxPerHost: 1 });
 * const permit = await policy.acquire("example.com");
 * await policy.release(permit, { status: 200 });
 * await policy.close();
 * ```
 */
export function createRedisHostPolicy(options: RedisHostPolicyOptions): HostPolicy {
  if ((options as MemoryHostPolicyOptions).rateLimit !== undefined) {
    throw new TypeError(
      "rateLimit is not offered by the Redis host policy: use rate or delayMs (held exactly " +
        "across processes) or globalRate",
    );
  }
  const d = REDIS_POLICY_DEFAULTS;
  const prefix = crawlPrefix(options.crawl);
  const settings = {
    permitTtlMs: finitePositive("permitTtlMs", options.permitTtlMs ?? d.permitTtlMs),
    pollMs: finitePositive("pollMs", options.pollMs ?? d.pollMs),
    idleMs: finitePositive("sharedIdleMs", options.sharedIdleMs ?? d.sharedIdleMs),
    sendSlackMs: finiteAtLeastZero("sendSlackMs", options.sendSlackMs ?? d.sendSlackMs),
    firstSendSlackMs: finiteAtLeastZero(
      "firstSendSlackMs",
      options.firstSendSlackMs ?? d.firstSendSlackMs,
    ),
  };
  const resolved = resolveOptions({ ...options, now: undefined });
  const client = connectRedis({ url: options.url, timeoutMs: options.redisTimeoutMs });
  const url = new URL(options.url ?? "redis://127.0.0.1:6379/0");
  const local = new MemoryPolicy({
    ...resolved,
    limiterOptions: {
      datastore: "ioredis",
      Redis,
      clientOptions: {
        host: url.hostname,
        port: Number(url.port || 6379),
        db: Number(url.pathname.slice(1) || 0),
        password: url.password === "" ? undefined : decodeURIComponent(url.password),
      },
      id: `${prefix}global`,
      clearDatastore: false,
    },
  });
  return new RedisPolicy(client, prefix, local, resolved, settings);
}

class RedisPolicy implements HostPolicy {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #local: MemoryPolicy;
  readonly #o: ReturnType<typeof resolveOptions>;
  readonly #s: Settings;
  readonly #grant: Runner;
  readonly #release: Runner;
  readonly #robots: Runner;
  readonly #regrant: Runner;
  /** Hosts the shared state refused, until when (performance.now()). */
  readonly #blocked = new Map<string, number>();
  readonly #sleeps = new Set<() => void>();
  /** Hosts this process was granted a permit for (its later requests reuse a connection). */
  readonly #warm = new Set<string>();
  /** The Crawl-delay last written to Redis per host, and when. */
  readonly #told = new Map<string, { delay: number | null; at: number }>();
  readonly #owner = crypto.randomUUID();
  #next = 0;
  #closing: Promise<void> | null = null;

  constructor(
    client: RedisClient,
    prefix: string,
    local: MemoryPolicy,
    o: ReturnType<typeof resolveOptions>,
    s: Settings,
  ) {
    this.#client = client;
    this.#prefix = prefix;
    this.#local = local;
    this.#o = o;
    this.#s = s;
    const redis = client.redis;
    const define = (name: string, lua: string): Runner => {
      redis.defineCommand(name, { numberOfKeys: 2, lua });
      const fn = (redis as unknown as Record<string, Runner>)[name];
      return (...args) => fn.call(redis, ...args);
    };
    this.#grant = define("tPolicyGrant", GRANT);
    this.#release = define("tPolicyRelease", RELEASE);
    this.#robots = define("tPolicyRobots", ROBOTS);
    this.#regrant = define("tPolicyRegrant", REGRANT);
  }

  async tryAcquire(host: string, options?: AcquireOptions): Promise<HostPermit | null> {
    if (this.#closing !== null) return null;
    const local = await this.#local.tryAcquire(host, options);
    if (local === null) return null;
    const permit = await this.#shared(host, local).catch(async (error) => {
      await this.#local.release(local, { status: null, unused: true });
      throw error;
    });
    if (typeof permit !== "number") return permit;
    await this.#local.release(local, { status: null, unused: true });
    return null;
  }

  async acquire(host: string, options?: AcquireOptions): Promise<HostPermit> {
    if (this.#closing !== null) throw closedError();
    const local = await this.#local.acquire(host, options);
    try {
      for (;;) {
        if (this.#closing !== null) throw closedError();
        options?.signal?.throwIfAborted();
        const permit = await this.#shared(host, local);
        if (typeof permit !== "number") return permit;
        await this.#sleep(permit, options?.signal);
      }
    } catch (error) {
      await this.#local.release(local, { status: null, unused: true });
      throw error;
    }
  }

  async release(permit: HostPermit, outcome: RequestOutcome): Promise<void> {
    if (!(permit instanceof RedisPermit) || permit.released) return;
    permit.released = true;
    const o = this.#o;
    try {
      await this.#release(
        ...this.#keys(permit.host),
        permit.id,
        permit.grantMs,
        outcome.status ?? -1,
        outcome.retryAfterMs ?? -1,
        outcome.unused ? 1 : 0,
        outcome.sentBeforeMs ?? -1,
        o.baseGapMs,
        o.backoffBaseMs,
        o.maxBackoffMs,
        o.maxRetryAfterMs,
        this.#s.idleMs,
        // The request went out: the slack of a warm connection, as a regrant uses.
        this.#s.sendSlackMs,
      );
    } catch {
      // Redis unreachable: the permit lapses after permitTtlMs; the store reports the outage.
    } finally {
      await this.#local.release(permit.local, outcome);
    }
  }

  async robotsKnown(host: string, crawlDelayMs: number | null): Promise<void> {
    await this.#local.robotsKnown(host, crawlDelayMs);
    if (this.#closing !== null) return;
    // Called before every request of a crawl: a round trip only when the delay changed
    // (or was last told long ago, when the shared state may have expired).
    const now = performance.now();
    const told = this.#told.get(host);
    if (told !== undefined && told.delay === crawlDelayMs && now - told.at < this.#s.idleMs / 2) {
      return;
    }
    this.#told.set(host, { delay: crawlDelayMs, at: now });
    if (this.#told.size > 100_000) this.#told.clear();
    try {
      await this.#robots(...this.#keys(host), crawlDelayMs ?? -1, this.#s.idleMs);
    } catch (error) {
      throw this.#client.explain(error);
    }
  }

  confirm(permit: HostPermit, signal?: AbortSignal): Promise<void> | null {
    if (!(permit instanceof RedisPermit) || permit.released || permit.gapMs === 0) return null;
    if (performance.now() - permit.receivedAt <= permit.slackMs / 2) return null;
    if (this.#closing !== null) return DONE;
    return this.#renewGrant(permit, signal);
  }

  async blockedHosts(): Promise<ReadonlySet<string>> {
    const blocked = new Set(await this.#local.blockedHosts());
    const now = performance.now();
    for (const [host, until] of this.#blocked) {
      if (until <= now) this.#blocked.delete(host);
      else blocked.add(host);
    }
    return blocked;
  }

  nextReadyMs(): number | null {
    const now = performance.now();
    let soonest = Math.min(this.#local.nextReadyMs() ?? Infinity, this.#s.pollMs);
    for (const until of this.#blocked.values()) soonest = Math.min(soonest, until - now);
    return Math.max(1, Math.ceil(soonest));
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const wake of this.#sleeps) wake();
      await this.#client.close();
      // Last: the local waiters are rejected in the same turn as close() resolves.
      await this.#local.close();
    })();
    return this.#closing;
  }

  /** The send slack of this process's next grant on `host`. */
  #slackMs(host: string): number {
    return this.#warm.has(host) ? this.#s.sendSlackMs : this.#s.firstSendSlackMs;
  }

  #keys(host: string): [string, string] {
    return [`${this.#prefix}ph:${host}`, `${this.#prefix}pin:${host}`];
  }

  /** Ask the shared state for a permit: the permit, or ms to wait before asking again. */
  async #shared(host: string, local: HostPermit): Promise<RedisPermit | number> {
    const id = `${this.#owner}/${++this.#next}`;
    const slackMs = this.#slackMs(host);
    let reply: number[];
    try {
      reply = await this.#grant(
        ...this.#keys(host),
        this.#o.maxPerHost,
        this.#o.baseGapMs,
        this.#s.permitTtlMs,
        this.#s.idleMs,
        id,
        slackMs,
      );
    } catch (error) {
      throw this.#client.explain(error);
    }
    if (reply[0] === 1) {
      this.#blocked.delete(host);
      if (this.#warm.size > 100_000) this.#warm.clear();
      this.#warm.add(host);
      return new RedisPermit(host, local.kind, local, id, reply[1], reply[2], slackMs);
    }
    const waitMs = reply[1] < 0 ? this.#s.pollMs : Math.max(1, Math.min(reply[1], 60_000));
    this.#blocked.set(host, performance.now() + waitMs);
    return waitMs;
  }

  /** Grant `permit` again now (waiting for the gap), keeping its place under the cap. */
  async #renewGrant(permit: RedisPermit, signal: AbortSignal | undefined): Promise<void> {
    // The request goes out right after this: the slack a warm connection needs.
    const slackMs = this.#s.sendSlackMs;
    for (;;) {
      signal?.throwIfAborted();
      if (this.#closing !== null) throw closedError();
      const id = `${this.#owner}/${++this.#next}`;
      let reply: number[];
      try {
        reply = await this.#regrant(
          ...this.#keys(permit.host),
          permit.id,
          id,
          this.#o.baseGapMs,
          this.#s.permitTtlMs,
          this.#s.idleMs,
          slackMs,
        );
      } catch (error) {
        throw this.#client.explain(error);
      }
      if (reply[0] === 1) {
        permit.regranted(id, reply[1], reply[2], slackMs);
        return;
      }
      if (reply[0] === -1) return; // lapsed (permitTtlMs): nothing to move
      await this.#sleep(Math.max(1, Math.min(reply[1], 60_000)), signal);
    }
  }

  /** Sleep `ms`; rejects when `signal` aborts or the policy closes. */
  #sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (error?: unknown) => {
        clearTimeout(timer);
        this.#sleeps.delete(wake);
        signal?.removeEventListener("abort", onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const wake = () => finish(closedError());
      const onAbort = () => finish(signal!.reason);
      const timer = setTimeout(() => finish(), ms);
      this.#sleeps.add(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

function closedError(): TrawlError {
  return new TrawlError("ABORTED", "the host policy is closed");
}
