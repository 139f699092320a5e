/**
 * Command-line flags to crawl options. Every rule a value breaks becomes a
 * {@linkcode TrawlError} with code `INVALID_OPTION` whose message names the flag
 * and the rule; the CLI prints it and exits with status 2.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { TrawlError } from "../trawl_error.ts";
import type { CrawlOptions, CrawlScope } from "../crawl.ts";

/** Output formats. */
export type OutputFormat = "jsonl" | "json" | "csv";

/** A parsed command line. */
export type CliCommand =
  | { kind: "help" }
  | {
    kind: "crawl";
    /** Seed file path, or `"-"` for stdin. */
    input: string;
    /** Options for `crawl()`. */
    options: CrawlOptions;
    /** Output format. */
    format: OutputFormat;
    /** Output file; `null` for stdout. */
    out: string | null;
    /** Where to write the final stats as JSON; `null` for nowhere. */
    statsFile: string | null;
    /** No progress line, no summary. */
    quiet: boolean;
  };

const FLAGS = {
  concurrency: { type: "string", short: "c" },
  "per-host": { type: "string" },
  delay: { type: "string" },
  rate: { type: "string" },
  timeout: { type: "string" },
  retries: { type: "string" },
  depth: { type: "string" },
  "max-pages": { type: "string" },
  "max-pages-per-host": { type: "string" },
  scope: { type: "string" },
  include: { type: "string", multiple: true },
  exclude: { type: "string", multiple: true },
  select: { type: "string", multiple: true },
  extract: { type: "string" },
  format: { type: "string" },
  out: { type: "string", short: "o" },
  workers: { type: "string" },
  "user-agent": { type: "string" },
  header: { type: "string", short: "H", multiple: true },
  proxy: { type: "string" },
  "no-robots": { type: "boolean" },
  "allow-private": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  stats: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Parse `trawl crawl ...` arguments.
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
    throw usage(`${(error as Error).message.replace(/\. To specify.*$/s, "")}; see --help`);
  }
  const v = parsed.values;
  const [command, input, ...extra] = parsed.positionals;
  if (v.help || command === undefined || command === "help") return { kind: "help" };
  if (command !== "crawl") throw usage(`unknown command '${command}': the command is 'crawl'`);
  if (input === undefined) {
    throw usage(
      "crawl needs a seed file: 'crawl urls.txt' (one URL per line) or 'crawl -' for stdin",
    );
  }
  if (extra.length > 0) throw usage(`one seed file only; unexpected '${extra.join(" ")}'`);

  const format = oneOf("--format", v.format ?? "jsonl", ["jsonl", "json", "csv"] as const);
  const options: CrawlOptions = {
    maxInFlight: int("--concurrency", v.concurrency, 1, 10_000),
    maxPerHost: int("--per-host", v["per-host"], 1, 10_000),
    delayMs: int("--delay", v.delay, 0, 3_600_000),
    rate: v.rate === undefined ? undefined : rate(v.rate),
    timeoutMs: int("--timeout", v.timeout, 1, 3_600_000),
    maxRetries: int("--retries", v.retries, 0, 100),
    maxDepth: int("--depth", v.depth, 0, 1_000),
    maxPages: int("--max-pages", v["max-pages"], 1, Number.MAX_SAFE_INTEGER),
    maxPagesPerHost: int(
      "--max-pages-per-host",
      v["max-pages-per-host"],
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    scope: v.scope === undefined
      ? undefined
      : oneOf<CrawlScope>("--scope", v.scope, ["host", "domain", "origin", "all"]),
    include: v.include,
    exclude: v.exclude,
    select: v.select,
    extractModule: v.extract,
    workers: int("--workers", v.workers, 1, 256),
    userAgent: nonEmpty("--user-agent", v["user-agent"]),
    headers: headers(v.header ?? []),
    proxy: v.proxy === undefined ? undefined : proxy(v.proxy),
    robots: !v["no-robots"],
    allowPrivate: v["allow-private"] ?? false,
  };
  for (const key of Object.keys(options) as (keyof CrawlOptions)[]) {
    if (options[key] === undefined) delete options[key];
  }
  return {
    kind: "crawl",
    input,
    options,
    format,
    out: nonEmpty("--out", v.out) ?? null,
    statsFile: nonEmpty("--stats", v.stats) ?? null,
    quiet: v.quiet ?? false,
  };
}

function usage(message: string): TrawlError {
  return new TrawlError("INVALID_OPTION", message);
}

function int(
  flag: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    throw usage(`${flag} takes a whole number ${range}, not '${value}'`);
  }
  return n;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw usage(`${flag} takes one of ${allowed.join(", ")}, not '${value}'`);
  }
  return value as T;
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === "") throw usage(`${flag} needs a value`);
  return value;
}

function rate(value: string): { requests: number; perMs: number } {
  const match = /^(\d+(?:\.\d+)?)\/(s|m|h)$/.exec(value.trim());
  const requests = match ? Number(match[1]) : 0;
  if (!match || !(requests > 0)) {
    throw usage(`--rate takes N/s, N/m or N/h with N above 0 (e.g. 5/s), not '${value}'`);
  }
  return { requests, perMs: { s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as "s" | "m" | "h"] };
}

function headers(values: string[]): Record<string, string> | undefined {
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

function proxy(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usage(`--proxy takes a URL such as http://127.0.0.1:3128, not '${value}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw usage(`--proxy takes an http: or https: URL, not '${value}'`);
  }
  return value;
}
