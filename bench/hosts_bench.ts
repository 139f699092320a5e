/**
 * Many-hosts benchmark: does memory grow with the number of distinct hosts a crawl
 * has visited? A site process serves N hosts (N listening ports on 127.0.0.1, each
 * a host of its own: robots.txt and a root linking its other pages); the crawl
 * (`crawl()` at concurrency 128, depth 1) visits them all. Every row crawls the
 * same 20,000 pages, spread over 1,000 or 5,000 hosts (20 or 4 pages each), so
 * only the number of hosts differs; each crawl runs in a fresh process. Reported:
 * peak RSS, peak JS heap, open sockets at the end, pages/s. The target: 5,000
 * hosts within 1.3x the RSS of 1,000.
 *
 * Loopback only. Run: `deno run -A bench/hosts_bench.ts [--quick]` (prints a
 * Markdown table on stdout).
 *
 * @module
 */

import { crawl } from "../mod.ts";

const quick = Deno.args.includes("--quick");
const SIZES = quick ? [300, 1500] : [1000, 5000];
const PAGES = quick ? 6_000 : 20_000;

const serveArg = Deno.args.find((a) => a.startsWith("--serve="));
if (serveArg !== undefined) {
  // The site: one port per host; prints the ports, then serves until stdin closes.
  const [hosts, perHost] = serveArg.slice("--serve=".length).split(",").map(Number) as [
    number,
    number,
  ];
  const links = Array.from({ length: perHost - 1 }, (_, i) => `<a href="/${i}">${i}</a>`).join("");
  const servers: Deno.HttpServer<Deno.NetAddr>[] = [];
  const page = (body: string) =>
    new Response(`<!doctype html><title>p</title>${body}`, {
      headers: { "content-type": "text/html" },
    });
  for (let i = 0; i < hosts; i++) {
    servers.push(Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/robots.txt") return new Response("User-agent: *\nAllow: /\n");
      if (path === "/") return page(links);
      return page("leaf");
    }));
  }
  console.log(servers.map((s) => s.addr.port).join(","));
  for await (const _ of Deno.stdin.readable) { /* until the parent closes stdin */ }
  await Promise.all(servers.map((s) => s.shutdown()));
  Deno.exit(0);
}

interface Row {
  hosts: number;
  pages: number;
  seconds: number;
  pagesPerSecond: number;
  peakRssMiB: number;
  peakHeapMiB: number;
  openSockets: number;
}

async function measure(hosts: number): Promise<Row> {
  const site = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, `--serve=${hosts},${PAGES / hosts}`],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = site.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the site exited before printing its ports");
    text += value;
  }
  const ports = text.trim().split(",");
  let peak = 0, peakHeap = 0;
  const sampler = setInterval(() => {
    const memory = Deno.memoryUsage();
    peak = Math.max(peak, memory.rss);
    peakHeap = Math.max(peakHeap, memory.heapUsed);
  }, 20);
  const started = performance.now();
  let pages = 0;
  for await (
    const _ of crawl(ports.map((port) => `http://127.0.0.1:${port}/`), {
      maxDepth: 1,
      maxInFlight: 128,
      maxRetries: 0,
      allowPrivate: true,
    })
  ) pages++;
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, Deno.memoryUsage().rss);
  const openSockets = [...Deno.readDirSync("/proc/self/fd")].filter((e) => {
    try {
      return Deno.readLinkSync(`/proc/self/fd/${e.name}`).startsWith("socket:");
    } catch {
      return false;
    }
  }).length;
  await site.stdin.close();
  await reader.cancel();
  await site.status;
  return {
    hosts,
    pages,
    seconds,
    pagesPerSecond: pages / seconds,
    peakRssMiB: peak / 2 ** 20,
    peakHeapMiB: peakHeap / 2 ** 20,
    openSockets,
  };
}

const rowArg = Deno.args.find((a) => a.startsWith("--row="));
if (rowArg !== undefined) {
  console.log(JSON.stringify(await measure(Number(rowArg.slice("--row=".length)))));
  Deno.exit(0);
}

const rows: Row[] = [];
for (const hosts of SIZES) {
  console.error(`hosts bench: ${hosts} hosts`);
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, `--row=${hosts}`],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (code !== 0) throw new Error(`the ${hosts}-host row failed with exit code ${code}`);
  rows.push(JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").at(-1)!));
}
const base = rows[0]!.peakRssMiB;
console.log(
  "| hosts | pages | seconds | pages/s | peak RSS MiB | vs first row | peak heap MiB | open sockets at end |",
);
console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(
    `| ${r.hosts} | ${r.pages} | ${r.seconds.toFixed(1)} | ${r.pagesPerSecond.toFixed(0)} | ` +
      `${r.peakRssMiB.toFixed(0)} | ${(r.peakRssMiB / base).toFixed(2)}x | ` +
      `${r.peakHeapMiB.toFixed(0)} | ${r.openSockets} |`,
  );
}
