/**
 * Frontier memory benchmark: peak RSS against queued URLs, for the in-memory store
 * and the SQLite store. Each case runs in a fresh process: URLs of 70-90
 * characters over 1,000 hosts are added in batches of 200 (a page's links), as a
 * crawl that finds far more links than it fetches would; every 100 batches, 20
 * URLs are taken and finished. Reported: peak RSS, time, and bytes of RSS per
 * queued URL above the process's RSS at start.
 *
 * Run: `deno run -A bench/frontier_memory_bench.ts [--quick] [--5m]` (Markdown table
 * on stdout).
 *
 * @module
 */

import { createMemoryFrontierStore, createSqliteFrontierStore } from "../mod.ts";
import type { FrontierStore } from "../mod.ts";

const quick = Deno.args.includes("--quick");
const SIZES = quick ? [10_000, 100_000] : [
  10_000,
  100_000,
  1_000_000,
  ...(Deno.args.includes("--5m") ? [5_000_000] : []),
];

interface Row {
  store: string;
  queued: number;
  seconds: number;
  peakRssMiB: number;
  bytesPerUrl: number;
}

async function measure(kind: string, total: number): Promise<Row> {
  const dir = await Deno.makeTempDir();
  const base = Deno.memoryUsage().rss;
  let peak = base;
  const sample = () => (peak = Math.max(peak, Deno.memoryUsage().rss));
  const store: FrontierStore = kind === "memory"
    ? createMemoryFrontierStore()
    : createSqliteFrontierStore(`${dir}/state.db`);
  const started = performance.now();
  let added = 0;
  for (let batch = 0; added < total; batch++) {
    const entries = Array.from({ length: 200 }, (_, i) => {
      const n = batch * 200 + i;
      const host = `host-${n % 1000}.example.org`;
      return { url: `https://${host}/catalog/item-${n}/details?ref=bench`, depth: 2, host };
    });
    added += (await store.add(entries)).added.length;
    if (batch % 100 === 0) {
      for (const lease of await store.take(20)) await store.done(lease);
      sample();
    }
  }
  sample();
  const queued = (await store.counts()).queued;
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  await Deno.remove(dir, { recursive: true });
  return {
    store: kind,
    queued,
    seconds,
    peakRssMiB: peak / 2 ** 20,
    bytesPerUrl: (peak - base) / queued,
  };
}

const rowArg = Deno.args.find((a) => a.startsWith("--row="));
if (rowArg !== undefined) {
  const [kind, total] = rowArg.slice("--row=".length).split(":");
  console.log(JSON.stringify(await measure(kind!, Number(total))));
  Deno.exit(0);
}

const rows: Row[] = [];
for (const total of SIZES) {
  for (const kind of ["memory", "sqlite"]) {
    console.error(`frontier memory bench: ${kind}, ${total} URLs`);
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, `--row=${kind}:${total}`],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (code !== 0) throw new Error(`${kind} at ${total} failed with exit code ${code}`);
    rows.push(JSON.parse(new TextDecoder().decode(stdout).trim()));
  }
}
console.log("| store | queued URLs | seconds | peak RSS MiB | RSS bytes per queued URL |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(
    `| ${r.store} | ${r.queued} | ${r.seconds.toFixed(1)} | ${r.peakRssMiB.toFixed(0)} | ` +
      `${r.bytesPerUrl.toFixed(0)} |`,
  );
}
