/**
 * The in-memory {@linkcode PageHistory}: for a process that recrawls on a
 * timetable and keeps its history for as long as it runs. The durable one
 * lives in the state file (`SqliteFrontierStore.history`).
 *
 * @module
 */

import type { PageHistory, PageMemo } from "./page_history.ts";

/**
 * A page history in memory.
 *
 * @example Recrawl every hour, reporting only what changed
 * ```ts ignore
 * import { crawl } from "../crawl.ts";
 * import { createMemoryPageHistory } from "./memory_page_history.ts";
 *
 * const history = createMemoryPageHistory();
 * setInterval(async () => {
 *   await history.startRun();
 *   for await (const record of crawl(["https://example.com/"], { maxDepth: 2, history })) {
 *     if (record.change !== "unchanged") console.log(record.change, record.url);
 *   }
 * }, 3_600_000);
 * ```
 */
export function createMemoryPageHistory(): PageHistory {
  const pages = new Map<string, { memo: PageMemo; run: number }>();
  let run = 1;
  return {
    startRun() {
      if (pages.size > 0) run++;
      return Promise.resolve(run);
    },
    reach(url) {
      const page = pages.get(url);
      if (page === undefined) return Promise.resolve(null);
      page.run = run;
      return Promise.resolve(page.memo);
    },
    remember(url, memo) {
      pages.set(url, { memo, run });
      return Promise.resolve();
    },
    unreached(max, after) {
      const found: { url: string; memo: PageMemo }[] = [];
      for (const [url, page] of pages) {
        if (page.run < run && url > after) found.push({ url, memo: page.memo });
      }
      found.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
      return Promise.resolve(found.slice(0, max));
    },
    forget(url) {
      pages.delete(url);
      return Promise.resolve();
    },
  };
}
