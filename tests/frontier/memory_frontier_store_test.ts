import assert from "node:assert/strict";
import { createMemoryFrontierStore } from "../../src/frontier/memory_frontier_store.ts";
import type { FrontierEntry, Lease } from "../../src/frontier/frontier_store.ts";
import { TrawlError } from "../../src/trawl_error.ts";

function e(url: string, depth = 0): FrontierEntry {
  return { url, depth, host: new URL(url).host };
}

function fakeClock() {
  let t = 1000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const urls = (leases: Lease[]) => leases.map((l) => l.entry.url);

Deno.test("add dedupes against earlier adds and within a batch, returns the added", async () => {
  const store = createMemoryFrontierStore();
  const first = await store.add([e("http://a/1"), e("http://a/2"), e("http://a/1")]);
  assert.deepEqual(first.map((x) => x.url), ["http://a/1", "http://a/2"]);
  const second = await store.add([e("http://a/2"), e("http://a/3")]);
  assert.deepEqual(second.map((x) => x.url), ["http://a/3"]);
  assert.deepEqual(await store.counts(), { seen: 3, queued: 3, leased: 0, done: 0 });
});

Deno.test("a done URL is never added or handed out again", async () => {
  const store = createMemoryFrontierStore();
  await store.add([e("http://a/1")]);
  const [lease] = await store.take(5);
  await store.done(lease);
  assert.deepEqual(await store.add([e("http://a/1")]), []);
  assert.deepEqual(await store.take(5), []);
  await store.done(lease); // stale: no-op, not double-counted
  await store.release(lease); // stale: no-op
  assert.deepEqual(await store.take(5), []);
  assert.deepEqual(await store.counts(), { seen: 1, queued: 0, leased: 0, done: 1 });
});

Deno.test("taken entries are invisible to other takers until released", async () => {
  const store = createMemoryFrontierStore();
  await store.add([e("http://a/1"), e("http://a/2")]);
  const one = await store.take(1);
  assert.deepEqual(urls(one), ["http://a/1"]);
  assert.deepEqual(urls(await store.take(10)), ["http://a/2"]);
  assert.deepEqual(await store.take(10), []);
  assert.equal((await store.counts()).leased, 2);
  await store.release(one[0]);
  const again = await store.take(10);
  assert.deepEqual(urls(again), ["http://a/1"]);
  assert.notEqual(again[0].id, one[0].id);
});

Deno.test("release with a delay hides the entry until the delay passed", async () => {
  const clock = fakeClock();
  const store = createMemoryFrontierStore({ now: clock.now });
  await store.add([e("http://a/1")]);
  const [lease] = await store.take(1);
  await store.release(lease, { delayMs: 5000 });
  assert.deepEqual(await store.counts(), { seen: 1, queued: 1, leased: 0, done: 0 });
  clock.advance(4999);
  assert.deepEqual(await store.take(1), []);
  clock.advance(1);
  assert.deepEqual(urls(await store.take(1)), ["http://a/1"]);
});

Deno.test("an expired lease returns its entry on a later take; the old lease is stale", async () => {
  const clock = fakeClock();
  const store = createMemoryFrontierStore({ leaseMs: 100, now: clock.now });
  await store.add([e("http://a/1")]);
  const [old] = await store.take(1);
  clock.advance(99);
  assert.deepEqual(await store.take(1), []);
  clock.advance(1);
  const [fresh] = await store.take(1);
  assert.equal(fresh.entry.url, "http://a/1");
  await store.done(old); // stale, ignored: the fresh lease still holds it
  assert.deepEqual(await store.counts(), { seen: 1, queued: 0, leased: 1, done: 0 });
  await store.done(fresh);
  assert.deepEqual(await store.counts(), { seen: 1, queued: 0, leased: 0, done: 1 });
});

Deno.test("an expired but unreclaimed lease can still be finished", async () => {
  const clock = fakeClock();
  const store = createMemoryFrontierStore({ leaseMs: 100, now: clock.now });
  await store.add([e("http://a/1")]);
  const [lease] = await store.take(1);
  clock.advance(500);
  await store.done(lease);
  assert.deepEqual(await store.take(1), []);
  assert.equal((await store.counts()).done, 1);
});

Deno.test("take skips excluded hosts and spreads across hosts round-robin", async () => {
  const store = createMemoryFrontierStore();
  await store.add([
    e("http://a/1"),
    e("http://a/2"),
    e("http://a/3"),
    e("http://b/1"),
    e("http://b/2"),
    e("http://c/1"),
  ]);
  assert.deepEqual(urls(await store.take(2, { excludeHosts: new Set(["a"]) })), [
    "http://b/1",
    "http://c/1",
  ]);
  // a was skipped, so it is now the least recently served host
  assert.deepEqual(urls(await store.take(10)), [
    "http://a/1",
    "http://b/2",
    "http://a/2",
    "http://a/3",
  ]);
});

Deno.test("take(3) over three hosts takes one from each, not three from one", async () => {
  const store = createMemoryFrontierStore();
  const entries: FrontierEntry[] = [];
  for (const h of ["x", "y", "z"]) for (let i = 0; i < 5; i++) entries.push(e(`http://${h}/${i}`));
  await store.add(entries);
  const hosts = (await store.take(3)).map((l) => l.entry.host).sort();
  assert.deepEqual(hosts, ["x", "y", "z"]);
  // next turn starts with the host served least recently
  assert.deepEqual((await store.take(1)).map((l) => l.entry.host), ["x"]);
});

Deno.test("breadth-first within a host, also when a released entry returns", async () => {
  const store = createMemoryFrontierStore();
  await store.add([e("http://a/", 0)]);
  const [root] = await store.take(1);
  await store.add([e("http://a/d1a", 1), e("http://a/d1b", 1)]);
  const [d1a] = await store.take(1);
  await store.add([e("http://a/d2a", 2), e("http://a/d2b", 2)]);
  await store.release(d1a); // back at depth 1: before all depth-2 entries
  await store.release(root); // back at depth 0: first
  assert.deepEqual(urls(await store.take(10)), [
    "http://a/",
    "http://a/d1b",
    "http://a/d1a",
    "http://a/d2a",
    "http://a/d2b",
  ]);
});

Deno.test("counts partition seen into queued, leased, done", async () => {
  const store = createMemoryFrontierStore();
  await store.add([e("http://a/1"), e("http://b/1"), e("http://c/1")]);
  const [l1, l2] = await store.take(2);
  await store.done(l1);
  assert.deepEqual(await store.counts(), { seen: 3, queued: 1, leased: 1, done: 1 });
  await store.release(l2, { delayMs: 60_000 });
  assert.deepEqual(await store.counts(), { seen: 3, queued: 2, leased: 0, done: 1 });
});

Deno.test("take of zero or less takes nothing; a bad leaseMs is refused", async () => {
  const store = createMemoryFrontierStore();
  await store.add([e("http://a/1")]);
  assert.deepEqual(await store.take(0), []);
  assert.throws(
    () => createMemoryFrontierStore({ leaseMs: 0 }),
    (err) => err instanceof TrawlError && err.code === "INVALID_OPTION",
  );
});

Deno.test("many hosts and entries: every entry handed out exactly once", async () => {
  const store = createMemoryFrontierStore();
  const entries: FrontierEntry[] = [];
  for (let i = 0; i < 5000; i++) entries.push(e(`http://h${i % 37}/${i}`, i % 3));
  await store.add(entries);
  const got = new Set<string>();
  for (let leases = await store.take(50); leases.length > 0; leases = await store.take(50)) {
    for (const l of leases) {
      assert.ok(!got.has(l.entry.url));
      got.add(l.entry.url);
      await store.done(l);
    }
  }
  assert.equal(got.size, 5000);
  assert.deepEqual(await store.counts(), { seen: 5000, queued: 0, leased: 0, done: 5000 });
});

Deno.test("add with done: seen and done, never queued or handed out", async () => {
  const store = createMemoryFrontierStore();
  await store.add([e("http://a/1")]);
  const added = await store.add([e("http://a/1"), e("http://a/2")], { done: true });
  assert.deepEqual(added.map((x) => x.url), ["http://a/2"]);
  assert.deepEqual(await store.counts(), { seen: 2, queued: 1, leased: 0, done: 1 });
  assert.deepEqual(urls(await store.take(5)), ["http://a/1"]);
  assert.deepEqual(await store.add([e("http://a/2")]), []);
});
