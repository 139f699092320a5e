/**
 * CSV output (RFC 4180, via std's CSV writer). The header is decided up front
 * and written before the first row, so no record is ever held back in memory
 * (a crash loses nothing the sink was given).
 *
 * Columns: `id, url, finalUrl, status, depth, title, fetchedAt, ms, bytes,
 * error_code, error_message`, then:
 * - with `options.columns` (the crawler passes its `--select` names): one column
 *   per name, then `data_extra`, where a record's other data keys go, as one JSON
 *   object (empty when there is nothing extra);
 * - without (an extractor's shape is unknown up front): one column `data`, the
 *   record's data item as JSON.
 *
 * Rules:
 * - `data` that is an array (an extractor that returned many items) becomes one
 *   row per item, each repeating the record's fixed columns; an empty array
 *   gives one row with empty data cells.
 * - With columns, `data` (or an item) that is not a plain object goes into
 *   `data_extra` as `{"data": value}`.
 * - A column name equal to a fixed column name (e.g. `title`) or `data_extra` is
 *   written as `data.<key>` in the header (e.g. `data.title`).
 * - Arrays and objects become JSON text in their cell; `null` and missing
 *   values become empty cells.
 * - A lone CR (not followed by LF) in a value is written as LF: std's writer
 *   does not quote it, and most CSV readers would take it for the end of a row.
 *
 * @module
 */

import { stringifyCsv } from "../_std.ts";
import type { CrawlRecord } from "../types.ts";
import { toJson } from "./_json_text.ts";
import { createTextSink } from "./_text_sink.ts";
import type { Sink, SinkOptions, TextFormat } from "./sink.ts";

/**
 * Options for {@linkcode createCsvSink}.
 *
 * @example Known columns from --select
 * ```ts
 * import type { CsvSinkOptions } from "./csv_sink.ts";
 *
 * const options: CsvSinkOptions = { columns: ["price", "sku"] };
 * ```
 */
export interface CsvSinkOptions extends SinkOptions {
  /**
   * The data keys to make columns of, in order (e.g. the `--select` names); other
   * keys go to `data_extra`. Without it, data goes whole into one `data` column.
   * @default {undefined}
   */
  columns?: readonly string[];
  /** The header was already written (an output resumed after a crash): do not write it again. @default {false} */
  resume?: boolean;
  /** A `change` column after the fixed ones (a recrawl's records have one). @default {false} */
  change?: boolean;
}

const FIXED = [
  "id",
  "url",
  "finalUrl",
  "status",
  "depth",
  "title",
  "fetchedAt",
  "ms",
  "bytes",
  "error_code",
  "error_message",
] as const;
const EXTRA = "data_extra";
const RESERVED: ReadonlySet<string> = new Set([...FIXED, "change", EXTRA]);

type Item = Record<string, unknown>;

/** The rows' data items of a record: one per array element, at least one. */
function itemsOf(data: unknown): unknown[] {
  const list = Array.isArray(data) ? data : [data];
  return list.length === 0 ? [null] : list;
}

/** An item as an object of data keys (a value that is not a plain object becomes `{data}`). */
function asObject(item: unknown): Item {
  if (item === null || item === undefined) return {};
  if (typeof item === "object" && !Array.isArray(item) && !(item instanceof Map)) {
    return item as Item;
  }
  return { data: item };
}

const LONE_CR = /\r(?!\n)/g;

function cell(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) return "";
  if (typeof value === "string") text = value;
  else if (typeof value !== "object") text = String(value);
  else {
    try {
      text = toJson(value);
    } catch {
      text = String(value);
    }
  }
  // std's writer quotes on "," '"' and LF only; a lone CR would end the row for most readers.
  return text.includes("\r") ? text.replace(LONE_CR, "\n") : text;
}

/**
 * A {@linkcode Sink} writing CSV; see the module docs for the column rules.
 *
 * @example Known columns from --select
 * ```ts
 * import { createCsvSink } from "./csv_sink.ts";
 *
 * const file = await Deno.create(await Deno.makeTempFile({ suffix: ".csv" }));
 * const sink = createCsvSink(file.writable, { columns: ["price", "sku"] });
 * await sink.write({
 *   id: "0f3c2a9d41e07b65", url: "https://shop.example/p/1", finalUrl: "https://shop.example/p/1",
 *   status: 200, depth: 1, title: "Lamp", fetchedAt: new Date().toISOString(), ms: 40,
 *   bytes: 9000, error: null, data: { price: "19.90", sku: "L-1" },
 * });
 * await sink.close();
 * ```
 */
export function createCsvSink(
  writable: WritableStream<Uint8Array>,
  options: CsvSinkOptions = {},
): Sink {
  return createTextSink(writable, csvFormat(options), options);
}

/** The CSV text format (header and rows), shared by the stream sink and durable file output. */
export function csvFormat(options: CsvSinkOptions = {}): TextFormat {
  const keys = options.columns ? [...new Set(options.columns)] : null;
  const known: ReadonlySet<string> = new Set(keys);
  let headerWritten = options.resume ?? false;
  const fixedHeader = options.change ? [...FIXED, "change"] : FIXED;
  const header = keys === null
    ? [...fixedHeader, "data"]
    : [...fixedHeader, ...keys.map((key) => RESERVED.has(key) ? `data.${key}` : key), EXTRA];

  function row(record: CrawlRecord, item: unknown): string[] {
    const fixed = [
      cell(record.id),
      cell(record.url),
      cell(record.finalUrl),
      cell(record.status),
      cell(record.depth),
      cell(record.title),
      cell(record.fetchedAt),
      cell(record.ms),
      cell(record.bytes),
      cell(record.error?.code),
      cell(record.error?.message),
    ];
    if (options.change) fixed.push(cell(record.change));
    if (keys === null) return [...fixed, cell(item)];
    const object = asObject(item);
    const extra = Object.keys(object).filter((key) => !known.has(key));
    return [
      ...fixed,
      ...keys.map((key) => cell(object[key])),
      extra.length === 0 ? "" : cell(Object.fromEntries(extra.map((key) => [key, object[key]]))),
    ];
  }

  return {
    name: "CSV",
    record(record) {
      const rows = itemsOf(record.data).map((item) => row(record, item));
      if (!headerWritten) {
        rows.unshift(header);
        headerWritten = true;
      }
      return stringifyCsv(rows, { headers: false });
    },
    end:
      () => (headerWritten
        ? ""
        : (headerWritten = true, stringifyCsv([header], { headers: false }))),
  };
}
