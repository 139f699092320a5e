/**
 * The one error type of trawl. Every domain failure carries a stable `code`;
 * retry decisions and tests read the code, never the message.
 *
 * @module
 */

/**
 * Every stable error code trawl produces. Codes are part of the public contract:
 * records written by the crawler carry them in `error.code`.
 */
export type ErrorCode =
  // input
  | "INVALID_URL"
  | "UNSUPPORTED_SCHEME"
  | "URL_TOO_LONG"
  | "INVALID_OPTION"
  // fetch
  | "CONNECT_TIMEOUT"
  | "HEADERS_TIMEOUT"
  | "BODY_TIMEOUT"
  | "DEADLINE"
  | "ABORTED"
  | "DNS_ERROR"
  | "CONNECTION_REFUSED"
  | "CONNECTION_RESET"
  | "TLS_ERROR"
  | "NETWORK_ERROR"
  | "HTTP_ERROR"
  | "TOO_MANY_REDIRECTS"
  | "REDIRECT_BLOCKED"
  | "TOO_LARGE"
  | "SKIPPED_CONTENT_TYPE"
  | "FD_LIMIT"
  // parse / worker pool
  | "EXTRACT_TIMEOUT"
  | "EXTRACT_ERROR"
  | "WORKER_CRASHED"
  | "POOL_CLOSED"
  | "BAD_SELECTOR"
  // crawl policy
  | "ROBOTS_DISALLOWED"
  | "BLOCKED_ADDRESS"
  | "OUT_OF_SCOPE"
  | "DUPLICATE_REDIRECT"
  // output sinks
  | "SINK_CLOSED"
  | "SINK_ERROR";

/** An error as it crosses a worker boundary or lands in an output record. */
export interface SerializedError {
  /** The error's class name, e.g. `"TrawlError"` or `"TypeError"`. */
  name: string;
  /** A stable code; `"EXTRACT_ERROR"` for foreign errors with none of their own. */
  code: string;
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
}

/**
 * Turn any thrown value into `{name, code, message}`, the form errors take across
 * worker boundaries and in output records.
 *
 * @example Serialize a foreign error
 * ```ts
 * import { serializeError } from "./trawl_error.ts";
 *
 * const e = serializeError(new TypeError("boom"), "EXTRACT_ERROR");
 * console.log(e); // { name: "TypeError", code: "EXTRACT_ERROR", message: "boom" }
 * ```
 */
export function serializeError(
  error: unknown,
  fallbackCode: ErrorCode = "EXTRACT_ERROR",
): SerializedError {
  if (error instanceof TrawlError) {
    return { name: error.name, code: error.code, message: error.message };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      code: typeof code === "string" && isErrorCode(code) ? code : fallbackCode,
      message: error.message,
    };
  }
  return { name: "Error", code: fallbackCode, message: String(error) };
}

/**
 * Rebuild a {@linkcode TrawlError} from its serialized form.
 *
 * @example Round trip
 * ```ts
 * import { deserializeError, serializeError, TrawlError } from "./trawl_error.ts";
 *
 * const back = deserializeError(serializeError(new TrawlError("DEADLINE", "30 s passed")));
 * console.log(back.code); // "DEADLINE"
 * ```
 */
export function deserializeError(data: SerializedError): TrawlError {
  const code = isErrorCode(data.code) ? data.code : "EXTRACT_ERROR";
  const error = new TrawlError(code, data.message);
  if (data.name !== "TrawlError") error.message = `${data.name}: ${data.message}`;
  return error;
}

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  "INVALID_URL",
  "UNSUPPORTED_SCHEME",
  "URL_TOO_LONG",
  "INVALID_OPTION",
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
  "TOO_MANY_REDIRECTS",
  "REDIRECT_BLOCKED",
  "TOO_LARGE",
  "SKIPPED_CONTENT_TYPE",
  "FD_LIMIT",
  "EXTRACT_TIMEOUT",
  "EXTRACT_ERROR",
  "WORKER_CRASHED",
  "POOL_CLOSED",
  "BAD_SELECTOR",
  "ROBOTS_DISALLOWED",
  "BLOCKED_ADDRESS",
  "OUT_OF_SCOPE",
  "DUPLICATE_REDIRECT",
  "SINK_CLOSED",
  "SINK_ERROR",
]);

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
