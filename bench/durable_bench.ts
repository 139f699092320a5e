/**
 * Durable-crawl benchmark (`--state`), with the CLI as a user runs it:
 *
 * 1. The latency corpus (10,000 pages at 100 ms, concurrency 500) crawled to a
 *    file with and without `--state`, alternating, 2 runs each: pages/s and the
 *    ratio (goal: within 15%).
 * 2. A kill loop: the same crawl of a 10,000-page site (slow pages, a 404, a
 *    redirect, robots.txt refusals) SIGKILLed at 20 random moments and run again
 *    until it completes; reported: records, URLs lost, URLs duplicated, and pages
 *    fetched more than once (the at-least-once part: in flight at a kill).
 *
 * Loopback only. Run: `deno run -A bench/durable_bench.ts [--quick]` (Markdown
 * tables on stdout).
 *
 * @module
 */

import { serveDemoSite } from "../examples/demo_site.ts";

const quick = Deno.args.includes("--quick");
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const PAGES = quick ? 2_000 : 10_000;
const KILLS = quick ? 5 : 20;

async function cli(args: string[]): Promise<{ code: number; seconds: number }> {
  const started = performance.now();
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdout: "null",
    stderr: "null",
  }).output();
  return { code, seconds: (performance.now() - started) / 1000 };
}

const dir = await Deno.makeTempDir();
const seeds = `${dir}/seeds.txt`;

// 1. Rate with and without --state.
{
  const site = serveDemoSite({ pages: PAGES, latencyMs: 100, slowEvery: 0, pageBytes: 1500 });
  await Deno.writeTextFile(seeds, `${site.url}\n`);
  const base = ["crawl", seeds, "--depth", "100", "-c", "500", "--per-host", "500", "--quiet"];
  const times: Record<string, number[]> = { without: [], with: [] };
  for (let round = 0; round < 2; round++) {
    for (const mode of ["without", "with"] as const) {
      await Deno.remove(`${dir}/state.db`).catch(() => {});
      const state = mode === "with" ? ["--state", `${dir}/state.db`] : [];
      const run = await cli([...base, "-o", `${dir}/out.jsonl`, ...state]);
      if (run.code !== 0) throw new Error(`crawl ${mode} --state exited ${run.code}`);
      const records = (await Deno.readTextFile(`${dir}/out.jsonl`)).split("\n").length - 1;
      times[mode]!.push(records / run.seconds);
    }
  }
  await site.shutdown();
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`| ${PAGES} pages at 100 ms, -c 500, CLI to a file | pages/s (runs) |`);
  console.log("| --- | ---: |");
  console.log(`| without --state | ${times.without!.map((x) => x.toFixed(0)).join(", ")} |`);
  console.log(`| with --state | ${times.with!.map((x) => x.toFixed(0)).join(", ")} |`);
  console.log(`| ratio | ${(median(times.with!) / median(times.without!)).toFixed(2)} |`);
  console.log();
}

// 2. The kill loop.
{
  const site = serveDemoSite({ pages: PAGES, latencyMs: 5, slowEvery: 40, slowMs: 250 });
  await Deno.writeTextFile(seeds, `${site.url}\n`);
  const args = ["crawl", seeds, "--depth", "100", "-c", "32", "-o", `${dir}/killed.jsonl`];
  const reference = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "crawl", seeds, "--depth", "100", "-c", "32", "--quiet"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const expected = new Set(
    new TextDecoder().decode(reference.stdout).trim().split("\n").map((l) => JSON.parse(l).url),
  );
  site.hits.clear();
  let kills = 0, runs = 0;
  for (; runs < KILLS + 20; runs++) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, ...args, "--state", `${dir}/killed.db`, "--quiet"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    if (kills < KILLS) {
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* it ended first */ }
      }, 300 + Math.random() * 1500);
      const status = await child.status;
      clearTimeout(timer);
      if (status.signal === "SIGKILL") {
        kills++;
        continue;
      }
    } else await child.status;
    break;
  }
  await site.shutdown();
  const urls = (await Deno.readTextFile(`${dir}/killed.jsonl`)).trim().split("\n").map((l) =>
    JSON.parse(l).url as string
  );
  const seen = new Set(urls);
  const lost = [...expected].filter((u) => !seen.has(u)).length;
  const duplicated = urls.length - seen.size;
  const refetched = [...site.hits].filter(([path, n]) => path !== "/robots.txt" && n > 1).length;
  console.log(
    "| kill loop | kills | runs | records | expected | lost | duplicated | pages fetched twice or more |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  console.log(
    `| ${PAGES}-page site | ${kills} | ${runs + 1} | ${urls.length} | ${expected.size} | ` +
      `${lost} | ${duplicated} | ${refetched} |`,
  );
}
await Deno.remove(dir, { recursive: true });
