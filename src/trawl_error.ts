/**
 * The one error type of trawl and the one shape errors take in results and
 * records. Every domain failure carries a stable `code` from
 * {@linkcode ERROR_CODES}; retry decisions and tests read the code, never the
 * message.
 *
 * @module
 */

/**
 * Every stable error code trawl produces, as a runtime list; {@linkcode ErrorCode}
 * is its type. Codes are part of the public contract: records written by the
 * crawler carry them in `error.code`.
 *
 * @example List the codes
 * ```ts
 * import { ERROR_CODES } from "./trawl_error.ts";
 *
 * console.log(ERROR_CODES.includes("DEADLINE")); // true
 * ```
 */
export const ERROR_CODES = [
  // input
  "INVALID_URL",
  "UNSUPPORTED_SCHEME",
  "URL_TOO_LONG",
  "INVALID_OPTION",
  // fetch
  "CONNECT_TIMEOUT",
  "HEADERS_TIMEOUT",
  "BODY_TIMEOUT",
  "DEADLINE",
  "ABORTED",
  "DNS_ERROR",
  "CONNECTION_REFUSED",
  "CONNECTION_RESET",
  "TLS_ERROR",
  "NETWORK_ERROR",
  "HTTP_ERROR",
  "RETRY_AFTER_TOO_LONG",
  "DECODE_ERROR",
  "TOO_MANY_REDIRECTS",
  "REDIRECT_BLOCKED",
  "TOO_LARGE",
  "SKIPPED_CONTENT_TYPE",
  "FD_LIMIT",
  // parse / worker pool
  "EXTRACT_TIMEOUT",
  "EXTRACT_ERROR",
  "WORKER_CRASHED",
  "POOL_CLOSED",
  "BAD_SELECTOR",
  // crawl policy
  "ROBOTS_DISALLOWED",
  "BLOCKED_ADDRESS",
  "OUT_OF_SCOPE",
  "DUPLICATE_REDIRECT",
  // output sinks
  "SINK_CLOSED",
  "SINK_ERROR",
  // parse / worker pool (appended)
  "EXTRACT_MEMORY",
  // shared stores (appended)
  "STORE_UNAVAILABLE",
  // sitemaps
  "SITEMAP_TOO_LARGE",
  "SITEMAP_TOO_MANY_URLS",
  "SITEMAP_INVALID",
] as const;

/** One of trawl's stable error codes (see {@linkcode ERROR_CODES}). */
export type ErrorCode = typeof ERROR_CODES[number];

/**
 * The one shape of a failure recorded instead of thrown: in fetch results, parse
 * results, robots verdicts, output records, and across worker boundaries.
 *
 * @example A record's error
 * ```ts
 * import type { ErrorInfo } from "./trawl_error.ts";
 *
 * const error: ErrorInfo = { code: "HTTP_ERROR", message: "https://example.com/: HTTP 404" };
 * ```
 */
export interface ErrorInfo {
  /** Stable code, see {@linkcode ErrorCode}. */
  code: ErrorCode;
  /** Human-readable text. Never parse it. */
  message: string;
}

/** Options for {@linkcode TrawlError}. */
export interface TrawlErrorOptions extends ErrorOptions {
  /** The URL the error is about, when there is one. @default {undefined} */
  url?: string;
}

/**
 * The base of every domain error in trawl.
 *
 * @example Throw and branch on the code
 * ```ts
 * import { TrawlError } from "./trawl_error.ts";
 *
 * try {
 *   throw new TrawlError("TOO_LARGE", "body over 10 MiB");
 * } catch (e) {
 *   if (e instanceof TrawlError && e.code === "TOO_LARGE") console.log("skipped");
 * }
 * ```
 */
export class TrawlError extends Error {
  /** The stable code. */
  readonly code: ErrorCode;
  /** The URL concerned, if any. */
  readonly url: string | undefined;

  /** Make an error with a stable `code` and a message for humans. */
  constructor(code: ErrorCode, message: string, options: TrawlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TrawlError";
    this.code = code;
    this.url = options.url;
  }

  /** This error as an {@linkcode ErrorInfo}. */
  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message };
  }
}

/**
 * Turn any thrown value into an {@linkcode ErrorInfo}. A foreign error (no trawl
 * code of its own) gets `fallbackCode`, and its class name leads the message
 * (`"TypeError: boom"`), so nothing of what went wrong is lost.
 *
 * @example Serialize a foreign error
 * ```ts
 * import { serializeError } from "./trawl_error.ts";
 *
 * const e = serializeError(new TypeError("boom"), "EXTRACT_ERROR");
 * console.log(e); // { code: "EXTRACT_ERROR", message: "TypeError: boom" }
 * ```
 */
export function serializeError(
  error: unknown,
  fallbackCode: ErrorCode = "EXTRACT_ERROR",
): ErrorInfo {
  if (error instanceof TrawlError) return error.toInfo();
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && isErrorCode(code)) return { code, message: error.message };
    return { code: fallbackCode, message: `${error.name}: ${error.message}` };
  }
  return { code: fallbackCode, message: String(error) };
}

/**
 * Rebuild a {@linkcode TrawlError} from an {@linkcode ErrorInfo} (one that crossed
 * a worker boundary, say). An unknown code becomes `EXTRACT_ERROR`.
 *
 * @example Round trip
 * ```ts
 * import { deserializeError, serializeError, TrawlError } from "./trawl_error.ts";
 *
 * const back = deserializeError(serializeError(new TrawlError("DEADLINE", "30 s passed")));
 * console.log(back.code); // "DEADLINE"
 * ```
 */
export function deserializeError(info: ErrorInfo): TrawlError {
  return new TrawlError(isErrorCode(info.code) ? info.code : "EXTRACT_ERROR", info.message);
}

const CODES: ReadonlySet<string> = new Set<string>(ERROR_CODES);

/**
 * Whether a string is one of trawl's stable {@linkcode ErrorCode}s.
 *
 * @example Check a code read from a record
 * ```ts
 * import { isErrorCode } from "./trawl_error.ts";
 *
 * console.log(isErrorCode("DEADLINE"), isErrorCode("nope")); // true false
 * ```
 */
export function isErrorCode(code: string): code is ErrorCode {
  return CODES.has(code);
}
