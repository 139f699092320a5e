/**
 * `crawl [urls.txt] --redis URL --crawl NAME`: one worker of a distributed
 * crawl. The frontier, the per-host politeness and the output live in Redis
 * (`createRedisFrontierStore`, `createRedisHostPolicy`); start as many workers
 * as you like, on any machine, with the same flags.
 *
 * The first worker stores the crawl's settings; the others check theirs (a
 * difference is a usage error naming it). Workers given the seed file add the
 * seeds (duplicates are dropped) and then mark the crawl seeded; workers with
 * no seed file wait for that mark. Each URL's record is stored in Redis with its
 * ack, once; with `-o` the worker also collects the records into the file
 * (`_redis_collector.ts`), else `trawl collect` does. Every worker exits 0 with
 * its summary once nothing is queued or leased anywhere.
 *
 * @module
 */

import { crawl, type CrawlRun } from "../crawl.ts";
import { createRedisFrontierStore } from "../frontier/redis_frontier_store.ts";
import { createRedisHostPolicy } from "../policy/redis_host_policy.ts";
import { connectRedis } from "../_redis_client.ts";
import { TrawlError } from "../trawl_error.ts";
import { oneLine, say } from "./crawl_command.ts";
import { crawlSettings, fingerprint } from "./_crawl_files.ts";
import type { CrawlCommand } from "./crawl_command.ts";
import { flagMessage } from "./parse_flags.ts";
import { readSeeds } from "./read_seeds.ts";
import { formatSummary } from "./summary.ts";
import {
  claimCrawl,
  type CrawlConfig,
  markComplete,
  SEED_KEY,
  seedsThenMark,
} from "./_redis_crawl_meta.ts";
import { collectRecords } from "./_redis_collector.ts";
import type { RedisTarget } from "./_redis_flags.ts";

const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Run one worker; resolves to the exit status (0 the crawl completed or the
 * worker was stopped, 1 fatal, 2 usage).
 *
 * @example From a script
 * ```ts ignore
 * import { parseFlags } from "./parse_flags.ts";
 * import { runRedisCrawlCommand } from "./redis_crawl_command.ts";
 *
 * const command = parseFlags(["crawl", "urls.txt", "--redis", "redis://127.0.0.1:6379/0", "--crawl", "docs"]);
 * if (command.kind === "crawl") Deno.exit(await runRedisCrawlCommand(command));
 * ```
 */
export async function runRedisCrawlCommand(command: CrawlCommand): Promise<number> {
  const target = command.redis!;
  const { options, quiet } = command;
  const hasSeeds = command.input !== "";
  if (hasSeeds && command.input !== "-") {
    try {
      if (!(await Deno.stat(command.input)).isFile) throw new Error("not a file");
    } catch {
      say(`trawl: cannot read seed file '${command.input}': give a file with one URL per line\n`);
      return 1;
    }
  }
  const store = createRedisFrontierStore({
    url: target.url,
    crawl: target.crawl,
    leaseMs: target.leaseMs,
    redisTimeoutMs: target.timeoutMs,
  });
  const prefix = store.prefix;
  const abort = new AbortController();
  let policy;
  let run: CrawlRun;
  try {
    await claimCrawl(store.redis, prefix, target.crawl, await crawlConfig(command, target));
    policy = createRedisHostPolicy({
      url: target.url,
      crawl: target.crawl,
      redisTimeoutMs: target.timeoutMs,
      maxPerHost: options.maxPerHost,
      delayMs: options.delayMs,
      rate: options.rate,
      globalRate: options.globalRate,
      awaitRobots: options.robots ?? true,
      maxRetryAfterMs: options.maxRetryAfterMs,
    });
    const warn = (message: string) => say(`trawl: warning: ${message}\n`);
    const seeds = hasSeeds ? readSeeds(command.input, { onSkip: warn }) : null;
    run = crawl(seedsThenMark(store.redis, prefix, seeds, 200, abort.signal), {
      ...options,
      store,
      hostPolicy: policy,
      maxQueued: options.maxQueued ?? Infinity,
      maxQueuedPerHost: options.maxQueuedPerHost ?? Infinity,
      signal: abort.signal,
      onWarning: warn,
    });
  } catch (error) {
    await policy?.close();
    await store.close();
    const usage = error instanceof TrawlError
      ? error.code === "INVALID_OPTION"
      : error instanceof RangeError || error instanceof TypeError;
    say(`trawl: ${usage ? oneLine(flagMessage(error as Error)) : `fatal: ${oneLine(error)}`}\n`);
    return usage ? 2 : 1;
  }

  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts === 1) {
      say("trawl: stopping: finishing requests in flight (Ctrl-C again to abandon them)\n");
      run.stop();
    } else abort.abort(new TrawlError("ABORTED", "interrupted"));
  };
  for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, onInterrupt);

  // With -o this worker also collects, on a connection of its own.
  // A collector that fails (Redis gone) stops the crawl too; its error is reported once.
  let collectorError: unknown = null;
  const collector = command.out === null ? null : (async () => {
    const client = connectRedis({ url: target.url, timeoutMs: target.timeoutMs });
    try {
      return await collectRecords(client.redis, prefix, {
        out: command.out!,
        format: command.format,
        columns: columnsOf(options.select),
        signal: abort.signal,
        trim: target.trimRecords,
      });
    } catch (error) {
      throw client.explain(error);
    } finally {
      await client.close();
    }
  })().catch((error) => {
    collectorError = error;
    abort.abort(error);
  });

  let status = 0;
  try {
    // Records are in Redis: consuming them acknowledges them (done + record, one step).
    for await (const _ of run) { /* counted in run.stats */ }
    if (interrupts === 0 && !abort.signal.aborted) await markComplete(store.redis, prefix);
    else abort.abort(new TrawlError("ABORTED", "interrupted"));
    await collector;
    if (collectorError !== null) throw collectorError;
  } catch (error) {
    // A Redis failure outside the store's own calls (the crawl's meta keys) reads the same.
    say(`trawl: fatal: ${oneLine(store.explain(error))}\n`);
    status = 1;
    abort.abort(error);
    await collector;
  } finally {
    for (const signal of STOP_SIGNALS) Deno.removeSignalListener(signal, onInterrupt);
    await store.close().catch(() => {});
    await policy.close().catch(() => {});
  }
  const snapshot = run.stats.snapshot();
  if (command.statsFile) {
    await Deno.writeTextFile(command.statsFile, JSON.stringify(snapshot, null, 2) + "\n");
  }
  if (!quiet) {
    say(
      `${formatSummary(snapshot, { maxDepth: options.maxDepth, interrupted: interrupts > 0 })}\n`,
    );
  }
  return status;
}

function columnsOf(select: readonly string[] | undefined): string[] | undefined {
  return select?.map((spec) => spec.slice(0, spec.indexOf("=")));
}

/** The settings every worker of a crawl must share (no paths: machines differ). */
async function crawlConfig(command: CrawlCommand, target: RedisTarget): Promise<CrawlConfig> {
  const o = command.options;
  const config: CrawlConfig = {
    ...crawlSettings(o),
    "--per-host": o.maxPerHost ?? null,
    "--delay": o.delayMs ?? null,
    "--rate": o.rate ?? null,
    "--global-rate": o.globalRate ?? null,
    "--lease-ms": target.leaseMs,
  };
  if (command.input !== "" && command.input !== "-") {
    config[SEED_KEY] = await fingerprint(command.input);
  }
  return config;
}
