/**
 * The crawl-wide facts a distributed crawl keeps in Redis beside its frontier:
 * the settings every worker must share (stored by the first, checked by the
 * others), whether the seeds are all in, and whether the crawl is complete.
 *
 * Keys (prefix `trawl:{crawl}:`): `config` (JSON), `seeded`, `complete`.
 *
 * @module
 */

import type { Redis } from "ioredis";
import { TrawlError } from "../trawl_error.ts";

/** The settings a crawl is bound to (flag -> value). */
export type CrawlConfig = Record<string, unknown>;

/** The key a worker without a seed file leaves out of the comparison. */
export const SEED_KEY = "seed file";

/**
 * Store `config` as the crawl's settings if it has none; else compare. Resolves
 * `true` for the first worker. Throws `INVALID_OPTION` naming each difference.
 *
 * @example Join a crawl
 * ```ts ignore
 * import { claimCrawl } from "./_redis_crawl_meta.ts";
 *
 * declare const redis: import("ioredis").Redis;
 * const first = await claimCrawl(redis, "trawl:{docs}:", "docs", { "--depth": 2 });
 * ```
 */
export async function claimCrawl(
  redis: Redis,
  prefix: string,
  name: string,
  config: CrawlConfig,
): Promise<boolean> {
  // The seed file's fingerprint apart: the first worker may have joined without one.
  const { [SEED_KEY]: seedFile, ...settings } = config;
  const stored = await storeOrGet(redis, prefix + "config", settings);
  const differences = diffConfig(stored, settings);
  if (seedFile !== undefined) {
    const storedSeed = await storeOrGet(redis, prefix + "seedfile", { [SEED_KEY]: seedFile });
    differences.push(...diffConfig(storedSeed, { [SEED_KEY]: seedFile }));
  }
  if (differences.length > 0) {
    throw new TrawlError(
      "INVALID_OPTION",
      `--crawl ${name} runs with other settings: ${differences.join("; ")}. ` +
        `Give every worker the same flags and seed file, or another --crawl name`,
    );
  }
  return stored === null;
}

/** Store `value` at `key` unless something is there; resolves what was there (`null`: stored). */
async function storeOrGet(
  redis: Redis,
  key: string,
  value: CrawlConfig,
): Promise<CrawlConfig | null> {
  if ((await redis.set(key, JSON.stringify(value), "NX")) === "OK") return null;
  return JSON.parse((await redis.get(key)) ?? "{}") as CrawlConfig;
}

/** `"--depth: 2 in Redis, 3 here"` for each setting that differs from the stored ones. */
function diffConfig(stored: CrawlConfig | null, config: CrawlConfig): string[] {
  if (stored === null) return [];
  const keys = [...new Set([...Object.keys(stored), ...Object.keys(config)])];
  return keys.flatMap((key) => {
    const a = JSON.stringify(stored[key] ?? null);
    const b = JSON.stringify(config[key] ?? null);
    return a === b ? [] : [`${key}: ${a} in Redis, ${b} here`];
  });
}

/** The crawl's stored settings, or `null` when no worker started it. */
export async function crawlConfig(redis: Redis, prefix: string): Promise<CrawlConfig | null> {
  const stored = await redis.get(prefix + "config");
  return stored === null ? null : JSON.parse(stored) as CrawlConfig;
}

/** Every seed was added (by some worker): workers may end the crawl once it runs dry. */
export async function markSeeded(redis: Redis, prefix: string): Promise<void> {
  await redis.set(prefix + "seeded", "1");
}

/** Whether the seeds are all in. */
export async function isSeeded(redis: Redis, prefix: string): Promise<boolean> {
  return (await redis.get(prefix + "seeded")) === "1";
}

/** Nothing is queued or leased anywhere and the seeds are in: the crawl is over. */
export async function markComplete(redis: Redis, prefix: string): Promise<void> {
  await redis.set(prefix + "complete", "1");
}

/** Whether the crawl is over. */
export async function isComplete(redis: Redis, prefix: string): Promise<boolean> {
  return (await redis.get(prefix + "complete")) === "1";
}

/**
 * A seed source that adds `seeds` and then marks the crawl seeded, or (no seed
 * file) waits until another worker marked it seeded: a worker must not find an
 * empty frontier and end the crawl before the seeds are in. A joining worker then
 * reads one seed URL per host back (already in the frontier, so nothing is
 * added): a seed on a private address lets its crawl reach that address, in
 * every worker.
 *
 * @example A joining worker's seeds
 * ```ts ignore
 * import { seedsThenMark } from "./_redis_crawl_meta.ts";
 *
 * declare const redis: import("ioredis").Redis;
 * const seeds = seedsThenMark(redis, "trawl:{docs}:", null, 200);
 * ```
 */
export async function* seedsThenMark<T extends string | { url: string }>(
  redis: Redis,
  prefix: string,
  seeds: AsyncIterable<T> | null,
  pollMs: number,
  signal?: AbortSignal,
): AsyncGenerator<T | string> {
  if (seeds !== null) {
    const perHost = new Map<string, string>();
    // The pump adds each seed before it asks for the next: once this loop ends, all are in.
    for await (const seed of seeds) {
      const url = typeof seed === "string" ? seed : seed.url;
      const host = URL.parse(url.trim())?.host;
      if (host !== undefined && !perHost.has(host) && perHost.size < MAX_SEED_HOSTS) {
        perHost.set(host, url.trim());
      }
      yield seed;
    }
    const urls = [...perHost.values()];
    for (let i = 0; i < urls.length; i += 1000) {
      await redis.sadd(prefix + "seedurls", ...urls.slice(i, i + 1000));
    }
    await markSeeded(redis, prefix);
    return;
  }
  while (!(await isSeeded(redis, prefix))) {
    if (signal?.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  yield* await redis.smembers(prefix + "seedurls");
}

/** Seed hosts remembered for joining workers (their private addresses are allowed). */
const MAX_SEED_HOSTS = 100_000;
