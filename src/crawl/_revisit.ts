/**
 * One URL of a recrawl, compared with what the previous run saw of it: the
 * conditional request headers, the body hash, and the verdict (`change`).
 *
 * What is hashed: the response body after its Content-Encoding is undone
 * (gzip, br, deflate), before any charset decoding, byte for byte; SHA-256,
 * the first 128 bits in hex. Headers are not hashed, so a page that differs
 * only in a `Date` or `Set-Cookie` header is unchanged; a page that embeds a
 * timestamp or a random token in its HTML is changed every time.
 *
 * @module
 */

import type { PageMemo } from "../recrawl/page_history.ts";
import type { FetchResult, RecordChange } from "../types.ts";

/** `If-None-Match` / `If-Modified-Since` from the page's validators; `undefined` when it has none. */
export function conditionalHeaders(memo: PageMemo | null): Record<string, string> | undefined {
  if (memo === null || (memo.etag === undefined && memo.lastModified === undefined)) {
    return undefined;
  }
  const headers: Record<string, string> = {};
  if (memo.etag !== undefined) headers["if-none-match"] = memo.etag;
  if (memo.lastModified !== undefined) headers["if-modified-since"] = memo.lastModified;
  return headers;
}

/** SHA-256 of `body`, first 128 bits in hex. */
export async function contentHash(body: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", body as Uint8Array<ArrayBuffer>),
  );
  let hex = "";
  for (let i = 0; i < 16; i++) hex += digest[i].toString(16).padStart(2, "0");
  return hex;
}

/** A status that says the page is gone. */
export function isGoneStatus(status: number | null): boolean {
  return status === 404 || status === 410;
}

/**
 * The change of a fetched page against its memo. `hash` is the body hash of a
 * 2xx response, else `undefined`. A fetch that failed without a verdict on the
 * page (a timeout, a 5xx) is `unchanged`: the page keeps its earlier state.
 */
export function changeOf(
  memo: PageMemo | null,
  result: Pick<FetchResult, "status" | "error">,
  hash: string | undefined,
): RecordChange {
  if (memo === null) return "new";
  const status = result.status;
  if (status === 304) return "unchanged";
  if (isGoneStatus(status)) return isGoneStatus(memo.status) ? "unchanged" : "gone";
  if (hash !== undefined) {
    return hash === memo.contentHash && memo.status === status ? "unchanged" : "changed";
  }
  // No verdict on the page: no response, a retryable status, or a refusal before the fetch.
  if (status === null || status === 429 || status >= 500) return "unchanged";
  return status === memo.status ? "unchanged" : "changed";
}

/** The validators of a response, for the next run. */
export function validatorsOf(
  headers: Record<string, string>,
): Pick<PageMemo, "etag" | "lastModified"> {
  const found: Pick<PageMemo, "etag" | "lastModified"> = {};
  if (headers.etag) found.etag = headers.etag;
  if (headers["last-modified"]) found.lastModified = headers["last-modified"];
  return found;
}
