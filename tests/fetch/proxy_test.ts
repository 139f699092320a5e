// --proxy / FetcherOptions.proxy through a real (tiny) proxy on loopback: it answers CONNECT by
// tunnelling to the target, and absolute-form requests by forwarding them, recording each.
import assert from "node:assert/strict";
import { createFetcher } from "../../src/fetch/fetcher.ts";
import { startBacklogFull } from "./_fixture.ts";
import { startProxy } from "./_proxy_server.ts";

Deno.test({
  name: "fetch: requests go through the proxy when one is given",
  async fn() {
    const target = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("<title>via proxy</title>", { headers: { "content-type": "text/html" } }),
    );
    const proxy = startProxy();
    const fetcher = createFetcher({ proxy: proxy.url, maxRetries: 0, timeoutMs: 5000 });
    try {
      const url = `http://127.0.0.1:${target.addr.port}/page`;
      const result = await fetcher.fetch(url);
      assert.equal(result.error, null);
      assert.equal(result.status, 200);
      assert.match(new TextDecoder().decode(result.body), /via proxy/);
      assert.equal(proxy.seen.length, 1, `the proxy saw: ${proxy.seen}`);
      // undici sends http targets to the proxy in absolute form (https ones would use CONNECT).
      assert.equal(proxy.seen[0], `GET ${url}`);
    } finally {
      await fetcher.close();
      await proxy.close();
      await target.shutdown();
    }
  },
});

Deno.test("fetch: a proxy that does not accept the connection is CONNECT_TIMEOUT", async () => {
  const stalled = await startBacklogFull();
  try {
    await using fetcher = createFetcher({
      proxy: stalled.origin,
      connectTimeoutMs: 150,
      maxRetries: 0,
      timeoutMs: 5000,
    });
    const result = await fetcher.fetch("http://127.0.0.1:9/page");
    assert.equal(result.error?.code, "CONNECT_TIMEOUT", result.error?.message);
    assert.match(result.error!.message, /through the proxy/);
    // The fetcher's own timer, not undici's (which fires after 0.5-1 s whatever the delay).
    assert.ok(result.timings.totalMs < 480, `${result.timings.totalMs} ms`);
  } finally {
    stalled.close();
  }
});

Deno.test("fetch: a proxy that never answers CONNECT (an https target) is CONNECT_TIMEOUT", async () => {
  // Reads the CONNECT request, never replies, and notes when the client hangs up.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const hungUp = Promise.withResolvers<void>();
  const accepting = (async () => {
    for await (const conn of listener) {
      held.push(conn);
      (async () => {
        const buffer = new Uint8Array(4096);
        await conn.read(buffer); // the CONNECT request
        await conn.read(buffer).catch(() => null); // EOF (or a reset) once the client gives up
        hungUp.resolve();
      })();
    }
  })();
  try {
    await using fetcher = createFetcher({
      proxy: `http://127.0.0.1:${listener.addr.port}`,
      connectTimeoutMs: 150,
      maxRetries: 0,
      timeoutMs: 5000,
    });
    const result = await fetcher.fetch("https://127.0.0.1:9/page");
    assert.equal(result.error?.code, "CONNECT_TIMEOUT", result.error?.message);
    assert.ok(result.timings.totalMs < 480, `${result.timings.totalMs} ms`);
    assert.equal(held.length, 1, "the tunnel was asked of the proxy");
    // The unanswered CONNECT is given up too, not left open for undici's default 300 s.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      hungUp.promise.then(() => "hung up"),
      new Promise((r) => timer = setTimeout(() => r("still open"), 3000)),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, "hung up");
  } finally {
    listener.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});
