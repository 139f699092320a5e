import assert from "node:assert/strict";
import { crawl } from "../../mod.ts";
import type { CrawlEvent } from "../../src/crawl_events.ts";
import type { CrawlRecord } from "../../src/types.ts";
import {
  createReportRecorder,
  REPORT_RECORDER_DEFAULTS,
} from "../../src/report/report_recorder.ts";
import { serveReportSite } from "./_report_site.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function record(url: string, ms: number, bytes: number, code: string | null = null): CrawlEvent {
  const r: CrawlRecord = {
    id: url,
    url,
    finalUrl: url,
    status: code === null ? 200 : null,
    depth: 0,
    title: `t ${url}`,
    fetchedAt: new Date().toISOString(),
    ms,
    bytes,
    error: code === null ? null : { code: code as "ROBOTS_DISALLOWED", message: `no: ${url}` },
    data: null,
  };
  return { type: "record", record: r, host: new URL(url).host, attempts: code === null ? 1 : 0 };
}

Deno.test("the recorder's data agrees with the crawl's own stats", async () => {
  const site = serveReportSite();
  try {
    const recorder = createReportRecorder();
    const run = crawl([site.url], { maxDepth: 2, maxRetries: 1, onEvent: recorder.handle });
    const records = await Array.fromAsync(run);
    const data = recorder.data();
    const stats = run.stats.snapshot();
    assert.equal(data.stats.pages, records.length);
    assert.deepEqual(data.stats.statuses, stats.statuses);
    assert.deepEqual(data.stats.failuresByCode, stats.failuresByCode);
    assert.equal(data.series.records.reduce((a, b) => a + b, 0), records.length);
    // Every fetched record is in the slowest list (fewer than maxListed), slowest first.
    const fetched = records.filter((r) => r.error?.code !== "ROBOTS_DISALLOWED");
    assert.equal(data.slowest.length, fetched.length);
    assert.deepEqual(
      data.slowest.map((p) => p.ms),
      fetched.map((r) => Math.round(r.ms)).sort((a, b) => b - a),
    );
    assert.deepEqual(
      data.largest.map((p) => p.bytes),
      records.map((r) => r.bytes).sort((a, b) => b - a),
    );
    assert.deepEqual(JSON.parse(JSON.stringify(data)), data, "plain JSON data");
  } finally {
    await site.shutdown();
  }
});

Deno.test("the time series stays within maxPoints by widening its buckets", async () => {
  const recorder = createReportRecorder({ bucketMs: 1, maxPoints: 4 });
  for (let i = 0; i < 6; i++) {
    recorder.handle(record(`http://a.test/${i}`, 5, 10));
    await sleep(5);
  }
  const { series } = recorder.data();
  assert.ok(series.t.length <= 4, `${series.t.length} buckets`);
  assert.ok(
    series.bucketMs >= 8 && Number.isInteger(Math.log2(series.bucketMs)),
    `${series.bucketMs}`,
  );
  assert.equal(series.records.reduce((a, b) => a + b, 0), 6);
  assert.deepEqual(series.t, series.t.map((_, i) => (i * series.bucketMs) / 1000));
});

Deno.test("a quiet spell keeps the requests in flight that held during it", async () => {
  const recorder = createReportRecorder({ bucketMs: 5 });
  const url = "http://a.test/slow";
  recorder.handle({ type: "request", url, host: "a.test", kind: "page" });
  await sleep(40);
  recorder.handle({
    type: "response",
    url,
    host: "a.test",
    kind: "page",
    status: 503,
    code: null,
    ms: 40,
  });
  recorder.handle(record(url, 40, 10));
  const { series } = recorder.data();
  assert.ok(series.t.length >= 8);
  assert.deepEqual(series.requestsInFlight, series.t.map(() => 1));
  assert.equal(series.throttledPerSecond.filter((v) => v > 0).length, 1);
});

Deno.test("lists are bounded: maxListed pages, maxRefusals refusals, all counted", () => {
  const recorder = createReportRecorder({ maxListed: 3, maxRefusals: 2 });
  recorder.handle({
    type: "robots",
    origin: "http://a.test",
    outcome: "fetched",
    status: 200,
    crawlDelayMs: 1000,
  });
  for (let i = 0; i < 10; i++) recorder.handle(record(`http://a.test/${i}`, i * 10, 1000 - i));
  for (let i = 0; i < 5; i++) {
    recorder.handle(record(`http://a.test/x/${i}`, 0, 0, "ROBOTS_DISALLOWED"));
  }
  const data = recorder.data();
  assert.deepEqual(data.slowest.map((p) => p.ms), [90, 80, 70]);
  assert.deepEqual(data.largest.map((p) => p.bytes), [1000, 999, 998]);
  assert.deepEqual(data.refusals.map((r) => r.url), ["http://a.test/x/0", "http://a.test/x/1"]);
  assert.equal(data.stats.robotsDisallowed, 5);
  assert.deepEqual(data.robots, [{
    origin: "http://a.test",
    outcome: "fetched",
    status: 200,
    crawlDelayMs: 1000,
    refused: 5,
  }]);
});

Deno.test("the per-host table folds hosts past maxHosts and measures the gap seen", async () => {
  const recorder = createReportRecorder({ maxHosts: 2 });
  for (
    const [host, count] of [["a.test", 3], ["b.test", 2], ["c.test", 1], ["d.test", 1]] as const
  ) {
    for (let i = 0; i < count; i++) {
      recorder.handle({ type: "request", url: `http://${host}/${i}`, host, kind: "page" });
      recorder.handle(record(`http://${host}/${i}`, 1, 1));
      if (host === "a.test") await sleep(20);
    }
  }
  const hosts = recorder.data().hosts;
  assert.deepEqual(hosts.map((h) => [h.host, h.done, h.requests]), [
    ["a.test", 3, 3],
    ["b.test", 2, 2],
    ["(other hosts)", 2, 2],
  ]);
  assert.ok(hosts[0]!.observedGapMs! >= 18, `${hosts[0]!.observedGapMs}`);
  assert.equal(hosts[2]!.observedGapMs, null);
});

Deno.test("a bad option is refused by name", () => {
  assert.throws(() => createReportRecorder({ maxPoints: 1 }), {
    name: "RangeError",
    message: "maxPoints must be an integer >= 2: received 1",
  });
  assert.throws(() => createReportRecorder({ bucketMs: 0.5 }), {
    name: "RangeError",
    message: /^bucketMs must be/,
  });
  assert.throws(
    () => createReportRecorder({ maxlisted: 3 } as never),
    /maxlisted is not a known option: did you mean maxListed\?/,
  );
  assert.throws(() => createReportRecorder({ maxHosts: "5" as never }), TypeError);
  assert.equal(Object.isFrozen(REPORT_RECORDER_DEFAULTS), true);
});
