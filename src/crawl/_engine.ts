/**
 * The crawl loop (Scrapy's engine): takes URLs of ready hosts from the frontier
 * while {@linkcode CrawlEngine.needsBackout} says there is room, runs each
 * through the {@linkcode UrlPipeline}, and hands records to the consumer. A
 * URL is acknowledged (`done` in the frontier) only after its record was
 * handed over: when the consumer asks for the next record.
 *
 * @module
 */

import type { CrawlEvent } from "../crawl_events.ts";
import type { Frontier } from "../frontier/frontier.ts";
import type { Lease } from "../frontier/frontier_store.ts";
import type { ParsePool } from "../parse/parse_pool.ts";
import type { HostPermit, HostPolicy } from "../policy/host_policy.ts";
import type { PageHistory, PageMemo } from "../recrawl/page_history.ts";
import type { CrawlRecord, FieldStatus } from "../types.ts";
import { serializeError, TrawlError } from "../trawl_error.ts";
import { failureRecord, recordId } from "./_records.ts";
import { pumpSeeds, type SeedPumpHost, type SeedSource } from "./_seed_pump.ts";
import type { UrlPipeline } from "./_url_pipeline.ts";

/** Records made and not yet taken by the consumer, before admission pauses. */
const MAX_PENDING_RECORDS = 1024;
/**
 * Body bytes fetched and waiting for (or in) the parse pool before admission pauses:
 * the backlog is bounded by size, as Scrapy bounds its scraper slot, not by a page
 * count that a burst of small pages would hit at once. 16 MiB is ~1,000 small pages
 * (0.2 s of a worker's parsing) or ~40 heavy ones; measured with the Tokenizer scan,
 * 64 MiB gave no faster latency crawl and a heavy-page crawl peak of 425-444 MB RSS
 * against 347-390 MB with 16 MiB.
 */
const MAX_PARSE_BACKLOG_BYTES = 16 * 2 ** 20;
/** Leases asked of the frontier per round trip. */
const TAKE_BATCH = 64;
/** Pages no longer reached, read from the history per round trip at the end of a recrawl. */
const GONE_BATCH = 256;

/** The parts the loop drives. */
export interface EngineParts {
  frontier: Frontier;
  policy: HostPolicy;
  pool: ParsePool;
  pipeline: UrlPipeline;
  /** URLs in flight at once (`maxInFlight`). */
  maxInFlight: number;
  /** URLs queued in the frontier before seed intake pauses. */
  seedPauseAt: number;
  /** The crawl's abort controller (aborting ends requests in flight as ABORTED). */
  abort: AbortController;
  /** Sends a crawl event to the stats and the user's listener. */
  emit(event: CrawlEvent): void;
  onWarning: ((message: string) => void) | undefined;
  /** A valid seed was read (see `SeedPumpHost.seedRead`). */
  onSeed(url: string): Promise<void>;
  /** The seed source was read to its end (the count of URLs is known when no link is followed). */
  onSeedsRead(): void;
  /** What earlier runs saw (a recrawl): pages it holds that this run did not reach are `gone`. */
  history: PageHistory | null;
  /** Whether every link and seed found was admitted (no budget or queue bound refused one). */
  reachedAll(): boolean;
  /** Closes what the wiring opened (fetcher, pool, policy, store), once the loop is over. */
  close(): Promise<void>;
}

interface Output {
  record: CrawlRecord;
  /** Statuses of the record's typed fields, when any were checked. */
  fields?: Record<string, FieldStatus>;
  /** Acknowledged (done in the frontier) once the consumer moves past the record. */
  lease: Lease | null;
  /** Run once the consumer moves past the record, before the lease's `done`. */
  onAck?: () => Promise<void>;
  attempts: number;
  host: string;
}

/** One crawl's loop and its record queue. */
export class CrawlEngine implements SeedPumpHost {
  #p: EngineParts;
  #seeds: SeedSource;
  #stopping = false;
  #finished = false;
  #failure: unknown = undefined;
  #out: Output[] = [];
  #outHead = 0;
  #tasks = new Set<Promise<void>>();
  #backlogBytes = 0;
  /** Leases per host in one take (see `#adaptPerHost`). */
  #perHost = 1;
  /** Records with a lease pushed and not yet acknowledged. */
  #unacked = 0;
  /** The parts were closed (the loop is over). */
  #closed = false;
  /** Resolved once the first batch of seeds is read: a resumed crawl's seeds first re-grant what they grant. */
  #started = Promise.withResolvers<void>();
  /** Resolved (and replaced) whenever anything changes: a record, a finished task, a seed, stop(). */
  #changed = Promise.withResolvers<void>();

  constructor(seeds: SeedSource, parts: EngineParts) {
    this.#seeds = seeds;
    this.#p = parts;
  }

  get stopping(): boolean {
    return this.#stopping || this.#p.abort.signal.aborted;
  }

  stop(): void {
    this.#stopping = true;
    this.notify();
  }

  changed(): Promise<void> {
    return this.#changed.promise;
  }

  notify(): void {
    this.#changed.resolve();
    this.#changed = Promise.withResolvers<void>();
  }

  emit(event: CrawlEvent): void {
    this.#p.emit(event);
  }

  warn(message: string): void {
    this.#p.onWarning?.(message);
  }

  seedRead(url: string): Promise<void> {
    return this.#p.onSeed(url);
  }

  started(): void {
    this.#started.resolve();
  }

  output(record: CrawlRecord): void {
    this.#push({ record, lease: null, attempts: 0, host: "" });
  }

  /** Count body bytes into and out of the parse backlog. */
  backlog(bytes: number): void {
    this.#backlogBytes += bytes;
    if (bytes < 0) this.notify();
  }

  /**
   * The one backpressure check (Scrapy's `needs_backout`): no new URL is taken
   * while the crawl holds `maxInFlight` URLs, the parse backlog holds 16 MiB of
   * bodies or the pool's queue is full, or 1,024 records wait for the consumer.
   */
  needsBackout(): boolean {
    const pool = this.#p.pool;
    return this.#tasks.size >= this.#p.maxInFlight ||
      this.#backlogBytes >= MAX_PARSE_BACKLOG_BYTES || pool.size >= pool.capacity ||
      this.#out.length - this.#outHead >= MAX_PENDING_RECORDS;
  }

  /** Yield records as they are made; a record's URL is acked when the next one is asked for. */
  async *records(): AsyncGenerator<CrawlRecord> {
    const running = this.#run().catch((error) => {
      this.#failure ??= error;
    }).finally(() => {
      this.#finished = true;
      this.notify();
    });
    // Acks in flight (a store that allows more than one at a time): issued in order.
    const window = this.#p.frontier.maxAcksInFlight;
    const acks = new Set<Promise<void>>();
    let ackFailure = null as { error: unknown } | null;
    try {
      while (true) {
        const next = this.#shift();
        if (next) {
          yield next.record;
          // The consumer asked for more: the record is handed over.
          if (window <= 1) await this.#ack(next);
          else {
            const ack: Promise<void> = this.#ack(next)
              .catch((error) => void (ackFailure ??= { error }))
              .finally(() => acks.delete(ack));
            acks.add(ack);
            if (acks.size >= window) await Promise.race(acks);
          }
          if (ackFailure !== null) throw ackFailure.error;
          continue;
        }
        if (this.#finished) break;
        await this.#changed.promise;
      }
      await Promise.all(acks);
      if (ackFailure !== null) throw ackFailure.error;
      if (this.#failure !== undefined) throw this.#failure;
    } finally {
      // The crawl ended, or the consumer broke out early (its last record stays unacked).
      await Promise.all(acks);
      this.#p.abort.abort();
      this.notify();
      await running;
    }
  }

  async #ack(output: Output): Promise<void> {
    if (output.lease === null && output.onAck === undefined) return;
    // The record was handed over: its URL is done (and its page history updated), also
    // after an abort closed the parts (a store the caller owns, a durable crawl's, is
    // still open and counts the record as written). Only a store the crawl closed itself
    // leaves it unfinished.
    try {
      await output.onAck?.();
      if (output.lease !== null) {
        await this.#p.frontier.done(output.lease, { record: output.record });
      }
    } catch (error) {
      if (!this.#closed || !(error instanceof TrawlError && error.code === "ABORTED")) throw error;
    }
    this.#unacked--;
    this.notify();
  }

  #push(output: Output): void {
    this.emit({
      type: "record",
      record: output.record,
      host: output.host,
      attempts: output.attempts,
      fields: output.fields,
    });
    this.#out.push(output);
    if (output.lease !== null || output.onAck !== undefined) this.#unacked++;
    this.notify();
  }

  #shift(): Output | undefined {
    if (this.#outHead >= this.#out.length) return undefined;
    const output = this.#out[this.#outHead++];
    if (this.#outHead === this.#out.length) {
      this.#out = [];
      this.#outHead = 0;
    }
    return output;
  }

  async #run(): Promise<void> {
    const { frontier, policy, pipeline, abort } = this.#p;
    const signal = abort.signal;
    let seedsDone = false;
    const pump = pumpSeeds(this.#seeds, frontier, this, this.#p.seedPauseAt)
      .then((ended) => ended && this.#p.onSeedsRead())
      .catch((error) => {
        // A seed source that fails (an unreadable file, say) is fatal.
        this.#failure ??= error;
        abort.abort(error);
      })
      .finally(() => {
        seedsDone = true;
        this.notify();
      });
    try {
      await Promise.race([this.#started.promise, pump]);
      while (!signal.aborted) {
        while (!this.stopping && !this.needsBackout()) {
          const excludeHosts = await policy.blockedHosts();
          const room = this.#p.maxInFlight - this.#tasks.size;
          const leases = await frontier.take(Math.min(room, TAKE_BATCH), {
            excludeHosts,
            maxPerHost: this.#perHost,
          });
          if (leases.length === 0) break;
          // Asked together: a shared policy answers them in one round trip.
          const permits = await Promise.all(leases.map((l) => policy.tryAcquire(l.entry.host)));
          this.#adaptPerHost(leases, permits);
          for (let i = 0; i < leases.length; i++) {
            const lease = leases[i];
            // `null`: the host filled up since `blockedHosts`; the task waits its turn.
            const permit = permits[i];
            const task = pipeline.run(lease, permit).then(
              ({ record, attempts, fields, onAck }) =>
                this.#push({ record, lease, attempts, host: lease.entry.host, fields, onAck }),
              // The pipeline records its own failures; this is a fault in a part (a shared
              // policy that rejects, say): the URL still ends with a record, so nothing hangs.
              (error) =>
                this.#push({
                  record: failureRecord(
                    recordId(lease.entry.url),
                    lease.entry.url,
                    lease.entry.depth,
                    serializeError(error, "NETWORK_ERROR"),
                  ),
                  lease,
                  attempts: 0,
                  host: lease.entry.host,
                }),
            ).finally(() => {
              this.#tasks.delete(task);
              this.notify();
            });
            this.#tasks.add(task);
          }
        }
        const changed = this.#changed.promise;
        const counts = await frontier.counts();
        this.emit({ type: "frontier", queued: counts.queued, inFlight: this.#tasks.size });
        // Over when nothing is queued and nothing is leased anywhere. Records waiting
        // for the consumer hold their leases until they are handed over, also when
        // stopping, so every record made is delivered and acknowledged first.
        if (
          this.#tasks.size === 0 && this.#unacked === 0 &&
          (this.#stopping || (seedsDone && counts.queued === 0 && counts.leased === 0))
        ) break;
        await sleepUntil(changed, policy.nextReadyMs());
      }
      await Promise.allSettled(this.#tasks);
      this.emit({ type: "frontier", queued: (await frontier.counts()).queued, inFlight: 0 });
      if (this.#p.history !== null && !this.stopping) await this.#reportGone(this.#p.history);
    } finally {
      this.#stopping = true;
      this.notify();
      await pump;
      this.#closed = true;
      await this.#p.close();
    }
  }

  /**
   * Leases per host in the next take: doubled (up to a whole batch) while every
   * lease of a take got its permit and some host filled its share, back to 1 once
   * one did not. Hosts take turns within a take either way; a crawl of a few
   * hosts that admit many requests at once takes them in a few round trips (a
   * shared store's take and permits cost one each) instead of one lease per take,
   * while a host that admits one request at a time is taken one lease at a time,
   * so no lease waits for a permit holding an in-flight place.
   */
  #adaptPerHost(leases: readonly Lease[], permits: readonly (HostPermit | null)[]): void {
    if (permits.includes(null)) {
      this.#perHost = 1;
      return;
    }
    const perHost = new Map<string, number>();
    for (const { entry } of leases) {
      const n = (perHost.get(entry.host) ?? 0) + 1;
      perHost.set(entry.host, n);
      if (n >= this.#perHost) {
        this.#perHost = Math.min(this.#perHost * 2, TAKE_BATCH);
        return;
      }
    }
  }

  /**
   * The end of a recrawl that reached everything it could: a `gone` record for
   * each page of the earlier runs this run did not reach. A page is forgotten
   * when its record is handed over, so a resumed run reports the rest.
   */
  async #reportGone(history: PageHistory): Promise<void> {
    if (!this.#p.reachedAll()) {
      this.warn(
        "pages not reached in this run are not reported gone: a budget or queue bound " +
          "refused links (see the link stats), so they may still be there",
      );
      return;
    }
    let after = "";
    while (!this.stopping) {
      const batch = await history.unreached(GONE_BATCH, after);
      if (batch.length === 0) break;
      for (const { url, memo } of batch) {
        after = url;
        this.#push({
          record: goneRecord(url, memo),
          lease: null,
          onAck: () => history.forget(url),
          attempts: 0,
          host: "",
        });
      }
      while (this.#out.length - this.#outHead >= MAX_PENDING_RECORDS && !this.stopping) {
        await this.#changed.promise;
      }
    }
    while (this.#unacked > 0 && !this.#p.abort.signal.aborted) await this.#changed.promise;
  }
}

/** The record of a page of an earlier run that no link reaches any more. */
function goneRecord(url: string, memo: PageMemo): CrawlRecord {
  return {
    id: recordId(url),
    url,
    finalUrl: null,
    status: null,
    depth: memo.depth,
    title: memo.title,
    fetchedAt: new Date().toISOString(),
    ms: 0,
    bytes: 0,
    error: null,
    data: null,
    change: "gone",
  };
}

/** Wait for `changed`, or `ms` milliseconds when given. */
async function sleepUntil(changed: Promise<void>, ms: number | null): Promise<void> {
  if (ms === null) return await changed;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([changed, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
