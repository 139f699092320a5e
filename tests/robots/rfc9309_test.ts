/**
 * RFC 9309 (Robots Exclusion Protocol), one test per MUST and SHOULD, with the
 * RFC's own examples (sections 2.2.2, 2.2.3, 5.1, 5.2) and widely used
 * conformance cases. Every case is served by a loopback server and checked
 * through the cache, as the crawler checks it.
 */

import assert from "node:assert/strict";
import { createRobotsCache, MAX_ROBOTS_BYTES } from "../../src/robots/robots_cache.ts";
import { type FetchCall, manualClock, nativeFetchPage, serveRobots } from "./_fixture.ts";

const fetchPage = nativeFetchPage();
const UA = "trawl/0.1 (+https://example.com/bot)";

type Allowed = (path: string, token?: string) => Promise<boolean>;

/** Serve `body` as robots.txt; `allowed(path, token)` checks a path for a product token. */
async function withRobots(
  body: string | Uint8Array<ArrayBuffer>,
  run: (allowed: Allowed) => Promise<void>,
): Promise<void> {
  await using srv = serveRobots(200, body);
  const caches = new Map<string, ReturnType<typeof createRobotsCache>>();
  await run(async (path, token = "FooBot") => {
    let cache = caches.get(token);
    if (cache === undefined) {
      cache = createRobotsCache(fetchPage, { userAgent: UA, productToken: token });
      caches.set(token, cache);
    }
    return (await cache.check(srv.origin + path)).allowed;
  });
}

/** Assert `allowed` per path, for one token. */
async function expect(
  allowed: Allowed,
  token: string,
  cases: Record<string, boolean>,
): Promise<void> {
  for (const [path, want] of Object.entries(cases)) {
    assert.equal(await allowed(path, token), want, `${token} ${path}`);
  }
}

// ---- 2.1 / 2.2.1: groups and the product token ----

Deno.test("2.2.1 MUST: groups are matched on the product token, case-insensitively", async () => {
  await withRobots("User-agent: FooBot\nDisallow: /private\n", async (allowed) => {
    for (const token of ["FooBot", "foobot", "FOOBOT", "fOObOT"]) {
      await expect(allowed, token, { "/private": false, "/public": true });
    }
    await expect(allowed, "FooBotX", { "/private": true });
  });
});

Deno.test("2.2.1: a browser-style User-Agent obeys its product token's group, not Mozilla's", async () => {
  await using srv = serveRobots(
    200,
    "User-agent: Mozilla\nDisallow: /\n\nUser-agent: ExampleBot\nDisallow: /private\n",
  );
  const userAgent = "Mozilla/5.0 (compatible; ExampleBot/0.1; +https://www.example.com/bot.html)";
  const ours = createRobotsCache(fetchPage, { userAgent, productToken: "ExampleBot" });
  assert.equal((await ours.check(`${srv.origin}/page`)).allowed, true);
  assert.equal((await ours.check(`${srv.origin}/private`)).allowed, false);
  // Without productToken, the User-Agent's first word is the token: the Mozilla group.
  const first = createRobotsCache(fetchPage, { userAgent });
  assert.equal((await first.check(`${srv.origin}/page`)).allowed, false);
});

Deno.test("2.2.1: a User-agent value with a space (FOO BAR) matches on its first word", async () => {
  for (const value of ["FOO BAR", "foo bar", "FoO bAr", "Foo/1.0 Bar"]) {
    await withRobots(`User-Agent: ${value}\nAllow: /x/\nDisallow: /\n`, async (allowed) => {
      await expect(allowed, "Foo", { "/x/y": true, "/a/b": false });
      await expect(allowed, "Bar", { "/a/b": true }); // no group for Bar, no *
    });
  }
  await withRobots(
    "User-Agent: *\nDisallow: /\nUser-Agent: Foo Bar\nAllow: /x/\nDisallow: /\n",
    async (allowed) => {
      await expect(allowed, "Foo", { "/x/y": true });
      await expect(allowed, "Bar", { "/x/y": false }); // falls to *
    },
  );
});

Deno.test("2.2.1 MUST: groups naming the same product token are merged", async () => {
  await withRobots(
    [
      "User-agent: FooBot",
      "Disallow: /a",
      "",
      "User-agent: *",
      "Disallow: /b",
      "",
      "User-agent: foobot",
      "Disallow: /c",
      "Allow: /a/open",
    ].join("\n"),
    async (allowed) => {
      await expect(allowed, "FooBot", { "/a": false, "/c": false, "/a/open": true, "/b": true });
    },
  );
});

Deno.test("2.2.1 MUST: without a matching group * applies; with neither, no rule", async () => {
  await withRobots(
    "User-agent: BarBot\nDisallow: /bar\n\nUser-agent: *\nDisallow: /all\n",
    async (allowed) => {
      await expect(allowed, "FooBot", { "/all": false, "/bar": true });
      await expect(allowed, "BarBot", { "/all": true, "/bar": false });
    },
  );
  await withRobots(
    "user-agent: FooBot\nallow: /\nuser-agent: BarBot\ndisallow: /\nuser-agent: BazBot\ndisallow: /\n",
    async (allowed) => {
      await expect(allowed, "QuxBot", { "/x/y": true });
    },
  );
  await withRobots("", async (allowed) => {
    await expect(allowed, "FooBot", { "/": true, "/x": true });
  });
  await withRobots(
    "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n",
    async (allowed) => {
      await expect(allowed, "FooBot", { "/x/y": false }); // its own group, not *'s allow
    },
  );
});

Deno.test("5.1: the RFC's example file, quxbot's empty group included", async () => {
  const file = [
    "User-Agent: *",
    "Disallow: *.gif$",
    "Disallow: /example/",
    "Allow: /publications/",
    "",
    "User-Agent: foobot",
    "Disallow:/",
    "Allow:/example/page.html",
    "Allow:/example/allowed.gif",
    "",
    "User-Agent: barbot",
    "User-Agent: bazbot",
    "Disallow: /example/page.html",
    "",
    "User-Agent: quxbot",
    "",
  ].join("\n");
  await withRobots(file, async (allowed) => {
    await expect(allowed, "foobot", {
      "/example/page.html": true,
      "/example/allowed.gif": true,
      "/": false,
      "/example/other.html": false,
      "/publications/": false,
    });
    for (const token of ["barbot", "bazbot"]) {
      await expect(allowed, token, {
        "/example/page.html": false,
        "/example/other.html": true,
        "/x.gif": true,
      });
    }
    // An empty group: unrestricted, not *'s rules.
    await expect(allowed, "quxbot", { "/example/": true, "/x.gif": true, "/": true });
    await expect(allowed, "otherbot", {
      "/publications/": true,
      "/example/": false,
      "/a/b.gif": false,
      "/a/b.gif?x": true,
      "/a/b.png": true,
    });
  });
});

Deno.test("5.1: an empty group after `User-agent: * / Disallow: /` is unrestricted", async () => {
  await withRobots("User-agent: *\nDisallow: /\n\nUser-agent: quxbot\n", async (allowed) => {
    await expect(allowed, "quxbot", { "/": true, "/anything": true });
    await expect(allowed, "other", { "/anything": false });
  });
});

Deno.test("2.2: User-agent lines run together into one group across blank lines; rules end the run", async () => {
  const file = [
    "allow: /foo/bar/",
    "",
    "user-agent: FooBot",
    "disallow: /",
    "allow: /x/",
    "user-agent: BarBot",
    "disallow: /",
    "allow: /y/",
    "",
    "",
    "allow: /w/",
    "user-agent: BazBot",
    "",
    "user-agent: FooBot",
    "allow: /z/",
    "disallow: /",
  ].join("\n");
  await withRobots(file, async (allowed) => {
    await expect(allowed, "FooBot", {
      "/x/b": true,
      "/z/d": true,
      "/y/c": false,
      "/foo/bar/": false, // the rule before any group is ignored
    });
    await expect(allowed, "BarBot", { "/y/c": true, "/w/a": true, "/z/d": false });
    await expect(allowed, "BazBot", { "/z/d": true, "/x/b": false });
  });
});

Deno.test("2.2.2 SHOULD: rules outside any group are ignored", async () => {
  await withRobots("Disallow: /\nAllow: /x\n\nUser-agent: FooBot\nDisallow: /y\n", async (a) => {
    await expect(a, "FooBot", { "/z": true, "/y": false });
    await expect(a, "Other", { "/z": true });
  });
});

Deno.test("2.2.4 MUST: Sitemap and unknown records do not end a group", async () => {
  await withRobots(
    "User-agent: BarBot\nSitemap: https://foo.bar/sitemap\nUser-agent: *\nDisallow: /\n",
    async (allowed) => {
      await expect(allowed, "BarBot", { "/": false });
    },
  );
  await withRobots(
    "User-agent: FooBot\nInvalid-Unknown-Line: unknown\nUser-agent: *\nDisallow: /\n",
    async (allowed) => {
      await expect(allowed, "FooBot", { "/": false });
    },
  );
});

Deno.test("2.3.1.5 MUST: unparseable lines are skipped and the parseable rules used", async () => {
  const file = "User-agent: FooBot\n<html>garbage</html>\nDisallow /nocolon\n\u0000\u0007 junk\n" +
    "Disallow: /ok\n\u{1F600}: smile\n";
  await withRobots(file, async (allowed) => {
    await expect(allowed, "FooBot", { "/ok": false, "/nocolon": true, "/other": true });
  });
});

Deno.test("2.2 (ABNF): directive names are case-insensitive", async () => {
  for (
    const file of [
      "USER-AGENT: FooBot\nALLOW: /x/\nDISALLOW: /\n",
      "user-agent: FooBot\nallow: /x/\ndisallow: /\n",
      "uSeR-aGeNt: FooBot\nAlLoW: /x/\ndIsAlLoW: /\n",
    ]
  ) {
    await withRobots(file, async (allowed) => {
      await expect(allowed, "FooBot", { "/x/y": true, "/a/b": false });
    });
  }
});

Deno.test("2.2 (ABNF): whitespace around names, colons and values; # starts a comment", async () => {
  const file = [
    "  User-agent  :   FooBot   # our group",
    "\tDisallow\t:\t/t\t",
    "Disallow: /end$ # the space before # is not part of the rule",
    "# Disallow: /c",
    "Disallow: /d#x",
    "Disallow:/nospace",
  ].join("\n");
  await withRobots(file, async (allowed) => {
    await expect(allowed, "FooBot", {
      "/t": false,
      "/end": false,
      "/end%20": true,
      "/c": true,
      "/d": false,
      "/nospace": false,
    });
  });
});

Deno.test("2.2 (ABNF): lines end in LF, CRLF or CR, mixed in one file", async () => {
  for (const eol of ["\n", "\r\n", "\r"]) {
    const file = ["User-agent: FooBot", "Disallow: /a", "Disallow: /b", "Allow: /b/c", ""]
      .join(eol);
    await withRobots(file, async (allowed) => {
      await expect(allowed, "FooBot", { "/a": false, "/b": false, "/b/c": true, "/c": true });
    });
  }
  await using srv = serveRobots(200, "User-agent: FooBot\r\nDisallow: /a\rDisallow: /b\nAllow: /c");
  const robots = createRobotsCache(fetchPage, { userAgent: UA, productToken: "FooBot" });
  const verdict = await robots.check(`${srv.origin}/b`);
  assert.equal(verdict.allowed, false);
  assert.match(verdict.reason ?? "", /line 3$/); // lines counted across all three endings
});

Deno.test("2.3 MUST (UTF-8): a leading byte order mark is skipped", async () => {
  const text = new TextEncoder().encode("User-agent: FooBot\nDisallow: /x\n");
  const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...text]);
  await withRobots(withBom, async (allowed) => {
    await expect(allowed, "FooBot", { "/x": false, "/y": true });
  });
});

// ---- 2.2.2: matching ----

Deno.test("2.2.2 MUST: the most specific (longest) match wins (5.2's example)", async () => {
  await withRobots(
    "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n",
    async (allowed) => {
      await expect(allowed, "foobot", {
        "/example/page/": true,
        "/example/page/other": true,
        "/example/page/disallowed.gif": false,
      });
    },
  );
  const cases: [string, Record<string, boolean>][] = [
    ["allow: /page\ndisallow: /*.html", { "/page.html": false, "/page": true }],
    ["allow: /x/page.\ndisallow: /*.html", { "/x/page.html": true, "/x/y.html": false }],
    ["disallow: /x\nallow: /x/", { "/x": false, "/x/": true, "/x/y": true }],
    ["allow: /page\ndisallow: /$", { "/": false, "/page.html": true }],
    ["allow: \ndisallow: ", { "/": true, "/x": true }],
  ];
  for (const [rules, want] of cases) {
    await withRobots(`user-agent: FooBot\n${rules}\n`, async (allowed) => {
      await expect(allowed, "FooBot", want);
    });
  }
});

Deno.test("2.2.2 SHOULD: on a tie between allow and disallow, allow wins", async () => {
  const cases: [string, Record<string, boolean>][] = [
    ["allow: /x/page.html\ndisallow: /x/page.html", { "/x/page.html": true }],
    ["disallow: /x/page.html\nallow: /x/page.html", { "/x/page.html": true }],
    ["allow: /\ndisallow: /", { "/": true, "/a": true }],
    ["disallow: /a$\nallow: /a*", { "/a": true }], // equal length, wildcards counted
  ];
  for (const [rules, want] of cases) {
    await withRobots(`user-agent: FooBot\n${rules}\n`, async (allowed) => {
      await expect(allowed, "FooBot", want);
    });
  }
});

Deno.test("2.2.2 SHOULD: path matching is case-sensitive; MUST start at the path's first octet", async () => {
  await withRobots("user-agent: FooBot\ndisallow: /x/\ndisallow: /b\n", async (allowed) => {
    await expect(allowed, "FooBot", { "/x/y": false, "/X/y": true, "/a/b": true, "/bc": false });
  });
});

Deno.test("2.2.2: an empty Disallow matches nothing; a group with no rule allows all", async () => {
  await withRobots(
    "User-agent: other\nDisallow:\nUser-agent: FooBot\nDisallow: /\n",
    async (allowed) => {
      await expect(allowed, "other", { "/x": true }); // and "Disallow:" still ended its run
      await expect(allowed, "FooBot", { "/x": false });
    },
  );
});

Deno.test("2.2.2: /robots.txt is implicitly allowed", async () => {
  await withRobots("User-agent: *\nDisallow: /\n", async (allowed) => {
    await expect(allowed, "FooBot", { "/robots.txt": true, "/robots.txt?x=1": true, "/": false });
  });
});

Deno.test("2.2.2 MUST: percent-encoding is normalized on both sides (the RFC's table)", async () => {
  const file = [
    "User-agent: *",
    "Disallow: /foo/bar?baz=quz",
    "Disallow: /a/ツ",
    "Disallow: /b/%E3%83%84",
    "Disallow: /c/%62%61%7A",
    "Disallow: /d/baz",
    "Disallow: /e/a%2Fb",
  ].join("\n");
  await withRobots(file, async (allowed) => {
    await expect(allowed, "FooBot", {
      "/foo/bar?baz=quz": false,
      "/foo/bar?baz=qux": true,
      // Non-ASCII in the rule, compared UTF-8 percent-encoded.
      "/a/ツ": false,
      "/a/%E3%83%84": false,
      "/a/%e3%83%84": false,
      "/b/ツ": false,
      // Encoded unreserved characters are decoded, in the rule and in the URL.
      "/c/baz": false,
      "/d/%62%61%7A": false,
      // An encoded reserved character stays encoded: %2F is not "/".
      "/e/a%2fb": false,
      "/e/a/b": true,
    });
  });
});

// ---- 2.2.3: special characters ----

Deno.test("2.2.3 MUST: * matches any sequence, $ anchors the end, # starts a comment", async () => {
  const cases: [string, Record<string, boolean>][] = [
    ["disallow: /foo/bar/quz\nallow: /foo/*/qux", {
      "/foo/bar/quz": false,
      "/foo/quz": true,
      "/foo//quz": true,
      "/foo/bax/quz": true,
      "/foo/x/y/qux": true,
    }],
    ["disallow: /foo/bar$\nallow: /foo/bar/qux", {
      "/foo/bar": false,
      "/foo/bar/qux": true,
      "/foo/bar/": true,
      "/foo/bar/baz": true,
      "/foo/barx": true,
    }],
    ["disallow: /*/private/*.pdf$", {
      "/a/private/x.pdf": false,
      "/a/b/private/c/d.pdf": false,
      "/a/private/x.pdf?dl=1": true,
      "/private/x.pdf": true,
    }],
    ["disallow: /this/path/exactly$ # a comment", {
      "/this/path/exactly": false,
      "/this/path/exactly/": true,
    }],
    ["disallow: /**/x***", { "/x": true, "//x": false, "/a/b/x": false }],
    ["disallow: *.gif$", { "/a.gif": false, "/a.gif.png": true }],
  ];
  for (const [rules, want] of cases) {
    await withRobots(`user-agent: FooBot\n${rules}\n`, async (allowed) => {
      await expect(allowed, "FooBot", want);
    });
  }
});

Deno.test("2.2.3 SHOULD: %2A and %24 in a rule match a literal * and $ (the RFC's table)", async () => {
  const file = [
    "User-agent: *",
    "Disallow: /path/file-with-a-%2A.html",
    "Disallow: /path/foo-%24",
    "Disallow: /q/end-%24$",
    "Disallow: /cost$5",
  ].join("\n");
  await withRobots(file, async (allowed) => {
    await expect(allowed, "FooBot", {
      "/path/file-with-a-*.html": false,
      "/path/file-with-a-%2A.html": false,
      "/path/file-with-a-x.html": true, // a literal *, not a wildcard
      "/path/foo-$": false,
      "/path/foo-%24bar": false,
      "/path/foo-": true,
      "/q/end-$": false,
      "/q/end-$x": true,
      // A $ that does not end the rule is a literal $.
      "/cost$5": false,
      "/cost": true,
    });
  });
});

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
