import assert from "node:assert/strict";
import {
  createRobotsCache,
  MAX_ROBOTS_BYTES,
  type RobotsOptions,
} from "../../src/robots/robots_cache.ts";
import type { PermitSlot } from "../../src/policy/host_policy.ts";
import type { FetchPage } from "../../src/types.ts";
import { productToken } from "../../src/robots/product_token.ts";
import { TrawlError } from "../../src/trawl_error.ts";
import { type FetchCall, manualClock, nativeFetchPage, serveRobots } from "./_fixture.ts";

const UA = "trawl/0.1 (+https://example.com/bot)";

const fetchPage = nativeFetchPage();

function cache(options: Partial<RobotsOptions> = {}) {
  return createRobotsCache(fetchPage, { userAgent: UA, ...options });
}

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
  const clock = manualClock();
  const robots = cache({ unreachableRetryMs: 30, now: clock.now });
  const first = await robots.check(`${srv.origin}/page`);
  assert.equal(first.allowed, false);
  assert.match(first.reason ?? "", /HTTP 500/);
  assert.equal(first.error, undefined, "robots.txt answered: a refusal, not a network error");
  assert.equal((await robots.check(`${srv.origin}/page`)).allowed, false);
  assert.equal(srv.hits, 1); // still inside the window
  srv.reply = { status: 200, body: "User-agent: *\nDisallow: /no\n" };
  clock.advance(30);
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
  const clock = manualClock();
  const robots = cache({ cacheMs: 40, now: clock.now });
  await robots.check(`${srv.origin}/a`);
  await robots.check(`${srv.origin}/b`);
  await robots.check(`${srv.origin.replace("http://", "HTTP://")}/c`);
  assert.equal(srv.hits, 1);
  clock.advance(39);
  await robots.check(`${srv.origin}/d`);
  assert.equal(srv.hits, 1);
  clock.advance(1);
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
  assert.equal(srv.hits, 0, "an aborted check starts no fetch");
  assert.equal((await robots.check(`${srv.origin}/x`)).allowed, true);
  // Aborted before the call: ABORTED even when the answer is cached.
  await assert.rejects(
    robots.check(`${srv.origin}/x`, { signal: AbortSignal.abort() }),
    (e) => e instanceof TrawlError && e.code === "ABORTED",
  );
  // Aborted while waiting: the shared fetch goes on and is cached for others.
  const late = new AbortController();
  const other = serveRobots(200, "User-agent: *\nDisallow: /x\n");
  try {
    const release = other.hold();
    const waiting = robots.check(`${other.origin}/x`, { signal: late.signal });
    late.abort();
    await assert.rejects(waiting, (e) => e instanceof TrawlError && e.code === "ABORTED");
    release();
    assert.equal((await robots.check(`${other.origin}/x`)).allowed, false);
    assert.equal(other.hits, 1);
  } finally {
    await other[Symbol.asyncDispose]();
  }
  assert.throws(
    () => createRobotsCache(fetchPage, { userAgent: UA, cacheMs: -1 }),
    (e) => e instanceof TrawlError && e.code === "INVALID_OPTION",
  );
});

Deno.test("productToken option picks the group; the User-Agent's first word does not", async () => {
  await using srv = serveRobots(
    200,
    "User-agent: Mozilla\nDisallow: /\n\nUser-agent: examplebot\nDisallow: /mine\n",
  );
  const robots = cache({
    userAgent: "Mozilla/5.0 (compatible; ExampleBot/0.1; +https://example.com/bot)",
    productToken: "ExampleBot",
  });
  assert.equal((await robots.check(`${srv.origin}/page`)).allowed, true);
  const refusal = await robots.check(`${srv.origin}/mine`);
  assert.equal(refusal.allowed, false);
  assert.match(refusal.reason ?? "", /disallowed for "ExampleBot" by .*line 5/);
  for (const bad of ["ExampleBot/0.1", "", "two words", "*"]) {
    assert.throws(
      () => cache({ productToken: bad }),
      (e) =>
        e instanceof TrawlError && e.code === "INVALID_OPTION" &&
        e.message.startsWith(`productToken must be letters, digits, '_' or '-' only: received`),
    );
  }
  assert.equal(productToken("my.bot/1.0"), "my"); // "." ends a token, as it does in robots.txt
});

Deno.test("options are validated up front, naming the option, the rule and the value", () => {
  const refused = (options: Partial<RobotsOptions>, message: string) =>
    assert.throws(
      () => cache(options),
      (e) => e instanceof TrawlError && e.code === "INVALID_OPTION" && e.message === message,
    );
  refused({ cacheMs: -1 }, "cacheMs must be a finite number >= 0: received -1");
  refused(
    { unreachableRetryMs: NaN },
    "unreachableRetryMs must be a finite number >= 0: received NaN",
  );
  refused({ maxUnreachableMs: -5 }, "maxUnreachableMs must be a finite number >= 0: received -5");
  refused({ maxOrigins: 0 }, "maxOrigins must be a finite number >= 1: received 0");
  refused({ maxOrigins: 1.5 }, "maxOrigins must be an integer >= 1: received 1.5");
});

Deno.test("permit: only the check that starts the fetch hands its slot to fetchPage", async () => {
  await using srv = serveRobots(200, "User-agent: *\nDisallow: /x\n");
  const host = new URL(srv.origin).host;
  const log: FetchCall[] = [];
  const robots = createRobotsCache(nativeFetchPage({ log }), { userAgent: UA });
  const starter: PermitSlot = { permit: { host, kind: "page" } };
  const joiner: PermitSlot = { permit: { host, kind: "page" } };
  const [a, b] = await Promise.all([
    robots.check(`${srv.origin}/a`, { permit: starter }),
    robots.check(`${srv.origin}/x`, { permit: joiner }),
  ]);
  assert.deepEqual([a.allowed, b.allowed], [true, false]);
  assert.equal(starter.permit, null, "the fetch took the starter's permit");
  assert.deepEqual(joiner.permit, { host, kind: "page" }, "the joiner's slot is untouched");
  const cached: PermitSlot = { permit: { host, kind: "page" } };
  await robots.check(`${srv.origin}/c`, { permit: cached });
  assert.notEqual(cached.permit, null, "a cache hit leaves the slot untouched");
  assert.equal(log.length, 1);
  assert.equal(log[0].tookPermit, true);
});

Deno.test("onResolved: once per fetch, before the waiting checks resume", async () => {
  await using ok = serveRobots(200, "User-agent: *\nCrawl-delay: 1.5\nDisallow: /x\n");
  await using gone = serveRobots(404);
  await using down = serveRobots(503);
  const seen: unknown[] = [];
  const clock = manualClock();
  const robots = cache({ onResolved: (e) => seen.push(e), now: clock.now });
  const verdicts = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      robots.check(`${ok.origin}/${i}`).then((v) => {
        seen.push("verdict");
        return v;
      })),
  );
  assert.equal(verdicts.length, 20);
  assert.deepEqual(seen[0], {
    origin: ok.origin,
    outcome: "fetched",
    status: 200,
    crawlDelayMs: 1500,
  });
  assert.deepEqual(seen.slice(1), Array(20).fill("verdict"));
  seen.length = 0;
  await robots.check(`${gone.origin}/`);
  await robots.check(`${down.origin}/`);
  await robots.check(`${ok.origin}/again`); // cached: no event
  assert.deepEqual(seen, [
    { origin: gone.origin, outcome: "unavailable", status: 404, crawlDelayMs: null },
    { origin: down.origin, outcome: "unreachable", status: 503, crawlDelayMs: null },
  ]);
  clock.advance(86_400_000);
  await robots.check(`${ok.origin}/again`);
  assert.equal(seen.length, 3, "a refetch is a new event");
});

Deno.test("onResolved: a listener that throws does not break checks", async () => {
  await using srv = serveRobots(200, "User-agent: *\nDisallow: /x\n");
  const robots = cache({
    onResolved: () => {
      throw new Error("listener bug");
    },
  });
  assert.equal((await robots.check(`${srv.origin}/x`)).allowed, false);
  assert.equal((await robots.check(`${srv.origin}/y`)).allowed, true);
});

Deno.test("peek: the cached verdict without fetching; undefined when unknown, pending or expired", async () => {
  await using srv = serveRobots(200, "User-agent: *\nCrawl-delay: 2\nDisallow: /x\n");
  const clock = manualClock();
  const robots = cache({ now: clock.now, cacheMs: 1000 });
  assert.equal(robots.peek(`${srv.origin}/a`), undefined);
  assert.equal(srv.hits, 0, "peek never fetches");
  const release = srv.hold();
  const pending = robots.check(`${srv.origin}/a`);
  assert.equal(robots.peek(`${srv.origin}/a`), undefined, "being fetched");
  release();
  await pending;
  assert.deepEqual(robots.peek(`${srv.origin}/a`), { allowed: true, crawlDelayMs: 2000 });
  assert.equal(robots.peek(`${srv.origin}/x`)?.allowed, false);
  assert.deepEqual(robots.peek(`${srv.origin}/x`), await robots.check(`${srv.origin}/x`));
  assert.equal(robots.peek(`${srv.origin}/robots.txt`)?.allowed, true);
  clock.advance(1000);
  assert.equal(robots.peek(`${srv.origin}/a`), undefined, "expired");
  assert.equal(srv.hits, 1);
  assert.throws(
    () => robots.peek("ftp://example.com/"),
    (e) => e instanceof TrawlError && e.code === "UNSUPPORTED_SCHEME",
  );
});

Deno.test("a fetch layer that fails an oversized robots.txt instead of truncating: unreachable, named", async () => {
  await using srv = serveRobots(200, "#".repeat(MAX_ROBOTS_BYTES + 10));
  const native = nativeFetchPage();
  const noTruncate: FetchPage = (url, options) => native(url, { ...options, truncate: false });
  const verdict = await createRobotsCache(noTruncate, { userAgent: UA }).check(`${srv.origin}/`);
  assert.equal(verdict.allowed, false);
  assert.match(verdict.reason ?? "", /HTTP 200 but TOO_LARGE/);
});

Deno.test("fetchTimeoutMs: a robots.txt that never answers counts as unreachable (DEADLINE)", async () => {
  await using srv = serveRobots(200, "");
  const release = srv.hold();
  try {
    const verdict = await cache({ fetchTimeoutMs: 50 }).check(`${srv.origin}/`);
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.error?.code, "DEADLINE");
  } finally {
    release();
  }
});

Deno.test("the cache's signal aborts the fetch: ABORTED, nothing cached, no event", async () => {
  await using srv = serveRobots(200, "User-agent: *\nDisallow: /x\n");
  const controller = new AbortController();
  const events: string[] = [];
  const robots = cache({ signal: controller.signal, onResolved: (e) => events.push(e.outcome) });
  const release = srv.hold();
  const pending = robots.check(`${srv.origin}/x`);
  controller.abort();
  await assert.rejects(pending, (e) => e instanceof TrawlError && e.code === "ABORTED");
  release();
  assert.deepEqual(events, []);
  assert.equal(robots.peek(`${srv.origin}/x`), undefined);
  await assert.rejects(
    robots.check(`${srv.origin}/y`),
    (e) => e instanceof TrawlError && e.code === "ABORTED",
  );
});
