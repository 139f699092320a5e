// Per-fetch options (headers, maxBytes, truncate) and the fetcher's option validation.
import assert from "node:assert/strict";
import { createFetcher, type FetcherOptions } from "../../src/fetch/fetcher.ts";
import { createMemoryHostPolicy } from "../../src/policy/memory_host_policy.ts";
import { startFixture } from "./_fixture.ts";

const FAST: FetcherOptions = {
  retryBaseMs: 5,
  connectTimeoutMs: 500,
  headersTimeoutMs: 500,
  bodyIdleTimeoutMs: 500,
  timeoutMs: 5000,
};

const text = (body: Uint8Array) => new TextDecoder().decode(body);

Deno.test("fetch options: a fetch's own headers go over the fetcher's, for that fetch only", async () => {
  await using server = startFixture();
  await using f = createFetcher({ ...FAST, headers: { "X-Base": "base", "X-Over": "fetcher" } });
  const r = await f.fetch(`${server.origin}/echo`, {
    headers: { "X-Over": "fetch", "X-Only": "here", "User-Agent": "probe/2" },
  });
  const seen = JSON.parse(text(r.body));
  assert.equal(seen["x-base"], "base");
  assert.equal(seen["x-over"], "fetch");
  assert.equal(seen["x-only"], "here");
  assert.equal(seen["user-agent"], "probe/2");
  const next = JSON.parse(text((await f.fetch(`${server.origin}/echo`)).body));
  assert.equal(next["x-over"], "fetcher");
  assert.equal(next["x-only"], undefined);
  assert.equal(next["user-agent"], "trawl/0.1 (+https://github.com/trawl)");
});

Deno.test("fetch options: truncate keeps the first maxBytes of a longer body, plain or compressed", async () => {
  await using server = startFixture();
  await using f = createFetcher({ ...FAST, maxBytes: 1024 });
  for (const q of ["", "&nolength"]) {
    const r = await f.fetch(`${server.origin}/huge?bytes=${1024 * 1024}${q}`, {
      maxBytes: 1000,
      truncate: true,
    });
    assert.equal(r.error, null, q);
    assert.equal(r.body.length, 1000);
    assert.ok(r.body.every((b, i) => b === i % 251), "the first bytes, in order");
  }
  const gz = await f.fetch(`${server.origin}/gzip`, { maxBytes: 100, truncate: true });
  assert.equal(gz.error, null);
  assert.equal(text(gz.body), "<p>compressed ".repeat(1000).slice(0, 100));
  const bomb = await f.fetch(`${server.origin}/bomb`, { maxBytes: 4096, truncate: true });
  assert.equal(bomb.error, null);
  assert.equal(bomb.body.length, 4096);
  assert.ok(bomb.body.every((b) => b === 0));
  assert.ok(bomb.bytes < 1024 * 1024, `${bomb.bytes} bytes read of the 1 MiB on the wire`);
  // A body that fits is whole.
  const small = await f.fetch(`${server.origin}/ok`, { maxBytes: 1000, truncate: true });
  assert.equal(text(small.body), "<title>/ok</title>");
  // Without truncate the same cap fails the fetch.
  const big = await f.fetch(`${server.origin}/gzip`, { maxBytes: 100 });
  assert.equal(big.error?.code, "TOO_LARGE");
  // A fetch's maxBytes may also be larger than the fetcher's.
  const larger = await f.fetch(`${server.origin}/huge?bytes=${512 * 1024}`, {
    maxBytes: 600 * 1024,
  });
  assert.equal(larger.error, null);
  assert.equal(larger.body.length, 512 * 1024);
  const bad = await f.fetch(`${server.origin}/ok`, { maxBytes: -1 });
  assert.equal(bad.error?.code, "INVALID_OPTION");
  assert.match(bad.error!.message, /maxBytes must be an integer >= 0: received -1/);
});

Deno.test("fetch options: a body that does not decompress is DECODE_ERROR, not retried", async () => {
  await using server = startFixture();
  await using f = createFetcher({ ...FAST, maxRetries: 3 });
  const r = await f.fetch(`${server.origin}/badgzip`);
  assert.equal(r.error?.code, "DECODE_ERROR");
  assert.match(r.error!.message, /cannot decode the gzip body/);
  assert.equal(r.attempts, 1);
  assert.equal(server.hits.get("/badgzip"), 1);
});

Deno.test("fetcher options: validated up front, naming the option, the rule and the value", () => {
  const cases: [FetcherOptions, typeof RangeError | typeof TypeError, string][] = [
    [{ maxPerHost: 0 }, RangeError, "maxPerHost must be an integer >= 1: received 0"],
    [{ maxInFlight: 1.5 }, RangeError, "maxInFlight must be an integer >= 1: received 1.5"],
    [{ maxRetries: -1 }, RangeError, "maxRetries must be an integer >= 0: received -1"],
    [
      { timeoutMs: 0 },
      RangeError,
      "timeoutMs must be a number of ms > 0 and <= 2147483647: received 0",
    ],
    [
      { maxRetryAfterMs: Infinity },
      RangeError,
      "maxRetryAfterMs must be a finite number >= 0: received Infinity",
    ],
    [
      { maxIdleSockets: -2 },
      RangeError,
      "maxIdleSockets must be an integer >= 0: received -2",
    ],
    [
      { maxBytes: "10" as unknown as number },
      TypeError,
      'maxBytes must be a number: received "10"',
    ],
    [
      { headers: { a: 1 as unknown as string } },
      TypeError,
      'headers["a"] must be a string: received 1',
    ],
    [{ proxy: "not a url" }, TypeError, 'proxy must be a URL: received "not a url"'],
    [
      { globalRateLimit: { maxPerInterval: 0 } },
      RangeError,
      "globalRateLimit.maxPerInterval must be an integer >= 1: received 0",
    ],
    [
      { hostPolicy: {} as never },
      TypeError,
      "hostPolicy must be a HostPolicy: received an object without tryAcquire()",
    ],
  ];
  for (const [options, type, message] of cases) {
    assert.throws(() => createFetcher(options), (e: unknown) => {
      assert.ok(e instanceof type, `${JSON.stringify(options)}: ${e}`);
      assert.equal((e as Error).message, message);
      return true;
    });
  }
  const hostPolicy = createMemoryHostPolicy();
  assert.throws(
    () => createFetcher({ hostPolicy, rateLimit: { minTimeMs: 100 } }),
    (e: unknown) =>
      e instanceof TypeError && /rateLimit must be absent with hostPolicy/.test(e.message),
  );
  // The built-in policy validates what it is given, naming it too.
  assert.throws(
    () => createFetcher({ rateLimit: { maxPerInterval: 1000, intervalMs: 1000 } }),
    (e: unknown) => e instanceof RangeError && /rateLimit/.test(e.message),
  );
  return hostPolicy.close();
});
