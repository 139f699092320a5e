/**
 * The fetch layer alone, for scripts: fetch a list of URLs with a global cap and a
 * per-host cap, and handle results in completion order (the "as completed"
 * pattern). A failed URL is a result with `error`, never an exception.
 *
 * Run: `deno run -A examples/gather.ts [urls.txt]`
 *
 * @module
 */

import { readSeeds } from "../mod.ts";
import { fetchAll } from "../fetch.ts";

const seedFile = Deno.args[0] ?? new URL("./urls.txt", import.meta.url).pathname;

async function* urls(): AsyncGenerator<string> {
  for await (const seed of readSeeds(seedFile)) yield seed.url;
}

for await (
  const result of fetchAll(urls(), { maxInFlight: 64, maxPerHost: 4, timeoutMs: 15_000 })
) {
  const outcome = result.error ? result.error.code : `${result.status} ${result.body.length} bytes`;
  console.log(`${outcome}\t${result.timings.totalMs.toFixed(0)} ms\t${result.url}`);
}
