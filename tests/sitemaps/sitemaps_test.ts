import assert from "node:assert/strict";
import { crawl } from "../../mod.ts";
import type { CrawlRecord } from "../../src/types.ts";
import { parseJsonl, runCli } from "../cli/_run.ts";

async function gzip(data: Uint8Array | string): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A urlset opened, then 1 GiB of blank lines: gzipped, about 1 MB, built as a stream. */
async function gzipBomb(): Promise<Uint8Array<ArrayBuffer>> {
  const blank = new Uint8Array(1 << 20).fill(0x0a);
  const stream = new ReadableStream<BufferSource>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode("<urlset>"));
      for (let i = 0; i < 1024; i++) controller.enqueue(blank);
      controller.close();
    },
  }).pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const urlset = (origin: string, paths: string[], lastmod?: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` +
  paths.map((p) =>
    `<url><loc>${origin}${p}</loc>${lastmod ? `<lastmod>${lastmod}</lastmod>` : ""}</url>`
  ).join("") + `</urlset>`;

async function serveSite() {
  let origin = "";
  const files = new Map<string, { body: BodyInit; headers: Record<string, string> }>();
  const hits: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const path = new URL(request.url).pathname;
    hits.push(path);
    const file = files.get(path);
    if (file) return new Response(file.body, { headers: file.headers });
    if (/^\/(|[a-z]|z|big-\d+)$/.test(path)) {
      return new Response(`<title>${path}</title><a href="/z">z</a>`, {
        headers: { "content-type": "text/html" },
      });
    }
    return new Response("no", { status: 404 });
  });
  origin = `http://127.0.0.1:${server.addr.port}`;
  const xml = { "content-type": "application/xml" };
  files.set("/robots.txt", {
    body: `User-agent: *\nDisallow: /private\n\nSitemap: ${origin}/sitemap_index.xml\n`,
    headers: { "content-type": "text/plain" },
  });
  files.set("/sitemap_index.xml", {
    body: `<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` +
      [`/s1.xml.gz`, `/s2.xml`, `/s3.txt`, `/sitemap_index.xml`].map((p) =>
        `<sitemap><loc>${origin}${p}</loc></sitemap>`
      ).join("") + `</sitemapindex>`,
    headers: xml,
  });
  // A .gz file, served as what it is.
  files.set("/s1.xml.gz", {
    body: await gzip(urlset(origin, ["/a", "/b"], "2026-11-30")),
    headers: { "content-type": "application/gzip" },
  });
  // Compressed on the wire (Content-Encoding), plus a URL of another site (not followed).
  files.set("/s2.xml", {
    body: await gzip(
      urlset(origin, ["/c"]).replace(
        "</urlset>",
        "<url><loc>http://other.test/x</loc></url></urlset>",
      ),
    ),
    headers: { ...xml, "content-encoding": "gzip" },
  });
  files.set("/s3.txt", {
    body: `${origin}/d\n${origin}/e\n`,
    headers: { "content-type": "text/plain" },
  });
  files.set("/big.xml", {
    body: urlset(origin, Array.from({ length: 60_000 }, (_, i) => `/big-${i}`)),
    headers: xml,
  });
  files.set("/bomb.xml.gz", {
    body: await gzipBomb(),
    headers: { "content-type": "application/gzip" },
  });
  return { origin, hits, close: () => server.shutdown() };
}

const pathOf = (r: CrawlRecord) => new URL(r.url).pathname;

Deno.test("sitemaps: robots.txt -> index -> gzip and text sitemaps: exactly the listed URLs, each sitemap a record, lastmod carried, a self-listing index ends", async () => {
  const site = await serveSite();
  try {
    const records: CrawlRecord[] = [];
    for await (const r of crawl([`${site.origin}/`], { sitemaps: true })) records.push(r);
    const pages = records.filter((r) => r.kind === undefined).map(pathOf).sort();
    assert.deepEqual(pages, ["/", "/a", "/b", "/c", "/d", "/e"]);
    const sitemaps = records.filter((r) => r.kind === "sitemap");
    assert.deepEqual(sitemaps.map(pathOf).sort(), [
      "/s1.xml.gz",
      "/s2.xml",
      "/s3.txt",
      "/sitemap_index.xml",
    ]);
    for (const s of sitemaps) assert.equal(s.error, null, JSON.stringify(s));
    assert.deepEqual(
      sitemaps.find((s) => pathOf(s) === "/s1.xml.gz")!.data,
      { type: "urlset", entries: 2, bytes: urlset(site.origin, ["/a", "/b"], "2026-11-30").length },
    );
    assert.equal(records.find((r) => pathOf(r) === "/a")!.lastmod, "2026-11-30");
    assert.equal(records.find((r) => pathOf(r) === "/c")!.lastmod, undefined);
    // The index listing itself was read once; /z (only linked) was not crawled.
    assert.equal(site.hits.filter((p) => p === "/sitemap_index.xml").length, 1);
    assert.ok(!site.hits.includes("/z"));
  } finally {
    await site.close();
  }
});

Deno.test("sitemaps: a 60,000-URL sitemap and a 1 GiB gzip bomb each end in an error record, memory bounded, the crawl goes on", async () => {
  const site = await serveSite();
  try {
    const before = Deno.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, Deno.memoryUsage().rss)), 20);
    const records: CrawlRecord[] = [];
    for await (
      const r of crawl([`${site.origin}/big.xml`, `${site.origin}/bomb.xml.gz`, `${site.origin}/a`])
    ) records.push(r);
    clearInterval(timer);
    const byPath = new Map(records.map((r) => [pathOf(r), r]));
    assert.equal(byPath.get("/big.xml")?.error?.code, "SITEMAP_TOO_MANY_URLS");
    assert.match(byPath.get("/big.xml")!.error!.message, /more than 50000 entries/);
    assert.equal(byPath.get("/bomb.xml.gz")?.error?.code, "SITEMAP_TOO_LARGE");
    assert.match(byPath.get("/bomb.xml.gz")!.error!.message, /over 52428800 bytes uncompressed/);
    assert.equal(byPath.get("/a")?.status, 200, "the crawl went on");
    assert.equal(records.length, 3, "no page of an over-limit sitemap is crawled");
    const grownMb = (peak - before) / 2 ** 20;
    console.log(`RSS grew ${grownMb.toFixed(0)} MB (peak ${(peak / 2 ** 20).toFixed(0)} MB)`);
    assert.ok(grownMb < 250, `RSS grew ${grownMb.toFixed(0)} MB reading a 1 GiB bomb`);
  } finally {
    await site.close();
  }
});

Deno.test("sitemaps: --sitemaps and --sitemap on the command line", async () => {
  const site = await serveSite();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/seeds.txt`, `${site.origin}/\n`);
    const run = await runCli([
      "crawl",
      `${dir}/seeds.txt`,
      "--sitemap",
      `${site.origin}/s3.txt`,
      "-q",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const records = parseJsonl(run.stdout);
    assert.deepEqual(
      records.map((r) => `${r.kind ?? "page"} ${new URL(r.url as string).pathname}`).sort(),
      ["page /", "page /d", "page /e", "sitemap /s3.txt"],
    );
    const all = await runCli(["crawl", `${dir}/seeds.txt`, "--sitemaps", "-q"]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(parseJsonl(all.stdout).length, 10);
  } finally {
    await site.close();
    await Deno.remove(dir, { recursive: true });
  }
});
