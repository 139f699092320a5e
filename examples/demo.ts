/**
 * `deno task demo`: start the generated demo site on a free loopback port and crawl
 * it with the real command line, so the whole pipeline runs offline in seconds:
 * robots.txt refusal, a redirect, a broken link, slow pages, CSS fields, the summary and
 * an HTML report (demo-report.html).
 *
 * @module
 */

import { serveDemoSite } from "./demo_site.ts";
import { runCli } from "../src/cli/run_cli.ts";

const site = serveDemoSite({ pages: 300 });
const seeds = await Deno.makeTempFile({ prefix: "trawl-demo-", suffix: ".txt" });
await Deno.writeTextFile(seeds, `# the demo site's front page\n${site.url}\n`);
const out = "demo-output.jsonl";
const report = "demo-report.html";

console.error(`demo site: ${site.url} (${site.reachable.size} reachable URLs)`);
console.error(
  `running: trawl crawl ${seeds} --depth 5 --select h1=h1 --select price=.price -o ${out} ` +
    `--report ${report}\n`,
);
const status = await runCli([
  "crawl",
  seeds,
  "--depth",
  "5",
  "--select",
  "h1=h1",
  "--select",
  "price=.price",
  "-o",
  out,
  "--report",
  report,
]);
await site.shutdown();
await Deno.remove(seeds);

const lines = (await Deno.readTextFile(out)).trim().split("\n");
console.error(`\n${lines.length} records in ${out}; three of them:`);
for (const line of [lines[0], lines[Math.floor(lines.length / 2)], lines.at(-1)]) console.log(line);
console.error(`\nthe HTML report (charts, hosts, slowest pages; opens offline): ${report}`);
Deno.exit(status);
