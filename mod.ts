/**
 * trawl: a Deno-first async web scraper toolkit.
 *
 * @module
 */

export {
  deserializeError,
  type ErrorCode,
  isErrorCode,
  type SerializedError,
  serializeError,
  TrawlError,
  type TrawlErrorOptions,
} from "./src/trawl_error.ts";
export type {
  CrawlRecord,
  ErrorInfo,
  FetchPage,
  FetchResult,
  FetchTimings,
  PageInput,
  PageLink,
  PageResult,
} from "./src/types.ts";
