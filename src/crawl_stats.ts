/**
 * Live counters of a crawl, built only from its typed events (see
 * `crawl_events.ts`): what the progress line shows, what the summary prints and
 * what `--stats FILE` writes, plus a bounded per-host table (kept by
 * `_stats_hosts.ts`).
 *
 * @module
 */

import type { CrawlEvent } from "./crawl_events.ts";
import { TrawlError } from "./trawl_error.ts";
import { type FieldRate, FieldTally } from "./field_tally.ts";
import {
  type CrawlRecord,
  emptyLinkOutcome,
  type LinkOutcome,
  type RecordChange,
} from "./types.ts";
import { HostRows } from "./_stats_hosts.ts";
import { RecordLatency } from "./_stats_latency.ts";

/** Counts of followed links by what happened to them: the frontier's outcomes plus `found`. */
export interface LinkCounts extends LinkOutcome {
  /** Links seen on fetched pages. */
  found: number;
}

/**
 * Live figures of one host (a `URL.host`, port included), or of the
 * `"(other hosts)"` row that folds the hosts not listed.
 *
 * @example Print a row
 * ```ts
 * import type { HostStats } from "./crawl_stats.ts";
 *
 * const show = (h: HostStats) => console.log(`${h.host}: ${h.done} done, p95 ${h.latencyMs.p95} ms`);
 * ```
 */
export interface HostStats {
  /** The host, or `"(other hosts)"`. */
  host: string;
  /** Requests in flight now (`request` events minus `response` events). */
  inFlight: number;
  /** URLs waiting (`queued` events minus the host's records). */
  queued: number;
  /** Records made. */
  done: number;
  /** Records with an error. */
  failed: number;
  /** The gap between request starts in force (the latest `politeness` event), ms; 0 if none. */
  gapMs: number;
  /** Times the host was held back after a 429 or 503 (`backoff` events). */
  backoffs: number;
  /** Responses with status 429 (every attempt, retries included). */
  status429: number;
  /** Responses with status 503 (every attempt, retries included). */
  status503: number;
  /**
   * Latency percentiles of the host's records that fetched something
   * (`attempts > 0`), ms; `null` before the first. From a log-bucketed histogram:
   * exact below 16 ms, within 6.25% of the true value up to 131 s; above that,
   * the host's largest latency.
   */
  latencyMs: { p50: number | null; p95: number | null };
  /** Retries of requests to this host (`retry` events). */
  retries: number;
}

/** A plain snapshot of {@linkcode CrawlStats}, as written by `--stats FILE`. */
export interface CrawlStatsSnapshot {
  /** Records written (one per attempted URL). */
  pages: number;
  /** Records with an error. */
  failed: number;
  /** Failures by error code. */
  failuresByCode: Record<string, number>;
  /** Records by HTTP status (the final response of each URL). */
  statuses: Record<string, number>;
  /** Body bytes received on the wire. */
  bytes: number;
  /** Retries of any request (pages, redirect hops, robots.txt): the `retry` events. */
  retries: number;
  /** Redirects followed. */
  redirects: number;
  /** Times a host was held back after a 429 or 503. */
  backoffs: number;
  /** robots.txt resolutions by outcome. */
  robots: { fetched: number; unavailable: number; unreachable: number };
  /** URLs refused by robots.txt. */
  robotsDisallowed: number;
  /** A recrawl's records by change against the previous run; `null` when the crawl keeps no page history. */
  changes: Record<RecordChange, number> | null;
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
  /** URLs being worked on. */
  inFlight: number;
  /** Latency percentiles of records (fetch + parse), ms; `null` before the first record. */
  latencyMs: { p50: number | null; p95: number | null; max: number | null };
  /** Time since the crawl started, ms. */
  durationMs: number;
  /** Records per second over the whole run. */
  pagesPerSecond: number;
  /** Total URLs the crawl will attempt, when known (all seeds read and no links followed). */
  total: number | null;
  /** Hosts seen (a host folded away and seen again counts twice). */
  hostCount: number;
  /**
   * The busiest hosts (by `done`, then name; at most `maxSnapshotHosts`), then
   * one `"(other hosts)"` row for all the others when there are any.
   */
  hosts: HostStats[];
  /**
   * Typed fields (an extractor's `schema`, typed `--select`) by how often they were
   * missing or invalid, worst first; empty when no typed check ran.
   */
  fields: FieldRate[];
}

/** Options of {@linkcode CrawlStats}. */
export interface CrawlStatsOptions {
  /**
   * Most hosts with a row of their own. When a new host would exceed it, the
   * least recently active tenth of the rows (at least one) are folded into the
   * `"(other hosts)"` row, so memory stays bounded (about 0.6 KB a row).
   * @default {10_000}
   */
  maxHosts?: number;
  /** Most host rows in {@linkcode CrawlStats.snapshot} before the `"(other hosts)"` row. @default {100} */
  maxSnapshotHosts?: number;
}

const DEFAULTS: Required<CrawlStatsOptions> = { maxHosts: 10_000, maxSnapshotHosts: 100 };

/**
 * The `host` of the row that folds the hosts not listed (no real host can be named so).
 *
 * @example Skip it
 * ```ts
 * import { CrawlStats, OTHER_HOSTS } from "./crawl_stats.ts";
 *
 * const named = new CrawlStats().hosts().filter((h) => h.host !== OTHER_HOSTS);
 * ```
 */
export const OTHER_HOSTS = "(other hosts)";

function validate(options: CrawlStatsOptions): Required<CrawlStatsOptions> {
  const o = { ...DEFAULTS, ...options };
  if (!Number.isInteger(o.maxHosts) || o.maxHosts < 1) {
    throw new TrawlError(
      "INVALID_OPTION",
      `maxHosts must be an integer >= 1: received ${o.maxHosts}`,
    );
  }
  if (!Number.isInteger(o.maxSnapshotHosts) || o.maxSnapshotHosts < 0) {
    throw new TrawlError(
      "INVALID_OPTION",
      `maxSnapshotHosts must be an integer >= 0: received ${o.maxSnapshotHosts}`,
    );
  }
  return o;
}

/**
 * Counters of a crawl, fed only through {@linkcode CrawlStats.handle} with the
 * crawl's events. Global latency percentiles come from a 1 ms-resolution
 * histogram (fixed memory, exact to the millisecond up to 2 minutes); per-host
 * ones from a 121-bucket log histogram (see {@linkcode HostStats.latencyMs}).
 * Retries are counted from `retry` events only (a record's `attempts` is not
 * counted again). Throws `INVALID_OPTION` for a bad option.
 *
 * @example Count a record
 * ```ts
 * import { CrawlStats } from "./crawl_stats.ts";
 *
 * const stats = new CrawlStats();
 * stats.handle({ type: "queued", host: "example.com", count: 1 });
 * stats.handle({ type: "request", url: "https://example.com/", host: "example.com", kind: "page" });
 * stats.handle({
 *   type: "response", url: "https://example.com/", host: "example.com", kind: "page",
 *   status: 200, code: null, ms: 110,
 * });
 * stats.handle({
 *   type: "record", host: "example.com", attempts: 1, record: {
 *     id: "0123456789abcdef", url: "https://example.com/", finalUrl: "https://example.com/", status: 200, depth: 0,
 *     title: "Example", fetchedAt: new Date().toISOString(), ms: 120, bytes: 1256, error: null, data: null,
 *   },
 * });
 * console.log(stats.snapshot().pages, stats.hosts()[0]?.done); // 1 1
 * ```
 */
export class CrawlStats {
  /** Per-field failure counts of typed extraction. */
  #fields = new FieldTally();
  #startedAt = performance.now();
  #latency = new RecordLatency();
  #failuresByCode: Record<string, number> = {};
  #statuses: Record<string, number> = {};
  #pages = 0;
  #failed = 0;
  #bytes = 0;
  #retries = 0;
  #redirects = 0;
  #backoffs = 0;
  #robots = { fetched: 0, unavailable: 0, unreachable: 0 };
  #robotsDisallowed = 0;
  #changes: Record<RecordChange, number> | null = null;
  #seeds = 0;
  #invalidSeeds = 0;
  #duplicateSeeds = 0;
  #overLimitSeeds = 0;
  #queued = 0;
  #inFlight = 0;
  #links: LinkCounts = { found: 0, ...emptyLinkOutcome() };
  #hosts: HostRows;

  /**
   * Total URLs the crawl will attempt, when known. No event carries it: the
   * crawler sets it (all seeds read and no links followed).
   */
  total: number | null = null;

  /** Create empty counters. */
  constructor(options: CrawlStatsOptions = {}) {
    this.#hosts = new HostRows(validate(options));
  }

  /** Count one crawl event. Bound: pass it as a listener as it is. Cheap and never throws. */
  readonly handle = (event: CrawlEvent): void => {
    switch (event.type) {
      case "request":
        this.#hosts.row(event.host).inFlight++;
        return;
      case "response":
        this.#hosts.response(event.host, event.status);
        return;
      case "retry": {
        this.#retries++;
        const host = URL.parse(event.url)?.host;
        if (host) this.#hosts.row(host).retries++;
        return;
      }
      case "redirect":
        this.#redirects++;
        return;
      case "backoff":
        this.#backoffs++;
        this.#hosts.row(event.host).backoffs++;
        return;
      case "politeness":
        this.#hosts.row(event.host).gapMs = event.gapMs;
        return;
      case "robots":
        this.#robots[event.outcome]++;
        return;
      case "seed":
        this.#seeds++;
        if (event.outcome === "duplicate") this.#duplicateSeeds++;
        else if (event.outcome === "invalid") this.#invalidSeeds++;
        else if (event.outcome === "overLimit") this.#overLimitSeeds++;
        return;
      case "links": {
        const l = this.#links;
        const o = event.outcome;
        l.found += event.found;
        l.added += o.added;
        l.nofollow += o.nofollow;
        l.duplicate += o.duplicate;
        l.outOfScope += o.outOfScope;
        l.excluded += o.excluded;
        l.overDepth += o.overDepth;
        l.overLimit += o.overLimit;
        l.invalid += o.invalid;
        l.trap += o.trap;
        l.overQueue += o.overQueue;
        return;
      }
      case "queued":
        this.#hosts.row(event.host).queued += event.count;
        return;
      case "frontier":
        this.#queued = event.queued;
        this.#inFlight = event.inFlight;
        return;
      case "record":
        this.#record(event.record, event.host, event.attempts);
        if (event.fields !== undefined) this.#fields.add(event);
        return;
    }
  };

  #record(record: CrawlRecord, host: string, attempts: number): void {
    this.#pages++;
    if (record.change !== undefined) {
      this.#changes ??= { new: 0, changed: 0, unchanged: 0, gone: 0 };
      this.#changes[record.change]++;
    }
    this.#bytes += record.bytes;
    if (record.status !== null) {
      this.#statuses[record.status] = (this.#statuses[record.status] ?? 0) + 1;
    }
    if (record.error) {
      this.#failed++;
      this.#failuresByCode[record.error.code] = (this.#failuresByCode[record.error.code] ?? 0) + 1;
      if (record.error.code === "ROBOTS_DISALLOWED") this.#robotsDisallowed++;
    }
    const ms = this.#latency.add(record.ms);
    if (host !== "") this.#hosts.record(host, Boolean(record.error), attempts, ms);
  }

  /** Records written. */
  get pages(): number {
    return this.#pages;
  }
  /** Records with an error. */
  get failed(): number {
    return this.#failed;
  }
  /** Seed lines read. */
  get seeds(): number {
    return this.#seeds;
  }
  /** Invalid seed lines. */
  get invalidSeeds(): number {
    return this.#invalidSeeds;
  }
  /** Repeated seed lines. */
  get duplicateSeeds(): number {
    return this.#duplicateSeeds;
  }
  /** Seeds refused by `maxPages` or the per-host budget. */
  get overLimitSeeds(): number {
    return this.#overLimitSeeds;
  }
  /** URLs waiting in the frontier (the latest `frontier` event). */
  get queued(): number {
    return this.#queued;
  }
  /** URLs being worked on (the latest `frontier` event). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Milliseconds since the crawl started. */
  get durationMs(): number {
    return performance.now() - this.#startedAt;
  }

  /** The latency of records at quantile `q` (0..1), ms; `null` before the first record. */
  latencyQuantile(q: number): number | null {
    return this.#latency.quantile(q);
  }

  /**
   * Every host row (at most `maxHosts`), busiest first (by `done`, then name),
   * then the `"(other hosts)"` row when hosts were folded away. Sorts every row:
   * a few ms at 10,000 hosts; `snapshot()` is the cheap view (under 1.5 ms there).
   */
  hosts(): HostStats[] {
    return this.#hosts.all();
  }

  /** A plain copy of every counter, with the busiest hosts (see {@linkcode CrawlStatsSnapshot.hosts}). */
  snapshot(): CrawlStatsSnapshot {
    const durationMs = this.durationMs;
    return {
      pages: this.#pages,
      failed: this.#failed,
      failuresByCode: { ...this.#failuresByCode },
      statuses: { ...this.#statuses },
      bytes: this.#bytes,
      retries: this.#retries,
      redirects: this.#redirects,
      backoffs: this.#backoffs,
      robots: { ...this.#robots },
      robotsDisallowed: this.#robotsDisallowed,
      changes: this.#changes === null ? null : { ...this.#changes },
      seeds: this.#seeds,
      invalidSeeds: this.#invalidSeeds,
      duplicateSeeds: this.#duplicateSeeds,
      overLimitSeeds: this.#overLimitSeeds,
      links: { ...this.#links },
      queued: this.#queued,
      inFlight: this.#inFlight,
      latencyMs: {
        p50: this.latencyQuantile(0.5),
        p95: this.latencyQuantile(0.95),
        max: this.#latency.max,
      },
      durationMs: Math.round(durationMs),
      pagesPerSecond: durationMs > 0 ? Math.round((this.#pages / durationMs) * 1000 * 10) / 10 : 0,
      total: this.total,
      hostCount: this.#hosts.count,
      hosts: this.#hosts.top(),
      fields: this.#fields.rates(),
    };
  }
}
