/**
 * Fetch a stream of URLs with bounded memory, yielding results as they finish.
 *
 * @module
 */

import type { FetchResult } from "../types.ts";
import { createFetcher, type Fetcher, type FetcherOptions } from "./fetcher.ts";

/** Options for {@linkcode fetchAll}. */
export interface FetchAllOptions extends FetcherOptions {
  /**
   * A fetcher to reuse (it is not closed at the end); when absent one is made
   * from these options and closed when the iteration ends. @default {undefined}
   */
  fetcher?: Fetcher;
  /**
   * URLs started but not yet handed to the consumer (running plus finished
   * and waiting): the input is pulled only as this window frees up.
   * @default {maxInFlight} (128)
   */
  maxPending?: number;
}

/**
 * Fetch every URL of `urls` (sync or async iterable, pulled lazily) and yield
 * the results in completion order. One bad URL is a result with `error`, never
 * an exception. Breaking out of the loop aborts what is still running.
 *
 * @example Fetch a million generated URLs with 256 in flight
 * ```ts
 * import { fetchAll } from "./fetch_all.ts";
 *
 * function* urls() {
 *   for (let i = 0; i < 1_000_000; i++) yield `http://127.0.0.1:8000/p/${i}`;
 * }
 * async function fetchEverything() {
 *   for await (const r of fetchAll(urls(), { maxInFlight: 256, maxPerHost: 256 })) {
 *     if (r.error) console.error(r.url, r.error.code);
 *   }
 * }
 * ```
 */
export async function* fetchAll(
  urls: Iterable<string | URL> | AsyncIterable<string | URL>,
  options: FetchAllOptions = {},
): AsyncGenerator<FetchResult, void, undefined> {
  const maxPending = options.maxPending ?? options.maxInFlight ?? 128;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  // A fetcher of our own takes the signal once, for all its fetches; a shared one per fetch.
  const fetcher = options.fetcher ?? createFetcher({ ...options, signal });
  const fetchOptions = options.fetcher ? { signal } : {};
  const isAsync = Symbol.asyncIterator in urls;
  const iterator = isAsync
    ? urls[Symbol.asyncIterator]()
    : (urls as Iterable<string | URL>)[Symbol.iterator]();
  const done: FetchResult[] = [];
  let running = 0;
  let wake: (() => void) | null = null;
  const sleepUntilWoken = async () => {
    await new Promise<void>((resolve) => wake = resolve);
    wake = null;
  };
  // One shared callback (no closure or promise bookkeeping per URL).
  const onResult = (result: FetchResult) => {
    running--;
    done.push(result);
    wake?.();
  };
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && running + done.length < maxPending) {
        // A sync iterator is not awaited: no microtask hop per URL.
        const next = isAsync
          ? await iterator.next()
          : iterator.next() as IteratorResult<string | URL>;
        if (next.done) {
          exhausted = true;
          break;
        }
        running++;
        fetcher.fetch(next.value, fetchOptions).then(onResult);
      }
      if (done.length > 0) {
        yield done.shift()!;
        continue;
      }
      if (exhausted && running === 0) return;
      await sleepUntilWoken();
    }
  } finally {
    stop.abort();
    while (running > 0) await sleepUntilWoken();
    if (!exhausted) await iterator.return?.();
    if (!options.fetcher) await fetcher.close();
  }
}
