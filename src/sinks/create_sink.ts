/**
 * Pick a built-in sink by format name (as given on the command line).
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";
import { csvFormat, type CsvSinkOptions } from "./csv_sink.ts";
import { jsonFormat } from "./json_sink.ts";
import { jsonlFormat } from "./jsonl_sink.ts";
import { createTextSink } from "./_text_sink.ts";
import type { Sink, TextFormat } from "./sink.ts";

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
  return createTextSink(writable, textFormat(format, options), options);
}

/**
 * The {@linkcode TextFormat} of a built-in format (for {@linkcode createFileSink}).
 * `resume` says the output already holds records (a file cut back to its last
 * committed record): no CSV header, and JSON continues its array. Throws
 * `INVALID_OPTION` for an unknown format.
 *
 * @example CSV columns from --select
 * ```ts
 * import { textFormat } from "./create_sink.ts";
 *
 * const format = textFormat("csv", { columns: ["price"] });
 * ```
 */
export function textFormat(format: SinkFormat, options: CsvSinkOptions = {}): TextFormat {
  switch (format) {
    case "jsonl":
      return jsonlFormat();
    case "json":
      return jsonFormat(options);
    case "csv":
      return csvFormat(options);
    default:
      throw new TrawlError(
        "INVALID_OPTION",
        `Unknown output format ${JSON.stringify(format)}: use "jsonl", "json" or "csv".`,
      );
  }
}
