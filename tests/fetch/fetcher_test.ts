import assert from "node:assert/strict";
import { createFetcher, type FetcherOptions } from "../../src/fetch/fetcher.ts";
import { TrawlError } from "../../src/trawl_error.ts";
import { Counter, startBacklogFull, startFixture, startResetServer } from "./_fixture.ts";

const FAST: FetcherOptions = {
  retryBaseMs: 5,
  maxRetryDelayMs: 2000,
  connectTimeoutMs: 200,
  headersTimeoutMs: 200,
  bodyIdleTimeoutMs: 200,
  timeoutMs: 5000,
};

Deno.test("fetch: a page comes back with status, headers, body, type and charset", async () => {
  await using server = startFixture();
  await using f = createFetcher(FAST);
  const r = await f.fetch(`${server.origin}/ok`);
  assert.equal(r.error, null);
  assert.equal(r.status, 200);
  assert.equal(r.contentType, "text/html");
  assert.equal(r.charset, "utf-8");
  assert.equal(new TextDecoder().decode(r.body), "<title>/ok</title>");
  assert.equal(r.bytes, r.body.length);
  assert.equal(r.attempts, 1);
  assert.equal(r.finalUrl, r.url);
  assert.deepEqual(r.redirects, []);
  assert.ok(r.timings.ttfbMs !== null && r.timings.ttfbMs <= r.timings.totalMs);
  assert.equal(f.stats.requests, 1);
});

Deno.test("fetch: user agent, extra headers and accept-encoding are sent", async () => {
  await using server = startFixture();
  await using f = createFetcher({ ...FAST, userAgent: "probe/1", headers: { "X-Test": "yes" } });
  const r = await f.fetch(`${server.origin}/echo`);
  const seen = JSON.parse(new TextDecoder().decode(r.body));
  assert.equal(seen["user-agent"], "probe/1");
  assert.equal(seen["x-test"], "yes");
  assert.equal(seen["accept-encoding"], "gzip, deflate, br");
  assert.match(seen["accept"], /^text\/html,application\/xhtml\+xml,/, "a browser-like Accept");
  await using d = createFetcher(FAST);
  const r2 = await d.fetch(`${server.origin}/echo`);
  assert.equal(
    JSON.parse(new TextDecoder().decode(r2.body))["user-agent"],
    "trawl/0.1 (+https://github.com/trawl)",
  );
});

Deno.test("fetch: gzip, deflate and br bodies are decompressed; bytes counts the wire", async () => {
  await using server = startFixture();
  await using f = createFetcher(FAST);
  for (const enc of ["gzip", "deflate", "br"]) {
    const r = await f.fetch(`${server.origin}/${enc}`);
    assert.equal(r.error, null, enc);
    assert.equal(new TextDecoder().decode(r.body), "<p>compressed ".repeat(1000), enc);
    assert.ok(r.bytes > 0 && r.bytes < r.body.length, `${enc}: ${r.bytes} on the wire`);
  }
});

Deno.test("fetch: bad input becomes an error result with its own code", async () => {
  await using f = createFetcher({ ...FAST, maxUrlLength: 100 });
  const cases: [string, string][] = [
    ["not a url", "INVALID_URL"],
    ["http://", "INVALID_URL"],
    ["ftp://example.com/x", "UNSUPPORTED_SCHEME"],
    ["file:///etc/passwd", "UNSUPPORTED_SCHEME"],
    ["javascript:alert(1)", "UNSUPPORTED_SCHEME"],
    [`http://127.0.0.1/${"a".repeat(200)}`, "URL_TOO_LONG"],
  ];
  for (const [url, code] of cases) {
    const r = await f.fetch(url);
    assert.equal(r.error?.code, code, url);
    assert.equal(r.status, null);
    assert.equal(r.attempts, 0);
  }
  await using g = createFetcher(FAST);
  assert.equal((await g.fetch(`http://127.0.0.1/${"a".repeat(2100)}`)).error?.code, "URL_TOO_LONG");
});

Deno.test("fetch: a 404 is a result with its status, HTTP_ERROR, its body, one attempt", async () => {
  await using server = startFixture();
  await using f = createFetcher(FAST);
  const r = await f.fetch(`${server.origin}/status/404`);
  assert.equal(r.status, 404);
  assert.equal(r.error?.code, "HTTP_ERROR");
  assert.equal(new TextDecoder().decode(r.body), "status 404");
  assert.equal(r.attempts, 1);
  assert.equal(server.hits.get("/status/404"), 1);
});

Deno.test("fetch: other 4xx are not retried", async () => {
  await using server = startFixture();
  await using f = createFetcher(FAST);
  for (const status of [400, 401, 403, 410]) {
    const r = await f.fetch(`${server.origin}/status/${status}`);
    assert.equal(r.attempts, 1);
    assert.equal(server.hits.get(`/status/${status}`), 1);
  }
});

Deno.test("fetch: 408/425/429/500/502/503/504 are retried until success", async () => {
  await using server = startFixture();
  await using f = createFetcher(FAST);
  for (const status of [408, 425, 429, 500, 502, 503, 504]) {
    const r = await f.fetch(`${server.origin}/flaky?fail=2&status=${status}`);
    assert.equal(r.status, 200, `${status}`);
    assert.equal(r.error, null);
    assert.equal(r.attempts, 3);
  }
  assert.equal(f.stats.retries, 14);
});

Deno.test("fetch: when retries run out the last status is the result", async () => {
  await using server = startFixture();
  await using f = createFetcher({ ...FAST, maxRetries: 2 });
  const r = await f.fetch(`${server.origin}/flaky?fail=10&status=503`);
  assert.equal(r.status, 503);
  assert.equal(r.error?.code, "HTTP_ERROR");
  assert.equal(r.attempts, 3);
  assert.equal(server.hits.get("/flaky?fail=10&status=503"), 3);
  await using none = createFetcher({ ...FAST, maxRetries: 0 });
  assert.equal((await none.fetch(`${server.origin}/flaky?fail=10&status=500`)).attempts, 1);
});

Deno.test("fetch: Retry-After in seconds and as an HTTP-date is honoured", async () => {
  await using server = startFixture();
  await using f = createFetcher({ ...FAST, retryBaseMs: 1 });
  let r = await f.fetch(`${server.origin}/retry-after?secs=1`);
  assert.equal(r.status, 200);
  let times = server.arrivals.get("/retry-after")!;
  assert.ok(times[1] - times[0] >= 900, `waited ${times[1] - times[0]} ms`);
  server.arrivals.clear();
  r = await f.fetch(`${server.origin}/retry-after?date=2&status=503`);
  assert.equal(r.status, 200);
  times = server.arrivals.get("/retry-after")!;
  // An HTTP-date has 1 s resolution: 2 s ahead means at least ~1 s.
  assert.ok(times[1] - times[0] >= 900, `waited ${times[1] - times[0]} ms`);
});

Deno.test("fetch: a Retry-After over maxRetryAfterMs ends the URL with RETRY_AFTER_TOO_LONG", async () => {
  await using server = startFixture();
  await using f = createFetcher({ ...FAST, maxRetryAfterMs: 60_000 });
  const t0 = performance.now();
  const r = await f.fetch(`${server.origin}/retry-after?secs=3600`);
  assert.ok(performance.now() - t0 < 1000, "not waited for");
  assert.equal(r.error?.code, "RETRY_AFTER_TOO_LONG");
  assert.match(r.error!.message, /3600 s/);
  assert.match(r.error!.message, /maxRetryAfterMs 60000/);
  assert.match(r.error!.message, /--max-retry-after/);
  assert.equal(r.status, 429);
  assert.equal(r.headers["retry-after"], "3600");
  assert.equal(r.attempts, 1);
  assert.equal(server.hits.get("/retry-after?secs=3600"), 1);
});

Deno.test("fetch: a 429 with Retry-After pauses that host only", async () => {
  await using a = startFixture();
  await using b = startFixture();
  await using f = createFetcher({ ...FAST, maxPerHost: 4 });
  const slow = f.fetch(`${a.origin}/retry-after?secs=1`);
  await new Promise((r) => setTimeout(r, 100)); // the 429 has arrived: host a is paused
  const t0 = performance.now();
  const other = await f.fetch(`${b.origin}/ok`);
  const otherMs = performance.now() - t0;
  const same = await f.fetch(`${a.origin}/ok`);
  const sameMs = performance.now() - t0;
  assert.equal(other.status, 200);
  assert.equal(same.status, 200);
  assert.ok(otherMs < 500, `other host waited ${otherMs} ms`);
  assert.ok(sameMs >= 700, `paused host answered after ${sameMs} ms`);
  assert.equal((await slow).status, 200);
});

Deno.test("fetch: a connection reset is CONNECTION_RESET and is retried", async () => {
  const server = startResetServer();
  try {
    await using f = createFetcher({ ...FAST, maxRetries: 2 });
    const r = await f.fetch(`${server.origin}/x`);
    assert.equal(r.error?.code, "CONNECTION_RESET");
    assert.equal(r.attempts, 3);
  } finally {
    await server.close();
  }
});

Deno.test("fetch: a refused connection is CONNECTION_REFUSED", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await using f = createFetcher({ ...FAST, maxRetries: 1 });
  const r = await f.fetch(`http://127.0.0.1:${port}/`);
  assert.equal(r.error?.code, "CONNECTION_REFUSED");
  assert.equal(r.attempts, 2);
});

Deno.test("fetch: a stalled connect is CONNECT_TIMEOUT (full accept backlog)", async () => {
  const server = await startBacklogFull();
  try {
    await using f = createFetcher({ ...FAST, maxRetries: 0, connectTimeoutMs: 150 });
    const r = await f.fetch(`${server.origin}/x`);
    assert.equal(r.error?.code, "CONNECT_TIMEOUT");
    assert.ok(r.timings.totalMs < 900, `${r.timings.totalMs} ms`);
  } finally {
    server.close();
  }
});

Deno.test("fetch: stalled headers are HEADERS_TIMEOUT, retried", async () => {
  await using server = startFixture();
  await using f = createFetcher({ ...FAST, maxRetries: 1, headersTimeoutMs: 150 });
  const r = await f.fetch(`${server.origin}/stall`);
  assert.equal(r.error?.code, "HEADERS_TIMEOUT");
  assert.equal(r.status, null);
  assert.equal(r.attempts, 2);
  assert.ok(r.timings.totalMs < 900, `${r.timings.totalMs} ms`);
});

Deno.test("fetch: a drip-fed body within the idle timeout is read; a stalled one is BODY_TIMEOUT", async () => {
  await using server = startFixture();
  await using f = createFetcher({ ...FAST, maxRetries: 0, bodyIdleTimeoutMs: 150 });
  const ok = await f.fetch(`${server.origin}/drip?chunks=4&gap=50`);
  assert.equal(ok.error, null);
  assert.equal(new TextDecoder().decode(ok.body), "chunk1;chunk2;chunk3;chunk4;");
  const r = await f.fetch(`${server.origin}/drip?chunks=3&gap=400`);
  assert.equal(r.error?.code, "BODY_TIMEOUT");
  assert.equal(r.body.length, 0);
});

Deno.test("fetch: timeoutMs is the deadline of one attempt (DEADLINE, not retried); waits are not counted", async () => {
  await using server = startFixture();
  await using f = createFetcher({ ...FAST, timeoutMs: 250, headersTimeoutMs: 10_000 });
  const t0 = performance.now();
  const r = await f.fetch(`${server.origin}/stall`);
  assert.equal(r.error?.code, "DEADLINE");
  assert.match(r.error!.message, /250 ms/);
  assert.equal(r.attempts, 1);
  assert.equal(server.hits.get("/stall"), 1);
  assert.ok(performance.now() - t0 < 2000);
  // A Retry-After (1 s) longer than the deadline (300 ms) is waited for, and the retry succeeds.
  await using g = createFetcher({ ...FAST, timeoutMs: 300 });
  const r2 = await g.fetch(`${server.origin}/retry-after?secs=1&status=503`);
  assert.equal(r2.error, null);
  assert.equal(r2.status, 200);
  assert.equal(r2.attempts, 2);
  assert.ok(r2.timings.totalMs >= 900, `${r2.timings.totalMs} ms`);
});

Deno.test("fetch: a caller's abort gives ABORTED, also during a backoff wait", async () => {
  await using server = startFixture();
  await using f = createFetcher({
    ...FAST,
    retryBaseMs: 60_000,
    maxRetryDelayMs: 60_000,
    maxRetries: 5,
  });
  const ctl = new AbortController();
  const pending = f.fetch(`${server.origin}/status/503`, { signal: ctl.signal });
  await new Promise((r) => setTimeout(r, 100));
  const t0 = performance.now();
  ctl.abort();
  const r = await pending;
  assert.equal(r.error?.code, "ABORTED");
  assert.ok(performance.now() - t0 < 200);
  assert.equal(server.hits.get("/status/503"), 1);
  const stalled = new AbortController();
  const p2 = f.fetch(`${server.origin}/stall`, { signal: stalled.signal });
  setTimeout(() => stalled.abort(), 50);
  assert.equal((await p2).error?.code, "ABORTED");
  const pre = AbortSignal.abort();
  assert.equal((await f.fetch(`${server.origin}/ok`, { signal: pre })).error?.code, "ABORTED");
});

Deno.test("fetch: a backoff wait does not hold the global slot", async () => {
  await using server = startFixture();
  // Another host: the one retrying is held back by the policy's 503 backoff as well.
  await using other = startFixture();
  await using f = createFetcher({
    ...FAST,
    maxInFlight: 1,
    retryBaseMs: 400,
    maxRetryDelayMs: 400,
  });
  const orig = Math.random;
  Math.random = () => 0.999;
  try {
    const retrying = f.fetch(`${server.origin}/flaky?fail=1&status=503`);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    const ok = await f.fetch(`${other.origin}/ok`);
    assert.equal(ok.status, 200);
    assert.ok(performance.now() - t0 < 300, "the other request ran during the backoff");
    assert.equal((await retrying).status, 200);
  } finally {
    Math.random = orig;
  }
});

Deno.test("fetch: redirects are followed with the chain and finalUrl", async () => {
  await using server = startFixture();
  await using f = createFetcher(FAST);
  for (const status of [301, 302, 303, 307, 308]) {
    const r = await f.fetch(`${server.origin}/redirect/2?status=${status}`);
    assert.equal(r.status, 200);
    assert.equal(r.finalUrl, `${server.origin}/ok`);
    assert.deepEqual(r.redirects, [
      `${server.origin}/redirect/1?status=${status}`,
      `${server.origin}/redirect/0?status=${status}`,
      `${server.origin}/ok`,
    ]);
    assert.equal(r.attempts, 1);
  }
});

Deno.test("fetch: a redirect loop ends with TOO_MANY_REDIRECTS", async () => {
  await using server = startFixture();
  await using f = createFetcher({ ...FAST, maxRedirects: 3 });
  const r = await f.fetch(`${server.origin}/loop`);
  assert.equal(r.error?.code, "TOO_MANY_REDIRECTS");
  assert.equal(r.redirects.length, 3);
  assert.equal(server.hits.get("/loop"), 4);
  const ok = await f.fetch(`${server.origin}/redirect/2`);
  assert.equal(ok.status, 200);
});

Deno.test("fetch: redirect to another host; allowUrl checks every hop", async () => {
  let other = "";
  await using b = startFixture();
  other = b.origin;
  await using a = startFixture({ other: () => other });
  const seen: string[] = [];
  await using f = createFetcher({ ...FAST, allowUrl: (u) => (seen.push(u.href), true) });
  const r = await f.fetch(`${a.origin}/to`);
  assert.equal(r.status, 200);
  assert.equal(r.finalUrl, `${b.origin}/ok`);
  assert.deepEqual(seen, [`${a.origin}/to`, `${b.origin}/ok`]);

  await using blocked = createFetcher({ ...FAST, allowUrl: (u) => u.host === a.host });
  const r2 = await blocked.fetch(`${a.origin}/to`);
  assert.equal(r2.error?.code, "REDIRECT_BLOCKED");
  assert.equal(b.hits.get("/ok"), 1);

  await using guard = createFetcher({
    ...FAST,
    allowUrl: async (u) => {
      await Promise.resolve();
      if (u.host !== a.host) throw new TrawlError("BLOCKED_ADDRESS", `${u.host} is private`);
      return true;
    },
  });
  assert.equal((await guard.fetch(`${a.origin}/to`)).error?.code, "BLOCKED_ADDRESS");
  assert.equal((await blocked.fetch(`${b.origin}/ok`)).error?.code, "REDIRECT_BLOCKED");
  assert.equal(b.hits.get("/ok"), 1);
  const bad = await f.fetch(`${a.origin}/to?url=ftp://x/y`);
  assert.equal(bad.error?.code, "UNSUPPORTED_SCHEME");
});

Deno.test("fetch: a body over maxBytes is TOO_LARGE, with or without content-length", async () => {
  await using server = startFixture();
  await using f = createFetcher({ ...FAST, maxBytes: 1024 * 1024 });
  for (const q of ["", "?nolength"]) {
    const r = await f.fetch(`${server.origin}/huge${q}`);
    assert.equal(r.error?.code, "TOO_LARGE", q);
    assert.equal(r.body.length, 0);
    assert.equal(r.attempts, 1);
  }
  const ok = await f.fetch(`${server.origin}/huge?bytes=${512 * 1024}`);
  assert.equal(ok.error, null);
  assert.equal(ok.body.length, 512 * 1024);
  assert.equal(ok.bytes, 512 * 1024);
  assert.ok(
    ok.body.every((b, i) => b === (i % (64 * 1024)) % 251),
    "the chunks are joined in order, none lost or overwritten",
  );
});

Deno.test("fetch: an unwanted body is read at most 128 KiB (none if its length says more)", async () => {
  await using server = startFixture();
  await using f = createFetcher({
    ...FAST,
    maxBytes: 256 * 1024 * 1024,
    allowContentType: (t) => t !== null,
  });
  // 64 MiB with no content type: refused at the headers, read only up to the limit.
  const skipped = await f.fetch(`${server.origin}/huge?nolength&bytes=${64 * 1024 * 1024}`);
  assert.equal(skipped.error?.code, "SKIPPED_CONTENT_TYPE");
  assert.ok(skipped.bytes > 0 && skipped.bytes <= 192 * 1024, `read ${skipped.bytes} bytes`);
  assert.equal(skipped.body.length, 0);
  // With a content-length over the limit it is not read at all.
  const known = await f.fetch(`${server.origin}/huge?bytes=${64 * 1024 * 1024}`);
  assert.equal(known.error?.code, "SKIPPED_CONTENT_TYPE");
  assert.equal(known.bytes, 0);
  // The fetcher goes on as usual.
  const next = await f.fetch(`${server.origin}/type?t=text/plain`);
  assert.equal(new TextDecoder().decode(next.body), "data");
});

Deno.test("fetch: a gzip bomb (1 MiB inflating to 1 GiB) fails fast with TOO_LARGE", async () => {
  await using server = startFixture();
  await using f = createFetcher({
    ...FAST,
    maxBytes: 4 * 1024 * 1024,
    timeoutMs: 20_000,
    bodyIdleTimeoutMs: 5000,
  });
  const before = Deno.memoryUsage().rss;
  const r = await f.fetch(`${server.origin}/bomb`);
  assert.equal(r.error?.code, "TOO_LARGE");
  assert.ok(Deno.memoryUsage().rss - before < 300 * 1024 * 1024, "memory stayed bounded");
});

Deno.test("fetch: allowContentType skips a body before reading it", async () => {
  await using server = startFixture();
  const seen: (string | null)[] = [];
  await using f = createFetcher({
    ...FAST,
    allowContentType: (t) => (seen.push(t), t === null || t.startsWith("text/")),
  });
  const r = await f.fetch(`${server.origin}/type?t=${encodeURIComponent("image/PNG")}`);
  assert.equal(r.error?.code, "SKIPPED_CONTENT_TYPE");
  assert.equal(r.status, 200);
  assert.equal(r.contentType, "image/png");
  assert.equal(r.headers["content-type"], "image/PNG");
  assert.equal(r.body.length, 0);
  const ok = await f.fetch(`${server.origin}/type?t=text/plain`);
  assert.equal(ok.error, null);
  assert.equal(new TextDecoder().decode(ok.body), "data");
  assert.deepEqual(seen, ["image/png", "text/plain"]);
});

for (const cap of [1, 8, 1000]) {
  Deno.test(`fetch: the global cap ${cap} is reached and never exceeded`, async () => {
    const counter = new Counter();
    await using a = startFixture({ counter });
    await using b = startFixture({ counter });
    await using f = createFetcher({
      ...FAST,
      maxInFlight: cap,
      maxPerHost: cap,
      timeoutMs: 20_000,
      headersTimeoutMs: 20_000,
      connectTimeoutMs: 10_000,
    });
    const jobs = [];
    for (let i = 0; i < cap * 2 + 4; i++) {
      jobs.push(f.fetch(`${(i % 2 ? a : b).origin}/count?n=${cap}&i=${i}`));
    }
    const results = await Promise.all(jobs);
    assert.ok(results.every((r) => r.status === 200), "all answered");
    assert.equal(counter.max, cap);
  });

  Deno.test(`fetch: the per-host cap ${cap} is reached and never exceeded`, async () => {
    const ca = new Counter();
    const cb = new Counter();
    await using a = startFixture({ counter: ca });
    await using b = startFixture({ counter: cb });
    await using f = createFetcher({
      ...FAST,
      maxInFlight: 4 * cap,
      maxPerHost: cap,
      timeoutMs: 20_000,
      headersTimeoutMs: 20_000,
      connectTimeoutMs: 10_000,
    });
    const jobs = [];
    for (let i = 0; i < cap * 4 + 4; i++) {
      jobs.push(f.fetch(`${(i % 2 ? a : b).origin}/count?n=${cap}&i=${i}`));
    }
    const results = await Promise.all(jobs);
    assert.ok(results.every((r) => r.status === 200), "all answered");
    assert.equal(ca.max, cap);
    assert.equal(cb.max, cap);
  });
}

Deno.test("fetch: a cap over the open-file limit is refused with FD_LIMIT", () => {
  assert.throws(
    () => createFetcher({ maxInFlight: 10_000_000 }),
    (e: unknown) => e instanceof TrawlError && e.code === "FD_LIMIT" && /ulimit -n/.test(e.message),
  );
  assert.throws(
    () => createFetcher({ maxInFlight: 0 }),
    (e: unknown) =>
      e instanceof RangeError && e.message === "maxInFlight must be an integer >= 1: received 0",
  );
});

Deno.test("fetch: per-host rate limit spaces requests to one host, not the others", async () => {
  await using a = startFixture();
  await using b = startFixture();
  await using f = createFetcher({ ...FAST, rateLimit: { minTimeMs: 100 } });
  const t0 = performance.now();
  await Promise.all([0, 1, 2].map((i) => f.fetch(`${a.origin}/ok?i=${i}`)));
  const paced = performance.now() - t0;
  const t1 = performance.now();
  await f.fetch(`${b.origin}/ok`);
  const other = performance.now() - t1;
  const times = a.arrivals.get("/ok")!;
  assert.ok(times[2] - times[0] >= 180, `3 requests over ${times[2] - times[0]} ms`);
  assert.ok(paced >= 180);
  assert.ok(other < 150, `other host took ${other} ms`);
});

Deno.test("fetch: N per interval and a global rate limit", async () => {
  await using a = startFixture();
  await using b = startFixture();
  await using f = createFetcher({
    ...FAST,
    globalRateLimit: { maxPerInterval: 2, intervalMs: 300 },
  });
  await Promise.all([a, b, a, b].map((s, i) => f.fetch(`${s.origin}/ok?i=${i}`)));
  const times = [...a.arrivals.get("/ok")!, ...b.arrivals.get("/ok")!].sort((x, y) => x - y);
  assert.ok(times[2] - times[0] >= 200, `third request after ${times[2] - times[0]} ms`);
});

Deno.test("fetch: close aborts what is running and stats are cheap counters", async () => {
  await using server = startFixture();
  const f = createFetcher(FAST);
  const pending = f.fetch(`${server.origin}/stall`);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(f.stats.inFlight, 1);
  assert.equal(f.stats.hosts, 1);
  await f.close();
  assert.equal((await pending).error?.code, "ABORTED");
  assert.equal(f.stats.inFlight, 0);
  assert.equal((await f.fetch(`${server.origin}/ok`)).error?.code, "ABORTED");
});

Deno.test("fetch: the fetcher's own signal aborts its fetches", async () => {
  await using server = startFixture();
  const ctl = new AbortController();
  await using f = createFetcher({ ...FAST, signal: ctl.signal });
  const pending = f.fetch(`${server.origin}/stall`);
  setTimeout(() => ctl.abort(), 30);
  assert.equal((await pending).error?.code, "ABORTED");
});

Deno.test("fetch: lookup resolves names for new connections; its TrawlError is the result's error, not retried", async () => {
  await using server = startFixture();
  const port = new URL(server.origin).port;
  const asked: string[] = [];
  await using f = createFetcher({
    ...FAST,
    maxRetries: 2,
    lookup: (hostname, options, callback) => {
      asked.push(hostname);
      if (hostname === "pinned.test") {
        if (options.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
        else callback(null, "127.0.0.1", 4);
      } else {
        callback(new TrawlError("BLOCKED_ADDRESS", `${hostname}: refused by lookup`), "");
      }
    },
  });
  const ok = await f.fetch(`http://pinned.test:${port}/ok`);
  assert.equal(ok.error, null);
  assert.equal(new TextDecoder().decode(ok.body), "<title>/ok</title>");
  const refused = await f.fetch(`http://rebound.test:${port}/ok`);
  assert.equal(refused.status, null);
  assert.equal(refused.error?.code, "BLOCKED_ADDRESS");
  assert.equal(refused.attempts, 1);
  assert.deepEqual(asked, ["pinned.test", "rebound.test"]);
});

Deno.test("fetch: a per-fetch allowUrl sees each hop with the URL it came from", async () => {
  await using server = startFixture();
  await using f = createFetcher(FAST);
  const hops: [string, string | null][] = [];
  const allowUrl = (url: URL, from: URL | null) => {
    hops.push([url.pathname, from?.pathname ?? null]);
    return url.pathname !== "/redirect/0";
  };
  const r = await f.fetch(`${server.origin}/redirect/2`, { allowUrl });
  assert.equal(r.error?.code, "REDIRECT_BLOCKED");
  assert.match(r.error!.message, /redirect target of .*\/redirect\/1/);
  assert.deepEqual(hops, [
    ["/redirect/2", null],
    ["/redirect/1", "/redirect/2"],
    ["/redirect/0", "/redirect/1"],
  ]);
  assert.equal((await f.fetch(`${server.origin}/redirect/2`)).status, 200, "only that fetch");
});
