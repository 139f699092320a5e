/**
 * `collect --redis URL --crawl NAME -o FILE [--format F]`: write the records of
 * a distributed crawl into a file, exactly once across kills and restarts, and
 * exit when the crawl is complete and every record is written
 * (`_redis_collector.ts`).
 *
 * @module
 */

import { connectRedis, crawlPrefix } from "../_redis_client.ts";
import { TrawlError } from "../trawl_error.ts";
import { oneLine, say } from "./crawl_command.ts";
import { collectRecords } from "./_redis_collector.ts";
import { crawlConfig } from "./_redis_crawl_meta.ts";
import type { CollectCommand } from "./_redis_flags.ts";

const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Run `collect`; resolves to the exit status (0 everything written or stopped
 * after a commit, 1 fatal, 2 usage).
 *
 * @example From a script
 * ```ts ignore
 * import { parseFlags } from "./parse_flags.ts";
 * import { runCollectCommand } from "./collect_command.ts";
 *
 * const c = parseFlags(["collect", "--redis", "redis://127.0.0.1:6379/0", "--crawl", "docs", "-o", "all.jsonl"]);
 * if (c.kind === "collect") Deno.exit(await runCollectCommand(c));
 * ```
 */
export async function runCollectCommand(command: CollectCommand): Promise<number> {
  const { target } = command;
  const client = connectRedis({ url: target.url, timeoutMs: target.timeoutMs });
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, onSignal);
  try {
    const prefix = crawlPrefix(target.crawl);
    const config = await crawlConfig(client.redis, prefix);
    const select = (config?.["--select"] ?? []) as string[];
    const result = await collectRecords(client.redis, prefix, {
      out: command.out,
      format: command.format,
      columns: select.length > 0 ? select.map((s) => s.slice(0, s.indexOf("="))) : undefined,
      signal: abort.signal,
      trim: target.trimRecords,
    });
    if (!command.quiet) {
      say(
        result.alreadyComplete
          ? `trawl: ${command.out} already holds every record of crawl ${target.crawl}\n`
          : `trawl: ${result.written} records written to ${command.out}` +
            (result.complete ? "; the crawl is complete\n" : "; stopped (run it again to go on)\n"),
      );
    }
    return 0;
  } catch (error) {
    const e = client.explain(error);
    const usage = e instanceof TrawlError && e.code === "INVALID_OPTION";
    say(`trawl: ${usage ? "" : "fatal: "}${oneLine(e)}\n`);
    return usage ? 2 : 1;
  } finally {
    for (const signal of STOP_SIGNALS) Deno.removeSignalListener(signal, onSignal);
    await client.close();
  }
}
