/**
 * Durations as people write them: `500ms`, `10s`, `30m`, `6h`, `2d` (a bare
 * number is milliseconds). Used by `--min-age`, job files and their deadlines.
 *
 * @module
 */

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Milliseconds of a duration such as `"500ms"`, `"10s"`, `"30m"`, `"6h"`, `"2d"`
 * or `"1500"`; `name` leads the `RangeError` thrown for anything else.
 *
 * @example Parse a job's deadline
 * ```ts
 * import { parseDuration } from "./duration.ts";
 *
 * console.log(parseDuration("10m", "startingDeadline")); // 600000
 * ```
 */
export function parseDuration(text: string, name: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (match === null) {
    throw new RangeError(
      `${name} must be a duration like 500ms, 10s, 30m, 6h or 2d: received ${JSON.stringify(text)}`,
    );
  }
  return Math.round(Number(match[1]) * UNITS[match[2] ?? "ms"]!);
}
