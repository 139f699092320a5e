/**
 * The collector of a distributed crawl: reads the crawl's `records` stream in
 * Redis (each URL's record, stored once with its ack) and appends it to a file
 * in any output format, exactly once across kills and restarts.
 *
 * Durability, as in the `--state` crawl: the file is synced up to a byte
 * offset, then that offset and the id of the last stream entry written before
 * it are stored in Redis in one script (key `collect:<absolute path>`). A
 * restarted collector cuts the file back to the stored offset and reads the
 * stream after the stored id: what was written after the last commit is
 * written again, once. It ends when the crawl is complete and the stream holds
 * nothing after what it wrote.
 *
 * Trimming: every collector registers its key in the crawl's `collectors` set.
 * One told to trim drops, at each commit, the stream's entries before the
 * lowest id any registered collector has committed (`XTRIM MINID`, in the
 * same script as its own commit) and stores that id as `trimmed`. A collector
 * whose committed id is below `trimmed` (a new one, once records were trimmed)
 * is refused: it would miss them.
 *
 * @module
 */

import type { Redis } from "ioredis";
import { createFileSink } from "../sinks/file_sink.ts";
import { textFormat } from "../sinks/create_sink.ts";
import type { CrawlRecord } from "../types.ts";
import { TrawlError } from "../trawl_error.ts";
import type { OutputFormat } from "./parse_flags.ts";
import { isComplete } from "./_redis_crawl_meta.ts";
import { sleepMs } from "../_abortable.ts";

/** Defaults of {@linkcode CollectOptions}. */
export const COLLECT_DEFAULTS = Object.freeze({ commitMs: 250, batch: 1000, pollMs: 100 });

/**
 * Options for {@linkcode collectRecords}.
 *
 * @example JSON lines into all.jsonl
 * ```ts
 * import type { CollectOptions } from "./_redis_collector.ts";
 *
 * const options: CollectOptions = { out: "all.jsonl", format: "jsonl" };
 * ```
 */
export interface CollectOptions {
  /** The output file. */
  out: string;
  /** Its format. */
  format: OutputFormat;
  /** CSV columns (the crawl's `--select` names). @default {undefined} */
  columns?: string[];
  /** Stop (after a commit) when aborted. @default {undefined} */
  signal?: AbortSignal;
  /** How often the file is synced and its offset committed, ms. @default {250} */
  commitMs?: number;
  /**
   * Drop the stream's entries every registered collector has committed (the
   * records then live only in the files). @default {false}
   */
  trim?: boolean;
  /** Told the count after each batch. @default {undefined} */
  onProgress?: (written: number) => void;
}

/** What {@linkcode collectRecords} did. */
export interface CollectResult {
  /** Records written by this run. */
  written: number;
  /** The output was complete already (an earlier run finished it). */
  alreadyComplete: boolean;
  /** The crawl was complete and everything is in the file (not stopped by the signal). */
  complete: boolean;
}

/**
 * Collect the records of the crawl under `prefix` into `options.out`. Use a
 * connection of its own (nothing else waits behind its reads).
 *
 * @example Collect until the crawl is over
 * ```ts ignore
 * import { Redis } from "ioredis";
 * import { collectRecords } from "./_redis_collector.ts";
 *
 * const redis = new Redis("redis://127.0.0.1:6379/0");
 * await collectRecords(redis, "trawl:{docs}:", { out: "all.jsonl", format: "jsonl" });
 * redis.disconnect();
 * ```
 */
export async function collectRecords(
  redis: Redis,
  prefix: string,
  options: CollectOptions,
): Promise<CollectResult> {
  const path = await Deno.realPath(dirOf(options.out)) + "/" + baseOf(options.out);
  const key = `${prefix}collect:${path}`;
  const state = await redis.hgetall(key);
  if (state.done === "1") return { written: 0, alreadyComplete: true, complete: true };
  const keys = [key, prefix + "collectors", prefix + "records", prefix + "trimmed"];
  const cut = await redis.eval(REGISTER, keys.length, ...keys) as string | null;
  if (cut !== null) {
    throw new TrawlError(
      "INVALID_OPTION",
      `-o ${options.out}: the crawl's records up to stream id ${cut} were trimmed ` +
        `(--trim-records) before this collector had them; collect into the file that was ` +
        `collecting them, or crawl again under another --crawl name`,
    );
  }
  const offset = Number(state.offset ?? 0);
  let last = state.last ?? "0-0";
  const file = await Deno.open(options.out, { write: true, create: true });
  const size = (await file.stat()).size;
  if (size < offset) {
    file.close();
    throw new TrawlError(
      "INVALID_OPTION",
      `-o ${options.out} holds ${size} bytes, fewer than the ${offset} Redis says were ` +
        `collected: it was changed since; restore it, or collect into another file`,
    );
  }
  await file.truncate(offset);
  await file.seek(offset, Deno.SeekMode.Start);
  const sink = createFileSink(
    file,
    textFormat(options.format, { columns: options.columns, resume: offset > 0 }),
    { offset },
  );
  const commitMs = options.commitMs ?? COLLECT_DEFAULTS.commitMs;
  let written = 0;
  let committed = { offset, last };
  let lastCommit = performance.now();
  const commit = async () => {
    if (sink.offset === committed.offset && last === committed.last) return;
    await sink.sync();
    await redis.eval(COMMIT, keys.length, ...keys, sink.offset, last, options.trim ? 1 : 0);
    committed = { offset: sink.offset, last };
    lastCommit = performance.now();
  };
  let complete = false;
  try {
    while (!options.signal?.aborted) {
      const over = await isComplete(redis, prefix);
      const entries = await redis.xrange(
        prefix + "records",
        `(${last}`,
        "+",
        "COUNT",
        COLLECT_DEFAULTS.batch,
      );
      for (const [id, fields] of entries) {
        await sink.write(JSON.parse(fields[1]) as CrawlRecord);
        last = id;
        written++;
      }
      if (entries.length > 0) options.onProgress?.(written);
      if (performance.now() - lastCommit >= commitMs) await commit();
      if (entries.length === 0) {
        if (over) {
          complete = true;
          break;
        }
        await sleepMs(COLLECT_DEFAULTS.pollMs, options.signal).catch(() => {}); // stopped: commit
      }
    }
    await commit();
  } finally {
    await sink.close();
  }
  if (complete) await redis.hset(key, "offset", String(sink.offset), "last", last, "done", "1");
  return { written, alreadyComplete: false, complete };
}

// Stream ids compare as (ms, seq) pairs of numbers (both fit a Lua double).
const BEFORE = `
local function before(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end
`;

/** KEYS: own, collectors, records, trimmed. Registers; returns the trimmed id if own is below it. */
const REGISTER = BEFORE + `
local last = redis.call('HGET', KEYS[1], 'last') or '0-0'
local cut = redis.call('GET', KEYS[4])
if cut and before(last, cut) then return cut end
redis.call('SADD', KEYS[2], KEYS[1])
return false
`;

/**
 * KEYS as REGISTER; ARGV: offset, last, trim (1/0). Commits own offset and id; when
 * trimming, drops the entries before the lowest id committed by any collector (the
 * collectors' keys carry the crawl's hash tag: same slot).
 */
const COMMIT = BEFORE + `
redis.call('HSET', KEYS[1], 'offset', ARGV[1], 'last', ARGV[2])
if ARGV[3] ~= '1' then return false end
local low = nil
for _, key in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local id = redis.call('HGET', key, 'last') or '0-0'
  if low == nil or before(id, low) then low = id end
end
local cut = redis.call('GET', KEYS[4]) or '0-0'
if low == nil or not before(cut, low) then return false end
redis.call('XTRIM', KEYS[3], 'MINID', low)
redis.call('SET', KEYS[4], low)
return low
`;

function dirOf(path: string): string {
  return path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
