/**
 * robots.txt on its own (`@trawl/trawl/robots`): fetched once per origin, cached,
 * and applied by the rules of RFC 9309.
 *
 * @example Ask whether a URL may be fetched
 * ```ts
 * import { createRobotsCache } from "./robots.ts";
 * import { createFetcher } from "./fetch.ts";
 *
 * async function allowed(url: string): Promise<boolean> {
 *   await using fetcher = createFetcher();
 *   const robots = createRobotsCache((u, o) => fetcher.fetch(u, o), {
 *     userAgent: "Mozilla/5.0 (compatible; ExampleBot/0.1; +https://example.com/bot)",
 *     productToken: "ExampleBot",
 *   });
 *   return (await robots.check(url)).allowed;
 * }
 * ```
 *
 * @module
 */

export {
  createRobotsCache,
  type RobotsCache,
  type RobotsCheckOptions,
  type RobotsOptions,
  type RobotsOutcome,
  type RobotsResolvedEvent,
  type RobotsVerdict,
} from "./src/robots/robots_cache.ts";
