/**
 * CSV output (RFC 4180, via std's CSV writer).
 *
 * Columns: `id, url, finalUrl, status, depth, title, fetchedAt, ms, bytes,
 * error_code, error_message`, then one column per `data` field, then
 * `data_extra`.
 *
 * Rules:
 * - Data columns are `options.columns` when given (the crawler knows its
 *   `--select` names); otherwise the sink holds the first
 *   `maxBufferedRecords` records (or all of them, until `close()`), takes the
 *   data keys seen in them in first-seen order, writes the header and those
 *   rows, then streams.
 * - A data key not in the header (first seen later) is not lost: the record's
 *   extra keys go, as one JSON object, into the last column, `data_extra`
 *   (always present, empty when there is nothing extra).
 * - `data` that is an array (an extractor that returned many items) becomes one
 *   row per item, each repeating the record's fixed columns; an empty array
 *   gives one row with empty data cells.
 * - `data` (or an item) that is not a plain object goes into a column `data`.
 * - A data key equal to a fixed column name (e.g. `title`) or `data_extra` is
 *   written as `data.<key>` (e.g. `data.title`).
 * - Arrays and objects become JSON text in their cell; `null` and missing
 *   values become empty cells.
 * - A lone CR (not followed by LF) in a value is written as LF: std's writer
 *   does not quote it, and most CSV readers would take it for the end of a row.
 *
 * @module
 */

import { stringifyCsv } from "../_std.ts";
import { TrawlError } from "../trawl_error.ts";
import type { CrawlRecord } from "../types.ts";
import { toJson } from "./_json_text.ts";
import { createTextSink } from "./_text_sink.ts";
import type { Sink, SinkOptions } from "./sink.ts";

/**
 * Options for {@linkcode createCsvSink}.
 *
 * @example Infer the header from the first 100 records
 * ```ts
 * import type { CsvSinkOptions } from "./csv_sink.ts";
 *
 * const options: CsvSinkOptions = { maxBufferedRecords: 100 };
 * ```
 */
export interface CsvSinkOptions extends SinkOptions {
  /**
   * The data keys to make columns of, in order (e.g. the `--select` names).
   * When given, the header is written at once; other keys go to `data_extra`.
   * @default {undefined}
   */
  columns?: readonly string[];
  /**
   * Without `columns`, how many records are held to infer the header before
   * streaming. `0` takes the header from the first record alone.
   * @default {1000}
   */
  maxBufferedRecords?: number;
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
const RESERVED: ReadonlySet<string> = new Set([...FIXED, EXTRA]);

type Item = Record<string, unknown>;

/** The rows' data items of a record: one per array element, at least one. */
function itemsOf(data: unknown): Item[] {
  const list = Array.isArray(data) ? data : [data];
  if (list.length === 0) return [{}];
  return list.map((item): Item => {
    if (item === null || item === undefined) return {};
    if (typeof item === "object" && !Array.isArray(item) && !(item instanceof Map)) {
      return item as Item;
    }
    return { data: item };
  });
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
 * Rows held to infer the header are written by `close()` at the latest.
 * Throws {@linkcode TrawlError} `INVALID_OPTION` for a negative
 * `maxBufferedRecords`.
 *
 * @example Known columns from --select
 * ```ts
 * import { createCsvSink } from "./csv_sink.ts";
 *
 * const file = await Deno.create("out.csv");
 * const sink = createCsvSink(file.writable, { columns: ["price", "sku"] });
 * await sink.write({
 *   url: "https://shop.example/p/1", finalUrl: "https://shop.example/p/1", status: 200, depth: 1,
 *   title: "Lamp", fetchedAt: new Date().toISOString(), ms: 40, bytes: 9000, error: null,
 *   data: { price: "19.90", sku: "L-1" },
 * });
 * await sink.close();
 * ```
 */
export function createCsvSink(
  writable: WritableStream<Uint8Array>,
  options: CsvSinkOptions = {},
): Sink {
  const maxBuffered = options.maxBufferedRecords ?? 1000;
  if (!Number.isInteger(maxBuffered) || maxBuffered < 0) {
    throw new TrawlError(
      "INVALID_OPTION",
      `maxBufferedRecords must be an integer >= 0, got ${maxBuffered}.`,
    );
  }
  let keys: string[] | undefined = options.columns ? [...new Set(options.columns)] : undefined;
  let known: ReadonlySet<string> = new Set(keys);
  let headerWritten = false;
  const held: CrawlRecord[] = [];

  const rows = (records: readonly CrawlRecord[]): string[][] =>
    records.flatMap((record) =>
      itemsOf(record.data).map((item) => {
        const extra = Object.keys(item).filter((key) => !known.has(key));
        return [
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
          ...keys!.map((key) => cell(item[key])),
          extra.length === 0 ? "" : cell(Object.fromEntries(extra.map((key) => [key, item[key]]))),
        ];
      })
    );

  /** Header (once) plus the rows of `records`, as CSV text. */
  function emit(records: readonly CrawlRecord[]): string {
    const out: string[][] = [];
    if (!headerWritten) {
      if (keys === undefined) {
        const seen = new Set<string>();
        for (const record of records) {
          for (const item of itemsOf(record.data)) {
            for (const key of Object.keys(item)) seen.add(key);
          }
        }
        keys = [...seen];
        known = seen;
      }
      out.push([...FIXED, ...keys.map((key) => RESERVED.has(key) ? `data.${key}` : key), EXTRA]);
      headerWritten = true;
    }
    out.push(...rows(records));
    return out.length === 0 ? "" : stringifyCsv(out, { headers: false });
  }

  return createTextSink(writable, {
    name: "CSV",
    record(record) {
      if (headerWritten || keys !== undefined) return emit([record]);
      held.push(record);
      if (held.length < maxBuffered) return "";
      return emit(held.splice(0));
    },
    end: () => (headerWritten ? "" : emit(held.splice(0))),
  }, options);
}
