/**
 * JSON output: one array of records.
 *
 * @module
 */

import type { CrawlRecord } from "../types.ts";
import { recordJson } from "./_json_text.ts";
import { createTextSink } from "./_text_sink.ts";
import type { Sink, SinkOptions, TextFormat } from "./sink.ts";

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
 *   id: "8c4ff3b1d2a09e77", url: "https://example.com/", finalUrl: "https://example.com/", status: 200, depth: 0,
 *   title: "Example", fetchedAt: new Date().toISOString(), ms: 12, bytes: 1256, error: null, data: null,
 * });
 * await sink.close(); // prints "\n]\n"
 * ```
 */
export function createJsonSink(writable: WritableStream<Uint8Array>, options?: SinkOptions): Sink {
  return createTextSink(writable, jsonFormat(), options);
}

/**
 * The JSON text format: `[`, records separated by `,`, `]` at the end. With
 * `resume`, the output already holds `[` and at least one record (a file cut
 * back to its last committed record): records continue after a `,`.
 *
 * @example Resume an array
 * ```ts
 * import { jsonFormat } from "./json_sink.ts";
 *
 * const format = jsonFormat({ resume: true });
 * console.log(format.end()); // "\n]\n"
 * ```
 */
export function jsonFormat(options: { resume?: boolean } = {}): TextFormat {
  let count = options.resume ? 1 : 0;
  return {
    name: "JSON",
    record: (record: CrawlRecord) => `${count++ === 0 ? "[\n" : ",\n"}${recordJson(record)}`,
    end: () => (count === 0 ? "[]\n" : "\n]\n"),
  };
}
