/**
 * The value parsers of the CLI's flags (whole numbers, sizes, durations, rates,
 * headers, choices), each refusing a malformed value with a usage error that
 * names the flag and what it takes.
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";
import { parseDuration } from "../duration.ts";

/**
 * A usage error (`INVALID_OPTION`): the CLI prints its message and exits 2.
 *
 * @example Refuse a flag
 * ```ts
 * import { usage } from "./_flag_values.ts";
 *
 * const error = usage("--depth takes a whole number, not 'x'");
 * console.log(error.code); // "INVALID_OPTION"
 * ```
 */
export function usage(message: string, cause?: unknown): TrawlError {
  return new TrawlError("INVALID_OPTION", message, { cause });
}

/**
 * A whole number (digits only), at least `min` when given (else its range is
 * `resolveCrawlOptions`'s to check).
 *
 * @example `--depth 3`
 * ```ts
 * import { whole } from "./_flag_values.ts";
 *
 * console.log(whole("--depth", "3")); // 3
 * ```
 */
export function whole(flag: string, value: string | undefined, min?: number): number | undefined {
  if (value === undefined) return undefined;
  if (min !== undefined) {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min) {
      throw usage(`${flag} takes a whole number >= ${min}, not '${value}'`);
    }
  } else if (!/^\d+$/.test(value.trim())) {
    throw usage(`${flag} takes a whole number, not '${value}'`);
  }
  return Number(value);
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
};

/**
 * Bytes: `1048576`, or a number with a unit, `500KB` (1000s) or `10MiB` (1024s).
 *
 * @example `--max-body 10MiB`
 * ```ts
 * import { bytes } from "./_flag_values.ts";
 *
 * console.log(bytes("--max-body", "10MiB")); // 10485760
 * ```
 */
export function bytes(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = match ? BYTE_UNITS[match[2].toLowerCase() || "b"] : undefined;
  if (!match || unit === undefined || (match[2] === "" && match[1].includes("."))) {
    throw usage(
      `${flag} takes a whole number of bytes or a size such as 500KB or 10MiB, not '${value}'`,
    );
  }
  return Math.round(Number(match[1]) * unit);
}

/**
 * One of `allowed`.
 *
 * @example `--format csv`
 * ```ts
 * import { oneOf } from "./_flag_values.ts";
 *
 * console.log(oneOf("--format", "csv", ["jsonl", "json", "csv"] as const)); // "csv"
 * ```
 */
export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw usage(`${flag} takes one of ${allowed.join(", ")}, not '${value}'`);
  }
  return value as T;
}

/**
 * A duration (`500ms`, `10s`, `30m`, `6h`, `2d`) in ms.
 *
 * @example `--min-age 6h`
 * ```ts
 * import { duration } from "./_flag_values.ts";
 *
 * console.log(duration("--min-age", "6h")); // 21600000
 * ```
 */
export function duration(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDuration(value, flag);
  } catch (error) {
    throw usage((error as Error).message);
  }
}

/**
 * The value, refused when blank.
 *
 * @example `-o out.jsonl`
 * ```ts
 * import { nonEmpty } from "./_flag_values.ts";
 *
 * console.log(nonEmpty("--out", "out.jsonl")); // "out.jsonl"
 * ```
 */
export function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === "") throw usage(`${flag} needs a value`);
  return value;
}

/**
 * `N/s`, `N/m` or `N/h`.
 *
 * @example `--rate 5/s`
 * ```ts
 * import { rate } from "./_flag_values.ts";
 *
 * console.log(rate("--rate", "5/s")); // { requests: 5, perMs: 1000 }
 * ```
 */
export function rate(
  flag: string,
  value: string | undefined,
): { requests: number; perMs: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\/(s|m|h)$/.exec(value.trim());
  const requests = match ? Number(match[1]) : 0;
  if (!match || !(requests > 0)) {
    throw usage(`${flag} takes N/s, N/m or N/h with N above 0 (e.g. 5/s), not '${value}'`);
  }
  return { requests, perMs: { s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as "s" | "m" | "h"] };
}

/**
 * `--header "Name: value"` values as a header object (names lowercased).
 *
 * @example Two headers
 * ```ts
 * import { headers } from "./_flag_values.ts";
 *
 * console.log(headers(["Accept-Language: de", "X-Team: crawl"]));
 * ```
 */
export function headers(values: string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const result: Record<string, string> = {};
  for (const value of values) {
    const colon = value.indexOf(":");
    const name = colon > 0 ? value.slice(0, colon).trim() : "";
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw usage(`--header takes "Name: value", not '${value}'`);
    }
    result[name.toLowerCase()] = value.slice(colon + 1).trim();
  }
  return result;
}
