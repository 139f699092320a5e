import assert from "node:assert/strict";
import { parseCsv } from "../../src/_std.ts";
import { serveDemoSite } from "../../examples/demo_site.ts";
import { CLI, runCli } from "./_run.ts";

const KILLS = 5;

/** Crawl with --state, SIGKILL it at random moments, rerun until it completes. */
async function crawlWithKills(
  seeds: string,
  dir: string,
  format: "jsonl" | "csv",
): Promise<{ text: string; kills: number; runs: number }> {
  const out = `${dir}/out.${format}`;
  const args = [
    "run",
    "-A",
    CLI,
    "crawl",
    seeds,
    "--depth",
    "12",
    "-c",
    "16",
    "--format",
    format,
    "--select",
    "h1=h1",
    "-o",
    out,
    "--state",
    `${dir}/state-${format}.db`,
    "--quiet",
  ];
  let kills = 0;
  for (let runs = 1; runs <= 40; runs++) {
    const child = new Deno.Command(Deno.execPath(), {
      args,
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    if (kills < KILLS) {
      const killAt = 400 + Math.random() * 1200;
      const timer = setTimeout(() => child.kill("SIGKILL"), killAt);
      const status = await child.status;
      clearTimeout(timer);
      await child.stderr.cancel();
      if (status.signal === "SIGKILL") {
        kills++;
        continue;
      }
      assert.equal(status.code, 0);
    } else {
      const { code, stderr } = await child.output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
    }
    // Completed: the same command again says so and changes nothing.
    const again = await runCli(args.slice(3));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /complete: nothing to do/);
    return { text: await Deno.readTextFile(out), kills, runs };
  }
  throw new Error("the crawl did not complete in 40 runs");
}

Deno.test("durable crawl: kill -9 at 5 random moments, rerun until done: every URL exactly once (jsonl and csv)", async () => {
  // Links between pages, slow pages, a 404, a redirect chain, robots.txt refusals.
  const site = serveDemoSite({ pages: 1000, latencyMs: 5, slowEvery: 40, slowMs: 250 });
  const dir = await Deno.makeTempDir();
  try {
    const seeds = `${dir}/seeds.txt`;
    await Deno.writeTextFile(seeds, `${site.url}\n`);
    // The reference: one uninterrupted crawl.
    const reference = await runCli(["crawl", seeds, "--depth", "12", "-c", "16", "--quiet"]);
    assert.equal(reference.code, 0, reference.stderr);
    const expected = reference.stdout.trim().split("\n").map((l) => JSON.parse(l).url).sort();
    assert.ok(expected.length > 1000, `${expected.length} URLs`);

    const jsonl = await crawlWithKills(seeds, dir, "jsonl");
    assert.ok(jsonl.kills >= 1, "at least one kill landed mid-crawl");
    const lines = jsonl.text.split("\n");
    assert.equal(lines.pop(), "", "the file ends with a whole line");
    const records = lines.map((line) => JSON.parse(line)); // no torn line
    assert.deepEqual(records.map((r) => r.url).sort(), expected, "every URL exactly once");
    assert.equal(new Set(records.map((r) => r.id)).size, records.length, "no duplicate id");

    const csv = await crawlWithKills(seeds, dir, "csv");
    const rows = parseCsv(csv.text, { skipFirstRow: true }) as Record<string, string>[];
    assert.deepEqual(Object.keys(rows[0]!).slice(0, 2), ["id", "url"]);
    assert.deepEqual(rows.map((r) => r.url).sort(), expected, "every URL exactly once (csv)");
    assert.equal(new Set(rows.map((r) => r.id)).size, rows.length);
  } finally {
    await site.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("durable crawl: other settings than the state's are a usage error naming them; --fresh starts over", async () => {
  const site = serveDemoSite({ pages: 20, slowEvery: 0 });
  const dir = await Deno.makeTempDir();
  try {
    const seeds = `${dir}/seeds.txt`;
    await Deno.writeTextFile(seeds, `${site.url}\n`);
    const base = ["crawl", seeds, "-o", `${dir}/out.jsonl`, "--state", `${dir}/s.db`, "--quiet"];
    const first = await runCli([...base, "--depth", "1"]);
    assert.equal(first.code, 0, first.stderr);
    const other = await runCli([...base, "--depth", "2", "--scope", "domain", "--sitemaps"]);
    assert.equal(other.code, 2);
    assert.equal(other.stderr.trim().split("\n").length, 1, other.stderr);
    assert.match(other.stderr, /--depth: 1 in the state file, 2 now/);
    assert.match(other.stderr, /--scope: null in the state file, "domain" now/);
    assert.match(other.stderr, /--sitemaps: null in the state file, true now/);
    assert.match(other.stderr, /--fresh/);
    const fresh = await runCli([...base, "--depth", "2", "--fresh"]);
    assert.equal(fresh.code, 0, fresh.stderr);
    const urls = (await Deno.readTextFile(`${dir}/out.jsonl`)).trim().split("\n");
    assert.ok(urls.length > 11, "the fresh crawl went two levels deep");
    const usage = await runCli(["crawl", seeds, "--state", `${dir}/s.db`]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--state needs -o FILE/);
  } finally {
    await site.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("durable crawl: a seed file changed since the state was made is named as a difference", async () => {
  const site = serveDemoSite({ pages: 5, slowEvery: 0 });
  const dir = await Deno.makeTempDir();
  try {
    const seeds = `${dir}/seeds.txt`;
    await Deno.writeTextFile(seeds, `${site.url}\n`);
    const args = ["crawl", seeds, "-o", `${dir}/out.jsonl`, "--state", `${dir}/s.db`, "--quiet"];
    assert.equal((await runCli(args)).code, 0);
    await Deno.writeTextFile(seeds, `${site.url}\n${site.url}p/1\n`);
    const changed = await runCli(args);
    assert.equal(changed.code, 2);
    assert.match(changed.stderr, /seed file: ".* bytes, sha256 .*" in the state file/);
  } finally {
    await site.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
