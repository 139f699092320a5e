// The cookie jar, as a user runs it: a site that needs its login cookie on /members/*, a second
// site that must never see it, and curl's cookies.txt in and out.
import assert from "node:assert/strict";
import { parseCookiesTxt } from "../../src/cookies/cookies_txt.ts";
import { parseJsonl, runCli } from "./_run.ts";

function serveSites() {
  const otherCookies: (string | null)[] = [];
  const members: (string | null)[] = [];
  const shop = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const path = new URL(request.url).pathname;
    const cookie = request.headers.get("cookie");
    if (path === "/robots.txt") return new Response("", { status: 404 });
    const html = (body: string) => new Response(body, { headers: { "content-type": "text/html" } });
    if (path === "/login") {
      return new Response(`<title>in</title><a href="/members/1">1</a><a href="/members/2">2</a>`, {
        headers: {
          "content-type": "text/html",
          "set-cookie": "session=s3cret; Path=/; HttpOnly",
        },
      });
    }
    if (path.startsWith("/members/")) {
      members.push(cookie);
      if (!cookie?.includes("session=s3cret")) return new Response("no", { status: 403 });
      return html(`<title>member ${path}</title><a href="${other.url}x">elsewhere</a>`);
    }
    return html("<title>?</title>");
  });
  // The second site: another host name (cookies ignore ports), also on loopback.
  const second = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    otherCookies.push(request.headers.get("cookie"));
    return new Response("<title>other</title>", { headers: { "content-type": "text/html" } });
  });
  const other = { url: `http://localhost:${second.addr.port}/` };
  return {
    login: `http://127.0.0.1:${shop.addr.port}/login`,
    other,
    members,
    otherCookies,
    close: () => Promise.all([shop.shutdown(), second.shutdown()]),
  };
}

Deno.test("cookies: the login cookie opens /members/*, never reaches another site; --no-cookies keeps none", async () => {
  const sites = serveSites();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/seeds.txt`, `${sites.login}\n${sites.other.url}\n`);
    const args = ["crawl", `${dir}/seeds.txt`, "--depth", "2", "--scope", "all", "-q", "-c", "1"];
    const run = await runCli(args);
    assert.equal(run.code, 0, run.stderr);
    const statuses = Object.fromEntries(
      parseJsonl(run.stdout).map((
        r,
      ) => [
        new URL(r.url as string).pathname + new URL(r.url as string).host.split(":")[0],
        r.status,
      ]),
    );
    assert.equal(statuses["/members/1127.0.0.1"], 200);
    assert.equal(statuses["/members/2127.0.0.1"], 200);
    assert.ok(sites.otherCookies.length >= 2, "the other site was crawled (robots.txt, pages)");
    assert.deepEqual(sites.otherCookies.filter((c) => c !== null), [], "no cookie crossed over");

    sites.members.length = 0;
    const none = await runCli([...args, "--no-cookies"]);
    assert.equal(none.code, 0, none.stderr);
    const denied = parseJsonl(none.stdout).filter((r) => (r.url as string).includes("/members/"));
    assert.deepEqual(denied.map((r) => r.status), [403, 403]);
    assert.deepEqual(sites.members, [null, null]);
  } finally {
    await sites.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cookies: --cookies loads curl's cookies.txt, saves the jar back; a bad line is one usage line", async () => {
  const sites = serveSites();
  const dir = await Deno.makeTempDir();
  try {
    const host = "127.0.0.1";
    const members = sites.login.replace("/login", "/members/1");
    await Deno.writeTextFile(`${dir}/seeds.txt`, `${members}\n`);
    // As curl -c writes it: the session cookie of an earlier login, HttpOnly, no expiry.
    await Deno.writeTextFile(
      `${dir}/cookies.txt`,
      `# Netscape HTTP Cookie File\n\n#HttpOnly_${host}\tFALSE\t/\tFALSE\t0\tsession\ts3cret\n` +
        `.example.org\tTRUE\t/\tTRUE\t4102444800\tother\tkept\n`,
    );
    const run = await runCli([
      "crawl",
      `${dir}/seeds.txt`,
      "-q",
      "--cookies",
      `${dir}/cookies.txt`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(parseJsonl(run.stdout)[0].status, 200, "the loaded cookie was sent");
    const saved = parseCookiesTxt(await Deno.readTextFile(`${dir}/cookies.txt`), "saved");
    assert.deepEqual(
      saved.map((c) => [c.domain, c.name, c.value, c.httpOnly, c.includeSubdomains]).sort(),
      [
        ["127.0.0.1", "session", "s3cret", true, false],
        ["example.org", "other", "kept", false, true],
      ],
    );
    // A missing file starts an empty jar, and the crawl's cookies are saved to it.
    await Deno.writeTextFile(`${dir}/seeds.txt`, `${sites.login}\n`);
    const fresh = await runCli(["crawl", `${dir}/seeds.txt`, "-q", "--cookies", `${dir}/new.txt`]);
    assert.equal(fresh.code, 0, fresh.stderr);
    const text = await Deno.readTextFile(`${dir}/new.txt`);
    assert.match(text, /^# Netscape HTTP Cookie File\n/);
    assert.match(text, /\n#HttpOnly_127\.0\.0\.1\tFALSE\t\/\tFALSE\t0\tsession\ts3cret\n/);
    // A malformed line: one line naming the file and the line, before any request.
    await Deno.writeTextFile(`${dir}/bad.txt`, `# Netscape HTTP Cookie File\n${host}\tFALSE\t/\n`);
    const bad = await runCli(["crawl", `${dir}/seeds.txt`, "-q", "--cookies", `${dir}/bad.txt`]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /^trawl: --cookies .*bad\.txt line 2: 3 tab-separated fields, not 7; each line is .*\n$/,
    );
    const both = await runCli(["crawl", `${dir}/seeds.txt`, "--cookies", "c.txt", "--no-cookies"]);
    assert.equal(both.code, 2);
  } finally {
    await sites.close();
    await Deno.remove(dir, { recursive: true });
  }
});
