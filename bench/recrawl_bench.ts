/**
 * Incremental-recrawl benchmark, with the CLI as a user runs it, on the latency
 * corpus (10,000 pages at 100 ms, concurrency 500; `--quick`: 2,000):
 *
 * - run 1 with `--state` (a full crawl that also fills the page history);
 * - run 2 with `--recrawl` when every page carries an ETag (all 304, no bodies);
 * - run 2 with `--recrawl` when no page has validators (all bodies fetched and
 *   hashed).
 *
 * Reported per run: pages/s, bytes received (from `--stats`), bodies the server
 * sent, and the state file's size per page.
 *
 * Loopback only. Run: `deno run -A bench/recrawl_bench.ts [--quick]`.
 *
 * @module
 */

import { serveDemoSite } from "../examples/demo_site.ts";

const quick = Deno.args.includes("--quick");
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const PAGES = quick ? 2_000 : 10_000;
const dir = await Deno.makeTempDir();

interface Run {
  pagesPerS: number;
  bytes: number;
  records: number;
  changes: Record<string, number> | null;
}

async function crawl(seeds: string, out: string, extra: string[]): Promise<Run> {
  const started = performance.now();
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      CLI,
      "crawl",
      seeds,
      "--depth",
      "100",
      "-c",
      "500",
      "--per-host",
      "500",
      "--quiet",
      "-o",
      out,
      "--stats",
      `${out}.stats.json`,
      ...extra,
    ],
    stdout: "null",
    stderr: "inherit",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`crawl ${extra.join(" ")} exited ${code}`);
  const stats = JSON.parse(await Deno.readTextFile(`${out}.stats.json`));
  return {
    pagesPerS: stats.pages / seconds,
    bytes: stats.bytes,
    records: stats.pages,
    changes: stats.changes,
  };
}

console.log(
  `| ${PAGES} pages at 100 ms, -c 500, CLI | pages/s | received | page bodies sent | changes |`,
);
console.log("| --- | ---: | ---: | ---: | --- |");
for (const etags of [true, false]) {
  const site = serveDemoSite({
    pages: PAGES,
    latencyMs: 100,
    slowEvery: 0,
    pageBytes: 1500,
    etags,
  });
  const seeds = `${dir}/seeds.txt`;
  await Deno.writeTextFile(seeds, `${site.url}\n`);
  const state = `${dir}/state-${etags}.db`;
  const rows: [string, string[]][] = [
    [`run 1, --state${etags ? " (pages with ETags)" : ""}`, []],
    [`run 2, --recrawl, ${etags ? "every page 304" : "no validators: bodies hashed"}`, [
      "--recrawl",
    ]],
  ];
  for (const [label, extra] of rows) {
    const count = (map: Map<string, number>) =>
      [...map].filter(([p]) => p.startsWith("/p/")).reduce((n, [, c]) => n + c, 0);
    const sent = () => count(site.hits) - count(site.notModified);
    const before = sent();
    const run = await crawl(seeds, `${dir}/out.jsonl`, ["--state", state, ...extra]);
    const bodies = sent() - before;
    const changes = run.changes === null
      ? "-"
      : Object.entries(run.changes).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(
        ", ",
      );
    console.log(
      `| ${label} | ${run.pagesPerS.toFixed(0)} | ${
        (run.bytes / 2 ** 20).toFixed(1)
      } MiB | ${bodies} | ${changes} |`,
    );
  }
  const size = (await Deno.stat(state)).size;
  await site.shutdown();
  if (etags) {
    console.log();
    console.log(
      `State file after two runs: ${(size / 2 ** 20).toFixed(1)} MiB, ${
        (size / (PAGES + 5)).toFixed(0)
      } bytes per page (queue, dedupe and page history; 10 links per page).`,
    );
    console.log();
    console.log("| run | pages/s | received | page bodies sent | changes |");
    console.log("| --- | ---: | ---: | ---: | --- |");
  }
}
await Deno.remove(dir, { recursive: true });
