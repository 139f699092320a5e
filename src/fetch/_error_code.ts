/**
 * Maps undici, socket and abort failures to trawl's stable error codes, by
 * their `code` property (never by message).
 *
 * @module
 */

import { type ErrorCode, TrawlError } from "../trawl_error.ts";

const BY_CODE: Record<string, ErrorCode> = {
  ECONNREFUSED: "CONNECTION_REFUSED",
  ECONNRESET: "CONNECTION_RESET",
  EPIPE: "CONNECTION_RESET",
  UND_ERR_SOCKET: "CONNECTION_RESET",
  UND_ERR_CLOSED: "CONNECTION_RESET",
  ENOTFOUND: "DNS_ERROR",
  EAI_AGAIN: "DNS_ERROR",
  EAI_NONAME: "DNS_ERROR",
  UND_ERR_CONNECT_TIMEOUT: "CONNECT_TIMEOUT",
  ETIMEDOUT: "CONNECT_TIMEOUT",
  UND_ERR_HEADERS_TIMEOUT: "HEADERS_TIMEOUT",
  UND_ERR_BODY_TIMEOUT: "BODY_TIMEOUT",
  UND_ERR_ABORTED: "ABORTED",
  ABORT_ERR: "ABORTED",
  UND_ERR_RES_EXCEEDED_MAX_SIZE: "TOO_LARGE",
  EMFILE: "FD_LIMIT",
  ENFILE: "FD_LIMIT",
};

function isTls(code: string): boolean {
  return code.startsWith("ERR_TLS") || code.startsWith("ERR_SSL") || code.startsWith("CERT_") ||
    code.includes("CERT") || code === "UNABLE_TO_VERIFY_LEAF_SIGNATURE";
}

function codeOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Turn anything a fetch attempt threw into a {@linkcode TrawlError}. A
 * `TrawlError` (ours, e.g. an abort reason) passes through unchanged.
 */
export function toTrawlError(error: unknown, url: string): TrawlError {
  if (error instanceof TrawlError) return error;
  const raw = codeOf(error);
  const code: ErrorCode = raw === undefined
    ? (error instanceof Error && error.name === "AbortError" ? "ABORTED" : "NETWORK_ERROR")
    : BY_CODE[raw] ?? (isTls(raw) ? "TLS_ERROR" : "NETWORK_ERROR");
  const detail = error instanceof Error ? error.message : String(error);
  return new TrawlError(code, `${url}: ${detail}${raw ? ` (${raw})` : ""}`, { url, cause: error });
}
