import assert from "node:assert/strict";
import { createRedisFrontierStore } from "../../src/frontier/redis_frontier_store.ts";
import { startRedisServer } from "../_redis_server.ts";
import { entry, runStoreContract } from "./_store_contract.ts";

const server = await startRedisServer();
let crawls = 0;
const fresh = (options: { leaseMs?: number; renewMs?: number } = {}) =>
  createRedisFrontierStore({ url: server.url, crawl: `c${++crawls}`, ...options });

runStoreContract("redis", () => fresh());

Deno.test("redis store: two handles share one crawl; a lease is handed out once", async () => {
  const a = fresh();
  const b = createRedisFrontierStore({ url: server.url, crawl: `c${crawls}` });
  try {
    await a.add([entry("http://a/1"), entry("http://a/2"), entry("http://b/1")]);
    assert.equal((await b.add([entry("http://a/1")])).added.length, 0, "dedupe is shared");
    const fromA = await a.take(2);
    const fromB = await b.take(2);
    const urls = [...fromA, ...fromB].map((l) => l.entry.url).sort();
    assert.deepEqual(urls, ["http://a/1", "http://a/2", "http://b/1"]);
    const theirs = fromB[0]!;
    assert.equal(await a.done(theirs), false, "only the owner finishes a lease");
    assert.equal(await b.done(theirs), true);
    assert.equal(
      (await b.add([entry("http://c/1")], { maxPages: 3 })).overLimit,
      1,
      "shared budget",
    );
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

Deno.test("redis store: a dead owner's leases come back after leaseMs; live ones are renewed", async () => {
  const dead = fresh({ leaseMs: 300 });
  const live = createRedisFrontierStore({
    url: server.url,
    crawl: `c${crawls}`,
    leaseMs: 300,
    renewMs: 50,
  });
  try {
    await dead.add([entry("http://a/1"), entry("http://b/1")]);
    const [deadLease] = await dead.take(1);
    const [liveLease] = await live.take(1);
    // `dead` stops renewing (as a SIGKILLed worker does); `live` keeps renewing.
    await dead.close();
    await new Promise((resolve) => setTimeout(resolve, 700));
    const back = await live.take(5);
    assert.deepEqual(back.map((l) => l.entry.url), [deadLease!.entry.url]);
    assert.equal(await live.done(liveLease!), true, "the renewed lease was still held");
    assert.equal((await live.counts()).leased, 1);
  } finally {
    await live.close();
  }
});

Deno.test("redis store: done with a record appends it once, only while the lease is held", async () => {
  const store = fresh({ leaseMs: 200, renewMs: 10_000 });
  try {
    await store.add([entry("http://a/1"), entry("http://a/2")]);
    const [first, second] = await store.take(2);
    assert.equal(await store.done(first!, { record: { url: first!.entry.url, id: "1" } }), true);
    assert.equal(await store.done(first!, { record: { url: first!.entry.url, id: "1" } }), false);
    await new Promise((resolve) => setTimeout(resolve, 300)); // second's lease lapses
    const [again] = await store.take(1);
    assert.equal(again!.entry.url, second!.entry.url);
    assert.equal(await store.done(second!, { record: { url: second!.entry.url, id: "2" } }), false);
    assert.equal(await store.done(again!, { record: { url: again!.entry.url, id: "2" } }), true);
    const records = await store.redis.xrange(store.prefix + "records", "-", "+");
    assert.deepEqual(records.map(([, fields]) => JSON.parse(fields[1]).id), ["1", "2"]);
  } finally {
    await store.close();
  }
});

Deno.test({
  name: "redis store: stop the server",
  fn: () => server.close(),
  sanitizeOps: false,
  sanitizeResources: false,
});
