/**
 * A crawl report as one self-contained HTML page: uPlot (from npm, through the
 * lock file) and the page's own script are inlined, a Content-Security-Policy
 * forbids every request, and crawled text is escaped.
 *
 * @module
 */

import uPlotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import uPlotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import clientJs from "./_report_client.js" with { type: "text" };
import { checkKeys, object, string } from "../_option_checks.ts";
import type { ReportData } from "./report_data.ts";
import {
  breakdowns,
  escapeHtml,
  hostTable,
  jsonForScript,
  pageTable,
  robotsSection,
  scriptText,
  STYLE,
  summaryCards,
} from "./_report_page.ts";

/**
 * Options of {@linkcode renderReport}.
 *
 * @example A title and the command line
 * ```ts
 * import type { RenderReportOptions } from "./render_report.ts";
 *
 * const options: RenderReportOptions = { title: "nightly crawl", subtitle: "trawl crawl urls.txt" };
 * ```
 */
export interface RenderReportOptions {
  /** The page's title and heading. @default {"trawl crawl report"} */
  title?: string;
  /** A line under the heading, e.g. the command that ran the crawl. @default {""} */
  subtitle?: string;
}

/**
 * The defaults of {@linkcode RenderReportOptions}.
 *
 * @example Read one
 * ```ts
 * import { RENDER_REPORT_DEFAULTS } from "./render_report.ts";
 *
 * console.log(RENDER_REPORT_DEFAULTS.title); // "trawl crawl report"
 * ```
 */
export const RENDER_REPORT_DEFAULTS: Readonly<Required<RenderReportOptions>> = Object.freeze({
  title: "trawl crawl report",
  subtitle: "",
});

/**
 * No request of any kind: scripts and styles only inline, images only `data:`.
 * The page needs nothing else, so a script that slipped in could not call out.
 */
const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
  "img-src data:; base-uri 'none'; form-action 'none'";

/**
 * Render a report's data as one HTML page (a string): headline figures, charts of
 * pages per second, requests in flight and queued URLs over time, the latency
 * curve and status codes (uPlot, inlined), failure codes, the per-host table, the
 * slowest and largest pages, robots.txt outcomes and refusals. Opens offline and
 * requests nothing. Throws a `TypeError` naming a bad option.
 *
 * @example Render a recorder's data
 * ```ts
 * import { createReportRecorder } from "./report_recorder.ts";
 * import { renderReport } from "./render_report.ts";
 *
 * const html = renderReport(createReportRecorder().data(), { title: "nightly crawl" });
 * console.log(html.startsWith("<!doctype html>")); // true
 * ```
 */
export function renderReport(data: ReportData, options: RenderReportOptions = {}): string {
  object("options", options, "an object");
  checkKeys("", options, Object.keys(RENDER_REPORT_DEFAULTS));
  const title = string("title", options.title ?? RENDER_REPORT_DEFAULTS.title);
  const subtitle = string("subtitle", options.subtitle ?? RENDER_REPORT_DEFAULTS.subtitle);
  const s = data.stats;
  const when = `started ${data.startedAt}, report written ${data.generatedAt}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${uPlotCss}</style>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${subtitle === "" ? "" : `<code>${escapeHtml(subtitle)}</code><br>`}${when}</p>
${summaryCards(data)}
<div class="two">
<section><h2>Pages per second</h2><div class="chart" data-chart="throughput"></div></section>
<section><h2>Requests in flight and URLs queued</h2><div class="chart" data-chart="concurrency"></div></section>
<section><h2>Latency by percentile</h2><div class="chart" data-chart="latency"></div></section>
<section><h2>Records by status</h2><div class="chart" data-chart="statuses"></div></section>
</div>
${breakdowns(data)}
<section><h2>Hosts</h2>
<p class="meta">${
    s.hostCount.toLocaleString("en-US")
  } hosts. <em>gap set</em>: the gap between request starts in force (--delay, --rate, robots.txt Crawl-delay);
<em>gap seen</em>: the mean gap between request starts actually observed (with backoffs and waiting for work).</p>
${hostTable(data)}</section>
<section><h2>Slowest pages</h2>${pageTable(data.slowest)}</section>
<section><h2>Largest pages</h2>${pageTable(data.largest)}</section>
<section><h2>robots.txt</h2>${robotsSection(data)}</section>
<script type="application/json" id="trawl-report-data">${jsonForScript(data)}</script>
<script>${scriptText(uPlotJs)}</script>
<script>${scriptText(clientJs)}</script>
</body>
</html>
`;
}
