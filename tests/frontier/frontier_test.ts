import assert from "node:assert/strict";
import { createFrontier, type FrontierOptions } from "../../src/frontier/frontier.ts";
import { createMemoryFrontierStore } from "../../src/frontier/memory_frontier_store.ts";
import { TrawlError } from "../../src/trawl_error.ts";

function frontier(options: FrontierOptions = {}) {
  return createFrontier(createMemoryFrontierStore(), options);
}

const links = (...urls: string[]) => urls.map((url) => ({ url }));

async function allUrls(f: ReturnType<typeof frontier>): Promise<string[]> {
  const out: string[] = [];
  for (let ls = await f.take(100); ls.length > 0; ls = await f.take(100)) {
    for (const l of ls) {
      out.push(l.entry.url);
      await f.done(l);
    }
  }
  return out.sort();
}

Deno.test("addSeed normalizes and adds at depth 0", async () => {
  const f = frontier();
  const out = await f.addSeed("HTTP://Example.com:80/a/../b#x");
  assert.deepEqual(out, {
    ok: true,
    entry: { url: "http://example.com/b", depth: 0, host: "example.com" },
  });
});

Deno.test("addSeed reports duplicates (after normalization) without an error", async () => {
  const f = frontier();
  assert.equal((await f.addSeed("http://example.com/%7Ea")).ok, true);
  assert.deepEqual(await f.addSeed("http://EXAMPLE.com/~a#top"), { ok: false, duplicate: true });
});

Deno.test("addSeed returns actionable errors for bad seeds", async () => {
  const f = frontier({ maxUrlLength: 40 });
  const bad = await f.addSeed("not a url");
  assert.equal(bad.ok === false && bad.error?.code, "INVALID_URL");
  assert.match(bad.error!.message, /not a url/);
  const ftp = await f.addSeed("ftp://example.com/");
  assert.equal(ftp.error?.code, "UNSUPPORTED_SCHEME");
  const long = await f.addSeed(`http://example.com/${"x".repeat(40)}`);
  assert.equal(long.error?.code, "URL_TOO_LONG");
  assert.match(long.error!.message, /maxUrlLength/);
  assert.equal((await f.counts()).seen, 0);
});

Deno.test("default maxUrlLength is 2083", async () => {
  const f = frontier();
  const base = "http://example.com/";
  assert.equal((await f.addSeed(base + "x".repeat(2083 - base.length))).ok, true);
  const over = await f.addSeed(base + "y".repeat(2084 - base.length));
  assert.equal(over.error?.code, "URL_TOO_LONG");
});

Deno.test("addLinks dedupes, including URLs equal after normalization", async () => {
  const f = frontier({ maxDepth: 2 });
  await f.addSeed("http://a.com/");
  const out = await f.addLinks(0, links("http://a.com/x", "http://A.com:80/x#f", "http://a.com/"));
  assert.equal(out.added, 1);
  assert.equal(out.duplicate, 2);
  const again = await f.addLinks(1, links("http://a.com/%78"));
  assert.equal(again.duplicate, 1);
  assert.equal(f.stats.duplicate, 3);
  assert.equal(f.stats.added, 1);
});

Deno.test("depth: links go in at depth+1 and stop past maxDepth (default 0)", async () => {
  const f0 = frontier();
  await f0.addSeed("http://a.com/");
  assert.equal((await f0.addLinks(0, links("http://a.com/x"))).overDepth, 1);

  const f = frontier({ maxDepth: 2 });
  await f.addSeed("http://a.com/");
  assert.equal((await f.addLinks(0, links("http://a.com/1"))).added, 1);
  assert.equal((await f.addLinks(1, links("http://a.com/2"))).added, 1);
  assert.deepEqual(await f.addLinks(2, links("http://a.com/3", "junk:")), {
    added: 0,
    nofollow: 0,
    duplicate: 0,
    outOfScope: 0,
    excluded: 0,
    overDepth: 2,
    overLimit: 0,
    invalid: 0,
    trap: 0,
    overQueue: 0,
  });
  const leases = await f.take(10);
  assert.deepEqual(leases.map((l) => [l.entry.url, l.entry.depth]), [
    ["http://a.com/", 0],
    ["http://a.com/1", 1],
    ["http://a.com/2", 2],
  ]);
  for (const l of leases) await f.done(l);
});

Deno.test("invalid links are counted, not thrown", async () => {
  const f = frontier({ maxDepth: 1, maxUrlLength: 30 });
  await f.addSeed("http://a.com/");
  const out = await f.addLinks(
    0,
    links("mailto:x@a.com", "http://[bad/", `http://a.com/${"z".repeat(30)}`),
  );
  assert.equal(out.invalid, 3);
});

Deno.test("scope host: same hostname as any seed, any scheme or port", async () => {
  const f = frontier({ maxDepth: 1 });
  await f.addSeed("http://a.com/");
  await f.addSeed("http://b.org/");
  const out = await f.addLinks(
    0,
    links(
      "https://a.com/1",
      "http://a.com:8080/2",
      "http://b.org/3",
      "http://www.a.com/",
      "http://c.net/",
    ),
  );
  assert.equal(out.added, 3);
  assert.equal(out.outOfScope, 2);
});

Deno.test("scope domain: registrable domain via the Public Suffix List", async () => {
  const f = frontier({ maxDepth: 1, scope: "domain" });
  await f.addSeed("http://a.example.co.uk/");
  const out = await f.addLinks(
    0,
    links(
      "http://b.example.co.uk/",
      "http://example.co.uk/",
      "http://example.com/",
      "http://other.co.uk/",
    ),
  );
  assert.equal(out.added, 2);
  assert.equal(out.outOfScope, 2);
  assert.deepEqual(await allUrls(f), [
    "http://a.example.co.uk/",
    "http://b.example.co.uk/",
    "http://example.co.uk/",
  ]);
});

Deno.test("scope domain falls back to the host for IPs and localhost", async () => {
  const f = frontier({ maxDepth: 1, scope: "domain" });
  await f.addSeed("http://127.0.0.1:8000/");
  await f.addSeed("http://localhost/");
  const out = await f.addLinks(
    0,
    links(
      "http://127.0.0.1:9000/",
      "http://127.0.0.2/",
      "http://localhost:3000/",
      "http://x.localhost/",
    ),
  );
  assert.equal(out.added, 2);
  assert.equal(out.outOfScope, 2);
});

Deno.test("scope origin: same scheme, host and port", async () => {
  const f = frontier({ maxDepth: 1, scope: "origin" });
  await f.addSeed("https://a.com/");
  const out = await f.addLinks(
    0,
    links("https://a.com/x", "https://a.com:443/y", "http://a.com/", "https://a.com:8443/"),
  );
  assert.equal(out.added, 2);
  assert.equal(out.outOfScope, 2);
});

Deno.test("scope all: any http(s) URL", async () => {
  const f = frontier({ maxDepth: 1, scope: "all" });
  await f.addSeed("https://a.com/");
  const out = await f.addLinks(0, links("http://z.net/", "https://q.io/x", "ftp://a.com/"));
  assert.equal(out.added, 2);
  assert.equal(out.invalid, 1);
});

Deno.test("include and exclude globs match the whole normalized URL", async () => {
  const f = frontier({
    maxDepth: 1,
    include: ["http://a.com/docs/*", "http://a.com/p?"],
    exclude: ["*.pdf"],
  });
  await f.addSeed("http://a.com/"); // not filtered although it matches no include
  const out = await f.addLinks(
    0,
    links(
      "http://a.com/docs/x",
      "http://a.com/DOCS/../docs/y",
      "http://a.com/docs/z.pdf",
      "http://a.com/p1",
      "http://a.com/p12",
      "http://a.com/blog/docs/",
    ),
  );
  assert.equal(out.added, 3);
  assert.equal(out.excluded, 3);
  assert.deepEqual(await allUrls(f), [
    "http://a.com/",
    "http://a.com/docs/x",
    "http://a.com/docs/y",
    "http://a.com/p1",
  ]);
});

Deno.test("glob treats regex characters literally", async () => {
  const f = frontier({ maxDepth: 1, include: ["http://a.com/x+y(1).html?q=[a]"] });
  await f.addSeed("http://a.com/");
  const out = await f.addLinks(
    0,
    links("http://a.com/x+y(1).html?q=[a]", "http://a.com/xxy1.html"),
  );
  assert.equal(out.added, 1);
  assert.equal(out.excluded, 1);
});

Deno.test("include and exclude as /regex/flags", async () => {
  const f = frontier({ maxDepth: 1, include: ["/\\/docs\\//i"], exclude: ["/[?&]page=\\d+/g"] });
  await f.addSeed("http://a.com/");
  const out = await f.addLinks(
    0,
    links(
      "http://a.com/Docs/a",
      "http://a.com/docs/b?page=2",
      "http://a.com/docs/c?page=3",
      "http://a.com/x",
    ),
  );
  assert.equal(out.added, 1);
  assert.equal(out.excluded, 3);
});

Deno.test("a bad pattern or option throws INVALID_OPTION naming it", () => {
  const invalid = (fn: () => unknown, re: RegExp) =>
    assert.throws(
      fn,
      (e) => e instanceof TrawlError && e.code === "INVALID_OPTION" && re.test(e.message),
    );
  invalid(() => frontier({ include: ["/(unclosed/"] }), /\(unclosed/);
  invalid(() => frontier({ exclude: ["/x/q"] }), /"\/x\/q"/);
  invalid(() => frontier({ include: [""] }), /include/);
  invalid(() => frontier({ maxDepth: -1 }), /maxDepth/);
  invalid(() => frontier({ maxPages: 0 }), /maxPages/);
  // deno-lint-ignore no-explicit-any
  invalid(() => frontier({ scope: "site" as any }), /scope/);
});

Deno.test("maxPages counts seeds and caps links; duplicates do not use budget", async () => {
  const f = frontier({ maxDepth: 1, maxPages: 3 });
  await f.addSeed("http://a.com/");
  const out = await f.addLinks(
    0,
    links("http://a.com/", "http://a.com/1", "http://a.com/1", "http://a.com/2", "http://a.com/3"),
  );
  assert.deepEqual([out.added, out.duplicate, out.overLimit], [2, 2, 1]);
  assert.equal((await f.counts()).seen, 3);
  const more = await f.addLinks(0, links("http://a.com/4"));
  assert.equal(more.overLimit, 1);
  assert.equal(f.stats.overLimit, 2);
});

Deno.test("maxPages: a duplicate offered inside the budget frees room for the rest", async () => {
  const f = frontier({ maxDepth: 2, maxPages: 3 });
  await f.addSeed("http://a.com/");
  await f.addLinks(0, links("http://a.com/1"));
  const out = await f.addLinks(1, links("http://a.com/1", "http://a.com/2"));
  assert.deepEqual([out.added, out.duplicate, out.overLimit], [1, 1, 0]);
});

Deno.test("maxPagesPerHost budgets each host", async () => {
  const f = frontier({ maxDepth: 1, scope: "all", maxPagesPerHost: 2 });
  await f.addSeed("http://a.com/");
  const out = await f.addLinks(
    0,
    links("http://a.com/1", "http://a.com/2", "http://b.com/1", "http://b.com/2", "http://b.com/3"),
  );
  assert.deepEqual([out.added, out.overLimit], [3, 2]);
  assert.deepEqual(await allUrls(f), [
    "http://a.com/",
    "http://a.com/1",
    "http://b.com/1",
    "http://b.com/2",
  ]);
});

Deno.test("concurrent addLinks calls keep the budget exact", async () => {
  const f = frontier({ maxDepth: 1, maxPages: 10 });
  await f.addSeed("http://a.com/");
  const batches = Array.from(
    { length: 5 },
    (_, b) => links(...Array.from({ length: 5 }, (_, i) => `http://a.com/${b}-${i}`)),
  );
  const outs = await Promise.all(batches.map((ls) => f.addLinks(0, ls)));
  assert.equal(outs.reduce((n, o) => n + o.added, 0), 9);
  assert.equal((await f.counts()).seen, 10);
});

Deno.test("pass-throughs lease from the store", async () => {
  const f = frontier({ maxDepth: 1 });
  await f.addSeed("http://a.com/");
  const [lease] = await f.take(1);
  await f.release(lease, { delayMs: 0 });
  const [again] = await f.take(1, { excludeHosts: new Set(["b.com"]) });
  assert.equal(again.entry.url, "http://a.com/");
  await f.done(again);
  assert.deepEqual(await f.counts(), { seen: 1, admitted: 1, queued: 0, leased: 0, done: 1 });
});

Deno.test("frontier: seeds past maxPages or the per-host budget are refused as overLimit; full says so", async () => {
  const frontier = createFrontier(createMemoryFrontierStore(), { maxPages: 3, maxPagesPerHost: 2 });
  assert.equal((await frontier.addSeed("http://a.test/1")).ok, true);
  assert.equal((await frontier.addSeed("http://a.test/2")).ok, true);
  assert.deepEqual(await frontier.addSeed("http://a.test/3"), { ok: false, overLimit: true });
  assert.equal(frontier.full, false);
  assert.equal((await frontier.addSeed("http://b.test/1")).ok, true);
  assert.equal(frontier.full, true);
  assert.deepEqual(await frontier.addSeed("http://c.test/1"), { ok: false, overLimit: true });
});

Deno.test("markSeen: a redirect target is seen once; later links and seeds to it are duplicates", async () => {
  const f = frontier({ maxDepth: 2, maxPages: 3 });
  await f.addSeed("https://example.com/");
  assert.equal(await f.markSeen("https://EXAMPLE.com/landing#top"), true);
  assert.equal(await f.markSeen("https://example.com/landing"), false);
  assert.equal(await f.markSeen("https://example.com/"), false, "the seed is already seen");
  const outcome = await f.addLinks(
    0,
    links("https://example.com/landing", "https://example.com/b"),
  );
  assert.equal(outcome.duplicate, 1);
  assert.equal(outcome.added, 1, "markSeen used no maxPages budget");
  assert.deepEqual((await f.addSeed("https://example.com/landing")).duplicate, true);
  assert.deepEqual(await allUrls(f), ["https://example.com/", "https://example.com/b"]);
  assert.equal(await f.markSeen("not a url"), true);
});

Deno.test("checkRedirect: a link's hop must pass scope and include/exclude; a seed's hop to www. widens the scope", async () => {
  const f = createFrontier(createMemoryFrontierStore(), {
    maxDepth: 2,
    scope: "host",
    exclude: ["*/private/*"],
  });
  await f.addSeed("http://example.com/");
  const link = { depth: 1, url: "http://example.com/a" };
  assert.equal(await f.checkRedirect("http://example.com/b", link), null);
  const away = await f.checkRedirect("http://other.test/x", link);
  assert.equal(away?.code, "OUT_OF_SCOPE");
  assert.match(away!.message, /--scope host/);
  const excluded = await f.checkRedirect("http://example.com/private/x", link);
  assert.equal(excluded?.code, "OUT_OF_SCOPE");
  assert.match(excluded!.message, /--exclude/);
  // A link to www. is out of scope until the seed itself moves there.
  assert.equal((await f.checkRedirect("http://www.example.com/", link))?.code, "OUT_OF_SCOPE");
  assert.equal((await f.addLinks(0, [{ url: "http://www.example.com/p" }])).outOfScope, 1);
  const seed = { depth: 0, url: "http://example.com/" };
  assert.equal(await f.checkRedirect("http://www.example.com/", seed), null);
  assert.equal((await f.addLinks(0, [{ url: "http://www.example.com/p" }])).added, 1);
  // A seed's hop to another site is still out of scope.
  assert.equal((await f.checkRedirect("http://elsewhere.test/", seed))?.code, "OUT_OF_SCOPE");
  assert.equal((await f.checkRedirect("not a url", seed))?.code, "INVALID_URL");
});

Deno.test("checkRedirect: scope all lets every hop through; include applies to link hops only", async () => {
  const f = createFrontier(createMemoryFrontierStore(), {
    maxDepth: 1,
    scope: "all",
    include: ["*/docs/*"],
  });
  await f.addSeed("http://a.test/");
  assert.equal(
    await f.checkRedirect("http://b.test/home", { depth: 0, url: "http://a.test/" }),
    null,
  );
  const miss = await f.checkRedirect("http://b.test/home", { depth: 1, url: "http://a.test/x" });
  assert.match(miss!.message, /--include/);
  assert.equal(
    await f.checkRedirect("http://b.test/docs/1", { depth: 1, url: "http://a.test/x" }),
    null,
  );
});

Deno.test("budgets and scope live in the store: a second frontier on it continues them", async () => {
  const store = createMemoryFrontierStore();
  const first = createFrontier(store, { maxDepth: 1, maxPages: 3 });
  await first.addSeed("http://a.test/");
  await first.addLinks(0, [{ url: "http://a.test/1" }]);
  const second = createFrontier(store, { maxDepth: 1, maxPages: 3 });
  const outcome = await second.addLinks(0, [{ url: "http://a.test/2" }, {
    url: "http://a.test/3",
  }]);
  assert.equal(outcome.added, 1, "the scope key of the first frontier's seed is known");
  assert.equal(outcome.overLimit, 1, "the budget continues from 2 admitted");
  assert.equal(second.full, true);
});

Deno.test("frontier bounds: trap paths and links past maxQueued / maxQueuedPerHost are dropped, counted and warned once", async () => {
  const warned: string[] = [];
  const added: [string, number][] = [];
  const f = createFrontier(createMemoryFrontierStore(), {
    maxDepth: 5,
    scope: "all",
    maxQueued: 4,
    maxQueuedPerHost: 2,
    onDropped: (reason) => warned.push(reason),
    onAdded: (host, n) => added.push([host, n]),
  });
  await f.addSeed("http://a.test/");
  const trap = await f.addLinks(0, [
    { url: "http://a.test/x/y/x/y/x/" },
    { url: `http://a.test/${Array.from({ length: 40 }, (_, i) => `s${i}`).join("/")}` },
    { url: "http://a.test/fine/2024/01/01" },
  ]);
  assert.equal(trap.trap, 2);
  assert.equal(trap.added, 1);
  const perHost = await f.addLinks(0, [{ url: "http://a.test/1" }, { url: "http://b.test/1" }]);
  assert.equal(perHost.overQueue, 1, "a.test holds 2 queued (the seed and /fine/...)");
  assert.equal(perHost.added, 1);
  const [lease] = await f.take(1);
  await f.done(lease!);
  assert.equal((await f.addLinks(0, [{ url: "http://a.test/2" }])).added, 1, "room again");
  // 3 queued: a page's links are checked as a batch, so the bound can be passed by one page.
  const last = await f.addLinks(0, [{ url: "http://c.test/1" }, { url: "http://c.test/2" }]);
  assert.equal(last.added, 2);
  await new Promise((resolve) => setTimeout(resolve, 110)); // the queued count is re-read
  const full = await f.addLinks(0, [{ url: "http://d.test/1" }, { url: "http://d.test/2" }]);
  assert.equal(full.overQueue, 2, "5 queued: past maxQueued");
  assert.deepEqual(warned, ["trap", "overQueue"], "each reason warned once");
  assert.deepEqual(added.map(([h]) => h), ["a.test", "a.test", "b.test", "a.test", "c.test"]);
});

Deno.test("frontier claim: a key is claimed once per store", async () => {
  const store = createMemoryFrontierStore();
  assert.equal(await createFrontier(store).claim("invalid-seed:abc"), true);
  assert.equal(await createFrontier(store).claim("invalid-seed:abc"), false);
});
