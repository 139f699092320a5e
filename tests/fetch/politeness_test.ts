// Every request of the fetcher goes through the host policy: first attempts, retries,
// redirect hops and robots.txt requests; gaps are measured at a loopback server.
import assert from "node:assert/strict";
import type { RequestEvent, ResponseEvent, RetryEvent } from "../../src/crawl_events.ts";
import { createFetcher, type FetcherOptions } from "../../src/fetch/fetcher.ts";
import { createMemoryHostPolicy } from "../../src/policy/memory_host_policy.ts";
import type { PermitSlot } from "../../src/policy/host_policy.ts";
import { startFixture, startResetServer } from "./_fixture.ts";

const FAST: FetcherOptions = {
  retryBaseMs: 5,
  maxRetryDelayMs: 2000,
  connectTimeoutMs: 500,
  headersTimeoutMs: 500,
  bodyIdleTimeoutMs: 500,
  timeoutMs: 5000,
};

/** Gaps between consecutive times. */
function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]);
}

Deno.test("politeness: retries and redirect hops to one host start >= delayMs apart at the server", async () => {
  await using server = startFixture();
  const hostPolicy = createMemoryHostPolicy({ delayMs: 300 });
  try {
    await using f = createFetcher({ ...FAST, hostPolicy });
    const r = await f.fetch(`${server.origin}/flaky?fail=2&status=500`);
    assert.equal(r.status, 200);
    assert.equal(r.attempts, 3);
    const retries = server.arrivals.get("/flaky")!;
    assert.equal(retries.length, 3);
    // Margin: the first request also opened the connection.
    for (const gap of gaps(retries)) assert.ok(gap >= 280, `retry gap ${gap} ms`);

    const hops = await f.fetch(`${server.origin}/redirect/2`);
    assert.equal(hops.status, 200);
    const times = ["/redirect/2", "/redirect/1", "/redirect/0", "/ok"]
      .map((p) => server.arrivals.get(p)![0]);
    assert.ok(times[0] - retries[2] >= 280, `first hop ${times[0] - retries[2]} ms after`);
    for (const gap of gaps(times)) assert.ok(gap >= 280, `redirect gap ${gap} ms`);
  } finally {
    await hostPolicy.close();
  }
});

Deno.test("politeness: a 503 with Retry-After: 2 is retried after >= 2 s, reported by onRetry", async () => {
  await using server = startFixture();
  await using f = createFetcher({ ...FAST, timeoutMs: 1000 });
  const retries: RetryEvent[] = [];
  const url = `${server.origin}/retry-after?secs=2&status=503`;
  const r = await f.fetch(url, { onRetry: (e) => retries.push(e) });
  assert.equal(r.status, 200);
  assert.equal(r.attempts, 2);
  const times = server.arrivals.get("/retry-after")!;
  assert.ok(times[1] - times[0] >= 1950, `retried after ${times[1] - times[0]} ms`);
  assert.equal(retries.length, 1);
  const [e] = retries;
  assert.equal(e.type, "retry");
  assert.equal(e.url, url);
  assert.equal(e.attempt, 2);
  assert.equal(e.code, "HTTP_ERROR");
  assert.equal(e.status, 503);
  assert.ok(e.delayMs >= 0 && e.delayMs <= 5, `backoff ${e.delayMs} ms (retryBaseMs 5)`);
});

Deno.test("politeness: onRetry reports each retry's attempt, code and status; onRedirect each hop", async () => {
  await using server = startFixture();
  await using f = createFetcher(FAST);
  const retries: RetryEvent[] = [];
  const url = `${server.origin}/flaky?fail=2&status=502`;
  const r = await f.fetch(url, { onRetry: (e) => retries.push(e) });
  assert.equal(r.status, 200);
  assert.deepEqual(retries.map((e) => [e.url, e.attempt, e.code, e.status]), [
    [url, 2, "HTTP_ERROR", 502],
    [url, 3, "HTTP_ERROR", 502],
  ]);
  assert.ok(retries.every((e) => e.delayMs >= 0 && e.delayMs <= 2000));

  const reset = startResetServer();
  try {
    const failed: RetryEvent[] = [];
    await using g = createFetcher({ ...FAST, maxRetries: 1 });
    await g.fetch(`${reset.origin}/x`, { onRetry: (e) => failed.push(e) });
    assert.deepEqual(failed.map((e) => [e.attempt, e.code, e.status]), [
      [2, "CONNECTION_RESET", null],
    ]);
  } finally {
    await reset.close();
  }

  const hops: unknown[] = [];
  const o = server.origin;
  const done = await f.fetch(`${o}/redirect/1?status=301`, { onRedirect: (e) => hops.push(e) });
  assert.equal(done.status, 200);
  assert.deepEqual(hops, [
    {
      type: "redirect",
      from: `${o}/redirect/1?status=301`,
      to: `${o}/redirect/0?status=301`,
      status: 301,
    },
    { type: "redirect", from: `${o}/redirect/0?status=301`, to: `${o}/ok`, status: 301 },
  ]);
});

Deno.test("politeness: requests are tagged page, retry, redirect or robots; onEvent sees each request and response", async () => {
  await using server = startFixture();
  const events: (RequestEvent | ResponseEvent)[] = [];
  await using f = createFetcher({ ...FAST, onEvent: (e) => events.push(e) });
  const kinds = () => events.filter((e) => e.type === "request").map((e) => e.kind);

  await f.fetch(`${server.origin}/redirect/1`);
  assert.deepEqual(kinds(), ["page", "redirect", "redirect"]);
  const responses = events.filter((e): e is ResponseEvent => e.type === "response");
  assert.deepEqual(responses.map((e) => [e.url, e.status, e.code]), [
    [`${server.origin}/redirect/1`, 302, null],
    [`${server.origin}/redirect/0?status=302`, 302, null],
    [`${server.origin}/ok`, 200, null],
  ]);
  assert.ok(responses.every((e) => e.host === server.host && e.ms >= 0));

  events.length = 0;
  await f.fetch(`${server.origin}/flaky?fail=1&status=500`);
  assert.deepEqual(kinds(), ["page", "retry"]);

  events.length = 0;
  await f.fetch(`${server.origin}/redirect/1?from=robots`, { kind: "robots" });
  await f.fetch(`${server.origin}/flaky?fail=1&status=500&from=robots`, { kind: "robots" });
  assert.deepEqual(kinds(), ["robots", "robots", "robots", "robots", "robots"]);

  events.length = 0;
  await using g = createFetcher({
    ...FAST,
    maxRetries: 0,
    headersTimeoutMs: 100,
    onEvent: (e) => events.push(e),
  });
  await g.fetch(`${server.origin}/stall`);
  const failed = events.find((e): e is ResponseEvent => e.type === "response")!;
  assert.equal(failed.status, null);
  assert.equal(failed.code, "HEADERS_TIMEOUT");
});

Deno.test("politeness: a robots.txt fetch passes the robots cap a page waits behind", async () => {
  await using server = startFixture();
  const hostPolicy = createMemoryHostPolicy({ awaitRobots: true });
  try {
    await using f = createFetcher({ ...FAST, hostPolicy });
    // The crawl holds the host's one page permit while robots.txt is fetched.
    const held = await hostPolicy.acquire(server.host);
    const robots = await f.fetch(`${server.origin}/ok?robots`, {
      kind: "robots",
      signal: AbortSignal.timeout(2000),
    });
    assert.equal(robots.status, 200);
    const page = await f.fetch(`${server.origin}/ok?page`, { signal: AbortSignal.timeout(200) });
    assert.equal(page.error?.code, "ABORTED", "a page waits for robotsKnown");
    assert.equal(server.hits.get("/ok?page"), undefined);
    await hostPolicy.release(held, { status: 200 });
  } finally {
    await hostPolicy.close();
  }
});

Deno.test("politeness: a permit handed in is taken for the first request; another host's is left", async () => {
  await using server = startFixture();
  const hostPolicy = createMemoryHostPolicy({ maxPerHost: 1 });
  try {
    await using f = createFetcher({ ...FAST, hostPolicy });
    const permit = await hostPolicy.acquire(server.host);
    // Without it the fetch would wait for the host's only permit.
    const blocked = await f.fetch(`${server.origin}/ok?blocked`, {
      signal: AbortSignal.timeout(150),
    });
    assert.equal(blocked.error?.code, "ABORTED");
    const slot: PermitSlot = { permit };
    const r = await f.fetch(`${server.origin}/ok`, {
      permit: slot,
      signal: AbortSignal.timeout(2000),
    });
    assert.equal(r.status, 200);
    assert.equal(slot.permit, null, "taken");
    assert.equal(hostPolicy.hostState(server.host)?.inFlight, 0, "and released after the request");

    const elsewhere = await hostPolicy.acquire("elsewhere.test:1");
    const other: PermitSlot = { permit: elsewhere };
    const r2 = await f.fetch(`${server.origin}/ok?again`, { permit: other });
    assert.equal(r2.status, 200);
    assert.equal(other.permit, elsewhere, "a permit of another host stays in the slot");
    await hostPolicy.release(elsewhere, { status: null, unused: true });
  } finally {
    await hostPolicy.close();
  }
});

Deno.test("politeness: a given policy outlives the fetcher; the built-in one closes with it", async () => {
  await using server = startFixture();
  const hostPolicy = createMemoryHostPolicy();
  const f = createFetcher({ ...FAST, hostPolicy });
  assert.equal((await f.fetch(`${server.origin}/ok`)).status, 200);
  await f.close();
  const permit = await hostPolicy.tryAcquire(server.host);
  assert.ok(permit !== null, "still open");
  await hostPolicy.release(permit, { status: null, unused: true });
  await hostPolicy.close();
});
