import assert from "node:assert/strict";
import { resolveHttp, scanHtml } from "../../src/parse/scan_html.ts";

Deno.test("scanHtml: title, description, canonical, lang", () => {
  const scan = scanHtml(
    `<!doctype html><html lang="de-AT"><head>
      <title>
        Tom &amp; Jerry   <b>not a tag</b>
      </title>
      <meta name="Description" content="  A page.  ">
      <meta name="description" content="second">
      <link rel="canonical" href="/canon?x=1#frag">
      </head><body><title>second title</title></body></html>`,
    "https://example.com/dir/page.html",
  );
  assert.equal(scan.title, "Tom & Jerry <b>not a tag</b>");
  assert.equal(scan.description, "A page.");
  assert.equal(scan.canonical, "https://example.com/canon?x=1");
  assert.equal(scan.lang, "de-AT");
});

Deno.test("scanHtml: nothing present gives nulls and no links", () => {
  assert.deepEqual(scanHtml("<p>plain", "https://example.com/"), {
    title: null,
    description: null,
    canonical: null,
    lang: null,
    baseUrl: "https://example.com/",
    links: [],
  });
});

Deno.test("scanHtml: links resolved, filtered, deduplicated, nofollow flagged", () => {
  const scan = scanHtml(
    `<a href="a.html#top">a</a>
     <a href=" /b ">b</a>
     <a href="javascript:void(0)">js</a>
     <a href="mailto:x@example.com">mail</a>
     <a href="data:text/html,hi">data</a>
     <a href="ftp://example.com/f">ftp</a>
     <a href="#only-fragment">self</a>
     <a href="https://other.test/x" rel="external NoFollow">ext</a>
     <a href="a.html">again</a>
     <a>no href</a>
     <map><area href="/area" alt=""></map>
     <link rel="next" href="?page=2">
     <link rel="stylesheet" href="/style.css">
     <a href="http://[bad">bad</a>
     <a href="/c" rel="nofollow">c once nofollow</a><a href="/c">c followable</a>
     <script>document.write('<a href="/in-script">')</script>`,
    "https://example.com/dir/page?q=1",
  );
  assert.deepEqual(scan.links, [
    { url: "https://example.com/dir/a.html", nofollow: false },
    { url: "https://example.com/b", nofollow: false },
    { url: "https://example.com/dir/page?q=1", nofollow: false },
    { url: "https://other.test/x", nofollow: true },
    { url: "https://example.com/area", nofollow: false },
    { url: "https://example.com/dir/page?page=2", nofollow: false },
    { url: "https://example.com/c", nofollow: false },
  ]);
});

Deno.test("scanHtml: <base href> applies to every link, even ones before it", () => {
  const scan = scanHtml(
    `<a href="early">e</a><base href="https://cdn.test/root/"><base href="/ignored/"><a href="late">l</a>
     <link rel=canonical href="canon">`,
    "https://example.com/page",
  );
  assert.equal(scan.baseUrl, "https://cdn.test/root/");
  assert.deepEqual(scan.links.map((l) => l.url), [
    "https://cdn.test/root/early",
    "https://cdn.test/root/late",
  ]);
  assert.equal(scan.canonical, "https://cdn.test/root/canon");
  // A relative base resolves against the page; an unusable one is ignored.
  assert.equal(
    scanHtml(`<base href="../x/">`, "https://e.test/a/b/c").baseUrl,
    "https://e.test/a/x/",
  );
  assert.equal(
    scanHtml(`<base href="javascript:0">`, "https://e.test/a").baseUrl,
    "https://e.test/a",
  );
});

Deno.test("scanHtml: <meta name=robots content=nofollow> flags every link", () => {
  const scan = scanHtml(
    `<meta name="robots" content="noindex, NOFOLLOW"><a href="/a">a</a>`,
    "https://e.test/",
  );
  assert.deepEqual(scan.links, [{ url: "https://e.test/a", nofollow: true }]);
});

Deno.test("resolveHttp: only http(s), fragment dropped", () => {
  assert.equal(resolveHttp("HTTPS://E.test/a#b", "https://x.test/"), "https://e.test/a");
  assert.equal(resolveHttp("//e.test/p", "http://x.test/"), "http://e.test/p");
  assert.equal(resolveHttp("tel:123", "https://x.test/"), null);
  assert.equal(resolveHttp("http://", "https://x.test/"), null);
});
