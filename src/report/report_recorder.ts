/**
 * Collects what an HTML crawl report shows, from the crawl's events: give its
 * `handle` to `crawl()` as `onEvent`, then pass `data()` to `renderReport`.
 *
 * @module
 */

import type { CrawlEvent } from "../crawl_events.ts";
import { CrawlStats, type HostStats, OTHER_HOSTS } from "../crawl_stats.ts";
import { checkKeys, integer, object } from "../_option_checks.ts";
import type {
  ReportData,
  ReportHost,
  ReportPage,
  ReportRefusal,
  ReportRobotsFile,
} from "./report_data.ts";
import { TimeSeries } from "./_time_series.ts";
import { TopList } from "./_top_list.ts";

/**
 * Options of {@linkcode createReportRecorder}.
 *
 * @example Longer lists, coarser time
 * ```ts
 * import { createReportRecorder, type ReportRecorderOptions } from "./report_recorder.ts";
 *
 * const options: ReportRecorderOptions = { maxListed: 50, bucketMs: 1000 };
 * const recorder = createReportRecorder(options);
 * ```
 */
export interface ReportRecorderOptions {
  /**
   * Width of the time series' buckets at the start, ms. Doubles whenever the
   * buckets would pass `maxPoints`, so a long crawl gets wider buckets.
   * @default {100}
   */
  bucketMs?: number;
  /** Most buckets in the time series. @default {600} */
  maxPoints?: number;
  /** Pages in each of the slowest and largest lists. @default {20} */
  maxListed?: number;
  /** robots.txt refusals listed (all are counted). @default {100} */
  maxRefusals?: number;
  /** Rows of the per-host table before the `"(other hosts)"` row. @default {50} */
  maxHosts?: number;
}

/**
 * The defaults of {@linkcode ReportRecorderOptions}.
 *
 * @example Read one
 * ```ts
 * import { REPORT_RECORDER_DEFAULTS } from "./report_recorder.ts";
 *
 * console.log(REPORT_RECORDER_DEFAULTS.maxPoints); // 600
 * ```
 */
export const REPORT_RECORDER_DEFAULTS: Readonly<Required<ReportRecorderOptions>> = Object.freeze({
  bucketMs: 100,
  maxPoints: 600,
  maxListed: 20,
  maxRefusals: 100,
  maxHosts: 50,
});

/** Hosts whose request times are tracked for `observedGapMs` (later ones get `null`). */
const MAX_TIMED_HOSTS = 10_000;
/** Percentiles of the latency curve. */
const CURVE = Array.from({ length: 100 }, (_, i) => i + 1).concat([99.5, 99.9]).sort((a, b) =>
  a - b
);

/**
 * Collects a crawl's events for a report.
 *
 * @example See {@linkcode createReportRecorder}
 * ```ts
 * import { createReportRecorder, type ReportRecorder } from "./report_recorder.ts";
 *
 * const recorder: ReportRecorder = createReportRecorder();
 * console.log(recorder.data().stats.pages); // 0
 * ```
 */
export interface ReportRecorder {
  /** Take one crawl event. Bound: pass it as `onEvent` as it is. Cheap and never throws. */
  readonly handle: (event: CrawlEvent) => void;
  /** What the report shows, as of now. */
  data(): ReportData;
}

function resolve(options: ReportRecorderOptions): Required<ReportRecorderOptions> {
  object("options", options, "an object");
  checkKeys("", options, Object.keys(REPORT_RECORDER_DEFAULTS));
  const o = { ...REPORT_RECORDER_DEFAULTS };
  for (const [name, min] of Object.entries({ bucketMs: 1, maxPoints: 2 })) {
    const value = options[name as keyof ReportRecorderOptions];
    if (value !== undefined) o[name as "bucketMs"] = integer(min)(name, value);
  }
  for (const name of ["maxListed", "maxRefusals", "maxHosts"] as const) {
    if (options[name] !== undefined) o[name] = integer(0)(name, options[name]);
  }
  return o;
}

/**
 * A recorder of a crawl's events for an HTML report: counters (a
 * {@linkcode CrawlStats} of its own), a bounded time series of pages per second
 * and requests in flight, the slowest and largest pages, robots.txt outcomes
 * and refusals. Memory is bounded by its options whatever the crawl's length.
 * Throws a `TypeError` or `RangeError` naming a bad option.
 *
 * @example Write a report after a crawl
 * ```ts ignore
 * import { crawl } from "../crawl.ts";
 * import { createReportRecorder } from "./report_recorder.ts";
 * import { renderReport } from "./render_report.ts";
 *
 * const recorder = createReportRecorder();
 * for await (const _ of crawl(["https://example.com/"], { onEvent: recorder.handle }));
 * await Deno.writeTextFile("report.html", renderReport(recorder.data()));
 * ```
 */
export function createReportRecorder(options: ReportRecorderOptions = {}): ReportRecorder {
  return new Recorder(resolve(options));
}

class Recorder implements ReportRecorder {
  #options: Required<ReportRecorderOptions>;
  #startedAt = new Date();
  #stats: CrawlStats;
  #series: TimeSeries;
  #slowest: TopList<ReportPage>;
  #largest: TopList<ReportPage>;
  #refusals: ReportRefusal[] = [];
  #robots = new Map<string, ReportRobotsFile>();
  #requests = new Map<string, { count: number; first: number; last: number }>();

  constructor(options: Required<ReportRecorderOptions>) {
    this.#options = options;
    this.#stats = new CrawlStats({ maxSnapshotHosts: options.maxHosts });
    this.#series = new TimeSeries(performance.now(), options.bucketMs, options.maxPoints);
    this.#slowest = new TopList(options.maxListed, (p) => p.ms);
    this.#largest = new TopList(options.maxListed, (p) => p.bytes);
  }

  readonly handle = (event: CrawlEvent): void => {
    this.#stats.handle(event);
    const now = performance.now();
    switch (event.type) {
      case "request": {
        this.#series.request(now);
        const seen = this.#requests.get(event.host);
        if (seen !== undefined) {
          seen.count++;
          seen.last = now;
        } else if (this.#requests.size < MAX_TIMED_HOSTS) {
          this.#requests.set(event.host, { count: 1, first: now, last: now });
        }
        return;
      }
      case "response":
        this.#series.response(now, event.status);
        return;
      case "frontier":
        this.#series.frontier(now, event.queued);
        return;
      case "robots":
        if (this.#robots.size < this.#options.maxRefusals * 5) {
          const { origin, outcome, status, crawlDelayMs } = event;
          const refused = this.#robots.get(origin)?.refused ?? 0;
          this.#robots.set(origin, { origin, outcome, status, crawlDelayMs, refused });
        }
        return;
      case "record": {
        const r = event.record;
        this.#series.record(now, r.error !== null);
        const page = (): ReportPage => ({
          url: r.url,
          status: r.status,
          title: r.title,
          ms: Math.round(r.ms),
          bytes: r.bytes,
          code: r.error?.code ?? null,
        });
        if (event.attempts > 0 && this.#slowest.admits(r.ms)) this.#slowest.add(page());
        if (this.#largest.admits(r.bytes)) this.#largest.add(page());
        if (r.error?.code === "ROBOTS_DISALLOWED") {
          if (this.#refusals.length < this.#options.maxRefusals) {
            this.#refusals.push({ url: r.url, message: r.error.message });
          }
          const file = this.#robots.get(URL.parse(r.url)?.origin ?? "");
          if (file !== undefined) file.refused++;
        }
        return;
      }
    }
  };

  data(): ReportData {
    const now = performance.now();
    const stats = this.#stats;
    const { hosts, ...snapshot } = stats.snapshot();
    const q = (p: number) => stats.latencyQuantile(p);
    return {
      generatedAt: new Date().toISOString(),
      startedAt: this.#startedAt.toISOString(),
      stats: snapshot,
      latencyMs: { p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99) },
      latencyCurve: stats.pages === 0
        ? { percentiles: [], ms: [] }
        : { percentiles: CURVE, ms: CURVE.map((p) => q(p / 100) ?? 0) },
      series: this.#series.series(now),
      hosts: hosts.map((h): ReportHost => {
        const seen = this.#requests.get(h.host);
        return {
          ...h,
          requests: h.host === OTHER_HOSTS ? this.#unlisted(hosts) : seen?.count ?? 0,
          observedGapMs: seen === undefined || seen.count < 2
            ? null
            : Math.round((seen.last - seen.first) / (seen.count - 1)),
        };
      }),
      slowest: this.#slowest.list(),
      largest: this.#largest.list(),
      refusals: [...this.#refusals],
      robots: [...this.#robots.values()].map((r) => ({ ...r })),
    };
  }

  /** Requests to the hosts without a row of their own. */
  #unlisted(rows: HostStats[]): number {
    const listed = new Set(rows.map((h) => h.host));
    let sum = 0;
    for (const [host, seen] of this.#requests) if (!listed.has(host)) sum += seen.count;
    return sum;
  }
}
