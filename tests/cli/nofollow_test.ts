import assert from "node:assert/strict";
import { parseJsonl, runCli } from "./_run.ts";

Deno.test("nofollow: rel=nofollow links and meta robots nofollow are not followed, noindex pages give no data; --ignore-nofollow", async () => {
  const pages: Record<string, string> = {
    "/": `<title>home</title><a href="/a">a</a><a href="/b" rel="nofollow">b</a><a href="/c">c</a>`,
    "/a": `<title>a</title><meta name="robots" content="nofollow"><a href="/d">d</a>`,
    "/b": `<title>b</title>`,
    "/c": `<title>c</title><meta name="robots" content="noindex"><h1>secret</h1>`,
    "/d": `<title>d</title>`,
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const body = pages[new URL(request.url).pathname];
    return body === undefined
      ? new Response("", { status: 404 })
      : new Response(body, { headers: { "content-type": "text/html" } });
  });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/seeds.txt`, `http://127.0.0.1:${server.addr.port}/\n`);
    const crawl = async (...flags: string[]) => {
      const run = await runCli([
        "crawl",
        `${dir}/seeds.txt`,
        "--depth",
        "3",
        "--select",
        "h1=h1",
        "--stats",
        `${dir}/stats.json`,
        ...flags,
      ]);
      assert.equal(run.code, 0, run.stderr);
      const records = parseJsonl(run.stdout);
      const stats = JSON.parse(await Deno.readTextFile(`${dir}/stats.json`));
      return { records, stats, stderr: run.stderr };
    };
    const honoured = await crawl();
    assert.deepEqual(honoured.records.map((r) => new URL(r.url as string).pathname).sort(), [
      "/",
      "/a",
      "/c",
    ]);
    const c = honoured.records.find((r) => (r.url as string).endsWith("/c"))!;
    assert.equal(c.noindex, true);
    assert.equal(c.data, null);
    assert.equal(honoured.stats.links.nofollow, 2); // /b (rel) and /d (meta robots)
    assert.match(honoured.stderr, /, 2 nofollow/);

    const ignored = await crawl("--ignore-nofollow");
    assert.deepEqual(
      ignored.records.map((r) => new URL(r.url as string).pathname).sort(),
      ["/", "/a", "/b", "/c", "/d"],
    );
    const c2 = ignored.records.find((r) => (r.url as string).endsWith("/c"))!;
    assert.deepEqual(c2.data, { h1: "secret" });
    assert.equal(ignored.stats.links.nofollow, 0);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
