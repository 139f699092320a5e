/**
 * JSON Lines output: one record per line.
 *
 * @module
 */

import type { CrawlRecord } from "../types.ts";
import { recordJson } from "./_json_text.ts";
import { createTextSink } from "./_text_sink.ts";
import type { Sink, SinkOptions, TextFormat } from "./sink.ts";

/**
 * A {@linkcode Sink} writing one JSON object per line (JSON Lines). Each record
 * is written as it arrives, so the file is valid up to the last complete line
 * whatever happens. Data that cannot be serialized (a cycle) is written as
 * `null` with a `SINK_ERROR` in `error`.
 *
 * @example Write records to a file
 * ```ts
 * import { createJsonlSink } from "./jsonl_sink.ts";
 *
 * const file = await Deno.create(await Deno.makeTempFile({ suffix: ".jsonl" }));
 * const sink = createJsonlSink(file.writable);
 * await sink.write({
 *   id: "8c4ff3b1d2a09e77", url: "https://example.com/", finalUrl: "https://example.com/", status: 200, depth: 0,
 *   title: "Example", fetchedAt: new Date().toISOString(), ms: 12, bytes: 1256, error: null, data: null,
 * });
 * await sink.close(); // closes the file too
 * ```
 */
export function createJsonlSink(writable: WritableStream<Uint8Array>, options?: SinkOptions): Sink {
  return createTextSink(writable, jsonlFormat(), options);
}

/**
 * The JSON lines text format: one record per line.
 *
 * @example One line
 * ```ts
 * import { jsonlFormat } from "./jsonl_sink.ts";
 *
 * console.log(jsonlFormat().end()); // ""
 * ```
 */
export function jsonlFormat(): TextFormat {
  return {
    name: "JSONL",
    record: (record: CrawlRecord) =>
      `${recordJson(record)}
`,
    end: () => "",
  };
}
