/**
 * Pick a built-in sink by format name (as given on the command line).
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";
import { createCsvSink, type CsvSinkOptions } from "./csv_sink.ts";
import { createJsonSink } from "./json_sink.ts";
import { createJsonlSink } from "./jsonl_sink.ts";
import type { Sink } from "./sink.ts";

/**
 * The built-in output formats.
 *
 * @example Validate a flag
 * ```ts
 * import type { SinkFormat } from "./create_sink.ts";
 *
 * const format: SinkFormat = "csv";
 * ```
 */
export type SinkFormat = "jsonl" | "json" | "csv";

/**
 * The built-in {@linkcode Sink} for `format`, writing to `writable`. CSV-only
 * options are ignored by the other formats. Throws {@linkcode TrawlError}
 * `INVALID_OPTION` for an unknown format (e.g. a typo on the command line).
 *
 * @example Output chosen by a flag
 * ```ts
 * import { createSink } from "./create_sink.ts";
 *
 * const sink = createSink("jsonl", Deno.stdout.writable, { closeWritable: false });
 * await sink.close();
 * ```
 */
export function createSink(
  format: SinkFormat,
  writable: WritableStream<Uint8Array>,
  options?: CsvSinkOptions,
): Sink {
  switch (format) {
    case "jsonl":
      return createJsonlSink(writable, options);
    case "json":
      return createJsonSink(writable, options);
    case "csv":
      return createCsvSink(writable, options);
    default:
      throw new TrawlError(
        "INVALID_OPTION",
        `Unknown output format ${JSON.stringify(format)}: use "jsonl", "json" or "csv".`,
      );
  }
}
