/**
 * The Redis flags of the CLI (`--redis`, `--crawl`, `--lease-ms`,
 * `--redis-timeout`, `--trim-records`, `--json`) and the `collect` and `status` commands they
 * drive. `parse_flags.ts` hands them its parsed values.
 *
 * @module
 */

import { usage, whole } from "./_flag_values.ts";
import { crawlPrefix } from "../_redis_client.ts";
import { DEFAULT_FORMAT, type OutputFormat } from "./parse_flags.ts";

/** Defaults of the Redis flags. */
export const REDIS_FLAG_DEFAULTS = Object.freeze({ leaseMs: 30_000, timeoutMs: 60_000 });

/**
 * Where a distributed crawl lives.
 *
 * @example The target of `--redis redis://10.0.0.5:6379/0 --crawl docs`
 * ```ts
 * import type { RedisTarget } from "./_redis_flags.ts";
 *
 * const target: RedisTarget = {
 *   url: "redis://10.0.0.5:6379/0",
 *   crawl: "docs",
 *   leaseMs: 30_000,
 *   timeoutMs: 60_000,
 *   trimRecords: false,
 * };
 * ```
 */
export interface RedisTarget {
  /** `--redis`: the Redis URL. */
  url: string;
  /** `--crawl`: the crawl's name. */
  crawl: string;
  /** `--lease-ms`: a worker silent this long loses its URLs to the others. @default {30000} */
  leaseMs: number;
  /** `--redis-timeout` (seconds on the command line): give up after Redis is gone this long, ms. @default {60000} */
  timeoutMs: number;
  /**
   * `--trim-records`: a collector trims the crawl's `records` stream up to what every
   * collector of the crawl has committed. @default {false}
   */
  trimRecords: boolean;
}

/** `collect --redis URL --crawl NAME -o FILE [--format F]`. */
export interface CollectCommand {
  /** The command. */
  kind: "collect";
  /** The crawl. */
  target: RedisTarget;
  /** The output file. */
  out: string;
  /** Its format. */
  format: OutputFormat;
  /** No progress line. */
  quiet: boolean;
}

/** `status --redis URL --crawl NAME [--json]`. */
export interface StatusCommand {
  /** The command. */
  kind: "status";
  /** The crawl. */
  target: RedisTarget;
  /** Print JSON. */
  json: boolean;
}

/** The parsed values `parse_flags.ts` hands over. */
export type RedisFlagValues = {
  redis?: string;
  crawl?: string;
  "lease-ms"?: string;
  "redis-timeout"?: string;
  "trim-records"?: boolean;
  json?: boolean;
  out?: string;
  format?: string;
  quiet?: boolean;
};

/** The flags `collect` and `status` take (crawl flags given to them are usage errors). */
const COMMAND_FLAGS = {
  collect: ["redis", "crawl", "redis-timeout", "trim-records", "out", "format", "quiet", "help"],
  status: ["redis", "crawl", "redis-timeout", "json", "help"],
} as const;

/**
 * The Redis target of the flags, or `null` without `--redis`. Throws a usage
 * error for `--crawl`/`--lease-ms`/`--redis-timeout` without `--redis`, or
 * `--redis` without `--crawl`.
 *
 * @example From flags
 * ```ts
 * import { redisTarget } from "./_redis_flags.ts";
 *
 * const target = redisTarget({ redis: "redis://127.0.0.1:6379/0", crawl: "docs" });
 * console.log(target?.leaseMs); // 30000
 * ```
 */
export function redisTarget(v: RedisFlagValues): RedisTarget | null {
  if (v.redis === undefined) {
    for (const flag of ["crawl", "lease-ms", "redis-timeout", "trim-records"] as const) {
      if (v[flag] !== undefined) {
        throw usage(`--${flag} belongs to a distributed crawl: add --redis redis://HOST:PORT/DB`);
      }
    }
    return null;
  }
  if (!/^rediss?:\/\//.test(v.redis)) {
    throw usage(`--redis takes a URL such as redis://127.0.0.1:6379/0, not '${v.redis}'`);
  }
  if (v.crawl === undefined) {
    throw usage("--redis needs --crawl NAME: the name every worker of the crawl gives");
  }
  crawlPrefix(v.crawl);
  const timeoutS = whole("--redis-timeout", v["redis-timeout"], 1);
  return {
    url: v.redis,
    crawl: v.crawl,
    leaseMs: whole("--lease-ms", v["lease-ms"], 100) ?? REDIS_FLAG_DEFAULTS.leaseMs,
    timeoutMs: timeoutS === undefined ? REDIS_FLAG_DEFAULTS.timeoutMs : timeoutS * 1000,
    trimRecords: v["trim-records"] ?? false,
  };
}

/**
 * Parse `collect` or `status` (positionals after the command must be empty).
 *
 * @example `status`
 * ```ts
 * import { parseRedisCommand } from "./_redis_flags.ts";
 *
 * const c = parseRedisCommand("status", { redis: "redis://127.0.0.1:6379/0", crawl: "docs" }, []);
 * console.log(c.kind); // "status"
 * ```
 */
export function parseRedisCommand(
  command: "collect" | "status",
  v: RedisFlagValues,
  rest: string[],
): CollectCommand | StatusCommand {
  if (rest.length > 0) throw usage(`${command} takes no file; unexpected '${rest.join(" ")}'`);
  const allowed: readonly string[] = COMMAND_FLAGS[command];
  const stray = Object.keys(v).filter((flag) => !allowed.includes(flag));
  if (stray.length > 0) {
    throw usage(
      `--${stray[0]} is not a flag of ${command}; it takes ` +
        allowed.filter((f) => f !== "help").map((f) => `--${f}`).join(", "),
    );
  }
  const target = redisTarget(v);
  if (target === null) {
    throw usage(`${command} needs --redis redis://HOST:PORT/DB --crawl NAME`);
  }
  if (command === "status") return { kind: "status", target, json: v.json ?? false };
  if (v.out === undefined || v.out.trim() === "") {
    throw usage("collect needs -o FILE: the records are appended there and resumed after a kill");
  }
  const format = v.format ?? DEFAULT_FORMAT;
  if (!["jsonl", "json", "csv"].includes(format)) {
    throw usage(`--format takes one of jsonl, json, csv, not '${format}'`);
  }
  return {
    kind: "collect",
    target,
    out: v.out,
    format: format as OutputFormat,
    quiet: v.quiet ?? false,
  };
}
