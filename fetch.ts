/**
 * trawl's fetch layer on its own (`@trawl/trawl/fetch`): a pooled, capped,
 * retrying HTTP client for scripts that already know their URLs.
 *
 * - {@linkcode fetchAll}: "gather with a semaphore", results in completion order.
 * - {@linkcode createFetcher}: one fetcher to share (connection pool, cap, retries).
 * - {@linkcode Semaphore}: the cap itself, for your own work.
 *
 * @example Fetch a list of URLs, 64 at a time
 * ```ts
 * import { fetchAll } from "./fetch.ts";
 *
 * async function gather(urls: string[]) {
 *   for await (const r of fetchAll(urls, { maxInFlight: 64 })) {
 *     console.log(r.status, r.url, r.error?.code);
 *   }
 * }
 * ```
 *
 * @module
 */

export {
  createFetcher,
  type Fetcher,
  type FetcherOptions,
  type FetcherStats,
  type FetchOptions,
} from "./src/fetch/fetcher.ts";
export { fetchAll, type FetchAllOptions } from "./src/fetch/fetch_all.ts";
export { Semaphore } from "./src/fetch/semaphore.ts";
export type { FetchResult, FetchTimings } from "./src/types.ts";
