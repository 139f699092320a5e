/**
 * Parse benchmark: the default extraction on the main thread vs the parse pool
 * with 1 and 2 workers, on ordinary 100 KB pages and heavy 300-500 KB pages.
 * Prints a Markdown table (stdout); progress goes to stderr.
 *
 *   deno run -A bench/parse_bench.ts [--quick]
 *
 * @module
 */

import { setImmediate } from "node:timers";
import type { PageInput } from "../src/types.ts";
import { extractPage } from "../src/parse/extract_page.ts";
import { createParsePool } from "../src/parse/parse_pool.ts";

const quick = Deno.args.includes("--quick");
const SECONDS = quick ? 1.5 : 6;

function ordinaryPage(seed: number): string {
  const parts = [
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Article ${seed}</title>`,
    `<meta name="description" content="An ordinary page"><link rel="canonical" href="/a/${seed}">`,
    `<link rel="stylesheet" href="/s.css"><script>window.x=${seed};</script></head><body>`,
    `<header><nav><ul>`,
  ];
  for (let i = 0; i < 40; i++) {
    parts.push(`<li><a href="/section/${i}" class="nav">Section ${i}</a></li>`);
  }
  parts.push(`</ul></nav></header><main><article>`);
  let links = 0;
  while (parts.join("").length < 95_000) {
    parts.push(
      `<h2 id="h${links}">Heading ${links}</h2><p>Lorem ipsum dolor sit amet, <em>consectetur</em> adipiscing elit,`,
      ` sed do eiusmod tempor incididunt ut labore et dolore magna aliqua &amp; more. Ut enim ad minim veniam, `,
      `quis <a href="/doc/${seed}/${links}?ref=p#frag">nostrud exercitation</a> ullamco laboris nisi ut aliquip `,
      `ex ea commodo consequat. Duis aute irure dolor in <a href="https://other${
        links % 7
      }.test/x/${links}" `,
      `rel="nofollow">reprehenderit</a> in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat `,
      `cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum. Sed ut `,
      `perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque laudantium.</p>\n`,
    );
    links += 2;
  }
  parts.push(
    `</article></main><footer><a href="/about">About</a><a href="mailto:x@y.z">Mail</a></footer>`,
  );
  return parts.join("") + "</body></html>";
}

function heavyPage(seed: number): string {
  const parts = [`<!doctype html><html><head><title>Data ${seed}</title></head><body><table>`];
  let row = 0;
  while (parts.join("").length < 380_000) {
    parts.push(`<tr class="r${row % 2}">`);
    for (let c = 0; c < 8; c++) {
      parts.push(`<td data-c="${c}"><span>${(row * 31 + c) % 997}</span></td>`);
    }
    parts.push(`<td><a href="/item/${row}">item ${row}</a></td></tr>\n`);
    row++;
    if (row % 50 === 0) {
      parts.push(`</table><ul>`);
      for (let i = 0; i < 30; i++) parts.push(`<li><b>${i}</b> list entry <i>${row}</i></li>`);
      parts.push(`</ul><table>`);
    }
  }
  return parts.join("") + "</table></body></html>";
}

function pageInput(body: Uint8Array, i: number): PageInput {
  const url = `https://bench.test/p/${i}`;
  return {
    url,
    finalUrl: url,
    status: 200,
    headers: { "content-type": "text/html" },
    body,
    depth: 1,
  };
}

interface Row {
  pages: string;
  mode: string;
  pagesPerSec: number;
  mibPerSec: number;
  lag: [number, number, number];
  rssMiB: number;
}

/** Measure the event-loop lag with a 10 ms interval, and peak RSS, while `work` runs. */
async function measure(
  work: () => Promise<number>,
): Promise<{ count: number; ms: number; lag: number[]; rss: number }> {
  const lags: number[] = [];
  let rss = Deno.memoryUsage().rss;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - last - 10));
    last = now;
    rss = Math.max(rss, Deno.memoryUsage().rss);
  }, 10);
  const start = performance.now();
  const count = await work();
  const ms = performance.now() - start;
  clearInterval(timer);
  return { count, ms, lag: lags.sort((a, b) => a - b), rss };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function scenario(
  kind: string,
  bodies: Uint8Array[],
  mode: string,
  workers: number,
): Promise<Row> {
  const deadline = performance.now() + SECONDS * 1000;
  let bytes = 0;
  const result = await measure(async () => {
    let done = 0;
    if (workers === 0) {
      for (let i = 0; performance.now() < deadline; i++) {
        const body = bodies[i % bodies.length];
        const r = await extractPage(pageInput(body, i));
        if (r.links.length === 0) throw new Error("no links found");
        bytes += body.byteLength;
        done++;
        await new Promise((resolve) => setImmediate(resolve)); // let timers run, like a crawler would
      }
      return done;
    }
    await using pool = createParsePool({ workers });
    await pool.parse(pageInput(bodies[0].slice(), 0)); // start-up is not part of the rate
    const inflight = new Set<Promise<void>>();
    for (let i = 0; performance.now() < deadline; i++) {
      await pool.ready();
      const body = bodies[i % bodies.length];
      const p = pool.parse(pageInput(body.slice(), i)).then((r) => {
        if (r.error || r.links.length === 0) {
          throw new Error(`page failed: ${JSON.stringify(r.error)}`);
        }
        bytes += body.byteLength;
        done++;
        inflight.delete(p);
      });
      inflight.add(p);
    }
    await Promise.all(inflight);
    return done;
  });
  const secs = result.ms / 1000;
  return {
    pages: kind,
    mode,
    pagesPerSec: result.count / secs,
    mibPerSec: bytes / 1048576 / secs,
    lag: [pct(result.lag, 0.5), pct(result.lag, 0.99), result.lag.at(-1) ?? 0],
    rssMiB: result.rss / 1048576,
  };
}

const encoder = new TextEncoder();
const sets: [string, Uint8Array[]][] = [
  ["ordinary ~100 KB", Array.from({ length: 8 }, (_, i) => encoder.encode(ordinaryPage(i)))],
  ["heavy ~400 KB", Array.from({ length: 4 }, (_, i) => encoder.encode(heavyPage(i)))],
];
const rows: Row[] = [];
for (const [kind, bodies] of sets) {
  const avg = bodies.reduce((n, b) => n + b.byteLength, 0) / bodies.length / 1024;
  const links = (await extractPage(pageInput(bodies[0], 0))).links.length;
  console.error(
    `${kind}: ${bodies.length} pages, avg ${avg.toFixed(0)} KiB, ${links} links on the first`,
  );
  for (
    const [mode, workers] of [["main thread", 0], ["pool, 1 worker", 1], [
      "pool, 2 workers",
      2,
    ]] as const
  ) {
    console.error(`  ${mode} for ${SECONDS} s ...`);
    rows.push(await scenario(kind, bodies, mode, workers));
  }
}

const f = (n: number, d = 1) => n.toFixed(d);
console.log(
  `| pages | mode | pages/s | MiB/s | lag p50 ms | lag p99 ms | lag max ms | peak RSS MiB |`,
);
console.log(`|---|---|---:|---:|---:|---:|---:|---:|`);
for (const r of rows) {
  console.log(
    `| ${r.pages} | ${r.mode} | ${f(r.pagesPerSec, 0)} | ${f(r.mibPerSec)} | ${f(r.lag[0])} | ${
      f(r.lag[1])
    } | ${f(r.lag[2])} | ${f(r.rssMiB, 0)} |`,
  );
}
