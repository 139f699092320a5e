/**
 * A {@linkcode FrontierStore} in Redis, shared by every worker of a crawl on any
 * machine: the dedupe set, per-host queues, leases, budgets, scope keys and the
 * crawl's output (a stream of records) live under keys with the hash tag
 * `{crawl-name}`, so one crawl sits in one slot of a Redis Cluster as well as
 * on a single server.
 *
 * Every operation is one Lua script (atomic, one round trip; scripts issued
 * together are pipelined). Leases carry a deadline `leaseMs` ahead; the store
 * renews the leases it holds every `renewMs`, and any `take` (by any worker)
 * queues again the leases whose deadline passed: those of a worker that died or
 * hung. `done(lease, {record})` appends the record to the crawl's `records`
 * stream in the same script as the ack, only while the lease is held, so each
 * URL's record is stored exactly once however workers die.
 *
 * @module
 */

import type { Redis } from "ioredis";
import type {
  AddOptions,
  AddResult,
  DoneOptions,
  FrontierCounts,
  FrontierEntry,
  FrontierStore,
  Lease,
  TakeOptions,
} from "./frontier_store.ts";
import { connectRedis, crawlPrefix, type RedisClient } from "../_redis_client.ts";
import { ADD, DONE, RELEASE, RENEW, TAKE } from "./_redis_scripts.ts";
import { TrawlError } from "../trawl_error.ts";
import { finitePositive } from "../_option_checks.ts";

/** Defaults of {@linkcode RedisFrontierStoreOptions}. */
export const REDIS_STORE_DEFAULTS = Object.freeze({
  url: "redis://127.0.0.1:6379/0",
  leaseMs: 30_000,
  redisTimeoutMs: 60_000,
});

/**
 * Options for {@linkcode createRedisFrontierStore}.
 *
 * @example A worker of crawl "docs"
 * ```ts
 * import type { RedisFrontierStoreOptions } from "./redis_frontier_store.ts";
 *
 * const options: RedisFrontierStoreOptions = { url: "redis://10.0.0.5:6379/0", crawl: "docs" };
 * ```
 */
export interface RedisFrontierStoreOptions {
  /** The crawl's name: its keys are `trawl:{crawl}:...`. */
  crawl: string;
  /** `redis://HOST:PORT/DB`. @default {"redis://127.0.0.1:6379/0"} */
  url?: string;
  /** A lease not renewed for this long is taken back (its worker is gone), ms. @default {30000} */
  leaseMs?: number;
  /** How often held leases are renewed, ms. @default {leaseMs / 3} */
  renewMs?: number;
  /** Give up once Redis was unreachable this long, ms. @default {60000} */
  redisTimeoutMs?: number;
  /** The owner stamped on leases. @default {a random id} */
  owner?: string;
}

/**
 * The Redis store: a {@linkcode FrontierStore} plus its connection.
 *
 * @example Read the crawl's counters with the same connection
 * ```ts ignore
 * import type { RedisFrontierStore } from "./redis_frontier_store.ts";
 *
 * declare const store: RedisFrontierStore;
 * console.log(await store.redis.hgetall(store.prefix + "n"));
 * ```
 */
export interface RedisFrontierStore extends FrontierStore {
  /** The key prefix `trawl:{crawl}:`. */
  readonly prefix: string;
  /** The connection (shared with whoever needs the crawl's other keys). */
  readonly redis: Redis;
  /** A failure of this connection as `STORE_UNAVAILABLE` once it gave up on Redis; else as is. */
  explain(error: unknown): unknown;
}

/** URLs remembered as seen before the memory is given back (about 100 MB). */
const MAX_KNOWN = 1_000_000;

type ScriptRunner = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Open the store of crawl `options.crawl` on `options.url` (no round trip yet).
 *
 * @example Two handles of one crawl share its queue
 * ```ts ignore
 * import { createRedisFrontierStore } from "./redis_frontier_store.ts";
 *
 * const a = createRedisFrontierStore({ crawl: "demo" });
 * const b = createRedisFrontierStore({ crawl: "demo" });
 * await a.add([{ url: "https://example.com/", depth: 0, host: "example.com" }]);
 * const [lease] = await b.take(1);
 * await b.done(lease, { record: { url: lease.entry.url, id: "1" } });
 * await Promise.all([a.close(), b.close()]);
 * ```
 */
export function createRedisFrontierStore(options: RedisFrontierStoreOptions): RedisFrontierStore {
  const leaseMs = options.leaseMs ?? REDIS_STORE_DEFAULTS.leaseMs;
  finitePositive("leaseMs", leaseMs);
  const renewMs = options.renewMs ?? leaseMs / 3;
  finitePositive("renewMs", renewMs);
  const redisTimeoutMs = options.redisTimeoutMs ?? REDIS_STORE_DEFAULTS.redisTimeoutMs;
  finitePositive("redisTimeoutMs", redisTimeoutMs);
  const prefix = crawlPrefix(options.crawl);
  const client = connectRedis({ url: options.url, timeoutMs: redisTimeoutMs });
  return new RedisStore(client, prefix, options.owner ?? crypto.randomUUID(), leaseMs, renewMs);
}

const SCRIPTS = { tAdd: ADD, tTake: TAKE, tDone: DONE, tRelease: RELEASE, tRenew: RENEW };

/**
 * Acks in flight at once: each is a round trip, and the crawl's records are kept
 * with them here, not by the consumer. Issued in order on one connection (and
 * pipelined), they complete in order.
 */
const MAX_ACKS_IN_FLIGHT = 256;

class RedisStore implements RedisFrontierStore {
  readonly owner: string;
  readonly maxAcksInFlight = MAX_ACKS_IN_FLIGHT;
  readonly prefix: string;
  readonly redis: Redis;
  readonly #client: RedisClient;
  readonly #leaseMs: number;
  readonly #run: Record<keyof typeof SCRIPTS, ScriptRunner>;
  /** Leases this handle holds, by id: renewed on a timer. */
  readonly #held = new Set<string>();
  readonly #timer: ReturnType<typeof setInterval>;
  /** URLs this handle knows are in the dedupe set (added, or found there). */
  readonly #known = new Set<string>();
  /** The store's admitted count as last seen (-1: not yet). */
  #admitted = -1;
  #closed = false;

  constructor(
    client: RedisClient,
    prefix: string,
    owner: string,
    leaseMs: number,
    renewMs: number,
  ) {
    this.#client = client;
    this.redis = client.redis;
    this.prefix = prefix;
    this.owner = owner;
    this.#leaseMs = leaseMs;
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      this.redis.defineCommand(name, { numberOfKeys: 1, lua });
    }
    const r = this.redis as unknown as Record<string, ScriptRunner>;
    const bind = (name: keyof typeof SCRIPTS): ScriptRunner => (...args) =>
      r[name].call(this.redis, ...args);
    this.#run = {
      tAdd: bind("tAdd"),
      tTake: bind("tTake"),
      tDone: bind("tDone"),
      tRelease: bind("tRelease"),
      tRenew: bind("tRenew"),
    };
    this.#timer = setInterval(() => this.#renewAll(), renewMs);
    Deno.unrefTimer(this.#timer as unknown as number);
  }

  /** Run a script on the crawl's slot; failures become `STORE_UNAVAILABLE` once the client gave up. */
  async #call(name: keyof typeof SCRIPTS, ...args: (string | number)[]): Promise<unknown> {
    if (this.#closed) throw closedError();
    try {
      return await this.#run[name](this.prefix + "n", this.prefix, ...args);
    } catch (error) {
      throw this.#client.explain(error);
    }
  }

  async add(entries: readonly FrontierEntry[], options: AddOptions = {}): Promise<AddResult> {
    if (this.#closed) throw closedError();
    // URLs known to be seen stay seen: they are dropped here, without a round trip.
    const fresh = entries.filter((e) => !this.#known.has(e.url));
    if (fresh.length === 0 && this.#admitted >= 0) {
      return { added: [], overLimit: 0, admitted: this.#admitted };
    }
    const args: (string | number)[] = [
      limit(options.maxPages),
      limit(options.maxPagesPerHost),
      options.done ? 1 : 0,
    ];
    for (const e of fresh) args.push(e.url, e.host, e.depth, encode(e));
    const [overLimit, admitted, ...indexes] = await this.#call("tAdd", ...args) as number[];
    this.#admitted = admitted;
    const added = indexes.map((i) => fresh[i]);
    if (this.#known.size + fresh.length > MAX_KNOWN) this.#known.clear();
    // Without refusals every URL not added was a duplicate: all of them are seen now.
    for (const e of overLimit === 0 ? fresh : added) this.#known.add(e.url);
    return { added, overLimit, admitted };
  }

  async take(max: number, options: TakeOptions = {}): Promise<Lease[]> {
    const n = max >= 1 ? Math.floor(Math.min(max, 1e6)) : 0;
    const perHost = options.maxPerHost ?? Infinity;
    const reply = await this.#call(
      "tTake",
      n,
      limit(perHost),
      this.owner,
      this.#leaseMs,
      ...(options.excludeHosts ?? []),
    ) as string[];
    const leases: Lease[] = [];
    for (let i = 0; i < reply.length; i += 2) {
      const id = reply[i];
      this.#held.add(id);
      leases.push(Object.freeze({ id, owner: this.owner, entry: decode(reply[i + 1]) }));
    }
    return leases;
  }

  async done(lease: Lease, options: DoneOptions = {}): Promise<boolean> {
    if (this.#closed) throw closedError();
    if (lease.owner !== this.owner) return false;
    this.#held.delete(lease.id);
    const record = options.record;
    const failed = record !== undefined && (record as { error?: unknown }).error != null;
    const reply = await this.#call(
      "tDone",
      lease.id,
      lease.entry.host,
      failed ? 1 : 0,
      record === undefined ? "" : JSON.stringify(record),
    );
    return reply === 1;
  }

  async release(lease: Lease, options: { delayMs?: number } = {}): Promise<boolean> {
    if (this.#closed) throw closedError();
    if (lease.owner !== this.owner) return false;
    this.#held.delete(lease.id);
    const entry = { ...lease.entry, retries: (lease.entry.retries ?? 0) + 1 };
    const delayMs = Math.max(0, Math.ceil(options.delayMs ?? 0));
    const reply = await this.#call(
      "tRelease",
      lease.id,
      delayMs,
      encode(entry),
      entry.host,
      entry.depth,
    );
    return reply === 1;
  }

  async renew(lease: Lease): Promise<boolean> {
    if (this.#closed) throw closedError();
    if (lease.owner !== this.owner) return false;
    const [held] = await this.#call("tRenew", this.#leaseMs, this.owner, lease.id) as number[];
    if (held !== 1) this.#held.delete(lease.id);
    return held === 1;
  }

  async counts(): Promise<FrontierCounts> {
    if (this.#closed) throw closedError();
    try {
      const [seen, admitted, queued, leased, done] = await this.redis.hmget(
        this.prefix + "n",
        "seen",
        "admitted",
        "queued",
        "leased",
        "done",
      );
      return {
        seen: Number(seen ?? 0),
        admitted: Number(admitted ?? 0),
        queued: Number(queued ?? 0),
        leased: Number(leased ?? 0),
        done: Number(done ?? 0),
      };
    } catch (error) {
      throw this.#client.explain(error);
    }
  }

  async addScopeKeys(keys: readonly string[]): Promise<void> {
    if (this.#closed) throw closedError();
    try {
      if (keys.length > 0) await this.redis.sadd(this.prefix + "scope", ...keys);
    } catch (error) {
      throw this.explain(error);
    }
  }

  async scopeKeys(): Promise<string[]> {
    if (this.#closed) throw closedError();
    try {
      return await this.redis.smembers(this.prefix + "scope");
    } catch (error) {
      throw this.explain(error);
    }
  }

  explain(error: unknown): unknown {
    return this.#client.explain(error);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#client.close();
  }

  /** Extend every lease this handle holds; forget those that were taken back. */
  async #renewAll(): Promise<void> {
    if (this.#closed) return;
    const ids = [...this.#held];
    try {
      for (let i = 0; i < Math.max(ids.length, 1); i += 1000) {
        const batch = ids.slice(i, i + 1000);
        const held = await this.#call("tRenew", this.#leaseMs, this.owner, ...batch) as number[];
        batch.forEach((id, j) => {
          if (held[j] !== 1) this.#held.delete(id);
        });
      }
    } catch {
      // Redis unreachable: the next tick tries again; the operations report the failure.
    }
  }
}

/** `-1` for no limit. */
function limit(value: number | undefined): number {
  return value === undefined || value === Infinity ? -1 : Math.max(0, Math.floor(value));
}

function encode(e: FrontierEntry): string {
  return JSON.stringify([
    e.url,
    e.depth,
    e.host,
    e.retries ?? 0,
    e.referrer ?? null,
    e.validators ?? null,
  ]);
}

function decode(json: string): FrontierEntry {
  const [url, depth, host, retries, referrer, validators] = JSON.parse(json) as [
    string,
    number,
    string,
    number,
    string | null,
    FrontierEntry["validators"] | null,
  ];
  const entry: FrontierEntry = { url, depth, host };
  if (retries > 0) entry.retries = retries;
  if (referrer !== null) entry.referrer = referrer;
  if (validators !== null) entry.validators = validators;
  return entry;
}

function closedError(): TrawlError {
  return new TrawlError("ABORTED", "the frontier store is closed");
}
