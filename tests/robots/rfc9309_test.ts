/**
 * RFC 9309 (Robots Exclusion Protocol), one test per MUST and SHOULD, with the
 * RFC's own examples (sections 2.2.2, 2.2.3, 5.1, 5.2) and widely used
 * conformance cases. Every case is served by a loopback server and checked
 * through the cache, as the crawler checks it. This file: sections 2.1 and 2.2
 * (groups, product token, matching, special characters, syntax); sections 2.3
 * to 2.5 (access results, redirects, caching, 30 days, size) are in
 * `rfc9309_access_test.ts`.
 */

import assert from "node:assert/strict";
import { createRobotsCache } from "../../src/robots/robots_cache.ts";
import { nativeFetchPage, serveRobots } from "./_fixture.ts";

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
