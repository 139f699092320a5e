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
    noindex: false,
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

Deno.test("scanHtml: entities decoded in attributes and title as browsers do", () => {
  const scan = scanHtml(
    `<title>Tom &amp Jerry &#8211; &#x41;&notit; &copy2024</title>
     <a href="/q?a=1&amp;b=2&#38;c=3&#x26;d=4">entities</a>
     <a href="/e?x=1&ampy=2">legacy entity before a letter stays</a>
     <a href="/f?x=1&amp=2">legacy entity before = stays</a>
     <a href="/g&amp">legacy entity at the end decodes</a>
     <a href="/&lt;i&gt;">escaped angle brackets</a>`,
    "https://e.test/",
  );
  assert.equal(scan.title, "Tom & Jerry – A¬it; ©2024");
  assert.deepEqual(scan.links.map((l) => l.url), [
    "https://e.test/q?a=1&b=2&c=3&d=4",
    "https://e.test/e?x=1&ampy=2",
    "https://e.test/f?x=1&amp=2",
    "https://e.test/g&",
    "https://e.test/%3Ci%3E",
  ]);
});

Deno.test("scanHtml: tag and attribute names are case-insensitive", () => {
  const scan = scanHtml(
    `<HTML LANG="fr"><HEAD><TITLE>Up</TITLE><Meta Name="DESCRIPTION" CONTENT="D">
     <LINK REL="Canonical" HREF="/c"><LINK Rel="NEXT" Href="/n"><BASE HREF="/b/"></HEAD>
     <A HREF="up" REL="NOFOLLOW">u</A><AREA HREF="/area"></HTML>`,
    "https://e.test/",
  );
  assert.deepEqual(scan, {
    title: "Up",
    description: "D",
    canonical: "https://e.test/c",
    lang: "fr",
    baseUrl: "https://e.test/b/",
    links: [
      { url: "https://e.test/n", nofollow: false },
      { url: "https://e.test/b/up", nofollow: true },
      { url: "https://e.test/area", nofollow: false },
    ],
    noindex: false,
  });
});

Deno.test("scanHtml: meta robots noindex, nofollow and none", () => {
  const scan = (content: string) =>
    scanHtml(`<meta name="Robots" content="${content}"><a href="/a">a</a>`, "https://e.test/");
  assert.deepEqual([scan("noindex").noindex, scan("noindex").links[0].nofollow], [true, false]);
  assert.deepEqual([scan("NOFOLLOW").noindex, scan("NOFOLLOW").links[0].nofollow], [false, true]);
  assert.deepEqual([scan("none").noindex, scan("none").links[0].nofollow], [true, true]);
  assert.deepEqual([scan("index, follow").noindex, scan("all").links[0].nofollow], [false, false]);
});

Deno.test("scanHtml: first duplicate attribute wins, a bare attribute is empty", () => {
  const scan = scanHtml(
    `<html lang="en" lang="fr"><a href="/first" href="/second" rel="nofollow" rel="">x</a>
     <meta name=description content="one" content="two">`,
    "https://e.test/",
  );
  assert.equal(scan.lang, "en");
  assert.equal(scan.description, "one");
  assert.deepEqual(scan.links, [{ url: "https://e.test/first", nofollow: true }]);

  const bare = scanHtml(
    `<html lang><meta name=description content><a href>self</a>`,
    "https://e.test/dir/p",
  );
  assert.equal(bare.lang, null); // empty lang is no lang
  assert.equal(bare.description, "");
  assert.deepEqual(bare.links, [{ url: "https://e.test/dir/p", nofollow: false }]);
});

Deno.test("scanHtml: quoting styles, '>' inside a value, a tag cut off at the end", () => {
  const scan = scanHtml(
    `<a title="a>b" href='/single'>x</a><a href=/unquoted/>y</a><a class=x href = "/spaced" >z</a>
     <a name="anchor">no href</a><a href="/cut"`,
    "https://e.test/",
  );
  assert.deepEqual(scan.links.map((l) => l.url), [
    "https://e.test/single",
    "https://e.test/unquoted/", // unquoted: the slash belongs to the value
    "https://e.test/spaced",
  ]);
});

Deno.test("scanHtml: self-closing tags", () => {
  const scan = scanHtml(
    `<html lang="nl"/><head><title/><meta name="description" content="d"/>
     <base href="/b/"/><link rel="canonical" href="c"/><link rel="next" href="n"/></head>
     <body><p>text is not the title</p><area href="/ar"/></body>`,
    "https://e.test/",
  );
  assert.equal(scan.title, "");
  assert.equal(scan.description, "d");
  assert.equal(scan.lang, "nl");
  assert.equal(scan.baseUrl, "https://e.test/b/");
  assert.equal(scan.canonical, "https://e.test/b/c");
  assert.deepEqual(scan.links.map((l) => l.url), ["https://e.test/b/n", "https://e.test/ar"]);
  // `<title/>` opens no raw-text title: what follows is not swept into it.
  assert.equal(scanHtml(`<title/><p>body text</p>`, "https://e.test/").title, "");
  assert.equal(scanHtml(`<title/><title>Later</title>`, "https://e.test/").title, "");
});

Deno.test("scanHtml: unclosed <title> runs to the end, its markup is text", () => {
  const scan = scanHtml(`<title>never\n\tclosed <a href="/in-title">x`, "https://e.test/");
  assert.equal(scan.title, 'never closed <a href="/in-title">x');
  assert.deepEqual(scan.links, []);
  assert.equal(scanHtml(`<TITLE> Up &amp; down </TITLE >`, "https://e.test/").title, "Up & down");
});

Deno.test("scanHtml: no links from comments, CDATA, script, style, textarea, xmp", () => {
  const scan = scanHtml(
    `<!-- <a href="/comment"> --><![CDATA[<a href="/cdata">]]>
     <script>let s = '<a href="/script">';</SCRIPT >
     <style>a::after { content: '<a href="/style">' }</style>
     <textarea><a href="/textarea"></textarea><xmp><a href="/xmp"></xmp>
     <a href="/real">real</a>`,
    "https://e.test/",
  );
  assert.deepEqual(scan.links, [{ url: "https://e.test/real", nofollow: false }]);
});

Deno.test("scanHtml: rel tokens and meta robots", () => {
  const scan = scanHtml(
    `<link rel="canonical next" href="/both"><link rel="prev" href="/prev"><link rel="next">
     <link rel="alternate nofollow next" href="/n2"><a href="/r" rel="noopener nofollowx">r</a>`,
    "https://e.test/",
  );
  assert.equal(scan.canonical, "https://e.test/both");
  assert.deepEqual(scan.links, [
    { url: "https://e.test/both", nofollow: false },
    { url: "https://e.test/n2", nofollow: true },
    { url: "https://e.test/r", nofollow: false },
  ]);
  const flags = (meta: string) =>
    scanHtml(`${meta}<a href="/a">a</a>`, "https://e.test/").links[0]!.nofollow;
  assert.equal(flags(`<meta name="robots" content="NONE">`), true);
  assert.equal(flags(`<meta name=ROBOTS content="noindex,nofollow">`), true);
  assert.equal(flags(`<meta name="robots" content="index, follow, nofollowing">`), false);
  assert.equal(flags(`<meta name="googlebot" content="nofollow">`), false);
  assert.equal(flags(`<meta name="robots">`), false);
});

Deno.test("scanHtml: the first <base> with an href is the base", () => {
  const scan = scanHtml(
    `<base target="_blank"><base href="/b/"><base href="/c/"><a href="x">x</a>`,
    "https://e.test/",
  );
  assert.equal(scan.baseUrl, "https://e.test/b/");
  assert.deepEqual(scan.links.map((l) => l.url), ["https://e.test/b/x"]);
});

Deno.test("resolveHttp: drops an empty fragment, keeps encoded '#'", () => {
  assert.equal(resolveHttp("/a?b#", "https://e.test/"), "https://e.test/a?b");
  assert.equal(resolveHttp("/a%23b?c=%23#d#e", "https://e.test/"), "https://e.test/a%23b?c=%23");
  assert.equal(resolveHttp("#", "https://e.test/p?q"), "https://e.test/p?q");
});
