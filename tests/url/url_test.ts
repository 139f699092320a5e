import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalHref, hostOf, normalizeUrl, parseHttpUrl } from "../../src/url.ts";
import { TrawlError } from "../../src/trawl_error.ts";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof TrawlError, `expected TrawlError, got ${e}`);
    return e.code;
  }
  return undefined;
}

Deno.test("normalizeUrl lowercases scheme and host", () => {
  assert.equal(normalizeUrl("HTTPS://WWW.Example.COM/Path"), "https://www.example.com/Path");
});

Deno.test("normalizeUrl turns IDN hosts into punycode", () => {
  assert.equal(normalizeUrl("http://münchen.DE/"), "http://xn--mnchen-3ya.de/");
  assert.equal(normalizeUrl("http://例え.テスト/"), "http://xn--r8jz45g.xn--zckzah/");
});

Deno.test("normalizeUrl removes default ports and keeps others", () => {
  assert.equal(normalizeUrl("http://a.com:80/"), "http://a.com/");
  assert.equal(normalizeUrl("https://a.com:443/"), "https://a.com/");
  assert.equal(normalizeUrl("http://a.com:443/"), "http://a.com:443/");
  assert.equal(normalizeUrl("https://a.com:8080/x"), "https://a.com:8080/x");
});

Deno.test("normalizeUrl removes the fragment", () => {
  assert.equal(normalizeUrl("http://a.com/x#frag"), "http://a.com/x");
  assert.equal(normalizeUrl("http://a.com/x?q=1#"), "http://a.com/x?q=1");
});

Deno.test("normalizeUrl resolves dot segments, escaped ones included", () => {
  assert.equal(normalizeUrl("http://a.com/a/./b/../c"), "http://a.com/a/c");
  assert.equal(normalizeUrl("http://a.com/a/%2e%2E/c"), "http://a.com/c");
  assert.equal(normalizeUrl("http://a.com/../../x"), "http://a.com/x");
});

Deno.test("normalizeUrl decodes escaped unreserved characters in path and query", () => {
  assert.equal(
    normalizeUrl("http://a.com/%7Euser/%41%62%2D%5F%2e%30?k=%7e%41"),
    "http://a.com/~user/Ab-_.0?k=~A",
  );
});

Deno.test("normalizeUrl uppercases the hex of other escapes", () => {
  assert.equal(
    normalizeUrl("http://a.com/a%2fb%c3%a4?x=%2f%3d"),
    "http://a.com/a%2Fb%C3%A4?x=%2F%3D",
  );
});

Deno.test("normalizeUrl escapes a stray percent sign", () => {
  assert.equal(normalizeUrl("http://a.com/100%?p=%zz"), "http://a.com/100%25?p=%25zz");
  // would otherwise become %41 and then A on a second pass
  assert.equal(normalizeUrl("http://a.com/%4%31"), "http://a.com/%2541");
});

Deno.test("normalizeUrl makes an empty path '/'", () => {
  assert.equal(normalizeUrl("http://a.com"), "http://a.com/");
  assert.equal(normalizeUrl("http://a.com?q"), "http://a.com/?q");
});

Deno.test("normalizeUrl keeps the query order and an empty query", () => {
  assert.equal(normalizeUrl("http://a.com/?b=2&a=1&b=1"), "http://a.com/?b=2&a=1&b=1");
  assert.equal(normalizeUrl("http://a.com/x?"), "http://a.com/x?");
});

Deno.test("normalizeUrl resolves relative links against a base", () => {
  assert.equal(normalizeUrl("../x?y#z", "https://a.com/p/q/r"), "https://a.com/p/x?y");
  assert.equal(normalizeUrl("//B.com/", new URL("https://a.com/")), "https://b.com/");
});

Deno.test("normalizeUrl canonicalizes odd IPv4 forms and IPv6", () => {
  assert.equal(normalizeUrl("http://0x7f.1/"), "http://127.0.0.1/");
  assert.equal(normalizeUrl("http://0177.0.0.1/"), "http://127.0.0.1/");
  assert.equal(normalizeUrl("http://[0:0::1]:80/"), "http://[::1]/");
});

Deno.test("ordinary IP hosts parse: the address guard, not the parser, judges them", () => {
  assert.equal(normalizeUrl("http://127.0.0.1:8080/a"), "http://127.0.0.1:8080/a");
  assert.equal(normalizeUrl("http://10.1.2.3/"), "http://10.1.2.3/");
  assert.equal(normalizeUrl("https://1.0.0.1/"), "https://1.0.0.1/");
  assert.equal(normalizeUrl("http://[::ffff:7f00:1]/"), "http://[::ffff:7f00:1]/");
  assert.equal(normalizeUrl("x/8080", "http://10.0.0.1/"), "http://10.0.0.1/x/8080");
  // Relative to a numeric base, "http:8080" is a path: the base's host is not the link's fault.
  assert.equal(normalizeUrl("http:8080//x", "http://10.0.0.1/"), "http://10.0.0.1/8080//x");
});

/** The INVALID_URL message of `normalizeUrl(input, base)`. */
function invalidMessage(input: string, base?: string): string {
  try {
    normalizeUrl(input, base);
  } catch (e) {
    assert.ok(e instanceof TrawlError && e.code === "INVALID_URL", String(e));
    return e.message;
  }
  assert.fail(`${input} was accepted`);
}

Deno.test("a port typed before the slashes (http:8080//host/) is refused with the fix", () => {
  assert.equal(new URL("http:8080//127.0.0.1/").host, "0.0.31.144"); // what WHATWG makes of it
  assert.match(
    invalidMessage("http:8080//127.0.0.1/"),
    /did you mean http:\/\/127\.0\.0\.1:8080\/\?$/,
  );
  assert.match(
    invalidMessage("HTTPS:443//example.com/a?b=1"),
    /did you mean https:\/\/example\.com:443\/a\?b=1\?$/,
  );
  assert.match(
    invalidMessage("http://8080//localhost/x"),
    /did you mean http:\/\/localhost:8080\/x\?/,
  );
  assert.match(
    invalidMessage("http:8080//127.0.0.1/"),
    /^Invalid URL "http:8080\/\/127\.0\.0\.1\/"/,
  );
});

Deno.test("a host written as one bare number is refused, naming the number", () => {
  for (
    const [input, number, address] of [
      ["http://8080/", "8080", "0.0.31.144"],
      ["http://2130706433/", "2130706433", "127.0.0.1"],
      ["http://0x7f000001:81/x", "0x7f000001", "127.0.0.1"],
      ["https://user:pw@3232235521/", "3232235521", "192.168.0.1"],
      ["//134744072/", "134744072", "8.8.8.8"],
    ]
  ) {
    const message = invalidMessage(input, "http://a.test/");
    assert.ok(
      message.includes(`the host parses as the number ${number} (the IPv4 address ${address})`),
      message,
    );
  }
});

Deno.test("a host in 0.0.0.0/8 is refused however it is written", () => {
  for (
    const input of ["http://0.0.0.0/", "http://0.1.2.3:8080/", "http://0.0.0.1./", "http://0x0.1/"]
  ) {
    assert.match(invalidMessage(input), /is in 0\.0\.0\.0\/8/, input);
  }
  assert.match(invalidMessage("/x", "http://0.0.0.0/"), /0\.0\.0\.0 is in 0\.0\.0\.0\/8/);
  assert.equal(codeOf(() => parseHttpUrl("http://0.0.0.0:8000/")), "INVALID_URL");
});

Deno.test("normalizeUrl rejects unparsable input with INVALID_URL naming it", () => {
  assert.equal(codeOf(() => normalizeUrl("not a url")), "INVALID_URL");
  assert.equal(codeOf(() => normalizeUrl("http://exa mple.com/")), "INVALID_URL");
  assert.equal(codeOf(() => normalizeUrl("x", "also bad")), "INVALID_URL");
  assert.throws(() => normalizeUrl("not a url"), /"not a url"/);
});

Deno.test("normalizeUrl rejects other schemes with UNSUPPORTED_SCHEME", () => {
  for (const u of ["ftp://a.com/", "mailto:x@a.com", "javascript:alert(1)", "file:///etc/passwd"]) {
    assert.equal(codeOf(() => normalizeUrl(u)), "UNSUPPORTED_SCHEME", u);
  }
  assert.throws(() => normalizeUrl("ftp://a.com/"), /"ftp"/);
});

Deno.test("hostOf returns host with non-default port", () => {
  assert.equal(hostOf("https://A.com:8443/x"), "a.com:8443");
  assert.equal(hostOf("http://a.com:80/x"), "a.com");
  assert.equal(codeOf(() => hostOf("nope")), "INVALID_URL");
});

// ---- properties ----

const oddCase = (s: string) =>
  fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((flags) =>
    [...s].map((c, i) => (flags[i] ? c.toUpperCase() : c)).join("")
  );

const label = fc.oneof(
  fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/),
  fc.constantFrom("münchen", "例え", "bücher", "xn--mnchen-3ya", "ÉCOLE"),
).chain(oddCase);

const host = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => [...ls, "com"].join(".")),
  fc.constantFrom("127.0.0.1", "0x7f.1", "2130706433", "[::1]", "[::FFFF:7f00:1]", "LocalHost"),
);

const port = fc.oneof(
  fc.constant(""),
  fc.constantFrom(":80", ":443", ":8080", ":"),
  fc.integer({ min: 1, max: 65535 }).map((p) => `:${p}`),
);

const escape = fc.integer({ min: 0, max: 255 }).chain((b) => {
  const hex = b.toString(16).padStart(2, "0");
  return fc.constantFrom(`%${hex}`, `%${hex.toUpperCase()}`);
});

const pathChar = fc.oneof(
  fc.constantFrom("a", "Z", "0", "-", "_", "~", ".", "!", "$", "&", "'", "(", "*", "+", ",", ";"),
  fc.constantFrom("=", ":", "@", "%", " ", "ä", "\u{1F600}", "\\", '"', "<", ">", "`", "{", "|"),
  escape,
);

const segment = fc.oneof(
  fc.constantFrom(".", "..", "%2e", "%2E%2e", ".%2e", ""),
  fc.array(pathChar, { maxLength: 6 }).map((cs) => cs.join("")),
);

const path = fc.array(segment, { maxLength: 5 }).map((ss) => ss.map((s) => `/${s}`).join(""));

const query = fc.oneof(
  fc.constant(""),
  fc.constant("?"),
  fc.array(fc.oneof(pathChar, fc.constantFrom("?", "/", "=", "&", "'")), { maxLength: 10 }).map((
    cs,
  ) => `?${cs.join("")}`),
);

const fragment = fc.oneof(fc.constant(""), fc.string({ maxLength: 5 }).map((s) => `#${s}`));

const scheme = fc.constantFrom("http", "https").chain(oddCase);

const rawUrl = fc.tuple(scheme, host, port, path, query, fragment).map(([s, h, p, pa, q, f]) =>
  `${s}://${h}${p}${pa}${q}${f}`
);

Deno.test("property: normalizing twice changes nothing", () => {
  fc.assert(
    fc.property(rawUrl, (raw) => {
      let once: string;
      try {
        once = normalizeUrl(raw);
      } catch (e) {
        // some generated hosts are invalid (e.g. a bad label): must be INVALID_URL then
        assert.ok(e instanceof TrawlError && e.code === "INVALID_URL", String(e));
        return;
      }
      assert.equal(normalizeUrl(once), once);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("property: output has no fragment, default port, lowercase escapes or escaped unreserved", () => {
  fc.assert(
    fc.property(rawUrl, (raw) => {
      let out: string;
      try {
        out = normalizeUrl(raw);
      } catch {
        return;
      }
      const u = new URL(out);
      assert.ok(!out.includes("#"), out);
      assert.notEqual(u.port, u.protocol === "http:" ? "80" : "443", out);
      assert.ok(!out.startsWith(`${u.protocol}//${u.hostname}:/`), out);
      assert.equal(u.host, u.host.toLowerCase());
      assert.ok(!/%[0-9a-f][a-f]|%[a-f][0-9A-F]/.test(out), out);
      assert.ok(!/%(?:[46][1-9A-F]|[57][0-9A]|3[0-9]|2D|2E|5F|7E)/.test(out), out);
      assert.ok(u.pathname.startsWith("/"), out);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("property: normalizing against a base equals normalizing the resolved URL", () => {
  fc.assert(
    fc.property(rawUrl, path, query, (base, rel, q) => {
      const link = `.${rel}${q}`;
      let resolved: string;
      try {
        resolved = new URL(link, base).href;
      } catch {
        return;
      }
      assert.equal(normalizeUrl(link, base), normalizeUrl(resolved));
    }),
    { numRuns: 500 },
  );
});

Deno.test("property: the canonical form parses back to itself, host included (the frontier parses once)", () => {
  fc.assert(
    fc.property(rawUrl, (raw) => {
      let url: URL;
      try {
        url = parseHttpUrl(raw);
      } catch {
        return;
      }
      const out = canonicalHref(url);
      assert.equal(out, normalizeUrl(raw));
      const again = new URL(out);
      assert.equal(again.href, out);
      assert.equal(again.host, url.host);
      assert.equal(again.origin, url.origin);
    }),
    { numRuns: 2000 },
  );
});
