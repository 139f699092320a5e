/**
 * What an HTML crawl report shows, as plain JSON-safe data: made by a
 * {@linkcode ReportRecorder} (see `report_recorder.ts`) from a crawl's events and
 * turned into a page by `renderReport` (see `render_report.ts`).
 *
 * @module
 */

import type { CrawlStatsSnapshot, HostStats } from "../crawl_stats.ts";

/**
 * The crawl over time, in equal buckets of `bucketMs` (the last one may be
 * shorter: it ends at `durationMs`). Every array has one value per bucket.
 *
 * @example Pages per second at each bucket's start
 * ```ts
 * import type { ReportSeries } from "./report_data.ts";
 *
 * const rows = (s: ReportSeries) => s.t.map((t, i) => `${t} s: ${s.pagesPerSecond[i]} pages/s`);
 * ```
 */
export interface ReportSeries {
  /** Bucket width, ms (doubles whenever the buckets would exceed `maxPoints`). */
  bucketMs: number;
  /** Each bucket's start, seconds since the crawl started. */
  t: number[];
  /** Records made in the bucket. */
  records: number[];
  /** Records made per second in the bucket. */
  pagesPerSecond: number[];
  /** Records with an error per second in the bucket. */
  failuresPerSecond: number[];
  /** The most requests in flight at once in the bucket (`request` minus `response` events). */
  requestsInFlight: number[];
  /** URLs waiting in the frontier at the bucket's end (the latest `frontier` event). */
  queued: number[];
  /** Responses with status 429 or 503 per second in the bucket (every attempt). */
  throttledPerSecond: number[];
}

/**
 * One page in the slowest or largest list.
 *
 * @example Show one
 * ```ts
 * import type { ReportPage } from "./report_data.ts";
 *
 * const line = (p: ReportPage) => `${p.ms} ms ${p.bytes} B ${p.status ?? "-"} ${p.url}`;
 * ```
 */
export interface ReportPage {
  /** The URL as requested. */
  url: string;
  /** Final HTTP status; `null` when no response arrived. */
  status: number | null;
  /** The page's title, if any. */
  title: string | null;
  /** Fetch and parse time of the record, ms. */
  ms: number;
  /** Body bytes. */
  bytes: number;
  /** The error code, if the record failed. */
  code: string | null;
}

/**
 * A URL refused by robots.txt.
 *
 * @example Show one
 * ```ts
 * import type { ReportRefusal } from "./report_data.ts";
 *
 * const line = (r: ReportRefusal) => `${r.url}: ${r.message}`;
 * ```
 */
export interface ReportRefusal {
  /** The URL refused. */
  url: string;
  /** The record's error message (names the rule and its line). */
  message: string;
}

/**
 * How the robots.txt of an origin was resolved.
 *
 * @example Show one
 * ```ts
 * import type { ReportRobotsFile } from "./report_data.ts";
 *
 * const line = (r: ReportRobotsFile) => `${r.origin}/robots.txt: ${r.outcome} (${r.status})`;
 * ```
 */
export interface ReportRobotsFile {
  /** The origin. */
  origin: string;
  /** `fetched`, `unavailable` (4xx) or `unreachable` (5xx, 429, no answer). */
  outcome: "fetched" | "unavailable" | "unreachable";
  /** HTTP status; `null` when no response arrived. */
  status: number | null;
  /** The `Crawl-delay` in force, ms; `null` for none. */
  crawlDelayMs: number | null;
  /** URLs of this origin refused by its rules. */
  refused: number;
}

/**
 * One row of the per-host table: {@linkcode HostStats} plus the gap between
 * request starts actually observed.
 *
 * @example Show one
 * ```ts
 * import type { ReportHost } from "./report_data.ts";
 *
 * const line = (h: ReportHost) => `${h.host}: ${h.done} pages, p95 ${h.latencyMs.p95} ms`;
 * ```
 */
export interface ReportHost extends HostStats {
  /** Requests sent to the host (every attempt, robots.txt included). */
  requests: number;
  /**
   * Mean time between the starts of its requests, ms: the delay the host really
   * saw (the politeness gap, backoffs and waiting for work together); `null` below
   * two requests.
   */
  observedGapMs: number | null;
}

/**
 * Everything a report shows. Plain data: `JSON.stringify` keeps all of it.
 *
 * @example Keep it as JSON beside the page
 * ```ts ignore
 * import { createReportRecorder } from "./report_recorder.ts";
 *
 * const recorder = createReportRecorder();
 * await Deno.writeTextFile("report.json", JSON.stringify(recorder.data()));
 * ```
 */
export interface ReportData {
  /** When the data was taken (ISO 8601). */
  generatedAt: string;
  /** When the recorder was created (ISO 8601). */
  startedAt: string;
  /** The crawl's counters (see {@linkcode CrawlStatsSnapshot}); its hosts are in `hosts`. */
  stats: Omit<CrawlStatsSnapshot, "hosts">;
  /** Record latency percentiles, ms (`null` before the first record). */
  latencyMs: { p50: number | null; p90: number | null; p95: number | null; p99: number | null };
  /** The record latency at each percentile `percentiles[i]`, ms: the curve of the latency chart. */
  latencyCurve: { percentiles: number[]; ms: number[] };
  /** The crawl over time. */
  series: ReportSeries;
  /** The busiest hosts (by pages), then an `"(other hosts)"` row when some were left out. */
  hosts: ReportHost[];
  /** The slowest records that fetched something, slowest first. */
  slowest: ReportPage[];
  /** The largest records, largest first. */
  largest: ReportPage[];
  /** The first URLs refused by robots.txt (`stats.robotsDisallowed` counts them all). */
  refusals: ReportRefusal[];
  /** robots.txt of each origin, in the order resolved (at most `maxListed` × 5). */
  robots: ReportRobotsFile[];
}
