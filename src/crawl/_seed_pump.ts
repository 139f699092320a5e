/**
 * The seed pump: feeds seeds to the frontier as a stream, pausing while the
 * frontier holds `pauseAt` URLs and stopping for good once `maxPages` URLs are
 * admitted (a 10-million-line file is not read to the end for nothing).
 *
 * @module
 */

import type { Frontier } from "../frontier/frontier.ts";
import type { CrawlEvent } from "../crawl_events.ts";
import type { CrawlRecord } from "../types.ts";
import { failureRecord, invalidSeedId } from "./_records.ts";

/** A seed: a URL, optionally with the line it came from (for error messages). */
export interface Seed {
  /** The URL as written. */
  url: string;
  /** 1-based line number in the seed file. @default {undefined} */
  line?: number;
}

/** Where seeds come from. */
export type SeedSource = Iterable<string | Seed> | AsyncIterable<string | Seed>;

/** What the pump needs from the engine. */
export interface SeedPumpHost {
  /** Whether intake must stop (the crawl is stopping or aborted). */
  readonly stopping: boolean;
  /** Resolves when anything in the crawl changes (a URL taken, a record consumed). */
  changed(): Promise<void>;
  /** Something changed here (a seed was queued). */
  notify(): void;
  /** Send a crawl event. */
  emit(event: CrawlEvent): void;
  /** Hand out a record with no lease behind it (an invalid seed line). */
  output(record: CrawlRecord): void;
  /** Tell a human (an invalid seed line). */
  warn(message: string): void;
  /**
   * A valid seed was read (new or already in the frontier: a resumed crawl reads its
   * seeds again). Awaited before the next seed: what a seed grants its crawl (reaching
   * its own private address) must hold before its host's URLs are fetched.
   */
  seedRead(url: string): Promise<void>;
  /** The first batch of seeds was read (or the source ended): the crawl may start taking URLs. */
  started(): void;
}

const BATCH = 64;

/**
 * Read `seeds` into `frontier` until the source ends, the crawl stops or the page
 * budget is full; resolves `true` when the source was read to its end. A source
 * that throws rejects (fatal: nothing more can be admitted).
 */
export async function pumpSeeds(
  seeds: SeedSource,
  frontier: Frontier,
  host: SeedPumpHost,
  pauseAt: number,
): Promise<boolean> {
  const it = toAsyncIterator(seeds);
  let ended = false;
  try {
    while (!host.stopping && !frontier.full) {
      const changed = host.changed();
      if ((await frontier.counts()).queued >= pauseAt) {
        await changed;
        continue;
      }
      for (let n = 0; n < BATCH; n++) {
        const next = await it.next();
        if (next.done) {
          ended = true;
          host.started();
          return true;
        }
        await addSeed(typeof next.value === "string" ? { url: next.value } : next.value);
        if (frontier.full || host.stopping) break;
      }
      host.started();
    }
  } finally {
    host.started();
    if (!ended) await it.return?.();
  }
  return false;

  async function addSeed(seed: Seed): Promise<void> {
    const outcome = await frontier.addSeed(seed.url);
    if (outcome.ok || outcome.duplicate) await host.seedRead(seed.url);
    if (outcome.ok) {
      host.emit({ type: "seed", url: seed.url, outcome: "added" });
      host.notify();
      return;
    }
    if (outcome.duplicate || outcome.overLimit) {
      host.emit({
        type: "seed",
        url: seed.url,
        outcome: outcome.duplicate ? "duplicate" : "overLimit",
      });
      return;
    }
    host.emit({ type: "seed", url: seed.url, outcome: "invalid" });
    const where = seed.line === undefined ? "seed" : `line ${seed.line}`;
    host.warn(`${where}: ${outcome.error.message}`);
    // Recorded once per crawl: a resumed crawl reads its seeds again.
    const id = invalidSeedId(seed.url, seed.line);
    if (await frontier.claim(`invalid-seed:${id}`)) {
      host.output(failureRecord(id, seed.url, 0, outcome.error));
    }
  }
}

function toAsyncIterator<T>(source: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  const it = source[Symbol.iterator]();
  return {
    next: () => Promise.resolve(it.next()),
    return: (value?: unknown) =>
      Promise.resolve(it.return?.(value) ?? { done: true, value: undefined }),
  } as AsyncIterator<T>;
}
