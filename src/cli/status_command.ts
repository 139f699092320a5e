/**
 * `status --redis URL --crawl NAME [--json]`: how a distributed crawl stands:
 * queued / leased / done / failed, live workers, the rate over the last second,
 * and the busiest hosts (most URLs done, with what they still have queued).
 *
 * @module
 */

import { connectRedis, crawlPrefix } from "../_redis_client.ts";
import { oneLine, say } from "./crawl_command.ts";
import { crawlConfig, isComplete } from "./_redis_crawl_meta.ts";
import type { StatusCommand } from "./_redis_flags.ts";

/** How long the rate is sampled, ms. */
const SAMPLE_MS = 1000;
/** Busiest hosts shown. */
const TOP = 5;

/**
 * The state of a crawl, as `status --json` prints it.
 *
 * @example Is it over?
 * ```ts
 * import type { CrawlStatus } from "./status_command.ts";
 *
 * const over = (s: CrawlStatus) => s.complete;
 * ```
 */
export interface CrawlStatus {
  /** The crawl's name. */
  crawl: string;
  /** A worker started it. */
  started: boolean;
  /** Nothing queued or leased anywhere, and the seeds are in. */
  complete: boolean;
  /** URLs waiting (ready or delayed). */
  queued: number;
  /** URLs being fetched by some worker. */
  leased: number;
  /** URLs finished (with a record). */
  done: number;
  /** Of those, records with an error. */
  failed: number;
  /** Leases taken back from workers that stopped renewing them. */
  reclaimed: number;
  /** Workers seen within the lease time. */
  liveWorkers: number;
  /** URLs done per second over the last second. */
  pagesPerSecond: number;
  /** Hosts with the most URLs done. */
  busiestHosts: { host: string; done: number; queued: number }[];
}

/**
 * Run `status`; resolves to the exit status.
 *
 * @example From a script
 * ```ts ignore
 * import { parseFlags } from "./parse_flags.ts";
 * import { runStatusCommand } from "./status_command.ts";
 *
 * const c = parseFlags(["status", "--redis", "redis://127.0.0.1:6379/0", "--crawl", "docs", "--json"]);
 * if (c.kind === "status") Deno.exit(await runStatusCommand(c));
 * ```
 */
export async function runStatusCommand(command: StatusCommand): Promise<number> {
  const { target } = command;
  const client = connectRedis({ url: target.url, timeoutMs: target.timeoutMs });
  try {
    const redis = client.redis;
    const p = crawlPrefix(target.crawl);
    const config = await crawlConfig(redis, p);
    const leaseMs = Number(config?.["--lease-ms"] ?? target.leaseMs);
    const counters = async () => {
      const n = await redis.hgetall(p + "n");
      return { at: performance.now(), n: (k: string) => Number(n[k] ?? 0) };
    };
    const before = await counters();
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    const now = await counters();
    const [t] = await redis.time();
    const live = await redis.zcount(p + "owners", Number(t) * 1000 - leaseMs, "+inf");
    const hdone = await redis.hgetall(p + "hdone");
    const top = Object.entries(hdone).map(([host, n]) => ({ host, done: Number(n) }))
      .sort((a, b) => b.done - a.done).slice(0, TOP);
    const queuedOf = await Promise.all(top.map(({ host }) => redis.zcard(`${p}q:${host}`)));
    const status: CrawlStatus = {
      crawl: target.crawl,
      started: config !== null,
      complete: await isComplete(redis, p),
      queued: now.n("queued"),
      leased: now.n("leased"),
      done: now.n("done"),
      failed: now.n("failed"),
      reclaimed: now.n("reclaimed"),
      liveWorkers: live,
      pagesPerSecond: Math.round(
        (now.n("done") - before.n("done")) * 1000 / Math.max(1, now.at - before.at),
      ),
      busiestHosts: top.map((h, i) => ({ ...h, queued: queuedOf[i] })),
    };
    const text = command.json ? JSON.stringify(status) : formatStatus(status);
    await Deno.stdout.write(new TextEncoder().encode(text + "\n"));
    return 0;
  } catch (error) {
    say(`trawl: fatal: ${oneLine(client.explain(error))}\n`);
    return 1;
  } finally {
    await client.close();
  }
}

function formatStatus(s: CrawlStatus): string {
  if (!s.started) return `crawl ${s.crawl}: not started (no worker has joined it)`;
  const lines = [
    `crawl ${s.crawl}: ${s.complete ? "complete" : "running"}`,
    `  queued ${s.queued}  leased ${s.leased}  done ${s.done}  failed ${s.failed}` +
    `  reclaimed ${s.reclaimed}`,
    `  live workers ${s.liveWorkers}  rate ${s.pagesPerSecond} pages/s`,
  ];
  if (s.busiestHosts.length > 0) {
    lines.push("  busiest hosts (done / queued):");
    for (const h of s.busiestHosts) lines.push(`    ${h.host}  ${h.done} / ${h.queued}`);
  }
  return lines.join("\n");
}
