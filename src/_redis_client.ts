/**
 * One `ioredis` connection for the Redis store, policy and CLI commands, set up
 * for a crawl: commands issued together go in one round trip (auto-pipelining);
 * while Redis is unreachable (a restart) commands wait and the client reconnects
 * with backoff; once it has been unreachable for longer than `timeoutMs` the
 * client gives up and every command rejects with `STORE_UNAVAILABLE`.
 *
 * @module
 */

import { Redis } from "ioredis";
import { TrawlError } from "./trawl_error.ts";

/** Defaults of {@linkcode RedisClientOptions}. */
export const REDIS_CLIENT_DEFAULTS = Object.freeze({
  url: "redis://127.0.0.1:6379/0",
  timeoutMs: 60_000,
  maxReconnectDelayMs: 2_000,
});

/**
 * Options for {@linkcode connectRedis}.
 *
 * @example Give up after 10 s without Redis
 * ```ts
 * import type { RedisClientOptions } from "./_redis_client.ts";
 *
 * const options: RedisClientOptions = { url: "redis://10.0.0.5:6379/0", timeoutMs: 10_000 };
 * ```
 */
export interface RedisClientOptions {
  /** `redis://[user:password@]HOST:PORT/DB`. @default {"redis://127.0.0.1:6379/0"} */
  url?: string;
  /** Give up once Redis was unreachable this long, ms (`--redis-timeout`). @default {60000} */
  timeoutMs?: number;
  /** Longest wait between reconnection attempts, ms. @default {2000} */
  maxReconnectDelayMs?: number;
}

/** A connected client plus the error to report once it gave up. */
export interface RedisClient {
  /** The ioredis client. */
  readonly redis: Redis;
  /** The URL it was made for (password hidden). */
  readonly url: string;
  /** Turn an ioredis failure into `STORE_UNAVAILABLE` once the client gave up; else return it. */
  explain(error: unknown): unknown;
  /** Close the connection (pending replies are awaited). */
  close(): Promise<void>;
}

/**
 * Open a client to `options.url`.
 *
 * @example Ping
 * ```ts ignore
 * import { connectRedis } from "./_redis_client.ts";
 *
 * const client = connectRedis({ url: "redis://127.0.0.1:6379/0" });
 * console.log(await client.redis.ping());
 * await client.close();
 * ```
 */
export function connectRedis(options: RedisClientOptions = {}): RedisClient {
  const url = options.url ?? REDIS_CLIENT_DEFAULTS.url;
  const timeoutMs = options.timeoutMs ?? REDIS_CLIENT_DEFAULTS.timeoutMs;
  const maxDelay = options.maxReconnectDelayMs ?? REDIS_CLIENT_DEFAULTS.maxReconnectDelayMs;
  let parsed: URL;
  try {
    parsed = new URL(url);
    if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") throw new Error();
  } catch {
    throw new TrawlError(
      "INVALID_OPTION",
      `--redis ${url}: not a Redis URL; give redis://HOST:PORT/DB`,
    );
  }
  if (parsed.password !== "") parsed.password = "***";
  const shown = parsed.href;
  let downSince: number | null = Date.now();
  let gaveUp = false;
  const redis = new Redis(url, {
    enableAutoPipelining: true,
    maxRetriesPerRequest: null,
    connectTimeout: Math.min(10_000, timeoutMs),
    retryStrategy: (times: number) => {
      if (downSince !== null && Date.now() - downSince > timeoutMs) {
        gaveUp = true;
        return null;
      }
      return Math.min(maxDelay, 50 * 2 ** Math.min(times, 10));
    },
  });
  redis.on("ready", () => (downSince = null));
  redis.on("close", () => (downSince ??= Date.now()));
  // Connection errors are retried (see retryStrategy); without a listener they are logged.
  redis.on("error", () => {});
  return {
    redis,
    url: shown,
    explain(error) {
      if (!gaveUp || error instanceof TrawlError) return error;
      return new TrawlError(
        "STORE_UNAVAILABLE",
        `Redis at ${shown} was unreachable for more than ${Math.round(timeoutMs / 1000)} s ` +
          `(--redis-timeout): start it again and run the same command again; nothing acknowledged is lost`,
        { cause: error },
      );
    },
    async close() {
      try {
        if (redis.status === "ready") await redis.quit();
        else redis.disconnect();
      } catch {
        redis.disconnect();
      }
    },
  };
}

/** The key prefix of crawl `name`: every key shares the hash tag `{name}` (one cluster slot). */
export function crawlPrefix(name: string): string {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) {
    throw new TrawlError(
      "INVALID_OPTION",
      `--crawl ${JSON.stringify(name)}: use 1-100 letters, digits, '.', '_' or '-'`,
    );
  }
  return `trawl:{${name}}:`;
}
