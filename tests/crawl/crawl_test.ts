import assert from "node:assert/strict";
import { crawl, type CrawlRecord } from "../../mod.ts";
import { serveDemoSite } from "../../examples/demo_site.ts";

type Handler = (request: Request) => Response | Promise<Response>;

/** A local server that also remembers when each path was requested. */
function serve(handler: Handler, hostname = "127.0.0.1") {
  const starts: { path: string; at: number }[] = [];
  const server = Deno.serve({ hostname, port: 0, onListen() {} }, (request) => {
    starts.push({ path: new URL(request.url).pathname, at: performance.now() });
    return handler(request);
  });
  return { url: `http://${hostname}:${server.addr.port}`, starts, server };
}

function html(body: string, init: ResponseInit = {}): Response {
  return new Response(body, { ...init, headers: { "content-type": "text/html", ...init.headers } });
}

async function collect(run: AsyncIterable<CrawlRecord>): Promise<CrawlRecord[]> {
  const records: CrawlRecord[] = [];
  for await (const record of run) records.push(record);
  return records;
}

function gaps(starts: { path: string; at: number }[], prefix: string): number[] {
  const times = starts.filter((s) => s.path.startsWith(prefix)).map((s) => s.at);
  return times.slice(1).map((t, i) => t - times[i]!);
}

Deno.test("crawl(): a library crawl yields records and live stats", async () => {
  const site = serveDemoSite({ pages: 40, slowEvery: 0 });
  try {
    const run = crawl([site.url], { maxDepth: 3 });
    let seenLive = 0;
    const records: CrawlRecord[] = [];
    for await (const record of run) {
      records.push(record);
      seenLive = Math.max(seenLive, run.stats.pages);
    }
    const stats = run.stats.snapshot();
    assert.equal(stats.pages, records.length);
    assert.equal(seenLive, records.length, "stats.pages counted records as they were yielded");
    assert.ok(records.length > 30);
    assert.equal(stats.statuses["200"], records.filter((r) => r.status === 200).length);
    assert.ok(stats.latencyMs.p50 !== null && stats.latencyMs.p95! >= stats.latencyMs.p50);
  } finally {
    await site.shutdown();
  }
});

Deno.test("crawl(): aborting the signal ends the crawl; requests in flight become ABORTED records", async () => {
  const slow = serve(async (request) => {
    if (new URL(request.url).pathname === "/robots.txt") return new Response("", { status: 404 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    return html("<title>slow</title>");
  });
  try {
    const controller = new AbortController();
    const seeds = Array.from({ length: 20 }, (_, i) => `${slow.url}/${i}`);
    const run = crawl(seeds, { maxInFlight: 4, maxPerHost: 4, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const records = await collect(run);
    assert.ok(
      records.length >= 1 && records.length <= 4,
      `only the in-flight URLs: ${records.length}`,
    );
    assert.ok(records.every((r) => r.error?.code === "ABORTED"));
  } finally {
    await slow.server.shutdown();
  }
});

Deno.test("crawl(): followed links may not reach other private addresses, unless allowPrivate", async () => {
  const other = serve(() => html("<title>internal</title>"), "127.0.0.2");
  const page = serve(() =>
    html(
      `<a href="${other.url}/admin">internal</a> <a href="http://169.254.169.254/latest/meta-data/">metadata</a>`,
    )
  );
  try {
    const guarded = await collect(
      crawl([`${page.url}/`], { maxDepth: 1, scope: "all", robots: false }),
    );
    const blocked = guarded.filter((r) => r.error?.code === "BLOCKED_ADDRESS").map((r) => r.url)
      .sort();
    assert.deepEqual(blocked, [`${other.url}/admin`, "http://169.254.169.254/latest/meta-data/"]);
    assert.equal(other.starts.length, 0, "no request reached 127.0.0.2");

    const open = await collect(crawl([`${page.url}/`], {
      maxDepth: 1,
      scope: "all",
      robots: false,
      allowPrivate: true,
      include: [`${other.url}/*`],
    }));
    assert.equal(open.find((r) => r.url === `${other.url}/admin`)?.title, "internal");
  } finally {
    await Promise.all([other.server.shutdown(), page.server.shutdown()]);
  }
});

Deno.test("crawl(): a slow host does not hold up a fast one", async () => {
  const slow = serve(async () => {
    await new Promise((resolve) => setTimeout(resolve, 1200));
    return html("<title>slow</title>");
  });
  const fast = serve(() => html("<title>fast</title>"));
  try {
    const seeds = [
      ...Array.from({ length: 6 }, (_, i) => `${slow.url}/${i}`),
      ...Array.from({ length: 30 }, (_, i) => `${fast.url}/${i}`),
    ];
    const records = await collect(crawl(seeds, { maxInFlight: 8, maxPerHost: 2, robots: false }));
    const order = records.map((r) => r.title);
    const fastDone = order.lastIndexOf("fast");
    assert.ok(
      fastDone < order.indexOf("slow") + 3,
      `fast pages finished while slow ones waited: ${order}`,
    );
    assert.equal(records.length, 36);
  } finally {
    await Promise.all([slow.server.shutdown(), fast.server.shutdown()]);
  }
});

Deno.test("crawl(): --delay and Crawl-delay space out requests to one host", async () => {
  const site = serve((request) => {
    const path = new URL(request.url).pathname;
    if (path === "/robots.txt") return new Response("User-agent: *\nCrawl-delay: 0.15\n");
    return html("<title>p</title>");
  });
  try {
    const seeds = Array.from({ length: 5 }, (_, i) => `${site.url}/d/${i}`);
    await collect(crawl(seeds, { maxPerHost: 8, delayMs: 60, robots: false }));
    // The gap counts between request starts at the crawler; the server sees the first one
    // late by the new connection's set-up, so the first gap it observes may be a little short.
    const [firstGap, ...delayGaps] = gaps(site.starts, "/d/");
    assert.ok(firstGap! >= 30, `first delay gap ${firstGap!.toFixed(1)} ms`);
    for (const gap of delayGaps) assert.ok(gap >= 55, `delay gap ${gap.toFixed(1)} ms`);

    site.starts.length = 0;
    const robotsSeeds = Array.from({ length: 4 }, (_, i) => `${site.url}/c/${i}`);
    await collect(crawl(robotsSeeds, { maxPerHost: 8 }));
    for (const gap of gaps(site.starts, "/c/")) {
      assert.ok(gap >= 140, `crawl-delay gap ${gap.toFixed(1)} ms`);
    }
  } finally {
    await site.server.shutdown();
  }
});

Deno.test("crawl(): a 429 with Retry-After backs that host off", async () => {
  let first = true;
  const site = serve(() => {
    if (first) {
      first = false;
      return new Response("slow down", { status: 429, headers: { "retry-after": "1" } });
    }
    return html("<title>ok</title>");
  });
  try {
    const seeds = Array.from({ length: 3 }, (_, i) => `${site.url}/b/${i}`);
    const records = await collect(crawl(seeds, { maxPerHost: 1, maxRetries: 0, robots: false }));
    assert.equal(records[0]!.status, 429);
    const [afterBackoff] = gaps(site.starts, "/b/");
    assert.ok(
      afterBackoff! >= 950,
      `next request waited out Retry-After: ${afterBackoff!.toFixed(0)} ms`,
    );
  } finally {
    await site.server.shutdown();
  }
});

Deno.test("crawl(): seed intake pauses while the frontier is full (a huge seed list is never read whole)", async () => {
  const site = serve(async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return html("<title>x</title>");
  });
  let pulled = 0;
  let closed = false;
  async function* seeds() {
    try {
      for (let i = 0; i < 1_000_000; i++) {
        pulled++;
        yield `${site.url}/s/${i}`;
      }
    } finally {
      closed = true;
    }
  }
  try {
    const run = crawl(seeds(), { maxQueued: 100, maxPerHost: 4, robots: false });
    let records = 0;
    for await (const _ of run) {
      if (++records === 50) break;
    }
    assert.ok(pulled <= 50 + 100 + 64 + 8, `pulled ${pulled} seeds for 50 records`);
    assert.equal(closed, true, "breaking out closed the seed source");
  } finally {
    await site.server.shutdown();
  }
});

Deno.test("crawl(): maxPages caps admitted URLs and scope keeps other hosts out", async () => {
  const site = serveDemoSite({ pages: 200, slowEvery: 0 });
  try {
    const run = crawl([site.url], { maxDepth: 10, maxPages: 25 });
    const records = await collect(run);
    assert.equal(records.length, 25);
    assert.ok(run.stats.snapshot().links.overLimit > 0);
    assert.ok(records.every((r) => r.url.startsWith(site.url)));
  } finally {
    await site.shutdown();
  }
});

Deno.test("crawl(): maxPages also caps seeds, and seed reading stops once the crawl is full", async () => {
  const site = serve(() => html("<title>s</title>"));
  let pulled = 0;
  function* seeds() {
    for (let i = 0; i < 1_000_000; i++) {
      pulled++;
      yield `${site.url}/s/${i}`;
    }
  }
  try {
    const records = await collect(crawl(seeds(), { maxPages: 10, robots: false }));
    assert.equal(records.length, 10);
    assert.ok(pulled <= 10 + 1, `stopped reading seeds after ${pulled}`);
    const run = crawl([`${site.url}/a`, `${site.url}/b`, `${site.url}/c`], {
      maxPagesPerHost: 2,
      robots: false,
    });
    assert.equal((await collect(run)).length, 2);
    assert.equal(run.stats.overLimitSeeds, 1);
  } finally {
    await site.server.shutdown();
  }
});

Deno.test("crawl(): a script that crawls exits on its own (no timer outlives the crawl)", async () => {
  const site = serveDemoSite({ pages: 5, slowEvery: 0 });
  try {
    const script = `import { crawl } from ${
      JSON.stringify(new URL("../../mod.ts", import.meta.url).href)
    };
      for await (const r of crawl([${
      JSON.stringify(site.url)
    }], { maxDepth: 1 })) console.log(r.status);`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // The robots.txt deadline once kept such a process alive for 30 s after the crawl.
    const guard = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const { code, signal, stdout } = await child.output();
    clearTimeout(guard);
    assert.equal(signal, null, "the process had to be killed: something kept it alive");
    assert.equal(code, 0);
    assert.equal(new TextDecoder().decode(stdout).split("\n").filter((l) => l === "200").length, 3);
  } finally {
    await site.shutdown();
  }
});

Deno.test("crawl(): redirect targets are fetched once per crawl and obey robots.txt", async () => {
  const site = serve((request) => {
    const path = new URL(request.url).pathname;
    const to = (where: string) => new Response(null, { status: 302, headers: { location: where } });
    switch (path) {
      case "/robots.txt":
        return new Response("User-agent: *\nDisallow: /private/\n");
      case "/":
        return html(`<a href="/r1">1</a><a href="/target">t</a><a href="/r2">2</a>
          <a href="/r3">3</a><a href="/r4">4</a>`);
      case "/r1":
      case "/r3":
        return to("/target");
      case "/r2":
        return to("/private/x");
      case "/r4":
        return to("/landing");
      case "/landing":
        // Links back to itself: it was seen as /r4's redirect target, so this is a duplicate.
        return html(`<title>landing</title><a href="/landing">again</a>`);
      default:
        return html(`<title>${path}</title>`);
    }
  });
  try {
    const records = await collect(crawl([`${site.url}/`], { maxDepth: 2 }));
    const byUrl = new Map(records.map((r) => [new URL(r.url).pathname, r]));
    const hits = (path: string) => site.starts.filter((s) => s.path === path).length;
    assert.deepEqual([...byUrl.keys()].sort(), ["/", "/r1", "/r2", "/r3", "/r4", "/target"]);
    // /target was queued as a link from the same page, so the redirects to it are duplicates.
    assert.equal(byUrl.get("/target")?.title, "/target");
    assert.equal(byUrl.get("/r1")?.error?.code, "DUPLICATE_REDIRECT");
    assert.equal(byUrl.get("/r3")?.error?.code, "DUPLICATE_REDIRECT");
    assert.equal(hits("/target"), 1);
    assert.equal(byUrl.get("/r2")?.error?.code, "ROBOTS_DISALLOWED");
    assert.equal(hits("/private/x"), 0);
    // /landing is /r4's record (finalUrl) and is not fetched again through its own link.
    assert.equal(byUrl.get("/r4")?.finalUrl, `${site.url}/landing`);
    assert.equal(byUrl.get("/r4")?.title, "landing");
    assert.equal(hits("/landing"), 1);
  } finally {
    await site.server.shutdown();
  }
});
