// The collector of a distributed crawl on a real redis-server: --trim-records drops what every
// registered collector has committed, never what one still needs, and refuses a latecomer.
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startRedisServer } from "../_redis_server.ts";
import { collectRecords } from "../../src/cli/_redis_collector.ts";
import { markComplete } from "../../src/cli/_redis_crawl_meta.ts";
import { parseFlags } from "../../src/cli/parse_flags.ts";
import type { TrawlError } from "../../src/trawl_error.ts";

const PREFIX = "trawl:{trim}:";

function record(n: number) {
  return {
    url: `http://127.0.0.1/${n}`,
    finalUrl: `http://127.0.0.1/${n}`,
    status: 200,
    depth: 0,
    error: null,
    data: { n },
  };
}

async function add(redis: Redis, from: number, to: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = from; n <= to; n++) {
    ids.push((await redis.xadd(PREFIX + "records", "*", "r", JSON.stringify(record(n))))!);
  }
  return ids;
}

const numbers = async (path: string) =>
  (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l).data.n);

Deno.test("collect --trim-records: trims to the slowest collector's commit; a latecomer is refused", async () => {
  const server = await startRedisServer();
  const redis = new Redis(server.url);
  const dir = await Deno.makeTempDir();
  const a = `${dir}/a.jsonl`;
  const b = `${dir}/b.jsonl`;
  try {
    const first = await add(redis, 1, 6);
    // B (no trimming) writes 1-6, commits and stops.
    const stopB = new AbortController();
    const partB = await collectRecords(redis, PREFIX, {
      out: b,
      format: "jsonl",
      signal: stopB.signal,
      onProgress: () => stopB.abort(),
    });
    assert.deepEqual([partB.written, partB.complete], [6, false]);
    await add(redis, 7, 10);
    await markComplete(redis, PREFIX);

    // A trims as it commits, but only below B's commit: B still needs 7-10.
    const whole = await collectRecords(redis, PREFIX, { out: a, format: "jsonl", trim: true });
    assert.deepEqual([whole.written, whole.complete], [10, true]);
    assert.deepEqual(await numbers(a), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(await redis.xlen(PREFIX + "records"), 5, "6-10 kept: B committed 6");
    assert.equal(await redis.get(PREFIX + "trimmed"), first[5]);

    // A new collector would miss 1-5: refused, naming the flag, before any file is made.
    await assert.rejects(
      collectRecords(redis, PREFIX, { out: `${dir}/late.jsonl`, format: "jsonl" }),
      (e: TrawlError) =>
        e.code === "INVALID_OPTION" && /trimmed \(--trim-records\)/.test(e.message),
    );
    await assert.rejects(Deno.stat(`${dir}/late.jsonl`), Deno.errors.NotFound, "no file made");

    // B resumes after 6 and finishes exactly once; trimming now, it leaves only the last entry.
    const restB = await collectRecords(redis, PREFIX, { out: b, format: "jsonl", trim: true });
    assert.deepEqual([restB.written, restB.complete], [4, true]);
    assert.deepEqual(await numbers(b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(await redis.xlen(PREFIX + "records"), 1);
  } finally {
    redis.disconnect();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("collect and status flags: --trim-records needs a collector; crawl flags are usage errors there", () => {
  const target = ["--redis", "redis://127.0.0.1:1/0", "--crawl", "x", "--trim-records"];
  const usage = (args: string[], message: RegExp) =>
    assert.throws(
      () => parseFlags(args),
      (e: TrawlError) => e.code === "INVALID_OPTION" && message.test(e.message),
    );
  usage(["crawl", "seeds.txt", ...target], /--trim-records trims what this worker's collector/);
  usage(["status", ...target], /^--trim-records is not a flag of status; it takes --redis, /);
  usage(
    ["collect", ...target, "-o", "all.jsonl", "--depth", "3"],
    /^--depth is not a flag of collect/,
  );
  usage(["crawl", "seeds.txt", "--trim-records"], /--trim-records belongs to a distributed crawl/);
  const collect = parseFlags(["collect", ...target, "-o", "all.jsonl"]);
  assert.equal(collect.kind === "collect" && collect.target.trimRecords, true);
});
