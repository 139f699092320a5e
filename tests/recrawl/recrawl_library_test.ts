import assert from "node:assert/strict";
import { crawl, createMemoryPageHistory } from "../../mod.ts";

Deno.test("crawl() with a memory page history: a second run is unchanged, a page that went away is gone", async () => {
  let linked = true;
  let hits = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/robots.txt") return new Response("", { status: 404 });
    hits++;
    const body = path === "/" && linked ? `<a href="/a">a</a><a href="/b">b</a>` : "<p>leaf</p>";
    return new Response(`<title>${path}</title>${body}`, {
      headers: { "content-type": "text/html" },
    });
  });
  const seed = `http://127.0.0.1:${server.addr.port}/`;
  const history = createMemoryPageHistory();
  const run = async () => {
    await history.startRun();
    const changes: Record<string, string> = {};
    for await (const record of crawl([seed], { maxDepth: 1, history, allowPrivate: true })) {
      changes[new URL(record.url).pathname] = record.change!;
    }
    return changes;
  };
  try {
    assert.deepEqual(await run(), { "/": "new", "/a": "new", "/b": "new" });
    assert.deepEqual(await run(), { "/": "unchanged", "/a": "unchanged", "/b": "unchanged" });
    linked = false;
    assert.deepEqual(await run(), { "/": "changed", "/a": "gone", "/b": "gone" });
    hits = 0;
    // minAgeMs: nothing fetched, "/" reported unchanged from its memo.
    const records = [];
    await history.startRun();
    for await (const r of crawl([seed], { history, minAgeMs: 3_600_000, allowPrivate: true })) {
      records.push(r);
    }
    assert.equal(hits, 0);
    assert.deepEqual(records.map((r) => [r.change, r.title]), [["unchanged", "/"]]);
  } finally {
    await server.shutdown();
  }
});
