/**
 * Internal: JSON text for records and cell values that never throws. BigInts
 * become strings, Maps objects, Sets arrays; data that still cannot be
 * serialized (a cycle) is replaced by `null` and the record gets a
 * `SINK_ERROR` (unless it already carries an error), so the URL is not lost.
 *
 * @module
 */

import type { CrawlRecord } from "../types.ts";

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}

/** `JSON.stringify` with the replacer above; throws on cycles. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, replacer) ?? "null";
}

/** One record as JSON text, on one line. */
export function recordJson(record: CrawlRecord): string {
  try {
    return toJson(record);
  } catch (cause) {
    const message = `data of ${record.url} could not be written as JSON: ${
      cause instanceof Error ? cause.message : String(cause)
    }`;
    return toJson({
      ...record,
      data: null,
      error: record.error ?? { code: "SINK_ERROR", message },
    });
  }
}
