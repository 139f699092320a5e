import assert from "node:assert/strict";
import { CLI, parseJsonl, runCli } from "./_run.ts";

/**
 * A site of 12 pages linked from `/`: pages 0-3 carry an ETag, 4-7 a Last-Modified,
 * 8-11 neither. It answers conditional requests as a server should, and logs every
 * page request with its conditional headers and whether a body was sent.
 */
function serveSite() {
  const version = new Map<string, number>();
  const deleted = new Set<string>();
  const unlinked = new Set<string>();
  const log: { path: string; conditional: boolean; status: number; body: boolean }[] = [];
  const pages = Array.from({ length: 12 }, (_, i) => `/p${i}`);
  const lastModified = new Date("2026-11-01T00:00:00Z");
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/robots.txt") return new Response("nope", { status: 404 });
    const ifNoneMatch = request.headers.get("if-none-match");
    const ifModifiedSince = request.headers.get("if-modified-since");
    const entry = {
      path,
      conditional: ifNoneMatch !== null || ifModifiedSince !== null,
      status: 200,
      body: true,
    };
    log.push(entry);
    if (deleted.has(path)) {
      entry.status = 404;
      return new Response("gone", { status: 404 });
    }
    const v = version.get(path) ?? 1;
    const links = path === "/" ? pages.filter((p) => !unlinked.has(p)) : [];
    const html = `<html><head><title>${path} v${v}</title></head><body>` +
      links.map((p) => `<a href="${p}">${p}</a>`).join("") + `</body></html>`;
    const headers: Record<string, string> = { "content-type": "text/html; charset=utf-8" };
    const n = path === "/" ? -1 : Number(path.slice(2));
    if (n >= 0 && n < 4) {
      const etag = `"${path}-v${v}"`;
      headers.etag = etag;
      if (ifNoneMatch === etag) {
        entry.status = 304;
        entry.body = false;
        return new Response(null, { status: 304, headers: { etag } });
      }
    } else if (n >= 4 && n < 8) {
      const modified = new Date(lastModified.getTime() + (v - 1) * 86_400_000);
      headers["last-modified"] = modified.toUTCString();
      if (ifModifiedSince !== null && Date.parse(ifModifiedSince) >= modified.getTime()) {
        entry.status = 304;
        entry.body = false;
        return new Response(null, { status: 304 });
      }
    }
    return new Response(html, { headers });
  });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return { server, origin, version, deleted, unlinked, log };
}

type Rec = { url: string; change?: string; status: number | null; title: string | null };

Deno.test("recrawl: new, then unchanged through 304s and body hashes, then exactly the changed and gone pages", async () => {
  const dir = await Deno.makeTempDir();
  const site = serveSite();
  try {
    await Deno.writeTextFile(`${dir}/seeds.txt`, `${site.origin}/\n`);
    const crawl = async (out: string, ...extra: string[]) => {
      const run = await runCli([
        "crawl",
        `${dir}/seeds.txt`,
        "--depth",
        "1",
        "--state",
        `${dir}/state.db`,
        "-o",
        `${dir}/${out}`,
        "--stats",
        `${dir}/${out}.stats.json`,
        ...extra,
      ]);
      assert.equal(run.code, 0, run.stderr);
      const records = parseJsonl(await Deno.readTextFile(`${dir}/${out}`)) as unknown as Rec[];
      const stats = JSON.parse(await Deno.readTextFile(`${dir}/${out}.stats.json`));
      return { records, stats, stderr: run.stderr };
    };
    const byChange = (records: Rec[]) => {
      const groups: Record<string, string[]> = {};
      for (const r of records) (groups[r.change!] ??= []).push(new URL(r.url).pathname);
      for (const list of Object.values(groups)) list.sort();
      return groups;
    };

    // Run 1: everything is new.
    const one = await crawl("run1.jsonl");
    assert.equal(one.records.length, 13);
    assert.deepEqual(Object.keys(byChange(one.records)), ["new"]);
    assert.deepEqual(one.stats.changes, { new: 13, changed: 0, unchanged: 0, gone: 0 });

    // Without --recrawl the finished crawl stays finished.
    const again = await runCli([
      "crawl",
      `${dir}/seeds.txt`,
      "--depth",
      "1",
      "--state",
      `${dir}/state.db`,
      "-o",
      `${dir}/run1.jsonl`,
    ]);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /complete: nothing to do \(--recrawl starts its next run/);

    // Run 2, nothing changed: every page unchanged; every page with validators was asked
    // conditionally and answered 304 without a body.
    site.log.length = 0;
    const two = await crawl("run2.jsonl", "--recrawl");
    assert.match(two.stderr, /recrawling .*state\.db: run 2/);
    assert.equal(two.records.length, 13);
    assert.deepEqual(Object.keys(byChange(two.records)), ["unchanged"]);
    const withValidators = site.log.filter((e) => /^\/p[0-7]$/.test(e.path));
    assert.equal(withValidators.length, 8);
    for (const e of withValidators) {
      assert.ok(e.conditional, `${e.path} asked conditionally`);
      assert.equal(e.status, 304);
      assert.equal(e.body, false);
    }
    // Pages without validators were fetched in full and recognised by their body hash.
    for (const e of site.log.filter((e) => /^\/p(8|9|10|11)$/.test(e.path))) {
      assert.equal(e.conditional, false);
      assert.equal(e.body, true);
    }
    // A 304 keeps the page's title (and its links were followed: all 12 were reached).
    const p0 = two.records.find((r) => r.url.endsWith("/p0"))!;
    assert.equal(p0.status, 304);
    assert.equal(p0.title, "/p0 v1");
    assert.deepEqual(two.stats.changes, { new: 0, changed: 0, unchanged: 13, gone: 0 });

    // Run 3: three pages change (one of each kind), one is deleted, one is unlinked.
    site.version.set("/p1", 2);
    site.version.set("/p5", 2);
    site.version.set("/p9", 2);
    site.deleted.add("/p2");
    site.unlinked.add("/p10");
    const three = await crawl("run3.jsonl", "--recrawl", "--changed-only");
    // The index page changed too: it lost a link.
    assert.deepEqual(byChange(three.records), {
      changed: ["/", "/p1", "/p5", "/p9"],
      gone: ["/p10", "/p2"],
    });
    const p2 = three.records.find((r) => r.url.endsWith("/p2"))!;
    assert.equal(p2.status, 404);
    const p10 = three.records.find((r) => r.url.endsWith("/p10"))!;
    assert.equal(p10.status, null);
    assert.equal(p10.title, "/p10 v1");
    // The summary and --stats count all four, also those --changed-only did not write.
    assert.deepEqual(three.stats.changes, { new: 0, changed: 4, unchanged: 7, gone: 2 });
    assert.match(three.stderr, /changes: {3}0 new, 4 changed, 7 unchanged, 2 gone/);

    // Run 4: nothing changed since run 3; the unlinked page stays gone (not reported
    // twice) and the deleted one is unchanged (still 404).
    const four = await crawl("run4.jsonl", "--recrawl");
    assert.deepEqual(four.stats.changes, { new: 0, changed: 0, unchanged: 12, gone: 0 });
  } finally {
    await site.server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("recrawl: --min-age skips pages fetched more recently, following their stored links", async () => {
  const dir = await Deno.makeTempDir();
  const site = serveSite();
  try {
    await Deno.writeTextFile(`${dir}/seeds.txt`, `${site.origin}/\n`);
    const args = ["crawl", `${dir}/seeds.txt`, "--depth", "1", "--state", `${dir}/state.db`, "-q"];
    assert.equal((await runCli([...args, "-o", `${dir}/a.jsonl`])).code, 0);
    site.log.length = 0;
    const run = await runCli([...args, "-o", `${dir}/b.jsonl`, "--recrawl", "--min-age", "1h"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(site.log.length, 0, "nothing fetched");
    const records = parseJsonl(await Deno.readTextFile(`${dir}/b.jsonl`)) as unknown as Rec[];
    assert.equal(records.length, 13);
    assert.ok(records.every((r) => r.change === "unchanged"));
  } finally {
    await site.server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("recrawl: the flags need --state, and say so", async () => {
  for (const flag of [["--recrawl"], ["--changed-only"], ["--min-age", "6h"]]) {
    const run = await runCli(["crawl", "urls.txt", ...flag]);
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      new RegExp(`^trawl: ${flag[0]} compares with earlier runs.*--state FILE\\n$`),
    );
  }
  const bad = await runCli([
    "crawl",
    "urls.txt",
    "--state",
    "s.db",
    "-o",
    "o.jsonl",
    "--min-age",
    "soon",
  ]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /--min-age must be a duration like 500ms, 10s, 30m, 6h or 2d: received "soon"/,
  );
});

Deno.test("recrawl: a run killed with SIGKILL and resumed reports every page once, with the right change", async () => {
  const dir = await Deno.makeTempDir();
  const version = new Map<string, number>();
  const deleted = new Set<string>();
  const unlinked = new Set<string>();
  const pages = Array.from({ length: 240 }, (_, i) => `/p${i}`);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/robots.txt") return new Response("", { status: 404 });
    await new Promise((resolve) => setTimeout(resolve, 15));
    if (deleted.has(path)) return new Response("", { status: 404 });
    const links = path === "/" ? pages.filter((p) => !unlinked.has(p)) : [];
    const body = `<title>${path} v${version.get(path) ?? 1}</title>` +
      links.map((p) => `<a href="${p}">x</a>`).join("");
    const n = Number(path.slice(2));
    const headers: Record<string, string> = { "content-type": "text/html" };
    if (path !== "/" && n % 2 === 0) {
      const etag = `"${path}-${version.get(path) ?? 1}"`;
      if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304 });
      headers.etag = etag;
    }
    return new Response(body, { headers });
  });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  try {
    await Deno.writeTextFile(`${dir}/seeds.txt`, `${origin}/\n`);
    const args = (out: string) => [
      "run",
      "-A",
      CLI,
      "crawl",
      `${dir}/seeds.txt`,
      "--depth",
      "1",
      "--per-host",
      "4",
      "--state",
      `${dir}/state.db`,
      "-o",
      `${dir}/${out}`,
      "-q",
    ];
    const first = await new Deno.Command(Deno.execPath(), { args: args("one.jsonl") }).output();
    assert.equal(first.code, 0);
    for (let i = 0; i < 24; i++) version.set(`/p${i * 10}`, 2); // 24 changed, 12 of them with ETags
    for (let i = 0; i < 8; i++) deleted.add(`/p${i * 10 + 1}`);
    for (let i = 0; i < 8; i++) unlinked.add(`/p${i * 10 + 3}`);
    let kills = 0;
    for (let runs = 0; runs < 30; runs++) {
      const child = new Deno.Command(Deno.execPath(), {
        args: [...args("two.jsonl"), "--recrawl"],
        stdout: "null",
        stderr: "null",
      }).spawn();
      const timer = kills < 3
        ? setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* already exited */ }
        }, 500 + Math.random() * 1000)
        : undefined;
      const status = await child.status;
      clearTimeout(timer);
      if (status.signal === "SIGKILL") {
        kills++;
        continue;
      }
      assert.equal(status.code, 0);
      break;
    }
    assert.ok(kills >= 1, "the run was killed at least once");
    const records = parseJsonl(await Deno.readTextFile(`${dir}/two.jsonl`)) as unknown as Rec[];
    const urls = records.map((r) => r.url);
    assert.equal(new Set(urls).size, urls.length, "no page twice");
    assert.equal(urls.length, 241);
    const count: Record<string, number> = {};
    for (const r of records) count[r.change!] = (count[r.change!] ?? 0) + 1;
    // Changed: 24 pages and the index (it lost links); gone: 8 deleted and 8 unlinked.
    assert.deepEqual(count, { changed: 25, gone: 16, unchanged: 200 });
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
