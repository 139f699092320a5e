/**
 * The human-readable end-of-crawl summary and the live progress line.
 *
 * @module
 */

import { formatBytes, formatDuration } from "../_std.ts";
import { type CrawlStatsSnapshot, type HostStats, OTHER_HOSTS } from "../crawl_stats.ts";
import { formatFieldRate } from "../field_tally.ts";

/** Options for {@linkcode formatSummary}. */
export interface SummaryOptions {
  /** The crawl's `--depth`: with 0 and links found, the summary says how to follow them. @default {0} */
  maxDepth?: number;
  /** Whether the crawl was stopped early (Ctrl-C). @default {false} */
  interrupted?: boolean;
}

/**
 * The final summary: pages, failures by code, status histogram, bytes, latency,
 * retries, robots refusals, duration; with more than one host, the busiest, the
 * slowest (p95) and the most throttled (429/503) of the listed hosts; backoffs and
 * redirects when there were any.
 *
 * @example Summarize a snapshot
 * ```ts ignore
 * import { formatSummary } from "./summary.ts";
 * import { CrawlStats } from "../crawl_stats.ts";
 *
 * console.log(formatSummary(new CrawlStats().snapshot()));
 * ```
 */
export function formatSummary(s: CrawlStatsSnapshot, options: SummaryOptions = {}): string {
  const lines: string[] = [];
  const head = options.interrupted ? "trawl: stopped early" : "trawl: done";
  lines.push(
    `${head}: ${s.pages} pages in ${
      duration(s.durationMs)
    } (${s.pagesPerSecond} pages/s), ${s.failed} failed`,
  );
  const statuses = Object.entries(s.statuses).map(([k, v]) => `${k} x${v}`).join(", ");
  lines.push(`  statuses:  ${statuses || "none"}`);
  const failures = Object.entries(s.failuresByCode).sort((a, b) => b[1] - a[1]);
  lines.push(`  failures:  ${failures.map(([k, v]) => `${k} x${v}`).join(", ") || "none"}`);
  const { p50, p95 } = s.latencyMs;
  lines.push(
    `  received:  ${formatBytes(s.bytes)} · latency p50 ${p50 ?? "-"} ms, p95 ${p95 ?? "-"} ms · ` +
      `retries ${s.retries} · robots refusals ${s.robotsDisallowed}`,
  );
  if (s.changes !== null) {
    const c = s.changes;
    lines.push(
      `  changes:   ${c.new} new, ${c.changed} changed, ${c.unchanged} unchanged, ${c.gone} gone`,
    );
  }
  if (s.hostCount > 1) lines.push(`  hosts:     ${hostsLine(s)}`);
  if (s.backoffs > 0 || s.redirects > 0) {
    lines.push(`  backoffs:  ${s.backoffs} · redirects ${s.redirects}`);
  }
  if (s.invalidSeeds > 0 || s.duplicateSeeds > 0) {
    lines.push(
      `  seeds:     ${s.seeds} read, ${s.invalidSeeds} invalid, ${s.duplicateSeeds} repeated`,
    );
  }
  const l = s.links;
  if (l.found > 0) {
    const followed = (options.maxDepth ?? 0) > 0;
    lines.push(
      followed
        ? `  links:     ${l.found} found, ${l.added} queued, ${l.duplicate} duplicate, ` +
          `${l.outOfScope} out of scope, ${l.excluded} excluded, ${l.overDepth} too deep, ` +
          `${l.overLimit} over limits, ${l.invalid} invalid, ${l.nofollow} nofollow` +
          (l.trap + l.overQueue > 0
            ? `, ${l.trap} trap paths, ${l.overQueue} over the queue bound`
            : "")
        : `  links:     ${l.found} found and not followed: add --depth 1 (or more) to follow them`,
    );
  }
  // Typed extraction: layout drift on the site shows as fields missing or invalid.
  for (const r of s.fields ?? []) {
    if (r.missing + r.invalid > 0) lines.push(`  field:     ${formatFieldRate(r)}`);
  }
  if (s.queued > 0) lines.push(`  left:      ${s.queued} URLs still queued`);
  return lines.join("\n");
}

/**
 * The one-line progress shown on a terminal: done / queued / in flight / failed,
 * pages/s, and an ETA when the total is known.
 *
 * @example A progress line
 * ```ts ignore
 * import { formatProgress } from "./summary.ts";
 * import { CrawlStats } from "../crawl_stats.ts";
 *
 * console.log(formatProgress(new CrawlStats().snapshot()));
 * ```
 */
export function formatProgress(s: CrawlStatsSnapshot): string {
  let line =
    `done ${s.pages} · queued ${s.queued} · in flight ${s.inFlight} · failed ${s.failed} · ` +
    `${s.pagesPerSecond} pages/s`;
  if (s.total !== null && s.pagesPerSecond > 0 && s.total >= s.pages) {
    line += ` · ETA ${duration(((s.total - s.pages) / s.pagesPerSecond) * 1000)}`;
  }
  return line;
}

/** "12 · busiest: a.test 500 pages · slowest p95: c.test 840 ms · most 429/503: b.test 7". */
function hostsLine(s: CrawlStatsSnapshot): string {
  const named = s.hosts.filter((h) => h.host !== OTHER_HOSTS);
  const parts = [`${s.hostCount}`];
  const busiest = named[0]; // the snapshot lists the busiest first
  if (busiest && busiest.done > 0) {
    parts.push(`busiest: ${busiest.host} ${busiest.done} page${busiest.done === 1 ? "" : "s"}`);
  }
  const slowest = most(named, (h) => h.latencyMs.p95 ?? -1);
  if (slowest && slowest.latencyMs.p95 !== null) {
    parts.push(`slowest p95: ${slowest.host} ${slowest.latencyMs.p95} ms`);
  }
  const throttled = most(named, (h) => h.status429 + h.status503);
  if (throttled && throttled.status429 + throttled.status503 > 0) {
    parts.push(`most 429/503: ${throttled.host} ${throttled.status429 + throttled.status503}`);
  }
  return parts.join(" · ");
}

/** The first host with the largest `score`. */
function most(hosts: HostStats[], score: (h: HostStats) => number): HostStats | undefined {
  let best: HostStats | undefined;
  for (const h of hosts) if (best === undefined || score(h) > score(best)) best = h;
  return best;
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return formatDuration(Math.round(ms / 1000) * 1000, { ignoreZero: true });
}
