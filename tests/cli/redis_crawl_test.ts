// Distributed crawls: real redis-server, real workers (cli.ts subprocesses), a real site.
import assert from "node:assert/strict";
import { serveDemoSite } from "../../examples/demo_site.ts";
import { Redis } from "ioredis";
import { startRedisServer } from "../_redis_server.ts";
import { CLI, parseJsonl, runCli } from "./_run.ts";
import { assertExactlyOnce, reachableUrls } from "./_redis_cli.ts";

const PAGES = 1200;

function worker(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function finish(child: Deno.ChildProcess): Promise<{ code: number; stderr: string }> {
  const { code, stderr } = await child.output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

/** The URLs a one-process, in-memory crawl gives (what every distributed run must give). */
async function reference(seeds: string, flags: string[]): Promise<string[]> {
  const run = await runCli(["crawl", seeds, ...flags]);
  assert.equal(run.code, 0, run.stderr);
  return parseJsonl(run.stdout).map((r) => String(r.url)).sort();
}

Deno.test("redis crawl: 3 workers + a collector, one worker SIGKILLed: every URL once, survivors exit 0", async () => {
  const redis = await startRedisServer();
  const abort = new AbortController();
  const site = serveDemoSite({ pages: PAGES, latencyMs: 5, slowEvery: 0, signal: abort.signal });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/seeds.txt`, site.url + "\n");
    const common = ["--depth", "50", "-c", "16", "--workers", "1", "--quiet"];
    const expected = reachableUrls(site);
    assert.ok(expected.length > 1000, `${expected.length} URLs`);
    const flags = ["--redis", redis.url, "--crawl", "kill", "--lease-ms", "1500", ...common];
    const workers = [0, 1, 2].map(() => worker(["crawl", `${dir}/seeds.txt`, ...flags]));
    const collector = worker([
      "collect",
      "--redis",
      redis.url,
      "--crawl",
      "kill",
      "-o",
      `${dir}/all.jsonl`,
      "--quiet",
    ]);
    // A random moment after the crawl got going (100-700 URLs done).
    const client = new Redis(redis.url);
    const killAt = 100 + Math.floor(Math.random() * 600);
    let before: Record<string, string> = {};
    while (Number(before.done ?? 0) < killAt) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      before = await client.hgetall("trawl:{kill}:n");
    }
    workers[1].kill("SIGKILL");
    client.disconnect();
    assert.ok(Number(before.queued) + Number(before.leased) > 0, "killed mid-crawl");
    const killed = await workers[1].status;
    assert.equal(killed.signal, "SIGKILL");
    for (const survivor of [workers[0], workers[2]]) {
      const { code, stderr } = await finish(survivor);
      assert.equal(code, 0, stderr);
    }
    const collected = await finish(collector);
    assert.equal(collected.code, 0, collected.stderr);
    assertExactlyOnce(await Deno.readTextFile(`${dir}/all.jsonl`), expected);
    const status = await runCli(["status", "--redis", redis.url, "--crawl", "kill", "--json"]);
    const s = JSON.parse(status.stdout);
    assert.equal(s.complete, true);
    assert.deepEqual([s.queued, s.leased], [0, 0]);
  } finally {
    abort.abort();
    await redis.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("redis crawl: 2 workers with --per-host 2 --delay 100: at the server never 3 in flight, starts 100 ms apart", async () => {
  const redis = await startRedisServer();
  const starts: number[] = [];
  const paths: string[] = [];
  let inFlight = 0, maxInFlight = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    starts.push(performance.now());
    paths.push(new URL(request.url).pathname);
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const path = new URL(request.url).pathname;
      if (path === "/robots.txt") return new Response("User-agent: *\nAllow: /\n");
      const n = path === "/" ? 0 : Number(path.slice(3));
      const links = [1, 2, 3].map((k) => n * 3 + k).filter((k) => k < 24)
        .map((k) => `<a href="/p/${k}">${k}</a>`).join("");
      return new Response(`<title>${n}</title>${links}`, {
        headers: { "content-type": "text/html" },
      });
    } finally {
      inFlight--;
    }
  });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/seeds.txt`, `http://127.0.0.1:${server.addr.port}/\n`);
    const flags = ["--redis", redis.url, "--crawl", "polite", "--depth", "5", "--per-host", "2"];
    flags.push("--delay", "100");
    const runs = await Promise.all(
      [0, 1].map(() => runCli(["crawl", `${dir}/seeds.txt`, ...flags, "--quiet"])),
    );
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    assert.ok(starts.length >= 25, `${starts.length} requests`); // 24 pages + robots.txt twice
    assert.ok(maxInFlight <= 2, `${maxInFlight} in flight at once`);
    // Measured at the server, every request (each worker's own robots.txt too); 10 ms of
    // slack for connection set-up on loopback.
    const gaps = starts.slice(1).map((t, i) => t - starts[i]);
    assert.ok(
      Math.min(...gaps) >= 90,
      `starts ${Math.round(Math.min(...gaps))} ms apart: ${
        paths.map((p, i) => `${p}@${Math.round(starts[i] - starts[0])}`).join(" ")
      }`,
    );
  } finally {
    await server.shutdown();
    await redis.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("redis crawl: a worker with other settings is a usage error naming them; one with no seed file joins, collects and trims", async () => {
  const redis = await startRedisServer();
  const abort = new AbortController();
  const site = serveDemoSite({ pages: 40, slowEvery: 0, signal: abort.signal });
  const dir = await Deno.makeTempDir();
  try {
    const seeds = `${dir}/seeds.txt`;
    await Deno.writeTextFile(seeds, site.url + "\n");
    const base = ["--redis", redis.url, "--crawl", "join", "--depth", "3", "--quiet"];
    // The joiner starts first: it waits for the seeds, then crawls and collects.
    const joiner = worker(["crawl", ...base, "-o", `${dir}/out.jsonl`, "--trim-records"]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seeder = await runCli(["crawl", seeds, ...base]);
    assert.equal(seeder.code, 0, seeder.stderr);
    const joined = await finish(joiner);
    assert.equal(joined.code, 0, joined.stderr);
    const expected = await reference(seeds, ["--depth", "3", "--quiet"]);
    assertExactlyOnce(await Deno.readTextFile(`${dir}/out.jsonl`), expected);
    // --trim-records: the only collector has every record on disk, so the stream keeps only
    // its last entry (the one its committed id names).
    const client = new Redis(redis.url);
    assert.equal(await client.xlen("trawl:{join}:records"), 1);
    client.disconnect();

    const other = await runCli(["crawl", seeds, ...base, "--depth", "2", "--delay", "5"]);
    assert.equal(other.code, 2, other.stderr);
    assert.equal(other.stderr.trim().split("\n").length, 1, other.stderr);
    assert.match(other.stderr, /--depth: 3 in Redis, 2 here/);
    assert.match(other.stderr, /--delay: null in Redis, 5 here/);
    const usage = await runCli(["crawl", seeds, "--crawl", "x"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--crawl belongs to a distributed crawl: add --redis/);
    const status = await runCli(["status", "--redis", redis.url, "--crawl", "join"]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /crawl join: complete/);
    assert.match(status.stdout, /queued 0 {2}leased 0 /);
  } finally {
    abort.abort();
    await redis.close();
    await Deno.remove(dir, { recursive: true });
  }
});
