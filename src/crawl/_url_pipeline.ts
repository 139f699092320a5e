/**
 * The per-URL pipeline: robots.txt, fetch (every hop checked against the crawl's
 * policy), parse in the worker pool, links back to the frontier, and the one
 * record of the URL.
 *
 * @module
 */

import type { CrawlEvent } from "../crawl_events.ts";
import type { Fetcher } from "../fetch/fetcher.ts";
import type { Frontier } from "../frontier/frontier.ts";
import type { Lease } from "../frontier/frontier_store.ts";
import type { ParsePool } from "../parse/parse_pool.ts";
import type { HostPermit, HostPolicy, PermitSlot } from "../policy/host_policy.ts";
import type { PageHistory, PageMemo } from "../recrawl/page_history.ts";
import type { RobotsCache } from "../robots/robots_cache.ts";
import { serializeError, TrawlError } from "../trawl_error.ts";
import {
  type CrawlRecord,
  emptyLinkOutcome,
  type FetchResult,
  type FieldStatus,
} from "../types.ts";
import { failureRecord, recordId, robotsRefusal } from "./_records.ts";
import { changeOf, conditionalHeaders, contentHash, validatorsOf } from "./_revisit.ts";

/** HTML media types: the only bodies parsed. */
const HTML_TYPES: ReadonlySet<string> = new Set(["text/html", "application/xhtml+xml"]);

/** The parts a URL passes through, wired once per crawl by `src/crawl.ts`. */
export interface PipelineParts {
  frontier: Frontier;
  policy: HostPolicy;
  fetcher: Fetcher;
  pool: ParsePool;
  robots: RobotsCache | null;
  maxDepth: number;
  /** What earlier runs saw of each page (a recrawl); `null` when the crawl keeps no history. */
  history: PageHistory | null;
  /** With a history: pages fetched less than this long ago are not fetched again. */
  minAgeMs: number;
  /** Follow nofollow links and extract noindex pages anyway. */
  ignoreNofollow: boolean;
  /** The `<lastmod>` a sitemap gave the URL, if any. */
  lastmod(url: string): string | undefined;
  /** The crawl's signal: aborting it ends every request as `ABORTED`. */
  signal: AbortSignal;
  emit(event: CrawlEvent): void;
  /** Something changed that the crawl loop should look at (a host's robots.txt became known). */
  notify(): void;
  /** Count body bytes into (+) and out of (-) the parse backlog. */
  backlog(bytes: number): void;
}

/** What the pipeline gives back for a URL. */
export interface PipelineOutcome {
  record: CrawlRecord;
  /** Fetch attempts made (0 when nothing was fetched). */
  attempts: number;
  /** Statuses of the page's typed fields, when any were checked. */
  fields?: Record<string, FieldStatus>;
  /**
   * A recrawl's update of the page history, run when the record is handed over
   * (with the URL's ack, in the same commit): a crash before that leaves the
   * previous run's memo, so the refetched page is compared with it again.
   */
  onAck?: () => Promise<void>;
}

/**
 * Runs URLs through the pipeline. One per crawl; holds the per-fetch hooks so a
 * URL allocates no closures for them.
 */
export class UrlPipeline {
  #p: PipelineParts;
  #onRetry: (
    e: {
      url: string;
      attempt: number;
      delayMs: number;
      code: TrawlError["code"];
      status: number | null;
    },
  ) => void;
  #onRedirect: (e: { from: string; to: string; status: number }) => void;
  #seedHop: (target: URL, from: URL | null) => Promise<boolean>;
  #linkHop: (target: URL, from: URL | null) => Promise<boolean>;

  constructor(parts: PipelineParts) {
    this.#p = parts;
    this.#onRetry = (e) => parts.emit({ type: "retry", ...e });
    this.#onRedirect = (e) => parts.emit({ type: "redirect", ...e });
    this.#seedHop = (target, from) => this.#followHop(target, from, 0);
    this.#linkHop = (target, from) => this.#followHop(target, from, 1);
  }

  /**
   * Process one leased URL. `permit` is the host permit the crawl loop got for it
   * (used by its first request, robots.txt or the page), or `null` to wait for one.
   */
  async run(lease: Lease, permit: HostPermit | null): Promise<PipelineOutcome> {
    const p = this.#p;
    const { url, depth, host } = lease.entry;
    const started = performance.now();
    const slot: PermitSlot = { permit };
    let result: FetchResult | null = null;
    let record: CrawlRecord;
    let fields: Record<string, FieldStatus> | undefined;
    let memo: PageMemo | null = null;
    let outlinks: string[] | null = null;
    let hash: string | undefined;
    try {
      if (p.history !== null) {
        memo = await p.history.reach(url);
        if (memo !== null && Date.now() - memo.fetchedAt < p.minAgeMs) {
          return { record: await this.#notFetched(lease, memo), attempts: 0 };
        }
      }
      if (p.robots) {
        const verdict = p.robots.peek(url) ??
          await p.robots.check(url, { signal: p.signal, permit: slot });
        // Lifts the one-request cap of a host whose robots.txt was unknown, at once.
        await p.policy.robotsKnown(host, verdict.crawlDelayMs);
        p.notify();
        if (!verdict.allowed) throw robotsRefusal(url, verdict);
      }
      result = await p.fetcher.fetch(url, {
        signal: p.signal,
        allowUrl: depth === 0 ? this.#seedHop : this.#linkHop,
        permit: slot,
        onRetry: this.#onRetry,
        onRedirect: this.#onRedirect,
        headers: conditionalHeaders(memo),
      });
      record = {
        id: recordId(url),
        url,
        finalUrl: result.status === null ? null : result.finalUrl,
        status: result.status,
        depth,
        title: null,
        fetchedAt: new Date().toISOString(),
        ms: 0,
        bytes: result.bytes,
        error: result.error,
        data: null,
      };
      const html = result.contentType === null || HTML_TYPES.has(result.contentType);
      const ok = result.error === null && result.status !== null && result.status < 300;
      if (ok && p.history !== null) hash = await contentHash(result.body);
      if (ok && html) {
        const parsed = await this.#parse(record, result, depth);
        fields = parsed.fields;
        outlinks = parsed.links;
      }
    } catch (error) {
      record = failureRecord(
        recordId(url),
        url,
        depth,
        serializeError(error, p.signal.aborted ? "ABORTED" : "NETWORK_ERROR"),
      );
      if (result) {
        record.finalUrl = result.finalUrl;
        record.status = result.status;
        record.bytes = result.bytes;
      }
    } finally {
      // Never used (robots.txt refused the URL, say): give it back without charging a gap.
      if (slot.permit !== null) await p.policy.release(slot.permit, { status: null, unused: true });
    }
    record.ms = Math.round(performance.now() - started);
    const lastmod = p.lastmod(url);
    if (lastmod !== undefined) record.lastmod = lastmod;
    const onAck = p.history === null
      ? undefined
      : await this.#revisited(record, result, memo, outlinks, hash);
    return { record, attempts: result?.attempts ?? 0, fields, onAck };
  }

  /**
   * A recrawl's verdict on a URL (`record.change`), and what the history keeps of
   * it. A page whose body was not read this time (a 304, a failure) keeps its
   * stored links, which are followed so discovery goes on behind it.
   */
  async #revisited(
    record: CrawlRecord,
    result: FetchResult | null,
    memo: PageMemo | null,
    outlinks: string[] | null,
    hash: string | undefined,
  ): Promise<(() => Promise<void>) | undefined> {
    const p = this.#p;
    const status = result?.status ?? null;
    record.change = changeOf(memo, { status, error: record.error }, hash);
    if (status === 304 && memo !== null) {
      record.title = memo.title;
      record.error = null;
    }
    if (outlinks === null && memo !== null && record.change === "unchanged") {
      await this.#follow(record.url, record.depth, memo.outlinks.map((link) => ({ url: link })));
    }
    if (record.error?.code === "ABORTED") return undefined;
    if (memo !== null && record.change === "unchanged" && status !== 304 && hash === undefined) {
      return undefined; // no verdict on the page: it keeps its earlier state
    }
    const keep = status === 304 && memo !== null;
    const validators = result === null ? {} : validatorsOf(result.headers);
    const next: PageMemo = {
      depth: record.depth,
      status: keep ? memo.status : status,
      etag: validators.etag ?? (keep ? memo.etag : undefined),
      lastModified: validators.lastModified ?? (keep ? memo.lastModified : undefined),
      contentHash: hash ?? (keep ? memo.contentHash : undefined),
      fetchedAt: Date.now(),
      title: record.title,
      outlinks: outlinks ?? (keep ? memo.outlinks : []),
    };
    const history = p.history!;
    const url = record.url;
    return () => history.remember(url, next);
  }

  /** A page fetched less than `minAgeMs` ago: not fetched, its stored links followed. */
  async #notFetched(lease: Lease, memo: PageMemo): Promise<CrawlRecord> {
    const { url, depth } = lease.entry;
    await this.#follow(url, depth, memo.outlinks.map((link) => ({ url: link })));
    return {
      id: recordId(url),
      url,
      finalUrl: null,
      status: memo.status,
      depth,
      title: memo.title,
      fetchedAt: new Date(memo.fetchedAt).toISOString(),
      ms: 0,
      bytes: 0,
      error: null,
      data: null,
      change: "unchanged",
    };
  }

  /** Add a page's links to the frontier (within `maxDepth`) and report them. */
  async #follow(
    url: string,
    depth: number,
    links: readonly { url: string }[],
    nofollow = 0,
  ): Promise<void> {
    const p = this.#p;
    const found = links.length + nofollow;
    const outcome = depth < p.maxDepth
      ? { ...await p.frontier.addLinks(depth, links, { referrer: url }) }
      : { ...emptyLinkOutcome(), overDepth: links.length };
    outcome.nofollow = nofollow;
    p.emit({ type: "links", url, found, outcome });
  }

  /** Parse the page into `record`; resolves to its typed fields' statuses (if any were checked) and links. */
  async #parse(
    record: CrawlRecord,
    result: FetchResult,
    depth: number,
  ): Promise<{ fields: Record<string, FieldStatus> | undefined; links: string[] }> {
    const p = this.#p;
    const size = result.body.byteLength;
    p.backlog(size);
    let page;
    try {
      page = await p.pool.parse({
        url: record.url,
        finalUrl: result.finalUrl,
        status: result.status!,
        headers: result.headers,
        body: result.body,
        depth,
      }, { signal: p.signal });
    } finally {
      p.backlog(-size);
    }
    record.title = page.title;
    record.data = page.noindex && !p.ignoreNofollow ? null : page.data;
    if (page.noindex) record.noindex = true;
    record.error = page.error;
    if (page.invalid !== undefined) record.invalid = page.invalid;
    const followed = p.ignoreNofollow ? page.links : page.links.filter((link) => !link.nofollow);
    await this.#follow(record.url, depth, followed, page.links.length - followed.length);
    return { fields: page.fields, links: followed.map((link) => link.url) };
  }

  /**
   * A redirect hop is a new URL and obeys the crawl's policy: scope and
   * include/exclude (`Frontier.checkRedirect`), robots.txt, and dedupe (it is
   * fetched once per crawl, like a link: a hop to a URL already seen ends this
   * fetch with DUPLICATE_REDIRECT). The address guard and the host policy are
   * applied by the fetch layer itself.
   */
  async #followHop(target: URL, from: URL | null, depth: number): Promise<boolean> {
    if (from === null) return true;
    const p = this.#p;
    const refused = await p.frontier.checkRedirect(target.href, { depth, url: from.href });
    if (refused !== null) throw new TrawlError(refused.code, refused.message, { url: target.href });
    if (p.robots) {
      const verdict = await p.robots.check(target.href, { signal: p.signal });
      if (!verdict.allowed) throw robotsRefusal(target.href, verdict, from.href);
    }
    if (!(await p.frontier.markSeen(target.href))) {
      throw new TrawlError(
        "DUPLICATE_REDIRECT",
        `${from.href} redirects to ${target.href}, which this crawl has already seen; ` +
          `it is fetched (and recorded) once`,
        { url: target.href },
      );
    }
    return true;
  }
}
