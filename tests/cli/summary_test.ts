import assert from "node:assert/strict";
import { CrawlStats } from "../../src/crawl_stats.ts";
import { formatProgress, formatSummary } from "../../src/cli/summary.ts";
import { parseFlags } from "../../src/cli/parse_flags.ts";
import type { CrawlEvent } from "../../src/crawl_events.ts";
import type { ErrorCode } from "../../src/trawl_error.ts";

function record(status: number | null, ms: number, code?: string, host = "a.test"): CrawlEvent {
  return {
    type: "record",
    host,
    attempts: status === null ? 0 : 1,
    record: {
      id: "0000000000000001",
      url: `http://${host}/`,
      finalUrl: null,
      status,
      depth: 0,
      title: null,
      fetchedAt: new Date(0).toISOString(),
      ms,
      bytes: 1000,
      error: code ? { code: code as ErrorCode, message: code } : null,
      data: null,
    },
  };
}

function response(host: string, status: number): CrawlEvent {
  return {
    type: "response",
    url: `http://${host}/`,
    host,
    kind: "page",
    status,
    code: null,
    ms: 1,
  };
}

Deno.test("summary: pages, failures by code, statuses, bytes, latency, retries, robots", () => {
  const stats = new CrawlStats();
  for (let i = 1; i <= 100; i++) stats.handle(record(200, i));
  stats.handle(record(404, 5, "HTTP_ERROR"));
  stats.handle(record(null, 0, "ROBOTS_DISALLOWED"));
  for (const attempt of [2, 3]) {
    stats.handle({
      type: "retry",
      url: "http://a.test/",
      attempt,
      delayMs: 10,
      code: "HTTP_ERROR",
      status: 503,
    });
  }
  const s = stats.snapshot();
  assert.equal(s.latencyMs.p50, 49, "51st of 102 sorted latencies (0, 1..100, and an extra 5)");
  assert.equal(s.latencyMs.p95, 95);
  assert.equal(s.retries, 2);
  const text = formatSummary(s);
  assert.match(text, /102 pages/);
  assert.match(text, /2 failed/);
  assert.match(text, /200 x100, 404 x1/);
  assert.match(text, /HTTP_ERROR x1/);
  assert.match(text, /ROBOTS_DISALLOWED x1/);
  assert.match(text, /102 kB/);
  assert.match(text, /p50 49 ms, p95 95 ms/);
  assert.match(text, /retries 2 · robots refusals 1/);
  assert.doesNotMatch(text, /hosts:|backoffs:/, "one host, no backoff or redirect: no such lines");
});

Deno.test("summary: with several hosts, the busiest, slowest and most throttled; backoffs and redirects", () => {
  const stats = new CrawlStats();
  for (let i = 0; i < 5; i++) stats.handle(record(200, 10, undefined, "a.test"));
  stats.handle(record(200, 840, undefined, "c.test"));
  stats.handle(record(200, 20, undefined, "b.test"));
  for (const status of [429, 503, 503]) stats.handle(response("b.test", status));
  stats.handle(response("a.test", 503));
  stats.handle({ type: "backoff", host: "b.test", delayMs: 1000, reason: "HTTP 429" });
  stats.handle({ type: "redirect", from: "http://a.test/", to: "http://a.test/x", status: 301 });
  stats.handle({ type: "redirect", from: "http://b.test/", to: "http://b.test/x", status: 302 });
  const text = formatSummary(stats.snapshot());
  const lines = text.split("\n");
  assert.ok(
    lines.includes(
      "  hosts:     3 · busiest: a.test 5 pages · slowest p95: c.test 840 ms · most 429/503: b.test 3",
    ),
    text,
  );
  assert.ok(lines.includes("  backoffs:  1 · redirects 2"), text);
  const calm = new CrawlStats();
  calm.handle(record(200, 10, undefined, "a.test"));
  calm.handle(record(200, 10, undefined, "b.test"));
  const calmText = formatSummary(calm.snapshot());
  assert.match(calmText, /hosts: +2 · busiest: a\.test 1 page · slowest p95: a\.test 10 ms$/);
  assert.doesNotMatch(calmText, /429\/503|backoffs:/);
});

Deno.test("progress: done, queued, in flight, failed, rate, and an ETA only when the total is known", () => {
  const stats = new CrawlStats();
  stats.handle(record(200, 10));
  stats.handle({ type: "frontier", queued: 7, inFlight: 3 });
  const line = formatProgress({ ...stats.snapshot(), pagesPerSecond: 2 });
  assert.match(line, /^done 1 · queued 7 · in flight 3 · failed 0 · 2 pages\/s$/);
  const withTotal = formatProgress({ ...stats.snapshot(), pagesPerSecond: 2, total: 21 });
  assert.match(withTotal, /ETA 10s$/);
});

Deno.test("flags: every option maps to crawl options; repeatable flags collect", () => {
  const command = parseFlags([
    "crawl",
    "urls.txt",
    "-c",
    "64",
    "--per-host",
    "2",
    "--delay",
    "100",
    "--rate",
    "30/m",
    "--timeout",
    "5000",
    "--retries",
    "1",
    "--depth",
    "2",
    "--max-pages",
    "10",
    "--max-pages-per-host",
    "5",
    "--scope",
    "domain",
    "--include",
    "*/blog/*",
    "--exclude",
    "/\\.pdf$/",
    "--select",
    "a=h1",
    "--select",
    "b=a@href[]",
    "--extract",
    "./x.ts",
    "--workers",
    "3",
    "--user-agent",
    "mybot/1.0",
    "-H",
    "X-Token: abc",
    "--proxy",
    "http://127.0.0.1:3128",
    "--no-robots",
    "--allow-private",
    "--format",
    "csv",
    "-o",
    "out.csv",
    "--stats",
    "s.json",
    "--quiet",
  ]);
  assert.equal(command.kind, "crawl");
  if (command.kind !== "crawl") return;
  assert.deepEqual(command.options, {
    maxInFlight: 64,
    maxPerHost: 2,
    delayMs: 100,
    rate: { requests: 30, perMs: 60_000 },
    timeoutMs: 5000,
    maxRetries: 1,
    maxDepth: 2,
    maxPages: 10,
    maxPagesPerHost: 5,
    scope: "domain",
    include: ["*/blog/*"],
    exclude: ["/\\.pdf$/"],
    select: ["a=h1", "b=a@href[]"],
    extractModule: "./x.ts",
    workers: 3,
    userAgent: "mybot/1.0",
    headers: { "x-token": "abc" },
    proxy: "http://127.0.0.1:3128",
    robots: false,
    allowPrivate: true,
  });
  assert.equal(command.format, "csv");
  assert.equal(command.out, "out.csv");
  assert.equal(command.statsFile, "s.json");
  assert.equal(command.quiet, true);
  assert.throws(() => parseFlags(["crawl", "u", "--rate", "fast"]), /--rate takes N\/s/);
  assert.throws(() => parseFlags(["crawl", "u", "-H", "nocolon"]), /--header takes "Name: value"/);
  assert.throws(() => parseFlags(["crawl"]), /crawl needs a seed file/);
});
