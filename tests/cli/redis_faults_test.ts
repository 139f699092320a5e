// Redis faults during a distributed crawl: real redis-server (AOF on), real workers.
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { serveDemoSite } from "../../examples/demo_site.ts";
import { startRedisServer } from "../_redis_server.ts";
import { CLI, runCli } from "./_run.ts";
import { assertExactlyOnce, reachableUrls } from "./_redis_cli.ts";

function spawn(args: string[]): Deno.ChildProcess {
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait until crawl `name` has `done` URLs done (a random moment of the crawl); its counters. */
async function whenDone(url: string, name: string, done: number): Promise<Record<string, string>> {
  const client = new Redis(url);
  try {
    let n: Record<string, string> = {};
    while (Number(n.done ?? 0) < done) {
      await sleep(5);
      n = await client.hgetall(`trawl:{${name}}:n`);
    }
    return n;
  } finally {
    client.disconnect();
  }
}

async function setup(pages: number) {
  const redis = await startRedisServer({ appendOnly: true });
  const abort = new AbortController();
  const site = serveDemoSite({ pages, latencyMs: 5, slowEvery: 0, signal: abort.signal });
  const dir = await Deno.makeTempDir();
  const seeds = `${dir}/seeds.txt`;
  await Deno.writeTextFile(seeds, site.url + "\n");
  const common = ["--depth", "50", "-c", "16", "--workers", "1", "--quiet"];
  const expected = reachableUrls(site);
  return {
    redis,
    dir,
    seeds,
    expected,
    flags: (name: string, extra: string[] = []) => [
      "--redis",
      redis.url,
      "--crawl",
      name,
      "--lease-ms",
      "1500",
      ...extra,
      ...common,
    ],
    collect: (
      name: string,
    ) => ["collect", "--redis", redis.url, "--crawl", name, "-o", `${dir}/all.jsonl`],
    async close() {
      abort.abort();
      await redis.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("redis faults: redis-server restarted mid-crawl: workers pause, reconnect, every URL once", async () => {
  const t = await setup(800);
  try {
    const workers = [0, 1].map(() => spawn(["crawl", t.seeds, ...t.flags("restart")]));
    const collector = spawn([...t.collect("restart"), "--quiet"]);
    const n = await whenDone(t.redis.url, "restart", 50 + Math.floor(Math.random() * 300));
    assert.ok(Number(n.queued) + Number(n.leased) > 0, "restarted mid-crawl");
    await t.redis.restart(500);
    for (const w of workers) {
      const { code, stderr } = await finish(w);
      assert.equal(code, 0, stderr);
    }
    const c = await finish(collector);
    assert.equal(c.code, 0, c.stderr);
    assertExactlyOnce(await Deno.readTextFile(`${t.dir}/all.jsonl`), t.expected);
  } finally {
    await t.close();
  }
});

Deno.test("redis faults: Redis gone past --redis-timeout: one-line error; rerun after it is back: nothing lost", async () => {
  const t = await setup(600);
  try {
    const worker = spawn([
      "crawl",
      t.seeds,
      ...t.flags("gone", ["--redis-timeout", "2"]),
      "-o",
      `${t.dir}/all.jsonl`,
    ]);
    await whenDone(t.redis.url, "gone", 50 + Math.floor(Math.random() * 300));
    await t.redis.stop();
    const gone = await finish(worker);
    assert.equal(gone.code, 1, gone.stderr);
    const lines = gone.stderr.trim().split("\n").filter((l) => l.startsWith("trawl:"));
    assert.equal(lines.length, 1, gone.stderr);
    assert.match(
      lines[0],
      /Redis at redis:\/\/127\.0\.0\.1:\d+\/0 was unreachable .*--redis-timeout/,
    );
    await t.redis.restart();
    const again = await runCli(["crawl", t.seeds, ...t.flags("gone"), "-o", `${t.dir}/all.jsonl`]);
    assert.equal(again.code, 0, again.stderr);
    assertExactlyOnce(await Deno.readTextFile(`${t.dir}/all.jsonl`), t.expected);
  } finally {
    await t.close();
  }
});
