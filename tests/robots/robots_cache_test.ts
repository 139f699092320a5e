import assert from "node:assert/strict";
import { createRobotsCache, type RobotsOptions } from "../../src/robots/robots_cache.ts";
import { productToken } from "../../src/robots/product_token.ts";
import { TrawlError } from "../../src/trawl_error.ts";
import type { FetchPage, FetchResult } from "../../src/types.ts";

const UA = "trawl/0.1 (+https://example.com/bot)";

/** A FetchPage on Deno's native fetch, as the crawler's fetch layer would fill it. */
const fetchPage: FetchPage = async (url, options) => {
  const signal = options?.signal;
  const started = performance.now();
  const base: FetchResult = {
    url,
    finalUrl: url,
    redirects: [],
    status: null,
    headers: {},
    body: new Uint8Array(),
    contentType: null,
    charset: null,
    bytes: 0,
    attempts: 1,
    timings: { ttfbMs: null, totalMs: 0 },
    error: null,
  };
  try {
    const res = await fetch(url, { signal });
    const body = new Uint8Array(await res.arrayBuffer());
    return {
      ...base,
      finalUrl: res.url,
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body,
      bytes: body.length,
      timings: { ttfbMs: null, totalMs: performance.now() - started },
    };
  } catch (e) {
    return {
      ...base,
      error: { code: "CONNECTION_REFUSED", message: e instanceof Error ? e.message : String(e) },
    };
  }
};

interface RobotsServer extends AsyncDisposable {
  origin: string;
  /** Requests to /robots.txt so far. */
  readonly hits: number;
  /** What /robots.txt answers next. */
  reply: { status: number; body: string };
}

function serveRobots(status: number, body: string): RobotsServer {
  let hits = 0;
  const state = { reply: { status, body } };
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    if (new URL(req.url).pathname !== "/robots.txt") return new Response("page");
    hits++;
    return new Response(state.reply.body, { status: state.reply.status });
  });
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    get hits() {
      return hits;
    },
    get reply() {
      return state.reply;
    },
    set reply(r) {
      state.reply = r;
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

function cache(options: Partial<RobotsOptions> = {}) {
  return createRobotsCache(fetchPage, { userAgent: UA, ...options });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("productToken takes the first token of the User-Agent", () => {
  assert.equal(productToken(UA), "trawl");
  assert.equal(productToken("  MyBot "), "MyBot");
  assert.equal(productToken("my_bot-2; compatible"), "my_bot-2");
  assert.throws(
    () => productToken("/1.0"),
    (e) => e instanceof TrawlError && e.code === "INVALID_OPTION",
  );
});

Deno.test("allow and disallow, longest match wins, reason names the line", async () => {
  await using srv = serveRobots(
    200,
    "User-agent: *\nDisallow: /private/\nAllow: /private/open\n",
  );
  const robots = cache();
  assert.equal((await robots.check(`${srv.origin}/`)).allowed, true);
  assert.equal((await robots.check(`${srv.origin}/public/x`)).allowed, true);
  const denied = await robots.check(`${srv.origin}/private/x`);
  assert.equal(denied.allowed, false);
  assert.match(denied.reason ?? "", /robots\.txt line 2/);
  assert.equal((await robots.check(`${srv.origin}/private/open/y`)).allowed, true);
  assert.equal((await robots.check(`${srv.origin}/robots.txt`)).allowed, true);
  assert.equal(srv.hits, 1);
});

Deno.test("group selection by product token, falling back to *", async () => {
  await using srv = serveRobots(
    200,
    "User-agent: Trawl\nDisallow: /only-trawl\n\nUser-agent: *\nDisallow: /everyone\n",
  );
  const ours = cache();
  assert.equal((await ours.check(`${srv.origin}/only-trawl`)).allowed, false);
  assert.equal((await ours.check(`${srv.origin}/everyone`)).allowed, true);
  const other = cache({ userAgent: "otherbot/2.0" });
  assert.equal((await other.check(`${srv.origin}/only-trawl`)).allowed, true);
  assert.equal((await other.check(`${srv.origin}/everyone`)).allowed, false);
});

Deno.test("percent-encoding is normalized in both directions", async () => {
  await using srv = serveRobots(
    200,
    [
      "User-agent: *",
      "Disallow: /private/",
      "Disallow: /%73ecret/",
      "Disallow: /a%2fb",
      "Disallow: /~user/",
      "Disallow: /caf%C3%A9",
      "Disallow: /x|y",
    ].join("\n"),
  );
  const robots = cache();
  const allowed = async (path: string) => (await robots.check(srv.origin + path)).allowed;
  // URL escaped, rule plain.
  assert.equal(await allowed("/%70rivate/x"), false);
  assert.equal(await allowed("/%70RIVATE/x"), true); // %70 is "p", the rest is case-sensitive
  // Rule escaped, URL plain.
  assert.equal(await allowed("/secret/x"), false);
  assert.equal(await allowed("/%73ecret/x"), false);
  // Hex case, and %2F never turns into "/".
  assert.equal(await allowed("/a%2Fb"), false);
  assert.equal(await allowed("/a%2fb"), false);
  assert.equal(await allowed("/a/b"), true);
  // Unreserved "~" written escaped in the URL.
  assert.equal(await allowed("/%7euser/x"), false);
  // Non-ASCII, raw in the URL, escaped in the rule; "|" on both sides.
  assert.equal(await allowed("/café"), false);
  assert.equal(await allowed("/x|y"), false);
});

Deno.test("a slash-escaped rule does not block the plain path", async () => {
  await using srv = serveRobots(200, "User-agent: *\nDisallow: /a%2Fb\n");
  const robots = cache();
  assert.equal((await robots.check(`${srv.origin}/a/b`)).allowed, true);
  assert.equal((await robots.check(`${srv.origin}/a%2fb`)).allowed, false);
});

Deno.test("404 allows everything", async () => {
  await using srv = serveRobots(404, "nope");
  const robots = cache();
  const verdict = await robots.check(`${srv.origin}/anything`);
  assert.equal(verdict.allowed, true);
  assert.match(verdict.reason ?? "", /HTTP 404/);
  assert.equal(verdict.crawlDelayMs, null);
});

Deno.test("500 disallows everything, then robots.txt is fetched again after the retry window", async () => {
  await using srv = serveRobots(500, "oops");
  const robots = cache({ unreachableRetryMs: 30 });
  const first = await robots.check(`${srv.origin}/page`);
  assert.equal(first.allowed, false);
  assert.match(first.reason ?? "", /HTTP 500/);
  assert.equal(first.error, undefined, "robots.txt answered: a refusal, not a network error");
  assert.equal((await robots.check(`${srv.origin}/page`)).allowed, false);
  assert.equal(srv.hits, 1); // still inside the window
  srv.reply = { status: 200, body: "User-agent: *\nDisallow: /no\n" };
  await sleep(50);
  assert.equal((await robots.check(`${srv.origin}/page`)).allowed, true);
  assert.equal((await robots.check(`${srv.origin}/no`)).allowed, false);
  assert.equal(srv.hits, 2);
});

Deno.test("429 is treated like 5xx", async () => {
  await using srv = serveRobots(429, "slow down");
  const verdict = await cache().check(`${srv.origin}/page`);
  assert.equal(verdict.allowed, false);
  assert.match(verdict.reason ?? "", /HTTP 429/);
});

Deno.test("a network error (closed port) disallows", async () => {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () => new Response(),
  );
  const port = server.addr.port;
  await server.shutdown();
  const verdict = await cache().check(`http://127.0.0.1:${port}/page`);
  assert.equal(verdict.allowed, false);
  assert.match(verdict.reason ?? "", /unreachable \(CONNECTION_REFUSED/);
  // No HTTP answer at all: the verdict carries the fetch's error for the caller to report.
  assert.equal(verdict.error?.code, "CONNECTION_REFUSED");
});

Deno.test("Crawl-delay of our group becomes crawlDelayMs, capped", async () => {
  await using srv = serveRobots(
    200,
    "User-agent: trawl\nCrawl-delay: 2.5\nDisallow:\n\nUser-agent: *\nCrawl-delay: 9999\n",
  );
  assert.equal((await cache().check(`${srv.origin}/`)).crawlDelayMs, 2500);
  const other = cache({ userAgent: "otherbot", maxCrawlDelayMs: 10_000 });
  assert.equal((await other.check(`${srv.origin}/`)).crawlDelayMs, 10_000);
  srv.reply = { status: 200, body: "User-agent: *\nDisallow: /x\n" };
  assert.equal((await cache().check(`${srv.origin}/`)).crawlDelayMs, null);
});

Deno.test("50 concurrent checks of one origin share one fetch", async () => {
  await using srv = serveRobots(200, "User-agent: *\nDisallow: /odd\n");
  const robots = cache();
  const verdicts = await Promise.all(
    Array.from(
      { length: 50 },
      (_, i) => robots.check(`${srv.origin}/${i % 2 ? "odd" : "even"}/${i}`),
    ),
  );
  assert.equal(srv.hits, 1);
  assert.deepEqual(verdicts.map((v) => v.allowed), verdicts.map((_, i) => i % 2 === 0));
});

Deno.test("cache hit: later checks do not refetch until cacheMs passes", async () => {
  await using srv = serveRobots(200, "User-agent: *\nDisallow: /x\n");
  const robots = cache({ cacheMs: 40 });
  await robots.check(`${srv.origin}/a`);
  await robots.check(`${srv.origin}/b`);
  await robots.check(`${srv.origin.replace("http://", "HTTP://")}/c`);
  assert.equal(srv.hits, 1);
  await sleep(60);
  await robots.check(`${srv.origin}/d`);
  assert.equal(srv.hits, 2);
});

Deno.test("maxOrigins bounds the cache (least recently used dropped)", async () => {
  await using a = serveRobots(200, "");
  await using b = serveRobots(200, "");
  const robots = cache({ maxOrigins: 1 });
  await robots.check(`${a.origin}/`);
  await robots.check(`${a.origin}/`);
  await robots.check(`${b.origin}/`);
  await robots.check(`${a.origin}/`);
  assert.equal(a.hits, 2);
  assert.equal(b.hits, 1);
});

Deno.test("only the first 500 KiB are parsed", async () => {
  const filler = "# filler filler filler filler filler filler filler filler\n".repeat(10_000);
  await using srv = serveRobots(200, `User-agent: *\nDisallow: /early\n${filler}Disallow: /late\n`);
  const robots = cache();
  assert.equal((await robots.check(`${srv.origin}/early`)).allowed, false);
  assert.equal((await robots.check(`${srv.origin}/late`)).allowed, true);
});

Deno.test("bad URLs throw coded errors; an aborted check throws ABORTED", async () => {
  await using srv = serveRobots(200, "");
  const robots = cache();
  await assert.rejects(
    robots.check("not a url"),
    (e) => e instanceof TrawlError && e.code === "INVALID_URL",
  );
  await assert.rejects(
    robots.check("ftp://example.com/"),
    (e) => e instanceof TrawlError && e.code === "UNSUPPORTED_SCHEME",
  );
  await assert.rejects(
    robots.check(`${srv.origin}/x`, { signal: AbortSignal.abort() }),
    (e) => e instanceof TrawlError && e.code === "ABORTED",
  );
  // The shared fetch went on and was cached for others.
  assert.equal((await robots.check(`${srv.origin}/x`)).allowed, true);
  assert.throws(
    () => createRobotsCache(fetchPage, { userAgent: UA, cacheMs: -1 }),
    (e) => e instanceof TrawlError && e.code === "INVALID_OPTION",
  );
});
