// HTTP_PROXY / HTTPS_PROXY / NO_PROXY, as curl, wget and Node tools honour them: the CLI in a
// subprocess with those variables set, against a loopback site and loopback proxies.
import assert from "node:assert/strict";
import { startProxy } from "../fetch/_proxy_server.ts";
import { parseJsonl, runCli } from "./_run.ts";

Deno.test("env proxies: HTTP_PROXY is used, NO_PROXY bypasses it, --proxy wins, --no-env-proxy ignores it", async () => {
  const site = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) =>
      new URL(request.url).pathname === "/robots.txt"
        ? new Response("", { status: 404 })
        : new Response("<title>ok</title>", { headers: { "content-type": "text/html" } }),
  );
  const envProxy = startProxy();
  const flagProxy = startProxy();
  const dir = await Deno.makeTempDir();
  const page = `http://127.0.0.1:${site.addr.port}/`;
  try {
    await Deno.writeTextFile(`${dir}/seeds.txt`, `${page}\n`);
    const crawl = async (env: Record<string, string>, ...flags: string[]) => {
      envProxy.seen.length = 0;
      flagProxy.seen.length = 0;
      const run = await runCli(["crawl", `${dir}/seeds.txt`, "-q", ...flags], { env });
      assert.equal(run.code, 0, run.stderr);
      const [record] = parseJsonl(run.stdout);
      assert.equal(record.status, 200, JSON.stringify(record));
      return { env: [...envProxy.seen], flag: [...flagProxy.seen] };
    };
    const viaEnv = await crawl({ HTTP_PROXY: envProxy.url });
    assert.deepEqual(viaEnv.env.sort(), [`GET ${page}`, `GET ${page}robots.txt`].sort());
    // Lowercase is read too (and wins, as curl has it).
    assert.equal((await crawl({ http_proxy: envProxy.url })).env.length, 2);
    assert.deepEqual(await crawl({ HTTP_PROXY: envProxy.url, NO_PROXY: "localhost,127.0.0.1" }), {
      env: [],
      flag: [],
    });
    // HTTPS_PROXY is for https targets only: an http page goes direct.
    assert.deepEqual((await crawl({ HTTPS_PROXY: envProxy.url })).env, []);
    const flagWins = await crawl({ HTTP_PROXY: envProxy.url }, "--proxy", flagProxy.url);
    assert.deepEqual(flagWins.env, []);
    assert.equal(flagWins.flag.length, 2);
    assert.deepEqual(await crawl({ HTTP_PROXY: envProxy.url }, "--no-env-proxy"), {
      env: [],
      flag: [],
    });
    // A variable that is not a URL is one line naming it, before any request.
    const bad = await runCli(["crawl", `${dir}/seeds.txt`, "-q"], { env: { HTTP_PROXY: "::" } });
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /^trawl: the HTTP_PROXY environment variable must be a URL: received "::"\n$/,
    );
  } finally {
    await Promise.all([envProxy.close(), flagProxy.close(), site.shutdown()]);
    await Deno.remove(dir, { recursive: true });
  }
});
