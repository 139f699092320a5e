// What only a raw TCP server shows: raw header bytes, and connections open at the server side.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createFetcher, type FetcherOptions } from "../../src/fetch/fetcher.ts";
import { rawResponse, startRawServers } from "./_raw_server.ts";

const FAST: FetcherOptions = {
  retryBaseMs: 5,
  connectTimeoutMs: 500,
  headersTimeoutMs: 500,
  bodyIdleTimeoutMs: 500,
  timeoutMs: 5000,
};

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = performance.now() + ms;
  while (!check() && performance.now() < end) await new Promise((r) => setTimeout(r, 10));
}

Deno.test("wire: Location bytes are read as UTF-8 first (raw /ü becomes /%C3%BC), latin1 otherwise", async () => {
  const utf8 = Buffer.from("/ü", "utf8").toString("latin1"); // bytes 2F C3 BC
  const latin1 = Buffer.from("/ü", "latin1").toString("latin1"); // bytes 2F FC
  await using servers = await startRawServers(1, (line) => {
    if (line.startsWith("GET /utf8 ")) return rawResponse("302 Found", [`location: ${utf8}`]);
    if (line.startsWith("GET /latin1 ")) return rawResponse("302 Found", [`location: ${latin1}`]);
    return rawResponse("200 OK", ["content-type: text/plain"], "umlaut");
  });
  const [origin] = servers.origins;
  await using f = createFetcher(FAST);
  for (const path of ["/utf8", "/latin1"]) {
    const r = await f.fetch(`${origin}${path}`);
    assert.equal(r.error, null, path);
    assert.equal(r.finalUrl, `${origin}/%C3%BC`, path);
    assert.equal(new TextDecoder().decode(r.body), "umlaut");
  }
  assert.deepEqual(servers.requests, [
    "GET /utf8 HTTP/1.1",
    "GET /%C3%BC HTTP/1.1",
    "GET /latin1 HTTP/1.1",
    "GET /%C3%BC HTTP/1.1",
  ]);
});

Deno.test("wire: idle keep-alive sockets over all origins are bounded by maxIdleSockets", async () => {
  const origins = 12;
  await using servers = await startRawServers(
    origins,
    () => rawResponse("200 OK", ["content-type: text/plain"], "ok"),
  );
  {
    // The control: without a tight bound every origin keeps its idle socket (keepAliveTimeoutMs 4 s).
    await using f = createFetcher({ ...FAST, maxIdleSockets: 64 });
    for (const origin of servers.origins) assert.equal((await f.fetch(`${origin}/`)).status, 200);
    // undici marks a socket idle one event-loop turn after its response.
    await until(() => servers.open === origins && f.stats.idleSockets === origins);
    assert.equal(servers.open, origins);
    assert.equal(f.stats.idleSockets, origins);
  }
  await until(() => servers.open === 0);
  {
    await using f = createFetcher({ ...FAST, maxIdleSockets: 4 });
    for (const origin of servers.origins) assert.equal((await f.fetch(`${origin}/`)).status, 200);
    await until(() => servers.open <= 4 && f.stats.idleSockets === 4);
    assert.equal(servers.open, 4, "the least recently used idle sockets were closed");
    assert.equal(f.stats.idleSockets, 4);
    assert.equal(f.stats.sockets, 4);
    // The most recently used origins kept theirs: fetching from them opens nothing new.
    const before = servers.requests.length;
    for (const origin of servers.origins.slice(-4)) await f.fetch(`${origin}/again`);
    assert.equal(servers.requests.length, before + 4);
    assert.equal(servers.open, 4);
    // Busy sockets are never closed: concurrent fetches over every origin all succeed.
    const results = await Promise.all(
      servers.origins.flatMap((o) => [0, 1, 2].map((i) => f.fetch(`${o}/busy/${i}`))),
    );
    assert.ok(results.every((r) => r.status === 200), "all answered");
    await until(() => servers.open <= 4);
    assert.ok(servers.open <= 4, `${servers.open} open after the burst`);
  }
});
