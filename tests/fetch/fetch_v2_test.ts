import assert from "node:assert/strict";
import { createFetcher } from "../../src/fetch/fetcher.ts";
import { createMemoryHostPolicy } from "../../src/policy/memory_host_policy.ts";
import type { PermitSlot } from "../../src/policy/host_policy.ts";

type Handler = (request: Request) => Response | Promise<Response>;

function serve(handler: Handler) {
  const hits: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    hits.push(new URL(request.url).pathname);
    return handler(request);
  });
  return { origin: `http://127.0.0.1:${server.addr.port}`, hits, server };
}

Deno.test("fetch v2: a body that does not decompress is DECODE_ERROR and is not retried", async () => {
  const site = serve(() =>
    new Response(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), {
      headers: { "content-type": "text/html", "content-encoding": "gzip" },
    })
  );
  try {
    await using f = createFetcher({ maxRetries: 3, retryBaseMs: 1 });
    const r = await f.fetch(`${site.origin}/broken`);
    assert.equal(r.error?.code, "DECODE_ERROR");
    assert.deepEqual(site.hits, ["/broken"], "one request: a deterministic failure");
  } finally {
    await site.server.shutdown();
  }
});

Deno.test("fetch v2: raw UTF-8 bytes in Location are read as UTF-8, as browsers do", async () => {
  // "\u00c3\u00bc" as a header ByteString is the two bytes C3 BC on the wire: UTF-8 for "ü".
  const site = serve((request) =>
    new URL(request.url).pathname === "/go"
      ? new Response(null, { status: 302, headers: { location: "/\u00c3\u00bc" } })
      : new Response("<title>here</title>", { headers: { "content-type": "text/html" } })
  );
  try {
    await using f = createFetcher();
    const r = await f.fetch(`${site.origin}/go`);
    assert.equal(r.status, 200);
    assert.equal(r.finalUrl, `${site.origin}/%C3%BC`);
    assert.deepEqual(site.hits, ["/go", "/%C3%BC"]);
  } finally {
    await site.server.shutdown();
  }
});

Deno.test("fetch v2: per-request headers, truncate, hooks and a handed-over permit", async () => {
  const site = serve((request) => {
    const path = new URL(request.url).pathname;
    if (path === "/moved") {
      return new Response(null, { status: 301, headers: { location: "/big" } });
    }
    if (path === "/echo") return new Response(request.headers.get("x-run") ?? "none");
    return new Response("x".repeat(10_000), { headers: { "content-type": "text/plain" } });
  });
  try {
    const policy = createMemoryHostPolicy({ maxPerHost: 1 });
    await using f = createFetcher({ hostPolicy: policy });
    const echo = await f.fetch(`${site.origin}/echo`, { headers: { "X-Run": "42" } });
    assert.equal(new TextDecoder().decode(echo.body), "42");
    const redirects: string[] = [];
    const big = await f.fetch(`${site.origin}/moved`, {
      maxBytes: 100,
      truncate: true,
      onRedirect: (e) => redirects.push(`${e.status} ${e.to}`),
    });
    assert.equal(big.error, null);
    assert.equal(big.body.length, 100, "the first maxBytes kept");
    assert.deepEqual(redirects, [`301 ${site.origin}/big`]);
    // A permit held by the caller is used for the first request (maxPerHost 1: a second
    // acquire would wait for ever).
    const held = await policy.tryAcquire(new URL(site.origin).host);
    const slot: PermitSlot = { permit: held };
    const r = await f.fetch(`${site.origin}/echo`, { permit: slot });
    assert.equal(r.status, 200);
    assert.equal(slot.permit, null, "taken");
    await policy.close();
  } finally {
    await site.server.shutdown();
  }
});

Deno.test("fetch v2: idle keep-alive sockets are bounded by maxIdleSockets across origins", async () => {
  const sites = Array.from({ length: 6 }, () => serve(() => new Response("ok")));
  try {
    await using f = createFetcher({ maxIdleSockets: 2 });
    for (const site of sites) await f.fetch(`${site.origin}/`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(f.stats.idleSockets <= 2, `${f.stats.idleSockets} idle`);
    assert.ok(f.stats.sockets <= 3, `${f.stats.sockets} open`);
  } finally {
    await Promise.all(sites.map((s) => s.server.shutdown()));
  }
});
