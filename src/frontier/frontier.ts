/**
 * The frontier: crawl policy (normalization, dedupe, depth, scope,
 * include/exclude, page budgets, URL length) in front of a
 * {@linkcode FrontierStore}. The scheduler talks to the frontier only.
 *
 * @module
 */

import { emptyLinkOutcome, type ErrorInfo, type LinkOutcome } from "../types.ts";
import { TrawlError } from "../trawl_error.ts";
import { canonicalHref, parseHttpUrl } from "../url.ts";
import type {
  AddResult,
  DoneOptions,
  FrontierCounts,
  FrontierEntry,
  FrontierStore,
  Lease,
  TakeOptions,
} from "./frontier_store.ts";
import { compilePatterns } from "./_pattern.ts";
import { domainOf, type FrontierScope, scopeKey } from "./_scope.ts";
import { hostnameOf, isTrap, redirectRefusal } from "./_link_rules.ts";
import { QueueBounds } from "./_queue_bounds.ts";

export type { FrontierScope };

/** Options for {@linkcode createFrontier}. */
export interface FrontierOptions {
  /** Deepest link depth followed (seeds are 0; 0 = fetch the seeds only). @default {0} */
  maxDepth?: number;
  /** Which links are followed, relative to the set of seeds. @default {"host"} */
  scope?: FrontierScope;
  /**
   * Links must match at least one of these (when any): globs over the whole
   * normalized URL (`*` any run, `?` one character) or `/regex/flags`. Seeds are
   * not filtered. @default {[]}
   */
  include?: readonly string[];
  /** Links matching any of these are skipped (same syntax as `include`). @default {[]} */
  exclude?: readonly string[];
  /** Most URLs admitted in total, seeds included. @default {Infinity} */
  maxPages?: number;
  /** Most URLs admitted per host (`URL.host`), seeds included. @default {Infinity} */
  maxPagesPerHost?: number;
  /** Longest normalized URL accepted, in characters. @default {2083} */
  maxUrlLength?: number;
  /**
   * Most URLs waiting in the store: links beyond it are dropped (`overQueue`) rather
   * than letting a spider trap fill the memory. Read from the store at most every
   * 100 ms, so it can be passed by a few pages' links. @default {Infinity}
   */
  maxQueued?: number;
  /** Most URLs of one host waiting (counted by this frontier since it started). @default {Infinity} */
  maxQueuedPerHost?: number;
  /**
   * Drop links whose path looks like a spider trap (`trap`): a segment repeated 3
   * times (`/a/b/a/b/a/`) or more than 32 segments. @default {true}
   */
  trapFilter?: boolean;
  /** Told of URLs admitted to the store, per host (seeds and links). @default {undefined} */
  onAdded?: (host: string, count: number) => void;
  /** Told once, the first time links are dropped for a reason (`trap`, `overQueue`). @default {undefined} */
  onDropped?: (reason: "trap" | "overQueue", example: string) => void;
}

/**
 * What {@linkcode Frontier.addSeed} did with a seed: added, a duplicate of an
 * earlier one (not an error, just counted), or rejected with an error a user can
 * act on (`INVALID_URL`, `UNSUPPORTED_SCHEME`, `URL_TOO_LONG`).
 *
 * @example Report a seed
 * ```ts
 * import type { SeedOutcome } from "./frontier.ts";
 *
 * function report(raw: string, outcome: SeedOutcome): string {
 *   if (outcome.ok) return `seed ${outcome.entry.url}`;
 *   if (outcome.duplicate) return `duplicate seed ${raw}`;
 *   if (outcome.error === undefined) return `over the page budget: ${raw}`;
 *   return `${outcome.error.code}: ${outcome.error.message}`;
 * }
 * ```
 */
export type SeedOutcome =
  | {
    ok: true;
    entry: FrontierEntry;
    duplicate?: undefined;
    overLimit?: undefined;
    error?: undefined;
  }
  | { ok: false; duplicate: true; overLimit?: undefined; error?: undefined }
  | { ok: false; overLimit: true; duplicate?: undefined; error?: undefined }
  | { ok: false; error: ErrorInfo; duplicate?: undefined; overLimit?: undefined };

export type { LinkOutcome } from "../types.ts";

/**
 * Crawl policy in front of a store, plus the store's lease API, so the scheduler
 * needs nothing else. See {@linkcode FrontierStore} for the lease contract.
 *
 * @example Seed, take, follow links, finish
 * ```ts
 * import { createFrontier } from "./frontier.ts";
 * import { createMemoryFrontierStore } from "./memory_frontier_store.ts";
 *
 * const frontier = createFrontier(createMemoryFrontierStore(), { maxDepth: 1 });
 * await frontier.addSeed("https://example.com/");
 * const [lease] = await frontier.take(1);
 * await frontier.addLinks(lease.entry.depth, [{ url: "https://example.com/about" }]);
 * await frontier.done(lease);
 * console.log(frontier.stats.added); // 1
 * ```
 */
export interface Frontier {
  /** Normalize and add a seed at depth 0; widens the scope. Never throws for a bad URL. */
  addSeed(raw: string): Promise<SeedOutcome>;
  /** Add the links found on a page at `depth` (they go in at `depth + 1`, with the page as referrer). */
  addLinks(
    depth: number,
    links: readonly { url: string }[],
    options?: { referrer?: string },
  ): Promise<LinkOutcome>;
  /**
   * Whether a redirect hop from `from` (a URL at `from.depth`) to `target` may be
   * followed: `null` if so, else the reason (`OUT_OF_SCOPE`, or the target's parse
   * error). A followed link's hops must pass scope and include/exclude as a link
   * would (not depth or budgets). A seed's own hops (depth 0) are followed wherever
   * the scope of the seeds allows, and a hop to another host of the seed's
   * registrable domain brings that host into the scope (`example.com` to
   * `www.example.com`).
   */
  checkRedirect(target: string, from: { depth: number; url: string }): Promise<ErrorInfo | null>;
  /**
   * Record `raw` (a redirect target about to be fetched in passing) as seen and done,
   * so a later link to it is a duplicate. Resolves `false` when it was seen before
   * (the caller should not fetch it again); a URL that does not normalize resolves
   * `true` (nothing to dedupe). It counts against no budget: it gets no record of its own.
   */
  markSeen(raw: string): Promise<boolean>;
  /** Running totals over every `addLinks` call (a copy). */
  readonly stats: LinkOutcome;
  /**
   * Record `key` (any text, not a URL: an invalid seed line's id, say) as seen and
   * done; `true` the first time. Lets a resumed crawl recognise what it recorded.
   */
  claim(key: string): Promise<boolean>;
  /** Whether `maxPages` URLs were admitted: nothing more will be (reading more seeds is pointless). */
  readonly full: boolean;
  /** {@linkcode FrontierStore.maxAcksInFlight} (1 when the store does not say). */
  readonly maxAcksInFlight: number;
  /** {@linkcode FrontierStore.take} */
  take(max: number, options?: TakeOptions): Promise<Lease[]>;
  /** {@linkcode FrontierStore.done} */
  done(lease: Lease, options?: DoneOptions): Promise<boolean>;
  /** {@linkcode FrontierStore.release} */
  release(lease: Lease, options?: { delayMs?: number }): Promise<boolean>;
  /** {@linkcode FrontierStore.renew} */
  renew(lease: Lease): Promise<boolean>;
  /** {@linkcode FrontierStore.counts} */
  counts(): Promise<FrontierCounts>;
  /** {@linkcode FrontierStore.close} */
  close(): Promise<void>;
}

function checkLimit(name: string, value: number, min: number): number {
  if (Number.isNaN(value) || value < min || (Number.isFinite(value) && !Number.isInteger(value))) {
    throw new TrawlError(
      "INVALID_OPTION",
      `${name} must be an integer >= ${min}, got ${value}`,
    );
  }
  return value;
}

/**
 * Create a frontier over `store`. Throws `INVALID_OPTION` for a bad option (an
 * include/exclude pattern that does not compile is named in the message).
 *
 * Page budgets and scope keys live in the store (so a resumed crawl or a second
 * process sharing the store continues them instead of starting from zero); the
 * store checks budgets atomically with its dedupe. Calls that add are judged in
 * call order; the adds of links (each atomic in the store) may overlap.
 *
 * @example A domain-wide crawl of docs pages, three links deep
 * ```ts
 * import { createFrontier } from "./frontier.ts";
 * import { createMemoryFrontierStore } from "./memory_frontier_store.ts";
 *
 * const frontier = createFrontier(createMemoryFrontierStore(), {
 *   maxDepth: 3,
 *   scope: "domain",
 *   include: ["*\/docs/*"],
 *   exclude: ["/\\.(pdf|zip)$/i"],
 *   maxPages: 10_000,
 * });
 * const outcome = await frontier.addSeed("https://www.example.com/docs/");
 * if (!outcome.ok && outcome.error) console.error(outcome.error.message);
 * ```
 */
export function createFrontier(store: FrontierStore, options: FrontierOptions = {}): Frontier {
  const maxDepth = checkLimit("maxDepth", options.maxDepth ?? 0, 0);
  const maxPages = checkLimit("maxPages", options.maxPages ?? Infinity, 1);
  const maxPagesPerHost = checkLimit("maxPagesPerHost", options.maxPagesPerHost ?? Infinity, 1);
  const maxUrlLength = checkLimit("maxUrlLength", options.maxUrlLength ?? 2083, 1);
  const scope = options.scope ?? "host";
  if (!["host", "domain", "origin", "all"].includes(scope)) {
    throw new TrawlError(
      "INVALID_OPTION",
      `scope must be one of host, domain, origin, all; got ${JSON.stringify(scope)}`,
    );
  }
  const maxQueued = checkLimit("maxQueued", options.maxQueued ?? Infinity, 1);
  const maxQueuedPerHost = checkLimit("maxQueuedPerHost", options.maxQueuedPerHost ?? Infinity, 1);
  const trapFilter = options.trapFilter ?? true;
  const include = compilePatterns(options.include, "include");
  const exclude = compilePatterns(options.exclude, "exclude");

  let scopeKeys: Set<string> | null = null;
  const totals = emptyLinkOutcome();
  let admitted = 0;
  let tail: Promise<unknown> = Promise.resolve();
  const budgets = { maxPages, maxPagesPerHost };

  /** Run `task` after every earlier add finished; the first one loads the store's scope and counts. */
  function serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = tail.then(load).then(task);
    tail = run.catch(() => {});
    return run;
  }

  async function load(): Promise<void> {
    if (scopeKeys !== null) return;
    scopeKeys = new Set(await store.scopeKeys());
    admitted = (await store.counts()).admitted;
  }

  const bounds = new QueueBounds(store, maxQueued, maxQueuedPerHost, options.onDropped);

  function counted(added: readonly FrontierEntry[]): void {
    const perHost = new Map<string, number>();
    for (const e of added) perHost.set(e.host, (perHost.get(e.host) ?? 0) + 1);
    for (const [host, n] of perHost) options.onAdded?.(host, n);
    bounds.added(added);
  }

  async function addScopeKey(key: string | null): Promise<void> {
    if (key === null || scopeKeys!.has(key)) return;
    scopeKeys!.add(key);
    await store.addScopeKeys([key]);
  }

  /** Parse and canonicalize once: `href` is the canonical URL, `url` gives its host and origin. */
  function parse(raw: string): { url: URL; href: string } | ErrorInfo {
    let url: URL;
    let normalized: string;
    try {
      url = parseHttpUrl(raw);
      normalized = canonicalHref(url);
    } catch (e) {
      if (e instanceof TrawlError) return { code: e.code, message: e.message };
      throw e;
    }
    if (normalized.length > maxUrlLength) {
      return {
        code: "URL_TOO_LONG",
        message: `URL is ${normalized.length} characters, over the ${maxUrlLength} limit: ` +
          `${normalized.slice(0, 100)}... (raise maxUrlLength to accept it)`,
      };
    }
    return { url, href: normalized };
  }

  function addSeed(raw: string): Promise<SeedOutcome> {
    return serialized(async (): Promise<SeedOutcome> => {
      const parsed = parse(raw);
      if (!("href" in parsed)) return { ok: false, error: parsed };
      const { url, href } = parsed;
      const entry: FrontierEntry = { url: href, depth: 0, host: url.host };
      const result = await store.add([entry], budgets);
      admitted = result.admitted;
      if (result.overLimit > 0) return { ok: false, overLimit: true };
      // A duplicate seed still widens the scope (it may be another spelling of one).
      await addScopeKey(scopeKey(url, scope));
      if (result.added.length === 0) return { ok: false, duplicate: true };
      counted(result.added);
      return { ok: true, entry: result.added[0] };
    });
  }

  function admits(url: string): boolean {
    if (include.length > 0 && !include.some((re) => re.test(url))) return false;
    return !exclude.some((re) => re.test(url));
  }

  function addLinks(
    depth: number,
    links: readonly { url: string }[],
    options: { referrer?: string } = {},
  ): Promise<LinkOutcome> {
    // Judged in call order (scope keys, per-host bounds); the store's own add is atomic,
    // so adds of several pages overlap (a shared store's round trips are pipelined).
    const judged = serialized(async () => {
      const outcome = emptyLinkOutcome();
      const childDepth = depth + 1;
      const unique = new Set<string>();
      const pending: FrontierEntry[] = [];
      if (childDepth > maxDepth) {
        // Not even parsed: pages at the last depth are common and their links many.
        outcome.overDepth = links.length;
        return { outcome, pending };
      }
      const referrer = options.referrer;
      for (const link of links) {
        const parsed = parse(link.url);
        if (!("href" in parsed)) outcome.invalid++;
        else if (scope !== "all" && !scopeKeys!.has(scopeKey(parsed.url, scope)!)) {
          outcome.outOfScope++;
        } else if (!admits(parsed.href)) outcome.excluded++;
        else if (trapFilter && isTrap(parsed.url.pathname)) {
          outcome.trap++;
          bounds.drop("trap", parsed.href);
        } else if (unique.has(parsed.href)) outcome.duplicate++;
        else if (bounds.hostFull(parsed.url.host)) {
          outcome.overQueue++;
          bounds.drop("overQueue", parsed.href);
        } else {
          unique.add(parsed.href);
          pending.push(
            referrer === undefined
              ? { url: parsed.href, depth: childDepth, host: parsed.url.host }
              : { url: parsed.href, depth: childDepth, host: parsed.url.host, referrer },
          );
        }
      }
      if (pending.length > 0 && (await bounds.full())) {
        outcome.overQueue += pending.length;
        bounds.drop("overQueue", pending[0]!.url);
        pending.length = 0;
      }
      // Held against the per-host bound now, so the next page's judging counts them.
      bounds.reserve(pending, 1);
      return { outcome, pending };
    });
    return judged.then(async ({ outcome, pending }) => {
      if (pending.length > 0) {
        let result: AddResult;
        try {
          result = await store.add(pending, budgets);
        } finally {
          bounds.reserve(pending, -1);
        }
        admitted = Math.max(admitted, result.admitted);
        counted(result.added);
        outcome.added = result.added.length;
        outcome.overLimit = result.overLimit;
        outcome.duplicate += pending.length - result.added.length - result.overLimit;
      }
      for (const key of Object.keys(totals) as (keyof LinkOutcome)[]) totals[key] += outcome[key];
      return outcome;
    });
  }

  function claim(key: string): Promise<boolean> {
    return serialized(async () => {
      const result = await store.add([{ url: key, depth: 0, host: "" }], { done: true });
      return result.added.length === 1;
    });
  }

  function checkRedirect(
    target: string,
    from: { depth: number; url: string },
  ): Promise<ErrorInfo | null> {
    return serialized(async (): Promise<ErrorInfo | null> => {
      const parsed = parse(target);
      if (!("href" in parsed)) return parsed;
      if (scope !== "all" && !scopeKeys!.has(scopeKey(parsed.url, scope)!)) {
        const seedHost = from.depth === 0 ? hostnameOf(from.url) : null;
        if (seedHost !== null && domainOf(seedHost) === domainOf(parsed.url.hostname)) {
          // example.com -> www.example.com: the seed's site moved; follow it there.
          await addScopeKey(scopeKey(parsed.url, scope));
          return null;
        }
        return redirectRefusal(from.url, parsed.href, { scope });
      }
      if (from.depth > 0) {
        if (include.length > 0 && !include.some((re) => re.test(parsed.href))) {
          return redirectRefusal(from.url, parsed.href, { include: true });
        }
        const excluded = exclude.find((re) => re.test(parsed.href));
        if (excluded !== undefined) return redirectRefusal(from.url, parsed.href, { excluded });
      }
      return null;
    });
  }

  function markSeen(raw: string): Promise<boolean> {
    return serialized(async () => {
      const parsed = parse(raw);
      if (!("href" in parsed)) return true;
      const entry = { url: parsed.href, depth: 0, host: parsed.url.host };
      const result = await store.add([entry], { done: true });
      return result.added.length === 1;
    });
  }

  return {
    addSeed,
    addLinks,
    checkRedirect,
    claim,
    markSeen,
    get stats(): LinkOutcome {
      return { ...totals };
    },
    get full(): boolean {
      return admitted >= maxPages;
    },
    maxAcksInFlight: store.maxAcksInFlight ?? 1,
    take: async (max, takeOptions) => {
      const leases = await store.take(max, takeOptions);
      bounds.taken(leases.map((l) => l.entry));
      return leases;
    },
    done: (lease, doneOptions) => store.done(lease, doneOptions),
    release: (lease, releaseOptions) => store.release(lease, releaseOptions),
    renew: (lease) => store.renew(lease),
    counts: () => store.counts(),
    close: () => store.close(),
  };
}
