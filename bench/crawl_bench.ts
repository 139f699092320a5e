/**
 * Crawl benchmark: a generated site in a separate process, crawled to the end with
 * `crawl()` (records through a JSONL sink to /dev/null).
 *
 * 1. 10,000 pages of ~15 KB, 10 links each, every response after 100 ms, at
 *    concurrency 500 and 1000: pages/s, percent of the ideal (N x 0.1 s / C).
 * 2. 500 heavy pages (300-500 KB) with no delay: parse-bound.
 * 3. The ceiling for (1) on this machine: `fetchAll` of the same pages with every URL
 *    known up front (no parsing, no link discovery, no robots.txt) at concurrency 500.
 *
 * Each row runs in a fresh process (`--row=N`), so one run's heap growth does not
 * count in the next one's peak RSS. Prints a Markdown table on stdout (progress on
 * stderr). `--quick`: 2,000 pages.
 * Run: `deno run -A bench/crawl_bench.ts [--quick]`
 *
 * @module
 */

import { crawl, createJsonlSink } from "../mod.ts";
import { fetchAll } from "../fetch.ts";

const quick = Deno.args.includes("--quick");
const SITE = new URL("../examples/demo_site.ts", import.meta.url).pathname;

interface Row {
  name: string;
  concurrency: number;
  pages: number;
  expected: number;
  duplicates: number;
  seconds: number;
  pagesPerSecond: number;
  idealPercent: number | null;
  failed: number;
  peakRssMiB: number;
  lagP99Ms: number;
}

async function startSite(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SITE, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (text.split("\n").length < 3) {
    const { value, done } = await lines.read();
    if (done) throw new Error("the demo site exited before printing its URL");
    text += value;
  }
  const [url, reachable] = text.split("\n");
  return {
    url: url!,
    expected: Number(reachable),
    async stop() {
      await child.stdin.close();
      await lines.cancel();
      await child.status;
    },
  };
}

async function run(
  name: string,
  siteArgs: string[],
  concurrency: number,
  latencyMs: number,
  fetchOnly = false,
): Promise<Row> {
  const site = await startSite(siteArgs);
  const devNull = await Deno.open("/dev/null", { write: true });
  const sink = createJsonlSink(devNull.writable);
  let peakRss = 0;
  const lags: number[] = [];
  let expectedTick = performance.now() + 10;
  const sampler = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - expectedTick));
    expectedTick = now + 10;
    peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  }, 10);
  const started = performance.now();
  const seen = new Set<string>();
  let duplicates = 0;
  let failed = 0;
  const siteSize = Number(siteArgs[siteArgs.indexOf("--pages") + 1]);
  const records = fetchOnly
    ? fetchAll(
      Array.from({ length: siteSize }, (_, i) => new URL(`/p/${i}`, site.url).href),
      { maxInFlight: concurrency, maxPerHost: concurrency, maxRetries: 0 },
    )
    : crawl([site.url], {
      maxDepth: 100,
      maxInFlight: concurrency,
      maxPerHost: concurrency,
      maxRetries: 0,
    });
  for await (const record of records) {
    if (seen.has(record.url)) duplicates++;
    seen.add(record.url);
    if (record.error && record.error.code !== "ROBOTS_DISALLOWED" && record.status !== 404) {
      failed++;
    }
    if ("depth" in record) await sink.write(record);
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  await sink.close();
  await site.stop();
  lags.sort((a, b) => a - b);
  const pages = seen.size + duplicates;
  const ideal = latencyMs > 0 ? (pages * latencyMs / 1000) / concurrency : null;
  console.error(`${name} c=${concurrency}: ${pages} pages in ${seconds.toFixed(1)} s`);
  return {
    name,
    concurrency,
    pages,
    expected: fetchOnly ? siteSize : site.expected,
    duplicates,
    seconds,
    pagesPerSecond: pages / seconds,
    idealPercent: ideal === null ? null : (ideal / seconds) * 100,
    failed,
    peakRssMiB: peakRss / 2 ** 20,
    lagP99Ms: lags[Math.floor(lags.length * 0.99)] ?? 0,
  };
}

const pages = quick ? 2_000 : 10_000;
const latencySite = [
  "--pages",
  String(pages),
  "--latency-ms",
  "100",
  "--slow-every",
  "0",
  "--page-bytes",
  "15000",
  "--prerender",
];
const heavyPages = quick ? 100 : 500;
/** Every row, each measured in a fresh process: one run's heap growth must not count in the next's RSS. */
const ROWS: (() => Promise<Row>)[] = [
  () => run(`${pages} pages, 100 ms latency`, latencySite, 500, 100),
  () => run(`${pages} pages, 100 ms latency`, latencySite, 1000, 100),
  () =>
    run(
      `ceiling: fetchAll of the same ${pages} URLs, known up front, no parsing`,
      latencySite,
      500,
      100,
      true,
    ),
  () =>
    run(
      `${heavyPages} heavy pages (300-500 KB), no delay`,
      ["--pages", String(heavyPages), "--heavy", "--slow-every", "0", "--prerender"],
      128,
      0,
    ),
];

const rowArg = Deno.args.find((a) => a.startsWith("--row="));
if (rowArg !== undefined) {
  // A child: measure one row, print it as JSON.
  console.log(JSON.stringify(await ROWS[Number(rowArg.slice("--row=".length))]!()));
  Deno.exit(0);
}

const rows: Row[] = [];
for (let i = 0; i < ROWS.length; i++) {
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, `--row=${i}`, ...Deno.args],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (code !== 0) throw new Error(`row ${i} failed with exit code ${code}`);
  rows.push(JSON.parse(new TextDecoder().decode(stdout)));
}

console.log(
  "| site | C | pages (expected) | duplicates | failed | s | pages/s | % of ideal | peak RSS MiB | lag p99 ms |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.concurrency} | ${r.pages} (${r.expected}) | ${r.duplicates} | ${r.failed} | ${
      r.seconds.toFixed(1)
    } | ${r.pagesPerSecond.toFixed(0)} | ${
      r.idealPercent === null ? "-" : r.idealPercent.toFixed(0) + "%"
    } | ${r.peakRssMiB.toFixed(0)} | ${r.lagP99Ms.toFixed(1)} |`,
  );
}
