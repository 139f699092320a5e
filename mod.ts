/**
 * trawl: a Deno-first async web crawler and scraper toolkit. This entry point
 * (`@trawl/trawl`) is the crawler: {@linkcode crawl}, its records, sinks, frontier
 * stores, host policy and errors. The toolkit parts have their own entry points:
 *
 * - `@trawl/trawl/fetch` (`fetch.ts`): `fetchAll` / `createFetcher`, the fetch layer
 *   alone ("gather with a semaphore", results in completion order).
 * - `@trawl/trawl/pool` (`pool.ts`): `createWorkerPool` / `createParsePool`, CPU work
 *   off the main thread in sandboxed workers with backpressure.
 * - `@trawl/trawl/robots` (`robots.ts`): the robots.txt cache (RFC 9309).
 * - `@trawl/trawl/guard` (`guard.ts`): the private-address guard.
 * - {@linkcode createReportRecorder} / {@linkcode renderReport} (here): an HTML report
 *   of a crawl (charts over time, hosts, slowest pages), one file that opens offline.
 *
 * @example Crawl a site two links deep and keep the titles
 * ```ts
 * import { crawl } from "./mod.ts";
 *
 * async function titles(site: string) {
 *   for await (const record of crawl([site], { maxDepth: 2 })) {
 *     console.log(record.status, record.url, record.title);
 *   }
 * }
 * ```
 *
 * @module
 */

// The crawler.
export { crawl, type CrawlRun, type Seed } from "./src/crawl.ts";
export {
  CRAWL_DEFAULTS,
  type CrawlOptions,
  type CrawlRate,
  type CrawlScope,
  resolveCrawlOptions,
  type ResolvedCrawlOptions,
  type UnsetCrawlOption,
} from "./src/crawl_options.ts";
export type {
  BackoffEvent,
  CrawlEvent,
  CrawlEventListener,
  FrontierEvent,
  LinksEvent,
  PolitenessEvent,
  QueuedEvent,
  RecordEvent,
  RedirectEvent,
  RequestEvent,
  ResponseEvent,
  RetryEvent,
  RobotsEvent,
  SeedEvent,
} from "./src/crawl_events.ts";
export {
  CrawlStats,
  type CrawlStatsSnapshot,
  type HostStats,
  type LinkCounts,
} from "./src/crawl_stats.ts";
export type { FieldRate } from "./src/field_tally.ts";
export type { LinkOutcome } from "./src/types.ts";
export { readSeeds, type ReadSeedsOptions } from "./src/cli/read_seeds.ts";

// Extraction inside the crawl's workers (the pools themselves: `./pool.ts`).
export {
  type CheerioApi,
  type ExtractContext,
  type Extractor,
  type StandardSchema,
} from "./src/parse/extract_page.ts";
export {
  checkSelectSpecs,
  type FieldType,
  parseSelectSpec,
  type SelectField,
} from "./src/parse/select_spec.ts";

// The frontier: the store interface to implement, and the in-memory default.
export type {
  AddOptions,
  AddResult,
  DoneOptions,
  FrontierCounts,
  FrontierEntry,
  FrontierStore,
  Lease,
  TakeOptions,
  Validators,
} from "./src/frontier/frontier_store.ts";
export {
  createMemoryFrontierStore,
  type MemoryFrontierStoreOptions,
} from "./src/frontier/memory_frontier_store.ts";
export {
  createSqliteFrontierStore,
  type SqliteFrontierStore,
  type SqliteFrontierStoreOptions,
} from "./src/frontier/sqlite_frontier_store.ts";

// Cookies: the jar the fetch layer uses, and curl's cookies.txt.
export {
  type CookieJar,
  createCookieJar,
  type MemoryCookieJar,
  type StoredCookie,
} from "./src/cookies/cookie_jar.ts";
export { formatCookiesTxt, parseCookiesTxt } from "./src/cookies/cookies_txt.ts";

// Recrawls: what earlier runs saw of each page (the state file keeps it as `store.history`).
export type { PageHistory, PageMemo } from "./src/recrawl/page_history.ts";
export { createMemoryPageHistory } from "./src/recrawl/memory_page_history.ts";

// Politeness and safety: the per-host policy contract and its in-memory default.
export type {
  AcquireOptions,
  HostPermit,
  HostPolicy,
  PermitSlot,
  RequestKind,
  RequestOutcome,
} from "./src/policy/host_policy.ts";
export {
  createMemoryHostPolicy,
  type HostStateView,
  type MemoryHostPolicy,
  type MemoryHostPolicyOptions,
  type RateLimit,
  type RequestRate,
} from "./src/policy/memory_host_policy.ts";
// Output.
export { type Sink, type SinkOptions } from "./src/sinks/sink.ts";
export { createSink, type SinkFormat } from "./src/sinks/create_sink.ts";
export { createJsonlSink } from "./src/sinks/jsonl_sink.ts";
export { createJsonSink } from "./src/sinks/json_sink.ts";
export { createCsvSink, type CsvSinkOptions } from "./src/sinks/csv_sink.ts";

// The HTML crawl report: a recorder fed with the crawl's events, rendered to one offline page.
export {
  createReportRecorder,
  REPORT_RECORDER_DEFAULTS,
  type ReportRecorder,
  type ReportRecorderOptions,
} from "./src/report/report_recorder.ts";
export {
  RENDER_REPORT_DEFAULTS,
  renderReport,
  type RenderReportOptions,
} from "./src/report/render_report.ts";
export type {
  ReportData,
  ReportHost,
  ReportPage,
  ReportRefusal,
  ReportRobotsFile,
  ReportSeries,
} from "./src/report/report_data.ts";

// URLs, errors and the shared record types.
export { hostOf, normalizeUrl } from "./src/url.ts";
export {
  deserializeError,
  ERROR_CODES,
  type ErrorCode,
  type ErrorInfo,
  isErrorCode,
  serializeError,
  TrawlError,
  type TrawlErrorOptions,
} from "./src/trawl_error.ts";
export type {
  CrawlRecord,
  FetchPage,
  FetchPageOptions,
  FetchResult,
  FetchTimings,
  FieldIssue,
  FieldStatus,
  PageInput,
  PageLink,
  PageResult,
  RecordChange,
} from "./src/types.ts";
