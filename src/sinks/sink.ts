/**
 * The output interface of the crawler: one {@linkcode CrawlRecord} at a time.
 *
 * @module
 */

import type { CrawlRecord } from "../types.ts";

/**
 * Where crawl records go. Implement it to send records anywhere (a database, a
 * queue); the built-in sinks write JSONL, JSON or CSV to a stream.
 *
 * @example A sink that collects records in memory
 * ```ts
 * import type { Sink } from "./sink.ts";
 * import type { CrawlRecord } from "../types.ts";
 *
 * const records: CrawlRecord[] = [];
 * const memory: Sink = {
 *   write(record) {
 *     records.push(record);
 *     return Promise.resolve();
 *   },
 *   close: () => Promise.resolve(),
 * };
 * ```
 */
export interface Sink {
  /** Write one record; called in order, awaited before the next. */
  write(record: CrawlRecord): Promise<void>;
  /** Flush and finish the output (e.g. close the JSON array); idempotent. */
  close(): Promise<void>;
}

/**
 * Options shared by the built-in sinks.
 *
 * @example Keep stdout open after the output
 * ```ts
 * import type { SinkOptions } from "./sink.ts";
 *
 * const options: SinkOptions = { closeWritable: false };
 * ```
 */
export interface SinkOptions {
  /**
   * Close the writable stream in `close()`. Pass `false` for
   * `Deno.stdout.writable`, so the process can keep using stdout; the sink
   * then only releases its lock on the stream. Keep `true` for files: a
   * Deno `FsFile.writable` holds up to 64 KiB before it writes, and only
   * closing the stream flushes that.
   * @default {true}
   */
  closeWritable?: boolean;
}

/**
 * How records become text: the part of a built-in sink that knows the format
 * (JSONL, JSON, CSV), shared by the stream sinks and the file sink.
 *
 * @example A format of one URL per line
 * ```ts
 * import type { TextFormat } from "./sink.ts";
 *
 * const urls: TextFormat = { name: "URLs", record: (r) => `${r.url}\n`, end: () => "" };
 * ```
 */
export interface TextFormat {
  /** Name for error messages, e.g. `"JSON"`. */
  name: string;
  /** Text for one record (the header before the first, for CSV). */
  record(record: CrawlRecord): string;
  /** Text that finishes the output. */
  end(): string;
}
