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

function arg(name: string): string | undefined {
  const hit = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}

const quick = Deno.args.includes("--quick");
const total = Number(arg("total") ?? (quick ? 2_000 : 20_000));
const latencyMs = 100;
const levels = (arg("levels") ?? "256,1000,2000").split(",").map(Number);
const variants = (arg("variants") ?? "bare,layer").split(",");

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

/** Kernel TCP counters (Linux), for the stderr diagnostics; empty elsewhere. */
function tcpCounters(): Record<string, number> {
  try {
    const lines = Deno.readTextFileSync("/proc/net/netstat").split("\n");
    const i = lines.findIndex((l) => l.startsWith("TcpExt:"));
    const names = lines[i].split(" ");
    const values = lines[i + 1].split(" ").map(Number);
    const out: Record<string, number> = {};
    names.forEach((n, k) => out[n] = values[k]);
    return out;
  } catch {
    return {};
  }
}

/** CPU seconds (user + system) used so far by process `pid` (Linux), or NaN. */
function cpuSeconds(pid: number | "self"): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

let serverPid = 0;

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
  const tcp0 = tcpCounters();
  const cpu0 = [cpuSeconds("self"), cpuSeconds(serverPid)];
  const t0 = performance.now();
  const errors = await run(latencies);
  const seconds = (performance.now() - t0) / 1000;
  const tcp1 = tcpCounters();
  const cpu1 = [cpuSeconds("self"), cpuSeconds(serverPid)];
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
  const delta = (k: string) => (tcp1[k] ?? 0) - (tcp0[k] ?? 0);
  console.error(
    `${variant} C=${concurrency}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50.toFixed(0)} p99 ${
      row.p99.toFixed(0)
    } ms, ${errors} errors; ${seconds.toFixed(1)} s, CPU client ${
      ((cpu1[0] - cpu0[0]) / seconds * 100).toFixed(0)
    }% server ${((cpu1[1] - cpu0[1]) / seconds * 100).toFixed(0)}%; listen overflows ${
      delta("ListenOverflows")
    }, SYN retransmits ${delta("TCPSynRetrans")}`,
  );
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
serverPid = server.child.pid;
const origin = `http://127.0.0.1:${await server.port}`;
const rows: Row[] = [];
try {
  for (const c of levels) {
    if (variants.includes("bare")) {
      rows.push(await measure("bare undici.request", c, bare(origin, c)));
    }
    if (variants.includes("layer")) rows.push(await measure("trawl fetchAll", c, layer(origin, c)));
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
