/**
 * Live counters of a crawl: what the progress line shows, what the summary
 * prints and what `--stats FILE` writes.
 *
 * @module
 */

import { type CrawlRecord, emptyLinkOutcome, type LinkOutcome } from "./types.ts";

/** Counts of followed links by what happened to them: the frontier's outcomes plus `found`. */
export interface LinkCounts extends LinkOutcome {
  /** Links seen on fetched pages. */
  found: number;
}

/** A plain snapshot of {@linkcode CrawlStats}, as written by `--stats FILE`. */
export interface CrawlStatsSnapshot {
  /** Records written (one per attempted URL). */
  pages: number;
  /** Records with an error. */
  failed: number;
  /** Failures by error code. */
  failuresByCode: Record<string, number>;
  /** Responses by HTTP status. */
  statuses: Record<string, number>;
  /** Body bytes received on the wire. */
  bytes: number;
  /** Extra attempts made by retries. */
  retries: number;
  /** URLs refused by robots.txt. */
  robotsDisallowed: number;
  /** Seed lines read (blank lines and comments excluded). */
  seeds: number;
  /** Seed lines that were not valid URLs. */
  invalidSeeds: number;
  /** Seed lines repeating an earlier seed. */
  duplicateSeeds: number;
  /** Seeds refused by `maxPages` or the per-host budget. */
  overLimitSeeds: number;
  /** Followed links by outcome. */
  links: LinkCounts;
  /** URLs waiting in the frontier. */
  queued: number;
  /** Requests in flight. */
  inFlight: number;
  /** Latency percentiles of records (fetch + parse), ms; `null` before the first record. */
  latencyMs: { p50: number | null; p95: number | null; max: number | null };
  /** Time since the crawl started, ms. */
  durationMs: number;
  /** Records per second over the whole run. */
  pagesPerSecond: number;
  /** Total URLs the crawl will attempt, when known (all seeds read and no links followed). */
  total: number | null;
}

/**
 * Counters updated by the crawler as records are made. Latency percentiles come
 * from a 1 ms-resolution histogram (fixed memory, exact to the millisecond up to 2
 * minutes).
 *
 * @example Count a record
 * ```ts
 * import { CrawlStats } from "./crawl_stats.ts";
 *
 * const stats = new CrawlStats();
 * stats.addRecord({
 *   url: "https://example.com/", finalUrl: "https://example.com/", status: 200, depth: 0,
 *   title: "Example", fetchedAt: new Date().toISOString(), ms: 120, bytes: 1256, error: null, data: null,
 * }, 1);
 * console.log(stats.snapshot().pages); // 1
 * ```
 */
export class CrawlStats {
  #startedAt = performance.now();
  #latency = new Uint32Array(120_001);
  #maxLatency: number | null = null;
  #failuresByCode: Record<string, number> = {};
  #statuses: Record<string, number> = {};
  /** Records written. */
  pages = 0;
  /** Records with an error. */
  failed = 0;
  /** Body bytes received. */
  bytes = 0;
  /** Extra attempts made by retries. */
  retries = 0;
  /** URLs refused by robots.txt. */
  robotsDisallowed = 0;
  /** Seed lines read. */
  seeds = 0;
  /** Invalid seed lines. */
  invalidSeeds = 0;
  /** Repeated seed lines. */
  duplicateSeeds = 0;
  /** Seeds refused by `maxPages` or the per-host budget. */
  overLimitSeeds = 0;
  /** URLs waiting in the frontier (set by the crawler). */
  queued = 0;
  /** Requests in flight (set by the crawler). */
  inFlight = 0;
  /** Total URLs to attempt, when known (set by the crawler). */
  total: number | null = null;
  /** Followed links by outcome. */
  readonly links: LinkCounts = { found: 0, ...emptyLinkOutcome() };

  /** Count one written record; `attempts` is how many fetch attempts it took (0 if none). */
  addRecord(record: CrawlRecord, attempts: number): void {
    this.pages++;
    this.bytes += record.bytes;
    this.retries += Math.max(0, attempts - 1);
    if (record.status !== null) {
      this.#statuses[record.status] = (this.#statuses[record.status] ?? 0) + 1;
    }
    if (record.error) {
      this.failed++;
      this.#failuresByCode[record.error.code] = (this.#failuresByCode[record.error.code] ?? 0) + 1;
      if (record.error.code === "ROBOTS_DISALLOWED") this.robotsDisallowed++;
    }
    const ms = Math.max(0, Math.round(record.ms));
    this.#latency[Math.min(ms, this.#latency.length - 1)]++;
    this.#maxLatency = Math.max(this.#maxLatency ?? 0, record.ms);
  }

  /** Add link outcomes reported by the frontier. */
  addLinks(counts: Partial<LinkCounts>): void {
    for (const [key, value] of Object.entries(counts) as [keyof LinkCounts, number][]) {
      if (key in this.links && typeof value === "number") this.links[key] += value;
    }
  }

  /** Milliseconds since the crawl started. */
  get durationMs(): number {
    return performance.now() - this.#startedAt;
  }

  /** The latency at quantile `q` (0..1), ms; `null` before the first record. */
  latencyQuantile(q: number): number | null {
    if (this.pages === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.pages));
    let seen = 0;
    for (let ms = 0; ms < this.#latency.length; ms++) {
      seen += this.#latency[ms]!;
      if (seen >= rank) return ms;
    }
    return this.#latency.length - 1;
  }

  /** A plain copy of every counter. */
  snapshot(): CrawlStatsSnapshot {
    const durationMs = this.durationMs;
    return {
      pages: this.pages,
      failed: this.failed,
      failuresByCode: { ...this.#failuresByCode },
      statuses: { ...this.#statuses },
      bytes: this.bytes,
      retries: this.retries,
      robotsDisallowed: this.robotsDisallowed,
      seeds: this.seeds,
      invalidSeeds: this.invalidSeeds,
      duplicateSeeds: this.duplicateSeeds,
      overLimitSeeds: this.overLimitSeeds,
      links: { ...this.links },
      queued: this.queued,
      inFlight: this.inFlight,
      latencyMs: {
        p50: this.latencyQuantile(0.5),
        p95: this.latencyQuantile(0.95),
        max: this.#maxLatency === null ? null : Math.round(this.#maxLatency),
      },
      durationMs: Math.round(durationMs),
      pagesPerSecond: durationMs > 0 ? Math.round((this.pages / durationMs) * 1000 * 10) / 10 : 0,
      total: this.total,
    };
  }
}
