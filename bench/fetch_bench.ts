/**
 * Fetch-layer benchmark: 20,000 distinct URLs against a 100 ms latency server
 * (a separate process) at concurrency 256, 1000 and 2000, through `fetchAll`
 * and through a bare `undici.request` loop with the same Agent settings.
 * Prints a Markdown table on stdout; progress on stderr. `--quick`: 2,000 URLs.
 *
 * @module
 */

import { Agent, request } from "undici";
import { fetchAll } from "../src/fetch/fetch_all.ts";

const quick = Deno.args.includes("--quick");
const total = quick ? 2_000 : 20_000;
const latencyMs = 100;
const levels = [256, 1000, 2000];

interface Row {
  variant: string;
  concurrency: number;
  rps: number;
  p50: number;
  p99: number;
  peakRss: number;
  errors: number;
}

function startServer(): { port: Promise<number>; child: Deno.ChildProcess } {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_latency_server.ts", import.meta.url).pathname, `${latencyMs}`],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const port = (async () => {
    const reader = child.stdout.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("latency server exited");
      text += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    child.stdout.cancel();
    return Number(text.trim());
  })();
  return { port, child };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function measure(
  variant: string,
  concurrency: number,
  run: (latencies: number[]) => Promise<number>,
): Promise<Row> {
  let peakRss = Deno.memoryUsage().rss;
  const sampler = setInterval(() => peakRss = Math.max(peakRss, Deno.memoryUsage().rss), 50);
  const latencies: number[] = [];
  const t0 = performance.now();
  const errors = await run(latencies);
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  latencies.sort((a, b) => a - b);
  const row = {
    variant,
    concurrency,
    rps: total / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    peakRss,
    errors,
  };
  console.error(`${variant} C=${concurrency}: ${row.rps.toFixed(0)} req/s, ${errors} errors`);
  return row;
}

function layer(origin: string, concurrency: number) {
  return async (latencies: number[]) => {
    let errors = 0;
    function* urls() {
      for (let i = 0; i < total; i++) yield `${origin}/p/${i}`;
    }
    for await (
      const r of fetchAll(urls(), { maxInFlight: concurrency, maxPerHost: concurrency })
    ) {
      if (r.error) errors++;
      latencies.push(r.timings.totalMs);
    }
    return errors;
  };
}

function bare(origin: string, concurrency: number) {
  return async (latencies: number[]) => {
    const agent = new Agent({
      connections: concurrency,
      pipelining: 1,
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 4000,
    });
    let next = 0;
    let errors = 0;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        try {
          const res = await request(`${origin}/p/${i}`, { dispatcher: agent });
          await res.body.arrayBuffer();
          if (res.statusCode !== 200) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await agent.close();
    return errors;
  };
}

const server = startServer();
const origin = `http://127.0.0.1:${await server.port}`;
const rows: Row[] = [];
try {
  for (const c of levels) {
    rows.push(await measure("bare undici.request", c, bare(origin, c)));
    rows.push(await measure("trawl fetchAll", c, layer(origin, c)));
  }
} finally {
  server.child.kill();
  await server.child.status;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
const lines = [
  `${total} URLs, server answers after ${latencyMs} ms (separate process), ${navigator.hardwareConcurrency} cores`,
  "",
  "| variant | C | req/s | % of ideal | layer/bare | p50 ms | p99 ms | peak RSS | errors |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
];
for (const row of rows) {
  const ideal = row.concurrency / (latencyMs / 1000);
  const bareRow = rows.find((r) =>
    r.concurrency === row.concurrency && r.variant.startsWith("bare")
  );
  lines.push(
    `| ${row.variant} | ${row.concurrency} | ${row.rps.toFixed(0)} | ${
      (row.rps / ideal * 100).toFixed(0)
    }% | ${bareRow ? (row.rps / bareRow.rps).toFixed(2) : "-"} | ${row.p50.toFixed(0)} | ${
      row.p99.toFixed(0)
    } | ${mb(row.peakRss)} | ${row.errors} |`,
  );
}
console.log(lines.join("\n"));
