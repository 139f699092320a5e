/**
 * The human-readable end-of-crawl summary and the live progress line.
 *
 * @module
 */

import { formatBytes, formatDuration } from "../_std.ts";
import type { CrawlStatsSnapshot } from "../crawl_stats.ts";

/** Options for {@linkcode formatSummary}. */
export interface SummaryOptions {
  /** The crawl's `--depth`: with 0 and links found, the summary says how to follow them. @default {0} */
  maxDepth?: number;
  /** Whether the crawl was stopped early (Ctrl-C). @default {false} */
  interrupted?: boolean;
}

/**
 * The final summary: pages, failures by code, status histogram, bytes, latency,
 * retries, robots refusals, duration.
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
          `${l.overLimit} over limits, ${l.invalid} invalid`
        : `  links:     ${l.found} found and not followed: add --depth 1 (or more) to follow them`,
    );
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

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return formatDuration(Math.round(ms / 1000) * 1000, { ignoreZero: true });
}
