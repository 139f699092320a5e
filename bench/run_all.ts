/**
 * `deno task bench`: runs every benchmark, one after another (each in its own
 * process, so none disturbs another's memory figures), and writes their tables to
 * bench/RESULTS.md. Pass `--quick` for short runs: their tables go to a temporary
 * directory (the path is printed), unless `--update` asks to replace RESULTS.md.
 *
 * @module
 */

const quick = Deno.args.includes("--quick");
const BENCHES = [
  "fetch_bench.ts",
  "parse_bench.ts",
  "crawl_bench.ts",
  "hosts_bench.ts",
  "frontier_memory_bench.ts",
  "durable_bench.ts",
  "recrawl_bench.ts",
  "redis_bench.ts",
];
const sections: string[] = [
  "# Benchmark results",
  "",
  `Run ${
    new Date().toISOString()
  } on ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}` +
  `${quick ? " (--quick)" : ""}. Client and servers share the machine: read ratios, not capacity.`,
];
let failed = false;
for (const bench of BENCHES) {
  console.error(`bench: ${bench}`);
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(bench, import.meta.url).pathname, ...(quick ? ["--quick"] : [])],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const table = new TextDecoder().decode(stdout).trim();
  sections.push(
    "",
    `## ${bench}`,
    "",
    code === 0 ? table : `failed with exit code ${code}\n\n${table}`,
  );
  failed ||= code !== 0;
  console.log(`\n## ${bench}\n\n${table}`);
}
// Short runs are not the figures of record: they leave the tracked file alone.
const out = quick && !Deno.args.includes("--update")
  ? new URL(`file://${await Deno.makeTempDir({ prefix: "trawl-bench-" })}/RESULTS.md`)
  : new URL("RESULTS.md", import.meta.url);
await Deno.writeTextFile(out, sections.join("\n") + "\n");
// Keep the committed file as `deno fmt --check` (run by CI) wants it.
await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", out.pathname] }).output();
console.error(`bench: tables written to ${out.pathname}`);
if (failed) Deno.exit(1);
