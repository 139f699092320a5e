import assert from "node:assert/strict";
import { serveDemoSite } from "../../examples/demo_site.ts";
import { CLI, runCli } from "./_run.ts";

async function seedFile(urls: string[]): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".txt" });
  await Deno.writeTextFile(path, urls.join("\n") + "\n");
  return path;
}

function spawnCrawl(seeds: string, out: string, format = "jsonl") {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      CLI,
      "crawl",
      seeds,
      "--depth",
      "9",
      "-c",
      "4",
      "--format",
      format,
      "-o",
      out,
    ],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function untilServed(site: ReturnType<typeof serveDemoSite>, pages: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ([...site.hits.keys()].filter((k) => k.startsWith("/p/")).length < pages) {
    if (Date.now() > deadline) assert.fail(`the crawl served fewer than ${pages} pages in 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

Deno.test("cli: SIGTERM and SIGHUP stop a crawl like Ctrl-C: valid JSON and the summary", async () => {
  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    const site = serveDemoSite({ pages: 400, latencyMs: 50, slowEvery: 0 });
    const out = await Deno.makeTempFile({ suffix: ".json" });
    try {
      const child = spawnCrawl(await seedFile([site.url]), out, "json");
      await untilServed(site, 10);
      child.kill(signal);
      const { code, stderr } = await child.output();
      const text = new TextDecoder().decode(stderr);
      assert.equal(code, 0, `${signal}: ${text}`);
      const records = JSON.parse(await Deno.readTextFile(out));
      assert.ok(records.length >= 10 && records.length < 400, `${signal}: ${records.length}`);
      assert.match(text, /stopped early/, signal);
    } finally {
      await site.shutdown();
    }
  }
});

Deno.test("cli: after kill -9, the -o file holds what was written up to a second before", async () => {
  const site = serveDemoSite({ pages: 400, latencyMs: 50, slowEvery: 0 });
  const out = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    const child = spawnCrawl(await seedFile([site.url]), out);
    await untilServed(site, 30);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // past one flush
    child.kill("SIGKILL");
    await child.output();
    const lines = (await Deno.readTextFile(out)).split("\n").filter((l) => l !== "");
    // Served well over a second before the kill, so flushed: a buffered stream held them all.
    assert.ok(lines.length >= 20, `${lines.length} lines after kill -9`);
    for (const line of lines) JSON.parse(line); // whole records only
  } finally {
    await site.shutdown();
  }
});

Deno.test("cli: bad output paths are usage errors before any request: missing directory, a directory, the seed file", async () => {
  const site = serveDemoSite({ pages: 3, slowEvery: 0 });
  const dir = await Deno.makeTempDir();
  try {
    const seeds = `${dir}/urls.txt`;
    await Deno.writeTextFile(seeds, `${site.url}\n`);
    const cases: [string[], RegExp][] = [
      [["-o", `${dir}/nope/out.jsonl`], /--out .*: the directory .*nope does not exist/],
      [["-o", dir], /--out .* is a directory/],
      [["-o", seeds], /--out .* is the seed file/],
      [["--stats", `${dir}/missing/stats.json`], /--stats .*: the directory .* does not exist/],
      [["-o", `${dir}/a.jsonl`, "--stats", `${dir}/a.jsonl`], /--stats .* is also --out/],
    ];
    for (const [flags, message] of cases) {
      const run = await runCli(["crawl", seeds, ...flags, "--quiet"]);
      assert.equal(run.code, 2, `${flags.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    }
    assert.equal(await Deno.readTextFile(seeds), `${site.url}\n`, "the seed file is intact");
    assert.equal(site.hits.size, 0, "nothing was fetched");
  } finally {
    await site.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: a missing permission is one line naming the flag to add, not a stack trace", async () => {
  const seeds = await seedFile(["http://127.0.0.1:9/"]);
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-net=127.0.0.1", CLI, "crawl", seeds],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(stderr);
  assert.equal(code, 1, text);
  assert.equal(text.trim().split("\n").length, 1, text);
  assert.match(text, /^trawl: missing permission: .*; run again with --allow-env \(or -A\)$/m);
});
