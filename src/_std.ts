/**
 * The one place the untyped `deno-std` npm build is imported and given types.
 * Import std helpers from here, never from the `@std/...` aliases directly.
 *
 * @module
 */

// deno-lint-ignore-file no-explicit-any
import * as csvStringify from "@std/csv/stringify";
import * as csvParse from "@std/csv/parse";
import * as fmtBytes from "@std/fmt/bytes";
import * as fmtDuration from "@std/fmt/duration";
import * as jsoncParse from "@std/jsonc/parse";

/** A CSV column: a property name, or a path of property names. */
export type CsvColumn = string | { prop: string | string[]; header?: string };

/** std's `stringify` from `@std/csv`: rows to RFC 4180 CSV text. */
export const stringifyCsv: (
  data: readonly unknown[],
  options?: {
    headers?: boolean;
    separator?: string;
    columns?: readonly CsvColumn[];
    bom?: boolean;
  },
) => string = (csvStringify as any).stringify;

/** std's `parse` from `@std/csv`: CSV text to rows (or records with `skipFirstRow`). */
export const parseCsv: (
  input: string,
  options?: { skipFirstRow?: boolean; separator?: string; columns?: readonly string[] },
) => unknown[] = (csvParse as any).parse;

/** std's byte formatter: `1234` becomes `"1.23 kB"`. */
export const formatBytes: (n: number, options?: { binary?: boolean }) => string =
  (fmtBytes as any).format;

/** std's duration formatter: milliseconds to `"1s 234ms"`. */
export const formatDuration: (
  ms: number,
  options?: { ignoreZero?: boolean; style?: "narrow" | "full" | "digital" },
) => string = (fmtDuration as any).format;

/** std's JSONC parser (`@std/jsonc`): JSON with comments and trailing commas; throws a SyntaxError. */
export const parseJsonc: (text: string) => unknown = (jsoncParse as any).parse;
