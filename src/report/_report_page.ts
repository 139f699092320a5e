/**
 * The HTML of a report page, section by section: every crawled string (URLs,
 * titles, hosts, messages) goes through {@linkcode escapeHtml}; the data for the
 * charts goes through {@linkcode jsonForScript}.
 *
 * @module
 */

import { formatBytes, formatDuration } from "../_std.ts";
import { OTHER_HOSTS } from "../crawl_stats.ts";
import type { ReportData, ReportHost, ReportPage } from "./report_data.ts";

/** Text safe in HTML element content and in double- or single-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON that cannot end or comment out the `<script>` element it sits in: `<`, `>`
 * and `&` as `\u` escapes (so no `</script>` or `<!--`), and the two line
 * separators JavaScript once refused in strings.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Script text (a library's) made safe to inline: a `</script` inside a string cannot end it. */
export function scriptText(source: string): string {
  return source.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

const n = (value: number) => value.toLocaleString("en-US");
const ms = (value: number | null) => value === null ? "-" : `${n(value)} ms`;
const pct = (part: number, whole: number) =>
  whole === 0 ? "0%" : `${Math.round((part / whole) * 1000) / 10}%`;

/** A URL as text, and as a link only when it is http(s) (never `javascript:` and the like). */
function urlCell(url: string): string {
  const safe = /^https?:\/\//i.test(url);
  const text = escapeHtml(url);
  return safe ? `<a href="${text}" rel="noreferrer noopener">${text}</a>` : text;
}

function table(head: string[], rows: string[][], numeric: boolean[] = []): string {
  if (rows.length === 0) return `<p class="none">none</p>`;
  const th = head.map((h, i) => `<th${numeric[i] ? ` class="num"` : ""}>${h}</th>`).join("");
  const body = rows
    .map((r) =>
      `<tr>${r.map((c, i) => `<td${numeric[i] ? ` class="num"` : ""}>${c}</td>`).join("")}</tr>`
    )
    .join("\n");
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function bar(part: number, whole: number): string {
  const width = whole === 0 ? 0 : Math.max(1, Math.round((part / whole) * 100));
  return `<span class="bar"><span style="width:${width}%"></span></span> ${pct(part, whole)}`;
}

/** The headline figures. */
export function summaryCards(d: ReportData): string {
  const s = d.stats;
  const cards: [string, string][] = [
    ["pages", n(s.pages)],
    ["failed", `${n(s.failed)} (${pct(s.failed, s.pages)})`],
    ["duration", formatDuration(Math.max(0, s.durationMs), { ignoreZero: true }) || "0ms"],
    ["pages/s (mean)", n(s.pagesPerSecond)],
    ["received", formatBytes(s.bytes)],
    ["hosts", n(s.hostCount)],
    [
      "latency p50 / p95 / p99, ms",
      [d.latencyMs.p50, d.latencyMs.p95, d.latencyMs.p99].map((v) => v === null ? "-" : n(v))
        .join(" / "),
    ],
    ["latency max", ms(s.latencyMs.max)],
    ["retries", n(s.retries)],
    ["redirects", n(s.redirects)],
    ["backoffs (429/503)", n(s.backoffs)],
    ["robots.txt refusals", n(s.robotsDisallowed)],
  ];
  return `<div class="cards">${
    cards.map(([k, v]) =>
      `<div class="card"><div class="k">${k}</div><div class="v">${escapeHtml(v)}</div></div>`
    )
      .join("")
  }</div>`;
}

/** Records by final HTTP status, and failures by error code. */
export function breakdowns(d: ReportData): string {
  const s = d.stats;
  const statuses = Object.entries(s.statuses).sort((a, b) => Number(a[0]) - Number(b[0]));
  const noStatus = s.pages - statuses.reduce((sum, [, c]) => sum + c, 0);
  const statusRows = statuses.map((
    [status, count],
  ) => [escapeHtml(status), n(count), bar(count, s.pages)]);
  if (noStatus > 0) statusRows.push(["(no response)", n(noStatus), bar(noStatus, s.pages)]);
  const codes = Object.entries(s.failuresByCode).sort((a, b) => b[1] - a[1]);
  const codeRows = codes.map((
    [code, count],
  ) => [`<code>${escapeHtml(code)}</code>`, n(count), bar(count, s.pages)]);
  return `<div class="two">
<section><h2>Status codes</h2>${
    table(["status", "records", "share"], statusRows, [false, true])
  }</section>
<section><h2>Failures by code</h2>${
    table(["code", "records", "share of pages"], codeRows, [false, true])
  }</section>
</div>`;
}

/** The per-host table. */
export function hostTable(d: ReportData): string {
  const row = (h: ReportHost) => [
    h.host === OTHER_HOSTS ? `<em>${escapeHtml(h.host)}</em>` : escapeHtml(h.host),
    n(h.done),
    n(h.failed),
    ms(h.latencyMs.p50),
    ms(h.latencyMs.p95),
    n(h.status429),
    n(h.status503),
    n(h.backoffs),
    n(h.retries),
    ms(h.gapMs),
    ms(h.observedGapMs),
  ];
  return table(
    [
      "host",
      "pages",
      "failed",
      "p50",
      "p95",
      "429",
      "503",
      "backoffs",
      "retries",
      "gap set",
      "gap seen",
    ],
    d.hosts.map(row),
    [false, true, true, true, true, true, true, true, true, true, true],
  );
}

/** A list of pages (the slowest or the largest). */
export function pageTable(pages: ReportPage[]): string {
  return table(
    ["ms", "size", "status", "url", "title"],
    pages.map((p) => [
      n(p.ms),
      formatBytes(p.bytes),
      p.code === null
        ? String(p.status ?? "-")
        : `${p.status ?? "-"} <code>${escapeHtml(p.code)}</code>`,
      urlCell(p.url),
      p.title === null ? "" : escapeHtml(p.title),
    ]),
    [true, true],
  );
}

/** robots.txt per origin, then the refused URLs. */
export function robotsSection(d: ReportData): string {
  const files = table(
    ["origin", "outcome", "status", "crawl-delay", "URLs refused"],
    d.robots.map((r) => [
      escapeHtml(r.origin),
      escapeHtml(r.outcome),
      r.status === null ? "-" : String(r.status),
      ms(r.crawlDelayMs),
      n(r.refused),
    ]),
    [false, false, true, true, true],
  );
  const more = d.stats.robotsDisallowed - d.refusals.length;
  const refused = table(
    ["url", "why"],
    d.refusals.map((r) => [urlCell(r.url), escapeHtml(r.message)]),
  );
  return `${files}<h3>Refused URLs${
    more > 0 ? ` (first ${n(d.refusals.length)} of ${n(d.stats.robotsDisallowed)})` : ""
  }</h3>${refused}`;
}

/** The page's stylesheet. */
export const STYLE = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #fff; --card: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; padding: 20px 28px 40px; max-width: 1400px; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; } h3 { font-size: 15px; margin: 18px 0 6px; }
.meta { color: var(--muted); margin: 0 0 14px; word-break: break-all; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 8px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.card .k { color: var(--muted); font-size: 12px; } .card .v { font-size: 17px; font-weight: 600; }
.two { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 0 28px; }
.chart { min-height: 240px; } .chart.empty { color: var(--muted); padding: 20px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td { word-break: break-all; } th { background: var(--card); white-space: nowrap; }
.num { text-align: right; white-space: nowrap; word-break: normal; }
.bar { display: inline-block; width: 120px; height: 9px; background: var(--card); border: 1px solid var(--line); vertical-align: middle; }
.bar > span { display: block; height: 100%; background: #2f6fde; }
.none { color: var(--muted); } a { color: #0969da; } code { font-size: 12px; }
`;
