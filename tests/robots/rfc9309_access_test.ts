/**
 * RFC 9309 (Robots Exclusion Protocol), sections 2.3 to 2.5: where robots.txt
 * is fetched, what each access result means, redirects, caching, the 30-day
 * rule and the parsing limit. Sections 2.1 and 2.2 are in `rfc9309_test.ts`.
 */

import assert from "node:assert/strict";
import { createRobotsCache, MAX_ROBOTS_BYTES } from "../../src/robots/robots_cache.ts";
import { type FetchCall, manualClock, nativeFetchPage, serveRobots } from "./_fixture.ts";

const fetchPage = nativeFetchPage();
const UA = "trawl/0.1 (+https://example.com/bot)";

// ---- 2.3: access ----

Deno.test("2.3 MUST: rules come from /robots.txt of the same scheme, host and port", async () => {
  await using a = serveRobots(200, "User-agent: *\nDisallow: /a-only\n");
  await using b = serveRobots(200, "User-agent: *\nDisallow: /b-only\n");
  const robots = createRobotsCache(fetchPage, { userAgent: UA });
  assert.equal((await robots.check(`${a.origin}/a-only`)).allowed, false);
  assert.equal((await robots.check(`${a.origin}/b-only`)).allowed, true);
  assert.equal((await robots.check(`${b.origin}/a-only`)).allowed, true);
  assert.equal((await robots.check(`${b.origin}/b-only`)).allowed, false);
  assert.equal(a.hits, 1);
  assert.equal(b.hits, 1);
});

Deno.test("2.3.1.1 MUST: a 2xx robots.txt's rules are followed", async () => {
  for (const status of [200, 203]) {
    await using srv = serveRobots(status, "User-agent: *\nDisallow: /no\n");
    const robots = createRobotsCache(fetchPage, { userAgent: UA });
    assert.equal((await robots.check(`${srv.origin}/no`)).allowed, false);
    assert.equal((await robots.check(`${srv.origin}/yes`)).allowed, true);
  }
});

Deno.test("2.3.1.2 SHOULD: five redirects, across hosts, are followed; rules apply to the first authority", async () => {
  await using a = serveRobots(301);
  await using b = serveRobots(404);
  a.reply = { status: 301, location: "/r1" };
  a.routes.set("/r1", { status: 302, location: `${b.origin}/r2` });
  b.routes.set("/r2", { status: 307, location: "/r3" });
  b.routes.set("/r3", { status: 308, location: `${a.origin}/r4` });
  a.routes.set("/r4", { status: 301, location: `${b.origin}/final.txt` });
  b.routes.set("/final.txt", { status: 200, body: "User-agent: *\nDisallow: /private\n" });
  const log: FetchCall[] = [];
  const robots = createRobotsCache(nativeFetchPage({ log, maxRedirects: 5 }), { userAgent: UA });
  assert.equal((await robots.check(`${a.origin}/private/x`)).allowed, false);
  assert.equal((await robots.check(`${a.origin}/public`)).allowed, true);
  // b's own robots.txt (404) governs b, not the file a redirected to.
  assert.equal((await robots.check(`${b.origin}/private/x`)).allowed, true);
  assert.deepEqual(log.map((c) => c.url), [`${a.origin}/robots.txt`, `${b.origin}/robots.txt`]);
});

Deno.test("2.3.1.2 MAY: past the redirects followed, robots.txt counts as unavailable", async () => {
  await using srv = serveRobots(301);
  srv.reply = { status: 301, location: "/loop" };
  srv.routes.set("/loop", { status: 302, location: "/robots.txt" });
  const events: string[] = [];
  const robots = createRobotsCache(nativeFetchPage({ maxRedirects: 5 }), {
    userAgent: UA,
    onResolved: (e) => events.push(`${e.outcome} ${e.status}`),
  });
  const verdict = await robots.check(`${srv.origin}/x`);
  assert.equal(verdict.allowed, true);
  assert.match(verdict.reason ?? "", /TOO_MANY_REDIRECTS/);
  assert.deepEqual(events, ["unavailable 302"]);
});

Deno.test("2.3.1.3 MAY: 4xx (unavailable): everything may be crawled", async () => {
  for (const status of [400, 401, 403, 404, 410, 451, 499]) {
    await using srv = serveRobots(status, "User-agent: *\nDisallow: /\n");
    const robots = createRobotsCache(fetchPage, { userAgent: UA });
    const verdict = await robots.check(`${srv.origin}/anything`);
    assert.equal(verdict.allowed, true, `HTTP ${status}`);
    assert.match(verdict.reason ?? "", new RegExp(`unavailable \\(HTTP ${status}\\)`));
  }
});

Deno.test("2.3.1.4 MUST: 5xx (unreachable): complete disallow", async () => {
  for (const status of [500, 502, 503, 504, 599]) {
    await using srv = serveRobots(status, "User-agent: *\nAllow: /\n");
    const robots = createRobotsCache(fetchPage, { userAgent: UA });
    const verdict = await robots.check(`${srv.origin}/`);
    assert.equal(verdict.allowed, false, `HTTP ${status}`);
    assert.match(verdict.reason ?? "", new RegExp(`unreachable \\(HTTP ${status}\\)`));
  }
});

Deno.test("2.3.1.4 MUST: a network error (unreachable): complete disallow", async () => {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () => new Response(),
  );
  const port = server.addr.port;
  await server.shutdown();
  const robots = createRobotsCache(fetchPage, { userAgent: UA });
  const verdict = await robots.check(`http://127.0.0.1:${port}/page`);
  assert.equal(verdict.allowed, false);
  assert.equal(verdict.error?.code, "CONNECTION_REFUSED");
});

Deno.test("2.3.1.4 MAY: after 30 days unreachable, the last copy fetched is used again", async () => {
  await using srv = serveRobots(200, "User-agent: *\nDisallow: /private\n");
  const clock = manualClock();
  const day = 86_400_000;
  const robots = createRobotsCache(fetchPage, { userAgent: UA, now: clock.now });
  assert.equal((await robots.check(`${srv.origin}/public`)).allowed, true);
  clock.advance(day); // the copy expires...
  srv.reply = { status: 503 }; // ...and the server goes down
  assert.equal((await robots.check(`${srv.origin}/public`)).allowed, false);
  clock.advance(30 * day); // exactly 30 days down: still "complete disallow"
  assert.equal((await robots.check(`${srv.origin}/public`)).allowed, false);
  clock.advance(1);
  assert.equal((await robots.check(`${srv.origin}/public`)).allowed, true);
  const refusal = await robots.check(`${srv.origin}/private`);
  assert.equal(refusal.allowed, false);
  assert.match(
    refusal.reason ?? "",
    /line 2 \(the last copy fetched: robots\.txt unreachable since/,
  );
  assert.equal(srv.hits, 4);
  // It is still fetched again after each retry window; once it answers, its rules apply.
  srv.reply = { status: 200, body: "User-agent: *\nDisallow: /\n" };
  clock.advance(60_000);
  assert.equal((await robots.check(`${srv.origin}/public`)).allowed, false);
});

Deno.test("2.3.1.4 MAY: after 30 days unreachable with no copy, crawl as if there were none", async () => {
  await using srv = serveRobots(500);
  const clock = manualClock();
  const robots = createRobotsCache(fetchPage, {
    userAgent: UA,
    now: clock.now,
    maxUnreachableMs: 1000,
    unreachableRetryMs: 100,
  });
  assert.equal((await robots.check(`${srv.origin}/x`)).allowed, false);
  clock.advance(500);
  assert.equal((await robots.check(`${srv.origin}/x`)).allowed, false);
  clock.advance(501);
  const verdict = await robots.check(`${srv.origin}/x`);
  assert.equal(verdict.allowed, true);
  assert.match(verdict.reason ?? "", /unreachable since .*: crawled as if none/);
  assert.equal(srv.hits, 3);
});

Deno.test("2.3.1.4: one answer in between restarts the 30-day count", async () => {
  await using srv = serveRobots(500);
  const clock = manualClock();
  const robots = createRobotsCache(fetchPage, {
    userAgent: UA,
    now: clock.now,
    maxUnreachableMs: 1000,
    unreachableRetryMs: 100,
    cacheMs: 100,
  });
  assert.equal((await robots.check(`${srv.origin}/x`)).allowed, false);
  clock.advance(900);
  srv.reply = { status: 404 };
  assert.equal((await robots.check(`${srv.origin}/x`)).allowed, true);
  clock.advance(200);
  srv.reply = { status: 500 };
  assert.equal((await robots.check(`${srv.origin}/x`)).allowed, false);
  clock.advance(900); // 2000 ms since the first failure, 900 since the run began
  assert.equal((await robots.check(`${srv.origin}/x`)).allowed, false);
  clock.advance(101);
  assert.equal((await robots.check(`${srv.origin}/x`)).allowed, true); // the 404's "no rules"
});

// ---- 2.4: caching ----

Deno.test("2.4 SHOULD: a cached robots.txt is not used for more than 24 hours", async () => {
  await using srv = serveRobots(200, "User-agent: *\nDisallow: /old\n");
  const clock = manualClock();
  const robots = createRobotsCache(fetchPage, { userAgent: UA, now: clock.now });
  assert.equal((await robots.check(`${srv.origin}/old`)).allowed, false);
  srv.reply = { status: 200, body: "User-agent: *\nDisallow: /new\n" };
  clock.advance(86_400_000 - 1);
  assert.equal((await robots.check(`${srv.origin}/old`)).allowed, false); // the cached copy
  assert.equal(srv.hits, 1);
  clock.advance(1);
  assert.equal((await robots.check(`${srv.origin}/old`)).allowed, true);
  assert.equal((await robots.check(`${srv.origin}/new`)).allowed, false);
  assert.equal(srv.hits, 2);
  assert.throws(
    () => createRobotsCache(fetchPage, { userAgent: UA, cacheMs: 86_400_001 }),
    /cacheMs must be <= 86400000 \(24 hours, RFC 9309\): received 86400001/,
  );
});

Deno.test("2.4: an unreachable robots.txt is fetched again after unreachableRetryMs", async () => {
  await using srv = serveRobots(503);
  const clock = manualClock();
  const robots = createRobotsCache(fetchPage, {
    userAgent: UA,
    now: clock.now,
    unreachableRetryMs: 5000,
  });
  assert.equal((await robots.check(`${srv.origin}/`)).allowed, false);
  clock.advance(4999);
  assert.equal((await robots.check(`${srv.origin}/`)).allowed, false);
  assert.equal(srv.hits, 1);
  srv.reply = { status: 200, body: "" };
  clock.advance(1);
  assert.equal((await robots.check(`${srv.origin}/`)).allowed, true);
  assert.equal(srv.hits, 2);
});

// ---- 2.5: limits ----

Deno.test("2.5 MUST: at least 500 KiB are parsed; a 700 KiB robots.txt keeps the site crawlable", async () => {
  const head = "User-agent: *\nDisallow: /early/\n";
  const line = "# filler filler filler filler filler filler filler filler filler\n";
  const fill = (bytes: number) => line.repeat(Math.ceil(bytes / line.length));
  const text = head + fill(600 * 1024) + "Disallow: /late/\n" + fill(100 * 1024);
  assert.ok(text.length > 700 * 1024 && text.indexOf("/late/") > 600 * 1024);
  await using srv = serveRobots(200, text);
  const log: FetchCall[] = [];
  const robots = createRobotsCache(nativeFetchPage({ log }), { userAgent: UA });
  assert.equal((await robots.check(`${srv.origin}/early/x`)).allowed, false);
  assert.equal((await robots.check(`${srv.origin}/late/x`)).allowed, true);
  assert.equal((await robots.check(`${srv.origin}/page`)).allowed, true);
  assert.equal(log.length, 1);
  assert.ok(log[0].maxBytes! >= 500 * 1024, `maxBytes ${log[0].maxBytes}`);
  assert.equal(log[0].maxBytes, MAX_ROBOTS_BYTES);
  assert.equal(log[0].truncate, true);
});

Deno.test("2.5: a rule right before the cap is used, the line the cap cuts is not", async () => {
  const head = "User-agent: *\n";
  const kept = "Disallow: /kept\n";
  const pad = "#".repeat(MAX_ROBOTS_BYTES - 12 - head.length - kept.length - 1) + "\n";
  const text = head + pad + kept + "Disallow: /cut-in-the-middle\n";
  // The cap falls after "Disallow: /c": parsed, that partial line would refuse /c.
  assert.equal(text.indexOf("Disallow: /cut"), MAX_ROBOTS_BYTES - 12);
  // The fetch layer may also hand back more than asked: the cache cuts it itself.
  for (const uncapped of [false, true]) {
    await using srv = serveRobots(200, text);
    const robots = createRobotsCache(nativeFetchPage({ uncapped }), { userAgent: UA });
    assert.equal((await robots.check(`${srv.origin}/kept`)).allowed, false);
    assert.equal((await robots.check(`${srv.origin}/c`)).allowed, true);
    assert.equal((await robots.check(`${srv.origin}/cut-in-the-middle`)).allowed, true);
  }
});
