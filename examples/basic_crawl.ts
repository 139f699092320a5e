/**
 * The smallest useful crawl from a script: seeds from a file, one level of links,
 * titles printed as records arrive.
 *
 * Run: `deno run -A examples/basic_crawl.ts [urls.txt] [depth]`
 *
 * @module
 */

import { crawl, readSeeds } from "../mod.ts";

const seedFile = Deno.args[0] ?? new URL("./urls.txt", import.meta.url).pathname;
const depth = Number(Deno.args[1] ?? 1);

const run = crawl(readSeeds(seedFile), { maxDepth: depth, maxPages: 100, maxPerHost: 4 });
for await (const record of run) {
  const status = record.error ? record.error.code : record.status;
  console.log(`${status}\t${record.depth}\t${record.url}\t${record.title ?? ""}`);
}
const stats = run.stats.snapshot();
console.error(`${stats.pages} pages, ${stats.failed} failed, ${stats.pagesPerSecond} pages/s`);
