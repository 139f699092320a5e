/**
 * CPU work off the main thread (`@trawl/trawl/pool`): a pool of sandboxed Web
 * Workers (or permission-less `deno` processes) with backpressure, and the HTML
 * parse pool the crawler itself uses.
 *
 * - {@linkcode createWorkerPool}: run an exported function of your module in workers.
 * - {@linkcode createParsePool}: parse pages (title, links, `select` fields, an extractor).
 *
 * @example Run a function of your own module in two workers
 * ```ts
 * import { createWorkerPool } from "./pool.ts";
 *
 * // words.ts: export function count(text: string) { return text.split(/\s+/).length; }
 * async function countWords(texts: string[]): Promise<number[]> {
 *   await using pool = createWorkerPool<string, number>("./words.ts", {
 *     workers: 2,
 *     exportName: "count",
 *   });
 *   return await Promise.all(texts.map((text) => pool.run(text)));
 * }
 * ```
 *
 * @module
 */

export {
  createWorkerPool,
  type LateError,
  type RunOptions,
  type WorkerPool,
  type WorkerPoolOptions,
} from "./src/parse/worker_pool.ts";
export {
  createParsePool,
  type ParseOptions,
  type ParsePool,
  type ParsePoolOptions,
} from "./src/parse/parse_pool.ts";
export type { PageInput, PageLink, PageResult } from "./src/types.ts";
