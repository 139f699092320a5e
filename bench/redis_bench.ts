/**
 * Distributed crawls on Redis: what the shared frontier and policy cost.
 *
 * 1. The latency corpus (10,000 pages of ~15 KB, 100 ms per response, total
 *    concurrency 500), crawled by `cli.ts crawl` with the memory store and by one
 *    worker on Redis, alternating (two runs each): pages/s and CPU per page.
 * 2. The same on Redis with 1, 2 and 4 workers (concurrency 500 split between them):
 *    pages/s, CPU per page (workers summed), and Redis commands per page from
 *    `INFO commandstats` (scripts, other client commands, and every operation
 *    including those inside scripts).
 * 3. Redis memory per URL: 1,000,000 URLs (~60 characters, 1,000 hosts) added to a
 *    crawl's frontier (`used_memory` before/after, and `MEMORY USAGE` of the dedupe
 *    set), and the projection to 1 billion URLs.
 *
 * Prints Markdown on stdout (progress on stderr). `--quick`: 2,000 pages, 100,000 URLs.
 * Run: `deno run -A bench/redis_bench.ts [--quick]`
 *
 * @module
 */

import { Redis } from "ioredis";
import { startRedisServer } from "../tests/_redis_server.ts";
import { createRedisFrontierStore } from "../src/frontier/redis_frontier_store.ts";

const quick = Deno.args.includes("--quick");
const PAGES = quick ? 2_000 : 10_000;
const URLS = quick ? 100_000 : 1_000_000;
const CONCURRENCY = 500;
/** As crawl_bench.ts: one host, so the per-host cap is the total concurrency. */
const CRAWL_FLAGS = ["--depth", "100", "--per-host", String(CONCURRENCY), "--retries", "0"];
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const SITE = new URL("../examples/demo_site.ts", import.meta.url).pathname;

async function startSite() {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      SITE,
      "--pages",
      String(PAGES),
      "--latency-ms",
      "100",
      "--slow-every",
      "0",
      "--page-bytes",
      "15000",
      "--prerender",
    ],
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
  return {
    url: text.split("\n")[0]!,
    async stop() {
      await child.stdin.close();
      await lines.cancel();
      await child.status;
    },
  };
}

interface Run {
  pages: number;
  seconds: number;
  cpuMsPerPage: number;
}

/** Run `cli.ts` under /usr/bin/time; resolves to its CPU seconds and its stats file. */
async function cli(args: string[], statsFile: string): Promise<{ cpu: number; pages: number }> {
  const { code, stderr } = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "CPU %U %S", Deno.execPath(), "run", "-A", CLI, ...args, "--stats", statsFile],
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  if (code !== 0) throw new Error(`cli.ts ${args.join(" ")} failed: ${text}`);
  const [, user, sys] = /CPU ([\d.]+) ([\d.]+)/.exec(text)!;
  const stats = JSON.parse(await Deno.readTextFile(statsFile)) as { pages: number };
  return { cpu: Number(user) + Number(sys), pages: stats.pages };
}

async function crawlMemory(seeds: string, dir: string): Promise<Run> {
  const t0 = performance.now();
  const r = await cli(
    ["crawl", seeds, ...CRAWL_FLAGS, "-c", String(CONCURRENCY), "--quiet"],
    `${dir}/memory.json`,
  );
  const seconds = (performance.now() - t0) / 1000;
  return { pages: r.pages, seconds, cpuMsPerPage: r.cpu * 1000 / r.pages };
}

let crawls = 0;

async function crawlRedis(
  seeds: string,
  dir: string,
  url: string,
  workers: number,
): Promise<Run & { scripts: number; other: number; all: number }> {
  const redis = new Redis(url);
  await redis.config("RESETSTAT");
  const name = `bench${++crawls}`;
  const c = String(Math.floor(CONCURRENCY / workers));
  const t0 = performance.now();
  const runs = await Promise.all(
    Array.from({ length: workers }, (_, i) =>
      cli(
        ["crawl", seeds, "--redis", url, "--crawl", name, ...CRAWL_FLAGS, "-c", c, "--quiet"],
        `${dir}/${name}-${i}.json`,
      )),
  );
  const seconds = (performance.now() - t0) / 1000;
  const pages = runs.reduce((n, r) => n + r.pages, 0);
  const cpu = runs.reduce((n, r) => n + r.cpu, 0);
  const calls = parseCommandStats(await redis.info("commandstats"));
  redis.disconnect();
  const scripts = (calls.get("evalsha") ?? 0) + (calls.get("eval") ?? 0);
  let all = 0, inner = 0;
  for (const [command, n] of calls) {
    if (command === "config|resetstat" || command === "info") continue;
    all += n;
    if (INSIDE_SCRIPTS.has(command)) inner += n;
  }
  return {
    pages,
    seconds,
    cpuMsPerPage: cpu * 1000 / pages,
    scripts: scripts / pages,
    other: (all - scripts - inner) / pages,
    all: all / pages,
  };
}

/** Commands the store's and the policy's scripts run (counted by Redis as well as the script). */
const INSIDE_SCRIPTS = new Set([
  "incr",
  "zadd",
  "zscore",
  "sismember",
  "sadd",
  "hget",
  "hset",
  "hincrby",
  "zpopmin",
  "exists",
  "zrem",
  "zrangebyscore",
  "zrange",
  "hdel",
  "xadd",
  "time",
  "pexpire",
  "zremrangebyscore",
  "zcard",
]);

function parseCommandStats(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(match[1], Number(match[2]));
  }
  return calls;
}

async function memoryPerUrl(url: string): Promise<{ total: number; seen: number }> {
  const redis = new Redis(url);
  const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info("memory"))![1]);
  const before = await used();
  const store = createRedisFrontierStore({ url, crawl: "memory" });
  const batch = 1000;
  for (let i = 0; i < URLS; i += batch) {
    const entries = Array.from({ length: batch }, (_, j) => {
      const n = i + j;
      const host = `www.site-${n % 1000}.example.com`;
      return { url: `https://${host}/articles/${n}/page.html`, depth: 1 + (n % 3), host };
    });
    await store.add(entries);
    if (i % 100_000 === 0) console.error(`redis bench: ${i} URLs added`);
  }
  const after = await used();
  const seen = Number(await redis.call("MEMORY", "USAGE", store.prefix + "seen", "SAMPLES", "0"));
  await store.close();
  redis.disconnect();
  return { total: (after - before) / URLS, seen: seen / URLS };
}

const REDIS_VERSION = /v=(\S+)/.exec(
  new TextDecoder().decode(
    (await new Deno.Command("redis-server", { args: ["--version"] }).output()).stdout,
  ),
)?.[1] ?? "?";
const redisServer = await startRedisServer();
const site = await startSite();
const dir = await Deno.makeTempDir({ prefix: "trawl-redis-bench-" });
const seeds = `${dir}/seeds.txt`;
await Deno.writeTextFile(seeds, site.url + "\n");
const out: string[] = [];
try {
  console.error("redis bench: memory store vs 1 Redis worker, alternating");
  const memory: Run[] = [], one: Run[] = [];
  for (let round = 0; round < 2; round++) {
    memory.push(await crawlMemory(seeds, dir));
    one.push(await crawlRedis(seeds, dir, redisServer.url, 1));
  }
  const rate = (r: Run) => r.pages / r.seconds;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const memRate = mean(memory.map(rate)), oneRate = mean(one.map(rate));
  out.push(
    `Latency corpus: ${PAGES} pages, 100 ms per response, total concurrency ${CONCURRENCY}; ` +
      `cli.ts in its own process per worker, redis-server ${REDIS_VERSION} on the same 2 cores (client, server and site share them).`,
    "",
    "| run | pages | pages/s | CPU ms/page |",
    "|---|---|---|---|",
    ...memory.map((r, i) =>
      `| memory store, 1 process (run ${i + 1}) | ${r.pages} | ${rate(r).toFixed(0)} | ${
        r.cpuMsPerPage.toFixed(2)
      } |`
    ),
    ...one.map((r, i) =>
      `| Redis, 1 worker (run ${i + 1}) | ${r.pages} | ${rate(r).toFixed(0)} | ${
        r.cpuMsPerPage.toFixed(2)
      } |`
    ),
    "",
    `1 Redis worker / memory store: ${(oneRate / memRate * 100).toFixed(0)}% of the rate ` +
      `(goal: within 20%), ${
        (mean(one.map((r) => r.cpuMsPerPage)) / mean(memory.map((r) => r.cpuMsPerPage)))
          .toFixed(2)
      }x the CPU per page.`,
    "",
  );
  console.error("redis bench: 1 / 2 / 4 workers");
  out.push(
    "| Redis workers | pages | pages/s | CPU ms/page (workers) | scripts/page | other client commands/page | Redis ops/page (incl. inside scripts) |",
    "|---|---|---|---|---|---|---|",
  );
  for (const workers of [1, 2, 4]) {
    const r = await crawlRedis(seeds, dir, redisServer.url, workers);
    out.push(
      `| ${workers} | ${r.pages} | ${rate(r).toFixed(0)} | ${r.cpuMsPerPage.toFixed(2)} | ${
        r.scripts.toFixed(2)
      } | ${r.other.toFixed(2)} | ${r.all.toFixed(1)} |`,
    );
  }
  console.error(`redis bench: memory per URL at ${URLS} URLs`);
  const mem = await memoryPerUrl(redisServer.url);
  const gb = (bytes: number) => (bytes * 1e9 / 1e9).toFixed(0);
  out.push(
    "",
    `Redis memory per queued URL at ${URLS.toLocaleString("en")} URLs (~50-character URLs, ` +
      `1,000 hosts): ${mem.total.toFixed(0)} bytes in all (used_memory), of which the ` +
      `dedupe set ${mem.seen.toFixed(0)} (MEMORY USAGE). 1 billion URLs: ~${
        gb(mem.total)
      } GB queued, ~${gb(mem.seen)} GB once done (the dedupe set stays; records not counted).`,
  );
} finally {
  await site.stop();
  await redisServer.close();
  await Deno.remove(dir, { recursive: true });
}
console.log(out.join("\n"));
