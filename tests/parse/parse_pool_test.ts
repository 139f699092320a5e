import assert from "node:assert/strict";
import type { PageInput } from "../../src/types.ts";
import { TrawlError } from "../../src/trawl_error.ts";
import { createParsePool } from "../../src/parse/parse_pool.ts";

const fixture = (name: string) => Deno.readFile(new URL(`./fixtures/${name}`, import.meta.url));
const fixtureUrl = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const page = (html: string | Uint8Array, extra: Partial<PageInput> = {}): PageInput => ({
  url: "https://shop.test/list",
  finalUrl: "https://shop.test/list/",
  status: 200,
  headers: { "content-type": "text/html" },
  body: typeof html === "string" ? new TextEncoder().encode(html) : html,
  depth: 1,
  ...extra,
});
const isCode = (code: string) => (e: unknown) => {
  assert.ok(e instanceof TrawlError, String(e));
  assert.equal(e.code, code, e.message);
  return true;
};

const LISTING =
  `<html lang="en"><head><title>Shop</title><meta name="description" content="All items">
<link rel="canonical" href="https://shop.test/list"></head><body>
<nav><a href="/">home</a><a href="/about#team">about</a><a href="mailto:a@shop.test">mail</a></nav>
<div class="product"><span class="name">Kettle</span><span class="price">25</span></div>
<div class="product"><span class="name">Toaster</span><span class="price">40</span></div>
<a class="page" href="?p=2">2</a><a class="page" href="https://shop.test/list/?p=3#x">3</a>
<h1>Products</h1></body></html>`;

Deno.test("parse pool: default extraction in workers, legacy encodings from real bytes", async () => {
  await using pool = createParsePool({ workers: 2 });
  const [listing, cp1251, sjis] = await Promise.all([
    pool.parse(page(LISTING)),
    pool.parse(page(await fixture("cp1251_header.html.bin"), {
      headers: { "content-type": "text/html; charset=windows-1251" },
    })),
    pool.parse(
      page(await fixture("sjis_meta.html.bin"), {
        headers: { "content-type": "text/html; charset=uft-8" },
      }),
    ),
  ]);
  assert.deepEqual(listing, {
    title: "Shop",
    description: "All items",
    canonical: "https://shop.test/list",
    lang: "en",
    encoding: "utf-8",
    links: [
      { url: "https://shop.test/", nofollow: false },
      { url: "https://shop.test/about", nofollow: false },
      { url: "https://shop.test/list/?p=2", nofollow: false },
      { url: "https://shop.test/list/?p=3", nofollow: false },
    ],
    data: null,
    error: null,
  });
  assert.equal(cp1251.title, "Привет, мир");
  assert.equal(cp1251.encoding, "windows-1251");
  assert.deepEqual(cp1251.links, [{ url: "https://shop.test/ru", nofollow: false }]);
  assert.equal(sjis.title, "こんにちは世界"); // bogus header label: the meta prescan decides
  assert.equal(sjis.encoding, "shift_jis");
});

Deno.test("parse pool: select fields give data; bad grammar fails at creation", async () => {
  await using pool = createParsePool({
    workers: 1,
    select: ["h=h1", "names=.product .name[]", "next=a.page@href", "missing=table", "none=table[]"],
  });
  const result = await pool.parse(page(LISTING));
  assert.deepEqual(result.data, {
    h: "Products",
    names: ["Kettle", "Toaster"],
    next: "?p=2",
    missing: null,
    none: [],
  });
  assert.equal(result.links.length, 4);
  assert.throws(() => createParsePool({ select: ["nope"] }), isCode("BAD_SELECTOR"));
  // Invalid CSS not checked up front still fails only per page, with title and links kept.
  await using lax = createParsePool({ workers: 1, select: ["x=div[["] });
  const bad = await lax.parse(page(LISTING));
  assert.equal(bad.error?.code, "BAD_SELECTOR");
  assert.equal(bad.title, "Shop");
  assert.equal(bad.links.length, 4);
});

Deno.test("parse pool: extractor module (relative path) with extract() and links()", async () => {
  const path = fixtureUrl("extractor_ok.ts").pathname.replace(`${Deno.cwd()}/`, "");
  await using pool = createParsePool({ workers: 1, extractModule: path, select: ["h=h1"] });
  const result = await pool.parse(page(LISTING));
  assert.equal(result.error, null);
  assert.deepEqual(result.data, [
    { h: "Products", name: "Kettle", price: 25, page: "https://shop.test/list", depth: 1 },
    { h: "Products", name: "Toaster", price: 40, page: "https://shop.test/list", depth: 1 },
  ]);
  assert.deepEqual(result.links, [
    { url: "https://shop.test/list/?p=2", nofollow: false },
    { url: "https://shop.test/list/?p=3", nofollow: false },
  ]);
  assert.equal(result.title, "Shop");

  await using merged = createParsePool({
    workers: 1,
    extractModule: fixtureUrl("extractor_object.ts"),
    select: ["h=title", "status=h1"],
  });
  const object = await merged.parse(page(LISTING, { status: 203 }));
  assert.deepEqual(object.data, { h: "Shop", status: 203, heading: "Products" });
  assert.equal(object.links.length, 4); // no links(): default discovery
});

Deno.test("parse pool: a throwing or looping extractor fails only its page", async () => {
  await using pool = createParsePool({
    workers: 1,
    extractTimeoutMs: 700,
    extractModule: fixtureUrl("extractor_faulty.ts"),
  });
  const results = await Promise.all(
    ["one", "throw", "two", "loop", "three"].map((title) =>
      pool.parse(page(`<title>${title}</title><a href="/${title}">x</a>`))
    ),
  );
  const [one, thrown, two, looped, three] = results;
  for (const [r, name] of [[one, "one"], [two, "two"], [three, "three"]] as const) {
    assert.equal(r.error, null);
    assert.deepEqual(r.data, { ok: name });
  }
  assert.equal(thrown.error?.code, "EXTRACT_ERROR");
  assert.match(thrown.error!.message, /TypeError: no price on this page/);
  assert.equal(thrown.title, "throw"); // title and links still filled
  assert.deepEqual(thrown.links, [{ url: "https://shop.test/throw", nofollow: false }]);
  assert.equal(looped.error?.code, "EXTRACT_TIMEOUT");
  assert.deepEqual(looped.links, []);
});

Deno.test("parse pool: a missing extractor module rejects (INVALID_OPTION) instead of failing every page", async () => {
  await using pool = createParsePool({ workers: 1, extractModule: "./no/such/extractor.ts" });
  await assert.rejects(pool.parse(page(LISTING)), (e: unknown) => {
    isCode("INVALID_OPTION")(e);
    assert.match((e as Error).message, /no\/such\/extractor\.ts/);
    return true;
  });
});

Deno.test("parse pool: large bodies are transferred, not copied (opt out with transferBody: false)", async () => {
  const big = new TextEncoder().encode(`<title>big</title>${"<p>x</p>".repeat(20_000)}`);
  await using pool = createParsePool({ workers: 1 });
  const transferred = page(big.slice());
  const result = await pool.parse(transferred);
  assert.equal(result.title, "big");
  assert.equal(transferred.body.byteLength, 0); // detached: moved, not copied
  // A view into a larger buffer is copied, leaving the rest of that buffer intact.
  const shared = new Uint8Array(big.byteLength + 10);
  shared.set(big, 10);
  const view = page(shared.subarray(10));
  assert.equal((await pool.parse(view)).title, "big");
  assert.equal(view.body.byteLength, big.byteLength);
  await using keep = createParsePool({ workers: 1, transferBody: false });
  const kept = page(big.slice());
  assert.equal((await keep.parse(kept)).title, "big");
  assert.equal(kept.body.byteLength, big.byteLength);
});

Deno.test("parse pool: maxBytesPerWorker holds big pages back instead of posting them ahead", async () => {
  // A page posted ahead is copied (its body stays intact); one held back until the worker
  // is idle is transferred (its body detached). Two 160 KB pages: with room for both they
  // are both posted at once; with room for one, the second waits and is transferred.
  const big = () => new TextEncoder().encode(`<title>big</title>${"<p>x</p>".repeat(20_000)}`);
  for (const [maxBytesPerWorker, secondDetached] of [[Infinity, false], [200_000, true]] as const) {
    await using pool = createParsePool({ workers: 1, maxBytesPerWorker });
    await pool.parse(page("<title>warm</title>"));
    const first = page(big());
    const second = page(big());
    const results = await Promise.all([pool.parse(first), pool.parse(second)]);
    assert.deepEqual(results.map((r) => r.title), ["big", "big"]);
    assert.equal(first.body.byteLength, 0);
    assert.equal(
      second.body.byteLength === 0,
      secondDetached,
      `maxBytesPerWorker ${maxBytesPerWorker}`,
    );
  }
});

Deno.test("parse pool: size, capacity, ready(), abort and close", async () => {
  const pool = createParsePool({ workers: 1, maxQueued: 2 });
  assert.equal(pool.capacity, 3);
  const pages = Array.from({ length: 6 }, () => pool.parse(page(LISTING)));
  assert.ok(pool.size <= pool.capacity);
  await pool.ready();
  assert.ok(pool.size < pool.capacity);
  await Promise.all(pages);
  await assert.rejects(
    pool.parse(page(LISTING), { signal: AbortSignal.abort() }),
    isCode("ABORTED"),
  );
  const pending = pool.parse(page(LISTING));
  await pool.close();
  await assert.rejects(pending, isCode("POOL_CLOSED"));
  await assert.rejects(pool.parse(page(LISTING)), isCode("POOL_CLOSED"));
});
