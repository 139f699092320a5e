/**
 * JSON output: one array of records.
 *
 * @module
 */

import type { CrawlRecord } from "../types.ts";
import { recordJson } from "./_json_text.ts";
import { createTextSink } from "./_text_sink.ts";
import type { Sink, SinkOptions } from "./sink.ts";

/**
 * A {@linkcode Sink} writing one JSON array, one record per line. Records are
 * written as they arrive; `close()` writes the closing `]` (or `[]` when there
 * were none), so the output is one valid array even when the crawl is
 * interrupted, as long as `close()` runs.
 *
 * @example Write records to stdout, keeping stdout open
 * ```ts
 * import { createJsonSink } from "./json_sink.ts";
 *
 * const sink = createJsonSink(Deno.stdout.writable, { closeWritable: false });
 * await sink.write({
 *   url: "https://example.com/", finalUrl: "https://example.com/", status: 200, depth: 0,
 *   title: "Example", fetchedAt: new Date().toISOString(), ms: 12, bytes: 1256, error: null, data: null,
 * });
 * await sink.close(); // prints "\n]\n"
 * ```
 */
export function createJsonSink(writable: WritableStream<Uint8Array>, options?: SinkOptions): Sink {
  let count = 0;
  return createTextSink(writable, {
    name: "JSON",
    record: (record: CrawlRecord) => `${count++ === 0 ? "[\n" : ",\n"}${recordJson(record)}`,
    end: () => (count === 0 ? "[]\n" : "\n]\n"),
  }, options);
}
