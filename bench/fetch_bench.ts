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
/** Runs per (variant, C), in alternating order (bare first, then layer first...). */
const repeat = Number(arg("repeat") ?? 5);

interface Row {
  variant: string;
  concurrency: number;
  rps: number;
  p50: number;
  p99: number;
  peakRss: number;
  errors: number;
  /** Client CPU time (all threads, GC included) per request: steadier than req/s on a shared machine. */
  cpuUs: number;
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
    rps: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    peakRss,
    errors,
    cpuUs: (cpu1[0] - cpu0[0]) * 1e6 / latencies.length,
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

function layer(origin: string, concurrency: number, count = total) {
  return async (latencies: number[]) => {
    let errors = 0;
    function* urls() {
      for (let i = 0; i < count; i++) yield `${origin}/p/${i}`;
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

/** The request headers trawl sends by default, so both variants send the same bytes. */
const headers = {
  "user-agent": "trawl/0.1 (+https://github.com/trawl)",
  "accept-encoding": "gzip, deflate, br",
};

function bare(origin: string, concurrency: number, count = total) {
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
      while (next < count) {
        const i = next++;
        const t = performance.now();
        try {
          const res = await request(`${origin}/p/${i}`, { dispatcher: agent, headers });
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

/** Wait until the server has finished with the previous run's connections (its CPU goes quiet). */
async function settle(): Promise<void> {
  let last = cpuSeconds(serverPid);
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const now = cpuSeconds(serverPid);
    if (!(now - last > 0.005)) return;
    last = now;
  }
}

const server = startServer();
serverPid = server.child.pid;
const origin = `http://127.0.0.1:${await server.port}`;
const rows: Row[] = [];
const run = (v: string, c: number) =>
  v === "bare"
    ? measure("bare undici.request", c, bare(origin, c))
    : measure("trawl fetchAll", c, layer(origin, c));
try {
  // Warm both variants' code (JIT) and the server once, unrecorded, so that
  // neither pays the cold start inside a measurement.
  console.error("warm-up:");
  const warmTotal = Math.min(total, 2_000);
  for (const v of variants) {
    await settle();
    await measure(
      `warm-up ${v}`,
      256,
      v === "bare" ? bare(origin, 256, warmTotal) : layer(origin, 256, warmTotal),
    );
  }
  for (const c of levels) {
    for (let r = 0; r < repeat; r++) {
      const order = r % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) {
        await settle();
        rows.push(await run(v, c));
      }
    }
  }
} finally {
  server.child.kill();
  await server.child.status;
}

/**
 * The runs of one (variant, C) summed up: median req/s and its range, median p50 and
 * CPU, worst p99. The median, not the mean: on two shared cores a single run is now
 * and then 10-20% off (a GC pause or a slow connection burst), and one such run
 * should not decide a row.
 */
function combine(runs: Row[]): Row & { min: number; max: number } {
  const median = (f: (r: Row) => number) => {
    const values = runs.map(f).sort((a, b) => a - b);
    const mid = values.length >> 1;
    return values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  };
  return {
    ...runs[0],
    rps: median((r) => r.rps),
    p50: median((r) => r.p50),
    p99: Math.max(...runs.map((r) => r.p99)),
    peakRss: Math.max(...runs.map((r) => r.peakRss)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    cpuUs: median((r) => r.cpuUs),
    min: Math.min(...runs.map((r) => r.rps)),
    max: Math.max(...runs.map((r) => r.rps)),
  };
}

const summary: (Row & { min: number; max: number })[] = [];
for (const c of levels) {
  for (const name of ["bare undici.request", "trawl fetchAll"]) {
    const runs = rows.filter((r) => r.concurrency === c && r.variant === name);
    if (runs.length > 0) summary.push(combine(runs));
  }
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
const lines = [
  `${total} URLs, server answers after ${latencyMs} ms (separate process), ${navigator.hardwareConcurrency} cores; ` +
  `${repeat} run(s) per row in alternating order after a warm-up: req/s is the median (range), p50 and CPU the median, p99 the worst`,
  "",
  "| variant | C | req/s | range | % of ideal | layer/bare | p50 ms | p99 ms | client CPU µs/req | peak RSS | errors |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
];
for (const row of summary) {
  const ideal = row.concurrency / (latencyMs / 1000);
  const bareRow = summary.find((r) =>
    r.concurrency === row.concurrency && r.variant.startsWith("bare")
  );
  lines.push(
    `| ${row.variant} | ${row.concurrency} | ${row.rps.toFixed(0)} | ${row.min.toFixed(0)}-${
      row.max.toFixed(0)
    } | ${(row.rps / ideal * 100).toFixed(0)}% | ${
      bareRow ? (row.rps / bareRow.rps).toFixed(2) : "-"
    } | ${row.p50.toFixed(0)} | ${row.p99.toFixed(0)} | ${row.cpuUs.toFixed(0)} | ${
      mb(row.peakRss)
    } | ${row.errors} |`,
  );
}
console.log(lines.join("\n"));
