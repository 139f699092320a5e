/**
 * Command-line flags to crawl options. A flag's syntax is checked here (a whole
 * number, `N/s`, `Name: value`); every rule on the values is checked once, by
 * {@linkcode resolveCrawlOptions}, and its error is reworded to name the flag
 * ({@linkcode OPTION_FLAGS}). Either way the error is a {@linkcode TrawlError}
 * with code `INVALID_OPTION`; the CLI prints it and exits with status 2.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { bytes, duration, headers, nonEmpty, oneOf, rate, usage, whole } from "./_flag_values.ts";
import { type CrawlOptions, type CrawlScope, resolveCrawlOptions } from "../crawl_options.ts";
import {
  type CollectCommand,
  parseRedisCommand,
  type RedisTarget,
  redisTarget,
  type StatusCommand,
} from "./_redis_flags.ts";

/** Output formats. */
export type OutputFormat = "jsonl" | "json" | "csv";

/**
 * The output format when `--format` is not given.
 *
 * @example The format used without --format
 * ```ts
 * import { DEFAULT_FORMAT } from "./parse_flags.ts";
 *
 * console.log(DEFAULT_FORMAT); // "jsonl"
 * ```
 */
export const DEFAULT_FORMAT: OutputFormat = "jsonl";

/** A parsed command line. */
export type CliCommand =
  | { kind: "help" }
  | {
    kind: "crawl";
    /** Seed file path, `"-"` for stdin, `""` for none (a worker joining a Redis crawl). */
    input: string;
    /** Options for `crawl()`: the flags given (checked), plus `robots` and `allowPrivate`. */
    options: CrawlOptions;
    /** Output format. */
    format: OutputFormat;
    /** Output file; `null` for stdout. */
    out: string | null;
    /** Where to write the final stats as JSON; `null` for nowhere. */
    statsFile: string | null;
    /** Where to write the HTML report (`--report`); `null` for nowhere. */
    reportFile: string | null;
    /** No progress line, no summary. */
    quiet: boolean;
    /** The state file of a durable crawl (`--state`); `null` for an in-memory crawl. */
    state: string | null;
    /** Discard the state file and start over (`--fresh`). */
    fresh: boolean;
    /** Start the next run of the finished crawl in the state file (`--recrawl`). */
    recrawl: boolean;
    /** Write only `new`, `changed` and `gone` records (`--changed-only`). */
    changedOnly: boolean;
    /** The cookies.txt file loaded before the crawl and saved after it (`--cookies`); `null` for none. */
    cookiesFile: string | null;
    /** Print the narrowest `deno run` command for this crawl instead of running it. */
    printPermissions: boolean;
    /** A worker of a distributed crawl (`--redis`, `--crawl`); `null` for a local crawl. */
    redis: RedisTarget | null;
  }
  | CollectCommand
  | StatusCommand;

/**
 * The flag that sets each crawl option; `null` for the options only a program can
 * pass (objects and callbacks).
 *
 * @example Name the flag of an option
 * ```ts
 * import { OPTION_FLAGS } from "./parse_flags.ts";
 *
 * console.log(OPTION_FLAGS.maxPerHost); // "--per-host"
 * ```
 */
export const OPTION_FLAGS: Readonly<Record<keyof CrawlOptions, string | null>> = Object.freeze({
  maxInFlight: "--concurrency",
  maxPerHost: "--per-host",
  delayMs: "--delay",
  rate: "--rate",
  globalRate: "--global-rate",
  timeoutMs: "--timeout",
  connectTimeoutMs: "--connect-timeout",
  headersTimeoutMs: "--headers-timeout",
  bodyIdleTimeoutMs: "--body-timeout",
  maxRetries: "--retries",
  maxRetryAfterMs: "--max-retry-after",
  maxRedirects: "--max-redirects",
  maxUrlLength: "--max-url-length",
  maxBytes: "--max-bytes",
  maxIdleSockets: "--max-idle-sockets",
  maxDepth: "--depth",
  maxPages: "--max-pages",
  maxPagesPerHost: "--max-pages-per-host",
  maxQueued: "--max-queued",
  maxQueuedPerHost: "--max-queued-per-host",
  scope: "--scope",
  include: "--include",
  exclude: "--exclude",
  select: "--select",
  extractModule: "--extract",
  extractTimeoutMs: "--extract-timeout",
  extractMaxMemoryMb: "--extract-max-memory",
  allowExtractorImports: "--allow-extractor-import",
  workers: "--workers",
  userAgent: "--user-agent",
  robotsAgent: "--robots-agent",
  headers: "--header",
  proxy: "--proxy",
  envProxy: "--no-env-proxy",
  cookies: "--no-cookies",
  cookieJar: "--cookies",
  ignoreNofollow: "--ignore-nofollow",
  sitemaps: "--sitemaps",
  sitemapUrls: "--sitemap",
  robots: "--no-robots",
  allowPrivate: "--allow-private",
  store: null,
  hostPolicy: null,
  history: null,
  minAgeMs: "--min-age",
  signal: null,
  onWarning: null,
  onEvent: null,
});

const FLAGS = {
  concurrency: { type: "string", short: "c" },
  "per-host": { type: "string" },
  delay: { type: "string" },
  rate: { type: "string" },
  "global-rate": { type: "string" },
  timeout: { type: "string" },
  "connect-timeout": { type: "string" },
  "headers-timeout": { type: "string" },
  "body-timeout": { type: "string" },
  retries: { type: "string" },
  "max-retry-after": { type: "string" },
  "max-redirects": { type: "string" },
  "max-url-length": { type: "string" },
  "max-bytes": { type: "string" },
  "max-idle-sockets": { type: "string" },
  depth: { type: "string" },
  "max-pages": { type: "string" },
  "max-pages-per-host": { type: "string" },
  "max-queued": { type: "string" },
  "max-queued-per-host": { type: "string" },
  scope: { type: "string" },
  include: { type: "string", multiple: true },
  exclude: { type: "string", multiple: true },
  select: { type: "string", multiple: true },
  extract: { type: "string" },
  "extract-timeout": { type: "string" },
  "extract-max-memory": { type: "string" },
  "allow-extractor-import": { type: "string", multiple: true },
  format: { type: "string" },
  out: { type: "string", short: "o" },
  workers: { type: "string" },
  "user-agent": { type: "string" },
  "robots-agent": { type: "string" },
  header: { type: "string", short: "H", multiple: true },
  proxy: { type: "string" },
  "no-env-proxy": { type: "boolean" },
  cookies: { type: "string" },
  "no-cookies": { type: "boolean" },
  "ignore-nofollow": { type: "boolean" },
  sitemaps: { type: "boolean" },
  sitemap: { type: "string", multiple: true },
  "no-robots": { type: "boolean" },
  "allow-private": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  stats: { type: "string" },
  report: { type: "string" },
  state: { type: "string" },
  fresh: { type: "boolean" },
  recrawl: { type: "boolean" },
  "print-permissions": { type: "boolean" },
  "changed-only": { type: "boolean" },
  "min-age": { type: "string" },
  redis: { type: "string" },
  crawl: { type: "string" },
  "lease-ms": { type: "string" },
  "redis-timeout": { type: "string" },
  "trim-records": { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Parse `trawl crawl ...` arguments. Throws a {@linkcode TrawlError}
 * `INVALID_OPTION` naming the flag when a value is malformed or breaks a rule of
 * {@linkcode resolveCrawlOptions}.
 *
 * @example Flags to options
 * ```ts
 * import { parseFlags } from "./parse_flags.ts";
 *
 * const command = parseFlags(["crawl", "urls.txt", "-c", "64", "--depth", "2"]);
 * if (command.kind === "crawl") console.log(command.options.maxInFlight); // 64
 * ```
 */
export function parseFlags(args: string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({ args, options: FLAGS, allowPositionals: true, strict: true });
  } catch (error) {
    // node:util's messages run over several lines; a usage error is one.
    const message = (error as Error).message;
    const ambiguous = /^Option '(-\S+)[^']*' argument is ambiguous/.exec(message);
    throw usage(
      ambiguous
        ? `${ambiguous[1]} needs a value; a value starting with "-" is written ${
          ambiguous[1]
        }=-VALUE`
        : `${message.split("\n")[0].replace(/\. To specify.*$/s, "")}; see --help`,
    );
  }
  const v = parsed.values;
  const [command, input, ...extra] = parsed.positionals;
  if (v.help || command === undefined || command === "help") return { kind: "help" };
  if (command === "collect" || command === "status") {
    return parseRedisCommand(command, v, parsed.positionals.slice(1));
  }
  if (command !== "crawl") {
    throw usage(
      `unknown command '${command}': the commands are crawl, collect, status, schedule and jobs`,
    );
  }
  const redis = redisTarget(v);
  if (input === undefined && redis === null) {
    throw usage(
      "crawl needs a seed file: 'crawl urls.txt' (one URL per line) or 'crawl -' for stdin",
    );
  }
  if (extra.length > 0) throw usage(`one seed file only; unexpected '${extra.join(" ")}'`);

  const format = oneOf("--format", v.format ?? DEFAULT_FORMAT, ["jsonl", "json", "csv"] as const);
  const options: CrawlOptions = {
    maxInFlight: whole("--concurrency", v.concurrency),
    maxPerHost: whole("--per-host", v["per-host"]),
    delayMs: whole("--delay", v.delay),
    rate: rate("--rate", v.rate),
    globalRate: rate("--global-rate", v["global-rate"]),
    timeoutMs: whole("--timeout", v.timeout),
    connectTimeoutMs: whole("--connect-timeout", v["connect-timeout"]),
    headersTimeoutMs: whole("--headers-timeout", v["headers-timeout"]),
    bodyIdleTimeoutMs: whole("--body-timeout", v["body-timeout"]),
    maxRetries: whole("--retries", v.retries),
    maxRetryAfterMs: whole("--max-retry-after", v["max-retry-after"]),
    maxRedirects: whole("--max-redirects", v["max-redirects"]),
    maxUrlLength: whole("--max-url-length", v["max-url-length"]),
    maxBytes: bytes("--max-bytes", v["max-bytes"]),
    maxIdleSockets: whole("--max-idle-sockets", v["max-idle-sockets"]),
    maxDepth: whole("--depth", v.depth),
    maxPages: whole("--max-pages", v["max-pages"]),
    maxPagesPerHost: whole("--max-pages-per-host", v["max-pages-per-host"]),
    maxQueued: whole("--max-queued", v["max-queued"]),
    maxQueuedPerHost: whole("--max-queued-per-host", v["max-queued-per-host"]),
    scope: v.scope as CrawlScope | undefined,
    include: v.include,
    exclude: v.exclude,
    select: v.select,
    extractModule: v.extract,
    extractTimeoutMs: whole("--extract-timeout", v["extract-timeout"]),
    extractMaxMemoryMb: whole("--extract-max-memory", v["extract-max-memory"]),
    allowExtractorImports: v["allow-extractor-import"],
    workers: whole("--workers", v.workers),
    userAgent: v["user-agent"],
    robotsAgent: v["robots-agent"],
    headers: headers(v.header ?? []),
    proxy: v.proxy,
    envProxy: v["no-env-proxy"] ? false : undefined,
    cookies: v["no-cookies"] ? false : undefined,
    ignoreNofollow: v["ignore-nofollow"] ? true : undefined,
    sitemaps: v.sitemaps ? true : undefined,
    sitemapUrls: v.sitemap,
    robots: !v["no-robots"],
    allowPrivate: v["allow-private"] ?? false,
    minAgeMs: duration("--min-age", v["min-age"]),
  };
  for (const key of Object.keys(options) as (keyof CrawlOptions)[]) {
    if (options[key] === undefined) delete options[key];
  }
  try {
    resolveCrawlOptions(options);
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) {
      throw usage(flagMessage(error), error);
    }
    throw error;
  }
  const out = nonEmpty("--out", v.out) ?? null;
  const state = nonEmpty("--state", v.state) ?? null;
  if (redis !== null && (state !== null || v.fresh)) {
    throw usage("--state and --fresh are for a local crawl; with --redis the state is in Redis");
  }
  if (v.json) throw usage("--json belongs to the status command");
  if (redis?.trimRecords && out === null) {
    throw usage(
      "--trim-records trims what this worker's collector wrote: give -o FILE " +
        "(or run collect --trim-records)",
    );
  }
  if (v.fresh && state === null) {
    throw usage("--fresh discards a state file: give it with --state FILE");
  }
  for (const flag of ["--recrawl", "--changed-only", "--min-age"] as const) {
    if (state === null && v[flag.slice(2) as "recrawl" | "changed-only" | "min-age"]) {
      throw usage(
        `${flag} compares with earlier runs of the crawl, kept in its state file: give --state FILE`,
      );
    }
  }
  if (v.cookies !== undefined && v["no-cookies"]) {
    throw usage("--cookies FILE keeps a cookie jar that --no-cookies turns off: give one of them");
  }
  if (v.fresh && v.recrawl) {
    throw usage("--fresh discards the earlier runs that --recrawl compares with: give one of them");
  }
  if (state !== null && out === null) {
    throw usage(
      "--state needs -o FILE: a resumed crawl cuts the output back to its last committed record, " +
        "which stdout cannot do",
    );
  }
  return {
    kind: "crawl",
    input: input ?? "",
    options,
    format,
    out,
    statsFile: nonEmpty("--stats", v.stats) ?? null,
    reportFile: nonEmpty("--report", v.report) ?? null,
    quiet: v.quiet ?? false,
    state,
    fresh: v.fresh ?? false,
    recrawl: v.recrawl ?? false,
    changedOnly: v["changed-only"] ?? false,
    cookiesFile: nonEmpty("--cookies", v.cookies) ?? null,
    printPermissions: v["print-permissions"] ?? false,
    redis,
  };
}

/**
 * An option error's message with the option's name (its first word, see
 * `resolveCrawlOptions`) replaced by the flag that sets it, for a CLI user.
 * A message about an option with no flag is returned unchanged.
 *
 * @example Name the flag
 * ```ts
 * import { flagMessage } from "./parse_flags.ts";
 *
 * const error = new RangeError("maxPerHost must be an integer >= 1: received 0");
 * console.log(flagMessage(error)); // "--per-host must be an integer >= 1: received 0"
 * ```
 */
export function flagMessage(error: Error): string {
  const match = /^([A-Za-z]+)(\S*) (.*)$/s.exec(error.message);
  const flag = match && Object.hasOwn(OPTION_FLAGS, match[1])
    ? OPTION_FLAGS[match[1] as keyof CrawlOptions]
    : null;
  if (!match || flag === null) return error.message;
  const field = match[2].replace(/^\./, "");
  return `${flag}${field ? ` ${field}` : ""} ${match[3]}`;
}
