// Distributed crawls: real redis-server, real workers (cli.ts subprocesses), a real site.
import assert from "node:assert/strict";
import { serveDemoSite } from "../../examples/demo_site.ts";
import { Redis } from "ioredis";
import { startRedisServer } from "../_redis_server.ts";
import { CLI, parseJsonl, runCli } from "./_run.ts";

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

/** Every URL of the reference exactly once, no duplicate id. */
function assertExactlyOnce(text: string, expected: string[]) {
  const lines = text.split("\n");
  assert.equal(lines.pop(), "", "the file ends with a whole line");
  const records = lines.map((line) => JSON.parse(line)); // no torn line
  assert.equal(new Set(records.map((r) => r.id)).size, records.length, "no duplicate id");
  assert.deepEqual(records.map((r) => String(r.url)).sort(), expected, "every URL exactly once");
}

Deno.test("redis crawl: 3 workers + a collector, one worker SIGKILLed: every URL once, survivors exit 0", async () => {
  const redis = await startRedisServer();
  const abort = new AbortController();
  const site = serveDemoSite({ pages: PAGES, latencyMs: 5, slowEvery: 0, signal: abort.signal });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/seeds.txt`, site.url + "\n");
    const common = ["--depth", "50", "-c", "16", "--quiet"];
    const expected = await reference(`${dir}/seeds.txt`, common);
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
    await new Promise((resolve) => setTimeout(resolve, 1500 + Math.random() * 1500));
    const client = new Redis(redis.url);
    const before = await client.hgetall("trawl:{kill}:n");
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
