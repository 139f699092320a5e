/**
 * The contract suite of `FrontierStore` (v2): every store runs it. Call
 * `runStoreContract(name, factory, options)` from the store's test file; it
 * registers one Deno test per clause of the contract in frontier_store.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import type { FrontierEntry, FrontierStore, Lease } from "../../src/frontier/frontier_store.ts";

/** How a store is made (and, for stores that persist, reopened after close). */
export interface ContractOptions {
  /** Reopen the store behind a closed handle (a file store); omit for in-memory stores. */
  reopen?: (closed: FrontierStore) => Promise<FrontierStore>;
  /** The store spreads takes round-robin across hosts (a SHOULD of the contract). @default {true} */
  roundRobin?: boolean;
}

/** An entry for `url` at `depth`. */
export function entry(url: string, depth = 0): FrontierEntry {
  return { url, depth, host: new URL(url).host };
}

const urls = (leases: Lease[]) => leases.map((l) => l.entry.url);

async function drainAll(store: FrontierStore): Promise<Lease[]> {
  const all: Lease[] = [];
  for (let round = 0; round < 100; round++) {
    const leases = await store.take(100);
    if (leases.length === 0) break;
    all.push(...leases);
  }
  return all;
}

/** Register the contract's tests for the store `factory` makes. */
export function runStoreContract(
  name: string,
  factory: () => FrontierStore | Promise<FrontierStore>,
  options: ContractOptions = {},
): void {
  const test = (title: string, fn: (store: FrontierStore) => Promise<void>) =>
    Deno.test(`${name} store contract: ${title}`, async () => {
      const store = await factory();
      try {
        await fn(store);
      } finally {
        await store.close().catch(() => {});
      }
    });

  test("add dedupes within a call and across calls, in input order", async (store) => {
    const first = await store.add([entry("http://a/1"), entry("http://a/2"), entry("http://a/1")]);
    assert.deepEqual(first.added.map((e) => e.url), ["http://a/1", "http://a/2"]);
    const second = await store.add([entry("http://a/2"), entry("http://a/3")]);
    assert.deepEqual(second.added.map((e) => e.url), ["http://a/3"]);
    const counts = await store.counts();
    assert.equal(counts.seen, 3);
    assert.equal(counts.queued, 3);
    assert.equal(counts.admitted, 3);
  });

  test("a URL leased or done is a duplicate; done:true marks seen, never queued, no budget", async (store) => {
    await store.add([entry("http://a/1"), entry("http://a/2")]);
    const [lease] = await store.take(1);
    assert.equal((await store.add([entry(lease!.entry.url)])).added.length, 0, "leased");
    assert.equal(await store.done(lease!), true);
    assert.equal((await store.add([entry(lease!.entry.url)])).added.length, 0, "done");
    const marked = await store.add([entry("http://b/x")], { done: true, maxPages: 0 });
    assert.equal(marked.added.length, 1);
    assert.equal((await store.add([entry("http://b/x")])).added.length, 0);
    const counts = await store.counts();
    assert.deepEqual(
      [counts.seen, counts.admitted, counts.queued, counts.leased, counts.done],
      [3, 2, 1, 0, 2],
    );
  });

  test("budgets: maxPages and maxPagesPerHost hold atomically; a refused URL is not seen", async (store) => {
    const r1 = await store.add(
      [entry("http://a/1"), entry("http://a/2"), entry("http://a/3"), entry("http://b/1")],
      { maxPagesPerHost: 2, maxPages: 10 },
    );
    assert.deepEqual(r1.added.map((e) => e.url), ["http://a/1", "http://a/2", "http://b/1"]);
    assert.equal(r1.overLimit, 1);
    assert.equal(r1.admitted, 3);
    const r2 = await store.add([entry("http://c/1"), entry("http://c/2")], { maxPages: 4 });
    assert.deepEqual(r2.added.map((e) => e.url), ["http://c/1"]);
    assert.equal(r2.overLimit, 1);
    // Refused ones were not marked seen: without the budget they get in.
    assert.equal((await store.add([entry("http://a/3")])).added.length, 1);
  });

  test("take: breadth-first within a host, FIFO within a depth", async (store) => {
    await store.add([entry("http://a/d2", 2), entry("http://a/x", 1), entry("http://a/y", 1)]);
    await store.add([entry("http://a/root", 0)]);
    assert.deepEqual(urls(await drainAll(store)), [
      "http://a/root",
      "http://a/x",
      "http://a/y",
      "http://a/d2",
    ]);
  });

  if (options.roundRobin ?? true) {
    test("take spreads across hosts round-robin", async (store) => {
      await store.add([entry("http://a/1"), entry("http://a/2"), entry("http://a/3")]);
      await store.add([entry("http://b/1"), entry("http://b/2")]);
      const leases = await store.take(4);
      assert.deepEqual(leases.map((l) => l.entry.host), ["a", "b", "a", "b"]);
    });
  }

  test("take skips excluded hosts and gives at most maxPerHost per host", async (store) => {
    await store.add([entry("http://a/1"), entry("http://a/2"), entry("http://a/3")]);
    await store.add([entry("http://b/1"), entry("http://b/2")]);
    const onlyB = await store.take(10, { excludeHosts: new Set(["a"]) });
    assert.deepEqual(urls(onlyB), ["http://b/1", "http://b/2"]);
    const capped = await store.take(10, { maxPerHost: 1 });
    assert.deepEqual(urls(capped), ["http://a/1"]);
  });

  test("leases: never handed out twice; owner stamped; done/release/renew say whether held", async (store) => {
    await store.add([entry("http://a/1"), entry("http://a/2")]);
    const [one] = await store.take(1);
    assert.equal(one!.owner, store.owner);
    assert.deepEqual(urls(await store.take(10)), ["http://a/2"]);
    assert.deepEqual(await store.take(10), []);
    assert.equal(await store.renew(one!), true);
    assert.equal(await store.release(one!), true);
    assert.equal(await store.release(one!), false, "stale release");
    assert.equal(await store.renew(one!), false, "stale renew");
    assert.equal(await store.done(one!), false, "stale done");
    const [again] = await store.take(10);
    assert.equal(again!.entry.url, "http://a/1");
    assert.equal(again!.entry.retries, 1, "release raised retries");
    assert.equal(again!.entry.depth, 0);
    assert.notEqual(again!.id, one!.id);
    assert.equal(await store.done(again!), true);
    assert.equal(await store.done(again!), false, "done twice");
    assert.equal((await store.counts()).done, 1);
  });

  test("release with a delay hides the entry until it passed", async (store) => {
    await store.add([entry("http://a/1")]);
    const [lease] = await store.take(1);
    await store.release(lease!, { delayMs: 80 });
    assert.equal((await store.counts()).queued, 1, "a delayed entry counts as queued");
    assert.deepEqual(await store.take(1), []);
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.deepEqual(urls(await store.take(1)), ["http://a/1"]);
  });

  test("the crawl is over only when nothing is queued and nothing is leased", async (store) => {
    await store.add([entry("http://a/1"), entry("http://a/2")]);
    const leases = await store.take(10);
    let c = await store.counts();
    assert.deepEqual([c.queued, c.leased], [0, 2]);
    await store.done(leases[0]!);
    c = await store.counts();
    assert.deepEqual([c.queued, c.leased], [0, 1]);
    await store.done(leases[1]!);
    c = await store.counts();
    assert.deepEqual([c.queued, c.leased, c.done], [0, 0, 2]);
  });

  test("entries keep what they carry (referrer, validators)", async (store) => {
    await store.add([{
      ...entry("http://a/1", 1),
      referrer: "http://a/",
      validators: { etag: '"x"', lastModified: "Wed, 01 Jan 2025 00:00:00 GMT" },
    }]);
    const [lease] = await store.take(1);
    assert.equal(lease!.entry.referrer, "http://a/");
    assert.deepEqual(lease!.entry.validators, {
      etag: '"x"',
      lastModified: "Wed, 01 Jan 2025 00:00:00 GMT",
    });
  });

  test("scope keys are kept, once each", async (store) => {
    await store.addScopeKeys(["a", "b"]);
    await store.addScopeKeys(["b", "c"]);
    assert.deepEqual((await store.scopeKeys()).sort(), ["a", "b", "c"]);
  });

  test("calls after close reject", async (store) => {
    await store.close();
    await assert.rejects(() => store.take(1));
    await assert.rejects(() => store.add([entry("http://a/1")]));
  });

  test("property: counts and dedupe follow a model under random operations", async (store0) => {
    await store0.close();
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant("add" as const), n: fc.integer({ min: 0, max: 20 }) }),
            fc.record({ op: fc.constant("take" as const), n: fc.integer({ min: 0, max: 5 }) }),
            fc.record({ op: fc.constant("done" as const), n: fc.nat() }),
            fc.record({ op: fc.constant("release" as const), n: fc.nat() }),
          ),
          { maxLength: 40 },
        ),
        async (ops) => {
          const store = await factory();
          try {
            const seen = new Set<string>();
            const held: Lease[] = [];
            let queued = 0, done = 0;
            for (const { op, n } of ops) {
              if (op === "add") {
                const url = `http://h${n % 3}/${n}`;
                const fresh = !seen.has(url);
                const r = await store.add([entry(url, n % 4)]);
                assert.equal(r.added.length, fresh ? 1 : 0);
                if (fresh) (seen.add(url), queued++);
              } else if (op === "take") {
                const leases = await store.take(n);
                assert.ok(leases.length <= n);
                queued -= leases.length;
                held.push(...leases);
              } else if (held.length > 0) {
                const [lease] = held.splice(n % held.length, 1);
                if (op === "done") (assert.equal(await store.done(lease!), true), done++);
                else (assert.equal(await store.release(lease!), true), queued++);
              }
              const c = await store.counts();
              assert.deepEqual([c.seen, c.queued, c.leased, c.done], [
                seen.size,
                queued,
                held.length,
                done,
              ]);
            }
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  const reopen = options.reopen;
  if (reopen !== undefined) {
    test("reopened: state survives, leases of the closed handle are recovered, done stays done", async (store) => {
      await store.add([entry("http://a/1"), entry("http://a/2"), entry("http://a/3")], {
        maxPages: 3,
      });
      await store.addScopeKeys(["a"]);
      const [first, second] = await store.take(2);
      await store.done(first!);
      await store.close();
      const again = await reopen(store);
      try {
        const c = await again.counts();
        assert.deepEqual([c.seen, c.admitted, c.leased, c.done], [3, 3, 0, 1]);
        assert.deepEqual(await again.scopeKeys(), ["a"]);
        const rest = urls(await drainAll(again)).sort();
        assert.deepEqual(rest, [second!.entry.url, "http://a/3"].sort());
        assert.equal((await again.add([entry("http://a/4")], { maxPages: 3 })).overLimit, 1);
      } finally {
        await again.close();
      }
    });
  }
}
