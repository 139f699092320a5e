/**
 * The shared types the parts of trawl speak. Parts (fetch, parse, frontier,
 * scheduler, robots, sinks) import from here, never from each other; only
 * `src/crawl.ts` wires them together.
 *
 * @module
 */

import type { ErrorInfo } from "./trawl_error.ts";
import type { PermitSlot } from "./policy/host_policy.ts";

export type { ErrorInfo } from "./trawl_error.ts";

/** Timings of one fetch, in milliseconds. */
export interface FetchTimings {
  /** From the start of the last attempt to its response headers; `null` if none came. */
  ttfbMs: number | null;
  /** From the first attempt's start to the end of the body (or the failure). */
  totalMs: number;
}

/**
 * What the fetch layer returns for one URL. A failed URL is a result with
 * `error` set, never an exception.
 */
export interface FetchResult {
  /** The URL as requested. */
  url: string;
  /** The URL the body came from, after redirects (equals `url` when none). */
  finalUrl: string;
  /** Every URL visited after `url`, in order; empty without redirects. */
  redirects: string[];
  /** HTTP status of the final response; `null` when no response arrived. */
  status: number | null;
  /** Response headers, names lowercased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The decoded-from-transfer-encoding body (gzip/deflate/br undone); empty on error or skip. */
  body: Uint8Array;
  /** Media type from Content-Type without parameters, lowercased; `null` when absent. */
  contentType: string | null;
  /** The `charset` parameter of Content-Type, lowercased; `null` when absent. */
  charset: string | null;
  /** Bytes received on the wire for the final response body (before decompression). */
  bytes: number;
  /** How many attempts were made (1 = no retry). */
  attempts: number;
  /** Timings. */
  timings: FetchTimings;
  /** `null` on success; otherwise what went wrong. */
  error: ErrorInfo | null;
}

/** A fetched page handed to the parse pool. */
export interface PageInput {
  /** The requested URL. */
  url: string;
  /** The URL after redirects: links resolve against it (or `<base href>`). */
  finalUrl: string;
  /** HTTP status. */
  status: number;
  /** Response headers, names lowercased. */
  headers: Record<string, string>;
  /** Raw body bytes (already decompressed); decoded inside the worker. */
  body: Uint8Array;
  /** Link depth from the seeds (seeds are 0). */
  depth: number;
}

/** A link found on a page. */
export interface PageLink {
  /** Absolute URL, fragment removed. */
  url: string;
  /** Whether the link carried `rel="nofollow"`. */
  nofollow: boolean;
}

/**
 * One failed typed check of extracted data: where (`price`, `items[2].name`,
 * `(root)`) and why.
 *
 * @example An invalid price
 * ```ts
 * import type { FieldIssue } from "./types.ts";
 *
 * const issue: FieldIssue = { path: "price", message: "expected a number" };
 * ```
 */
export interface FieldIssue {
  /** The value's path in `data`. */
  path: string;
  /** What is wrong, from the extractor's schema or the `--select` field's type. */
  message: string;
}

/** How one extracted field fared on one page. */
export type FieldStatus = "ok" | "missing" | "invalid";

/** What the parse pool returns for a page. */
export interface PageResult {
  /** `<title>` text, trimmed; `null` when absent. */
  title: string | null;
  /** `<meta name="description">` content; `null` when absent. */
  description: string | null;
  /** `<link rel="canonical">` resolved to an absolute URL; `null` when absent. */
  canonical: string | null;
  /** `<html lang>`; `null` when absent. */
  lang: string | null;
  /** The encoding the body was decoded with (WHATWG name, e.g. `"windows-1251"`). */
  encoding: string;
  /** Links discovered on the page (or by the extractor's `links()`), deduplicated, in order. */
  links: PageLink[];
  /** `--select` fields as an object, or what the extractor returned; `null` when neither ran. */
  data: unknown;
  /** `null` on success; the extraction failure otherwise (links and title may still be set). */
  error: ErrorInfo | null;
  /** Failed typed checks (an extractor's `schema`, typed `--select` fields); absent when none failed or none ran. */
  invalid?: FieldIssue[];
  /** Status per checked field; absent when no typed check ran. */
  fields?: Record<string, FieldStatus>;
  /** `<meta name="robots" content="noindex">` (or `none`): absent otherwise. */
  noindex?: true;
}

/**
 * How many links of a page went where. Every link lands in exactly one count,
 * checked in this order: `nofollow` (`rel="nofollow"`, or the page's meta robots
 * `nofollow`, unless ignored), `overDepth` (all links of a page at `maxDepth`),
 * `invalid` (unparsable, not http(s), or over `maxUrlLength`), `outOfScope`,
 * `excluded` (include/exclude), `trap` (a spider-trap path), `overQueue` (the
 * frontier holds `maxQueued` URLs, or its host `maxQueuedPerHost`), `duplicate`
 * (seen before, or twice on the page), `overLimit` (`maxPages` or
 * `maxPagesPerHost` reached), `added`.
 *
 * @example Log a page's links
 * ```ts
 * import type { LinkOutcome } from "./types.ts";
 *
 * const log = (o: LinkOutcome) => console.log(`${o.added} new, ${o.duplicate} seen`);
 * ```
 */
export interface LinkOutcome {
  /** Queued. */
  added: number;
  /** Not followed: `rel="nofollow"`, or `<meta name="robots" content="nofollow">`. */
  nofollow: number;
  /** Already seen. */
  duplicate: number;
  /** Outside the scope of the seeds. */
  outOfScope: number;
  /** Rejected by include/exclude. */
  excluded: number;
  /** Deeper than `maxDepth`. */
  overDepth: number;
  /** Over `maxPages` or `maxPagesPerHost`. */
  overLimit: number;
  /** Not an http(s) URL, or too long. */
  invalid: number;
  /** A path that looks like a spider trap (a segment repeated 3 times, or over 32 segments). */
  trap: number;
  /** Dropped because the frontier held `maxQueued` URLs (or its host `maxQueuedPerHost`). */
  overQueue: number;
}

/**
 * A {@linkcode LinkOutcome} with every count at zero.
 *
 * @example Start counting
 * ```ts
 * import { emptyLinkOutcome } from "./types.ts";
 *
 * const totals = emptyLinkOutcome();
 * totals.added += 3;
 * ```
 */
export function emptyLinkOutcome(): LinkOutcome {
  return {
    added: 0,
    nofollow: 0,
    duplicate: 0,
    outOfScope: 0,
    excluded: 0,
    overDepth: 0,
    overLimit: 0,
    invalid: 0,
    trap: 0,
    overQueue: 0,
  };
}

/**
 * How a page compares with the crawl's previous run (records of a crawl with a
 * page history): `new` (not in the previous run), `changed`, `unchanged` (a 304,
 * the same body hash, or not fetched because of `minAgeMs`), `gone` (404/410
 * now, or no longer reached by any link).
 */
export type RecordChange = "new" | "changed" | "unchanged" | "gone";

/** One output record: exactly one per attempted URL. */
export interface CrawlRecord {
  /**
   * Stable id: the same for the same URL in every run and resume of a crawl, unique
   * within one (16 hex digits hashed from `url`). A sink that may see a record twice
   * after a crash dedupes by it.
   */
  id: string;
  /** The normalized requested URL. */
  url: string;
  /** The URL after redirects; `null` when no response arrived. */
  finalUrl: string | null;
  /** HTTP status, or `null` when no response arrived. */
  status: number | null;
  /** Link depth from the seeds (seeds are 0). */
  depth: number;
  /** Page title, or `null`. */
  title: string | null;
  /** When the fetch finished, ISO 8601. */
  fetchedAt: string;
  /** Total time spent on this URL (fetch + parse), milliseconds. */
  ms: number;
  /** Body bytes received on the wire. */
  bytes: number;
  /** `null` on success; otherwise `{code, message}`. */
  error: ErrorInfo | null;
  /** `--select` fields, or what the extractor returned; `null` when neither. */
  data: unknown;
  /** Failed typed checks of `data` (which is kept as extracted); absent when none failed. */
  invalid?: FieldIssue[];
  /** Against the previous run, when the crawl keeps a page history (`--state`); else absent. */
  change?: RecordChange;
  /** `"sitemap"` for the record of a sitemap (`--sitemaps`); absent for pages. */
  kind?: "sitemap";
  /** A page listed in a sitemap: its `<lastmod>` there, as written. Absent otherwise. */
  lastmod?: string;
  /**
   * The page asks not to be indexed (`<meta name="robots" content="noindex">`): its
   * `data` is not extracted (`null`) unless nofollow rules are ignored. Absent otherwise.
   */
  noindex?: true;
}

/**
 * Options of a {@linkcode FetchPage} call.
 *
 * @example Fetch robots.txt with its own cap
 * ```ts
 * import type { FetchPageOptions } from "./types.ts";
 *
 * const options: FetchPageOptions = { maxBytes: 512 * 1024, truncate: true };
 * ```
 */
export interface FetchPageOptions {
  /** Aborts the fetch (the result gets `ABORTED`). @default {undefined} */
  signal?: AbortSignal;
  /** A permit to use for the first request (see `PermitSlot`). @default {undefined} */
  permit?: PermitSlot;
  /** Body cap for this fetch, bytes (the fetcher's own when absent). @default {undefined} */
  maxBytes?: number;
  /** Keep the first `maxBytes` of a longer body instead of failing with `TOO_LARGE`. @default {false} */
  truncate?: boolean;
  /** Read the body whatever its content type (a sitemap). @default {false} */
  anyContentType?: boolean;
}

/**
 * The small fetch function parts other than the fetch layer receive (robots.txt
 * uses it), injected by `src/crawl.ts`, so they never import the fetch layer.
 */
export type FetchPage = (url: string, options?: FetchPageOptions) => Promise<FetchResult>;
