import assert from "node:assert/strict";
import { CrawlStats, type CrawlStatsSnapshot, type HostStats } from "../src/crawl_stats.ts";
import type { CrawlEvent } from "../src/crawl_events.ts";
import type { CrawlRecord } from "../src/types.ts";
import { type ErrorCode, TrawlError } from "../src/trawl_error.ts";

function record(host: string, ms: number, status: number | null, code?: ErrorCode): CrawlEvent {
  const url = host ? `http://${host}/p` : "not a url";
  const rec: CrawlRecord = {
    id: "0000000000000001",
    url,
    finalUrl: status === null ? null : url,
    status,
    depth: 0,
    title: null,
    fetchedAt: new Date(0).toISOString(),
    ms,
    bytes: 100,
    error: code ? { code, message: code } : null,
    data: null,
  };
  return { type: "record", record: rec, host, attempts: status === null && code ? 0 : 1 };
}

const request = (host: string): CrawlEvent => ({
  type: "request",
  url: `http://${host}/p`,
  host,
  kind: "page",
});

const response = (host: string, status: number | null): CrawlEvent => ({
  type: "response",
  url: `http://${host}/p`,
  host,
  kind: "page",
  status,
  code: status === null ? "NETWORK_ERROR" : null,
  ms: 10,
});

const queued = (host: string, count: number): CrawlEvent => ({ type: "queued", host, count });

function row(stats: CrawlStats, host: string): HostStats {
  const found = stats.hosts().find((h) => h.host === host);
  assert.ok(found, `a row for ${host}`);
  return found;
}

/** The exact quantile the way the stats rank it: the ceil(q * n)-th smallest. */
function exact(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

Deno.test("record events: pages, failed, failures by code, statuses, bytes, latency, robots refusals", () => {
  const stats = new CrawlStats();
  for (let i = 1; i <= 100; i++) stats.handle(record("a.test", i, 200));
  stats.handle(record("a.test", 5, 404, "HTTP_ERROR"));
  stats.handle(record("a.test", 0, null, "ROBOTS_DISALLOWED"));
  stats.handle(record("", 0, null, "INVALID_URL"));
  const s = stats.snapshot();
  assert.equal(s.pages, 103);
  assert.equal(stats.pages, 103);
  assert.equal(s.failed, 3);
  assert.deepEqual(s.failuresByCode, { HTTP_ERROR: 1, ROBOTS_DISALLOWED: 1, INVALID_URL: 1 });
  assert.deepEqual(s.statuses, { 200: 100, 404: 1 });
  assert.equal(s.bytes, 10_300);
  assert.equal(s.robotsDisallowed, 1);
  assert.equal(s.latencyMs.p50, 49, "52nd of 103 sorted latencies (0, 0, 1..100 and an extra 5)");
  assert.equal(s.latencyMs.p95, 95);
  assert.equal(s.latencyMs.max, 100);
  assert.equal(s.retries, 0, "attempts are not retries: only retry events count");
  assert.equal(s.hostCount, 1, "a record of an unparsable URL (host '') gets no row");
  assert.equal(row(stats, "a.test").done, 102);
  assert.equal(row(stats, "a.test").failed, 2);
});

Deno.test("seed, links, frontier, retry, redirect, backoff and robots events feed their counters", () => {
  const stats = new CrawlStats();
  const events: CrawlEvent[] = [
    { type: "seed", url: "http://a.test/", outcome: "added" },
    { type: "seed", url: "http://a.test/", outcome: "duplicate" },
    { type: "seed", url: "nope", outcome: "invalid" },
    { type: "seed", url: "http://b.test/", outcome: "overLimit" },
    { type: "seed", url: "http://c.test/", outcome: "added" },
    {
      type: "links",
      url: "http://a.test/",
      found: 10,
      outcome: {
        added: 3,
        nofollow: 0,
        duplicate: 2,
        outOfScope: 1,
        excluded: 1,
        overDepth: 1,
        overLimit: 1,
        invalid: 1,
        trap: 0,
        overQueue: 0,
      },
    },
    {
      type: "links",
      url: "http://a.test/x",
      found: 2,
      outcome: {
        added: 1,
        nofollow: 0,
        duplicate: 1,
        outOfScope: 0,
        excluded: 0,
        overDepth: 0,
        overLimit: 0,
        invalid: 0,
        trap: 0,
        overQueue: 0,
      },
    },
    { type: "frontier", queued: 9, inFlight: 4 },
    { type: "frontier", queued: 7, inFlight: 2 },
    {
      type: "retry",
      url: "http://a.test/",
      attempt: 2,
      delayMs: 100,
      code: "HTTP_ERROR",
      status: 503,
    },
    {
      type: "retry",
      url: "http://a.test/",
      attempt: 3,
      delayMs: 200,
      code: "HEADERS_TIMEOUT",
      status: null,
    },
    {
      type: "retry",
      url: "http://b.test:8080/r",
      attempt: 2,
      delayMs: 100,
      code: "HTTP_ERROR",
      status: 429,
    },
    { type: "redirect", from: "http://a.test/", to: "https://a.test/", status: 301 },
    { type: "backoff", host: "a.test", delayMs: 1000, reason: "HTTP 503" },
    {
      type: "robots",
      origin: "http://a.test",
      outcome: "fetched",
      status: 200,
      crawlDelayMs: null,
    },
    {
      type: "robots",
      origin: "http://b.test",
      outcome: "unavailable",
      status: 404,
      crawlDelayMs: null,
    },
    {
      type: "robots",
      origin: "http://c.test",
      outcome: "unavailable",
      status: 410,
      crawlDelayMs: null,
    },
    {
      type: "robots",
      origin: "http://d.test",
      outcome: "unreachable",
      status: null,
      crawlDelayMs: null,
    },
  ];
  events.forEach(stats.handle);
  const s = stats.snapshot();
  assert.equal(s.seeds, 5);
  assert.equal(s.duplicateSeeds, 1);
  assert.equal(s.invalidSeeds, 1);
  assert.equal(s.overLimitSeeds, 1);
  assert.deepEqual(
    [stats.seeds, stats.duplicateSeeds, stats.invalidSeeds, stats.overLimitSeeds],
    [5, 1, 1, 1],
  );
  assert.deepEqual(s.links, {
    found: 12,
    added: 4,
    nofollow: 0,
    duplicate: 3,
    outOfScope: 1,
    excluded: 1,
    overDepth: 1,
    overLimit: 1,
    invalid: 1,
    trap: 0,
    overQueue: 0,
  });
  assert.equal(s.queued, 7, "the latest frontier event wins");
  assert.equal(s.inFlight, 2);
  assert.equal(s.retries, 3);
  assert.equal(s.redirects, 1);
  assert.equal(s.backoffs, 1);
  assert.deepEqual(s.robots, { fetched: 1, unavailable: 2, unreachable: 1 });
  assert.equal(row(stats, "a.test").retries, 2);
  assert.equal(
    row(stats, "b.test:8080").retries,
    1,
    "a retry's host is its URL's host, port included",
  );
  assert.equal(row(stats, "a.test").backoffs, 1);
  assert.equal(s.total, null);
  stats.total = 3;
  assert.equal(stats.snapshot().total, 3, "total is set by the crawler");
});

Deno.test("host rows: in flight up and down, queued minus records, 429/503, gap, backoffs", () => {
  const stats = new CrawlStats();
  const { handle } = stats; // bound: usable as a detached listener
  handle(queued("a.test", 5));
  handle({ type: "politeness", host: "a.test", gapMs: 1000, maxInFlight: 1 });
  handle(request("a.test"));
  handle(request("a.test"));
  handle(request("a.test"));
  assert.equal(row(stats, "a.test").inFlight, 3);
  assert.equal(row(stats, "a.test").gapMs, 1000);
  handle(response("a.test", 429));
  handle(response("a.test", 503));
  assert.equal(row(stats, "a.test").inFlight, 1);
  handle({ type: "backoff", host: "a.test", delayMs: 2000, reason: "HTTP 503" });
  handle({ type: "politeness", host: "a.test", gapMs: 250, maxInFlight: 4 });
  handle(response("a.test", 503));
  handle(response("a.test", 200)); // one response too many: the count does not go negative
  handle(record("a.test", 40, 200));
  handle(record("a.test", 60, 503, "HTTP_ERROR"));
  handle(queued("b.test", 1));
  const a = row(stats, "a.test");
  assert.deepEqual({ ...a, latencyMs: undefined }, {
    host: "a.test",
    inFlight: 0,
    queued: 3,
    done: 2,
    failed: 1,
    gapMs: 250,
    backoffs: 1,
    status429: 1,
    status503: 2,
    latencyMs: undefined,
    retries: 0,
  });
  assert.deepEqual(row(stats, "b.test"), {
    host: "b.test",
    inFlight: 0,
    queued: 1,
    done: 0,
    failed: 0,
    gapMs: 0,
    backoffs: 0,
    status429: 0,
    status503: 0,
    latencyMs: { p50: null, p95: null },
    retries: 0,
  });
});

Deno.test("host latency: exact below 16 ms, within 6.25% above, the host's max past 131 s", () => {
  const stats = new CrawlStats();
  for (let ms = 0; ms < 16; ms++) stats.handle(record("small.test", ms, 200));
  assert.deepEqual(row(stats, "small.test").latencyMs, { p50: 7, p95: 15 });

  const values: number[] = [];
  let x = 1;
  for (let i = 0; i < 2000; i++) {
    x = (x * 48271) % 2147483647; // a fixed pseudo-random spread over 20 ms .. 60 s
    values.push(20 + (x % 60_000));
  }
  for (const ms of values) stats.handle(record("wide.test", ms, 200));
  const { p50, p95 } = row(stats, "wide.test").latencyMs;
  for (const [q, got] of [[0.5, p50], [0.95, p95]] as const) {
    const want = exact(values, q);
    assert.ok(
      Math.abs(got! - want) <= want * 0.0625,
      `p${q * 100}: ${got} is within 6.25% of ${want}`,
    );
  }

  stats.handle(record("slow.test", 100, 200));
  stats.handle(record("slow.test", 300_000, 200));
  assert.deepEqual(row(stats, "slow.test").latencyMs, { p50: 100, p95: 300_000 });

  stats.handle(record("refused.test", 0, null, "ROBOTS_DISALLOWED"));
  assert.deepEqual(
    row(stats, "refused.test").latencyMs,
    { p50: null, p95: null },
    "a record that fetched nothing (attempts 0) has no latency",
  );
});

Deno.test("hosts() is sorted by done, then name", () => {
  const stats = new CrawlStats();
  for (const host of ["c.test", "b.test", "a.test", "b.test", "d.test", "d.test", "d.test"]) {
    stats.handle(record(host, 10, 200));
  }
  assert.deepEqual(stats.hosts().map((h) => [h.host, h.done]), [
    ["d.test", 3],
    ["b.test", 2],
    ["a.test", 1],
    ["c.test", 1],
  ]);
});

Deno.test("maxHosts: the least recently active hosts fold into (other hosts), counts kept", () => {
  const stats = new CrawlStats({ maxHosts: 3 });
  stats.handle(queued("a.test", 4));
  stats.handle(request("a.test"));
  stats.handle(response("a.test", 429));
  stats.handle(record("a.test", 10, 200));
  stats.handle(request("a.test")); // a.test: 1 in flight, 2 queued
  stats.handle(record("b.test", 20, 200));
  stats.handle(record("c.test", 30, 200));
  stats.handle(record("b.test", 20, 200)); // a.test is now the least recently active
  stats.handle(record("d.test", 40, 200));
  assert.deepEqual(stats.hosts().map((h) => h.host), [
    "b.test",
    "c.test",
    "d.test",
    "(other hosts)",
  ]);
  const other = row(stats, "(other hosts)");
  assert.deepEqual(
    [other.done, other.inFlight, other.queued, other.status429],
    [1, 1, 2, 1],
    "a.test's counts",
  );
  assert.deepEqual(other.latencyMs, { p50: 10, p95: 10 });
  assert.equal(other.gapMs, 0);
  // a.test comes back: its response and record are taken off the folded row's counts.
  stats.handle(response("a.test", 200));
  stats.handle(record("a.test", 12, 200));
  const after = stats.hosts();
  assert.equal(after.length, 4, "3 rows at most, plus (other hosts)");
  assert.equal(row(stats, "(other hosts)").inFlight, 0);
  assert.equal(row(stats, "a.test").done, 1);
  assert.equal(row(stats, "a.test").inFlight, 0);
  const queuedTotal = after.reduce((n, h) => n + h.queued, 0);
  assert.equal(queuedTotal, 1, "4 queued minus 3 records of a.test, wherever they are counted");
  const doneTotal = after.reduce((n, h) => n + h.done, 0);
  assert.equal(doneTotal, stats.pages);
  assert.equal(stats.snapshot().hostCount, 5, "a.test seen, folded, and seen again");
});

Deno.test("snapshot: busiest maxSnapshotHosts rows, the rest in one row, JSON shape", () => {
  const stats = new CrawlStats({ maxSnapshotHosts: 2 });
  // Latencies at bucket middles (see HostStats.latencyMs), so the percentiles are exact.
  const plan: [string, number, number][] = [
    ["a.test", 5, 100],
    ["b.test", 3, 200],
    ["c.test", 2, 304],
    ["d.test", 1, 400],
  ];
  for (const [host, pages, ms] of plan) {
    stats.handle(queued(host, pages + 1));
    for (let i = 0; i < pages; i++) stats.handle(record(host, ms, 200));
  }
  stats.handle(response("d.test", 503));
  const s: CrawlStatsSnapshot = JSON.parse(JSON.stringify(stats.snapshot()));
  assert.deepEqual(Object.keys(s).sort(), [
    "backoffs",
    "bytes",
    "changes",
    "duplicateSeeds",
    "durationMs",
    "failed",
    "failuresByCode",
    "fields",
    "hostCount",
    "hosts",
    "inFlight",
    "invalidSeeds",
    "latencyMs",
    "links",
    "overLimitSeeds",
    "pages",
    "pagesPerSecond",
    "queued",
    "redirects",
    "retries",
    "robots",
    "robotsDisallowed",
    "seeds",
    "statuses",
    "total",
  ]);
  assert.equal(s.hostCount, 4);
  assert.deepEqual(s.hosts.map((h) => [h.host, h.done]), [
    ["a.test", 5],
    ["b.test", 3],
    ["(other hosts)", 3],
  ]);
  const rest = s.hosts[2]!;
  assert.deepEqual(
    [rest.queued, rest.status503, rest.latencyMs.p50, rest.latencyMs.p95],
    [2, 1, 304, 400],
    "c.test and d.test together",
  );
  assert.deepEqual(s.hosts[0]!.latencyMs, { p50: 100, p95: 100 });
  assert.deepEqual(Object.keys(s.hosts[0]!).sort(), [
    "backoffs",
    "done",
    "failed",
    "gapMs",
    "host",
    "inFlight",
    "latencyMs",
    "queued",
    "retries",
    "status429",
    "status503",
  ]);
  // With room for every host there is no (other hosts) row.
  const all = new CrawlStats();
  all.handle(record("a.test", 1, 200));
  assert.deepEqual(all.snapshot().hosts.map((h) => h.host), ["a.test"]);
  assert.deepEqual(new CrawlStats().snapshot().hosts, []);
});

Deno.test("options are validated, naming the option and the value", () => {
  for (const maxHosts of [0, 1.5, -1, NaN]) {
    assert.throws(
      () => new CrawlStats({ maxHosts }),
      (e: unknown) =>
        e instanceof TrawlError && e.code === "INVALID_OPTION" &&
        e.message === `maxHosts must be an integer >= 1: received ${maxHosts}`,
    );
  }
  assert.throws(
    () => new CrawlStats({ maxSnapshotHosts: -1 }),
    /maxSnapshotHosts must be an integer >= 0: received -1/,
  );
  assert.equal(new CrawlStats({ maxSnapshotHosts: 0 }).snapshot().hosts.length, 0);
});
