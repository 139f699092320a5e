import assert from "node:assert/strict";
import { createFetcher } from "../../src/fetch/fetcher.ts";
import { fetchAll } from "../../src/fetch/fetch_all.ts";
import { startFixture } from "./_fixture.ts";

Deno.test("fetchAll: pulls a million-URL generator lazily and stops when the consumer breaks", async () => {
  await using server = startFixture();
  let pulled = 0;
  let closed = false;
  function* urls() {
    try {
      for (let i = 0; i < 1_000_000; i++) {
        pulled++;
        yield `${server.origin}/p/${i}`;
      }
    } finally {
      closed = true;
    }
  }
  let got = 0;
  for await (const r of fetchAll(urls(), { maxInFlight: 16, maxPerHost: 16 })) {
    assert.equal(r.status, 200);
    if (++got === 100) break;
  }
  assert.equal(got, 100);
  assert.ok(pulled <= 100 + 16 + 1, `pulled ${pulled}`);
  assert.ok(pulled >= 100);
  assert.ok(closed, "the input iterator was closed");
});

Deno.test("fetchAll: async input, every URL once, bad URLs become results", async () => {
  await using server = startFixture();
  async function* urls() {
    for (let i = 0; i < 50; i++) yield `${server.origin}/p/${i}`;
    yield "not a url";
    yield new URL(`${server.origin}/status/404`);
  }
  const seen = new Set<string>();
  const codes: (string | undefined)[] = [];
  for await (const r of fetchAll(urls(), { maxInFlight: 8 })) {
    seen.add(r.url);
    codes.push(r.error?.code);
  }
  assert.equal(seen.size, 52);
  assert.equal(codes.filter((c) => c === undefined).length, 50);
  assert.ok(codes.includes("INVALID_URL"));
  assert.ok(codes.includes("HTTP_ERROR"));
});

Deno.test("fetchAll: yields in completion order and reuses a given fetcher", async () => {
  await using server = startFixture();
  await using fetcher = createFetcher({ maxInFlight: 4 });
  const order: string[] = [];
  const urls = [`${server.origin}/delay?ms=200`, `${server.origin}/ok`];
  for await (const r of fetchAll(urls, { fetcher })) order.push(new URL(r.url).pathname);
  assert.deepEqual(order, ["/ok", "/delay"]);
  assert.equal(fetcher.stats.requests, 2);
  assert.equal((await fetcher.fetch(`${server.origin}/ok`)).status, 200, "not closed");
});

Deno.test("fetchAll: a signal aborts the batch; running fetches end as ABORTED", async () => {
  await using server = startFixture();
  const ctl = new AbortController();
  const codes: (string | undefined)[] = [];
  setTimeout(() => ctl.abort(), 100);
  for await (
    const r of fetchAll([`${server.origin}/stall`, `${server.origin}/ok`], { signal: ctl.signal })
  ) codes.push(r.error?.code);
  assert.deepEqual(codes.sort(), ["ABORTED", undefined]);
});
