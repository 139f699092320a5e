/**
 * What earlier runs of a crawl saw of each page, for incremental recrawls: the
 * validators for conditional requests, a hash of the body for pages without
 * them, and the page's links, so discovery goes on behind a page that did not
 * change (a `304 Not Modified` has no body to find links in).
 *
 * A run is one pass over the site. The owner of the history starts each run
 * with {@linkcode PageHistory.startRun} (the CLI does it for `--recrawl`); the
 * crawl marks every URL it reaches in that run, and at its end the pages of
 * earlier runs that were not reached are `gone`.
 *
 * Every implementation runs the contract suite in
 * `tests/recrawl/_page_history_contract.ts`.
 *
 * @module
 */

/**
 * What a run saw of one page.
 *
 * @example A page served with an ETag
 * ```ts
 * import type { PageMemo } from "./page_history.ts";
 *
 * const memo: PageMemo = {
 *   depth: 1, status: 200, etag: '"v1"', fetchedAt: Date.now(), title: "Shoes",
 *   outlinks: ["https://shop.example/shoes?page=2"],
 * };
 * ```
 */
export interface PageMemo {
  /** Link depth the page was reached at. */
  depth: number;
  /** HTTP status of the last fetch that got a response; `null` when none ever did. */
  status: number | null;
  /** The `ETag` response header, sent back as `If-None-Match`. @default {undefined} */
  etag?: string;
  /** The `Last-Modified` response header, sent back as `If-Modified-Since`. @default {undefined} */
  lastModified?: string;
  /** SHA-256 (first 128 bits, hex) of the decoded body of the last 2xx response. @default {undefined} */
  contentHash?: string;
  /** When the page was last fetched, ms since the epoch. */
  fetchedAt: number;
  /** The page's title, or `null`. */
  title: string | null;
  /** The absolute URLs of the links the page had (those the crawl follows). */
  outlinks: string[];
}

/**
 * Pages of earlier runs, by normalized URL.
 *
 * ## Contract (every implementation)
 *
 * - **Runs.** `startRun()` begins a new run and resolves its number (1 for the
 *   first). Before any `startRun()` the history is in run 1 when empty, else
 *   in the run it was left in (a resumed run goes on).
 * - **Reach.** `reach(url)` marks `url` as reached in the current run and
 *   resolves what the latest earlier `remember(url)` stored (in this run or an
 *   earlier one), or `null`. Reaching twice is harmless.
 * - **Remember.** `remember(url, memo)` stores `memo` as the page's latest and
 *   marks it reached.
 * - **Unreached.** `unreached(max, after)` lists, in ascending URL order, up to
 *   `max` URLs greater than `after` (all when `after` is `""`) whose page was
 *   remembered in an earlier run and not reached in the current one, with
 *   their memos: the pages that are gone.
 * - **Forget.** `forget(url)` drops the page: a later `reach` gives `null`.
 * - **Failures.** A history that cannot reach its backend rejects.
 *
 * @example One step of a recrawl
 * ```ts
 * import type { PageHistory } from "./page_history.ts";
 *
 * async function changed(history: PageHistory, url: string, hash: string): Promise<boolean> {
 *   const memo = await history.reach(url);
 *   return memo?.contentHash !== hash;
 * }
 * ```
 */
export interface PageHistory {
  /** Begin the next run; resolves its number. */
  startRun(): Promise<number>;
  /** Mark `url` reached in this run; resolves what was stored of it, or `null`. */
  reach(url: string): Promise<PageMemo | null>;
  /** Store what this run saw of `url` (and mark it reached). */
  remember(url: string, memo: PageMemo): Promise<void>;
  /** Pages of earlier runs not reached in this one, after `after`, in URL order. */
  unreached(max: number, after: string): Promise<{ url: string; memo: PageMemo }[]>;
  /** Drop a page that is gone. */
  forget(url: string): Promise<void>;
}
