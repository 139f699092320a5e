/**
 * The storage contract of the frontier (v2), shaped for an in-memory store, a
 * SQLite file and Redis shared by many processes. The in-memory store
 * implements it today; every store runs the contract suite in
 * `tests/frontier/_store_contract.ts`.
 *
 * @module
 */

/**
 * Validators of an earlier fetch of a URL, for conditional requests on a recrawl.
 *
 * @example From response headers
 * ```ts
 * import type { Validators } from "./frontier_store.ts";
 *
 * const v: Validators = { etag: '"abc"', lastModified: "Wed, 21 Oct 2026 07:28:00 GMT" };
 * ```
 */
export interface Validators {
  /** The `ETag` header. @default {undefined} */
  etag?: string;
  /** The `Last-Modified` header. @default {undefined} */
  lastModified?: string;
  /** A hash of the decoded body, for pages without validators. @default {undefined} */
  contentHash?: string;
}

/**
 * One URL waiting in (or taken from) the frontier.
 *
 * @example An entry as the frontier builds it
 * ```ts
 * import type { FrontierEntry } from "./frontier_store.ts";
 *
 * const entry: FrontierEntry = { url: "https://example.com/", depth: 0, host: "example.com" };
 * ```
 */
export interface FrontierEntry {
  /** The normalized URL (see `normalizeUrl`): the dedupe key. */
  url: string;
  /** Link depth from the seeds (seeds are 0). */
  depth: number;
  /** `URL.host` of `url` (lowercase, port included when not the default): the politeness key. */
  host: string;
  /** Times the entry was released to be tried again. @default {0} */
  retries?: number;
  /** The page the link was found on; absent for seeds. @default {undefined} */
  referrer?: string;
  /** Validators from an earlier run, for a recrawl. @default {undefined} */
  validators?: Validators;
}

/**
 * A taken entry. Invisible to other takers until `done()`, `release()` or the
 * recovery of a dead owner's leases.
 *
 * @example Finish a lease
 * ```ts
 * import type { FrontierStore, Lease } from "./frontier_store.ts";
 *
 * async function finish(store: FrontierStore, lease: Lease) {
 *   if (!(await store.done(lease))) console.log("lost the lease; another worker has it");
 * }
 * ```
 */
export interface Lease {
  /** Opaque, unique within the store for its lifetime. */
  readonly id: string;
  /** The {@linkcode FrontierStore.owner} that took it. */
  readonly owner: string;
  /** The entry handed out. */
  readonly entry: FrontierEntry;
}

/**
 * Options for {@linkcode FrontierStore.take}.
 *
 * @example Skip busy hosts, at most 4 per host
 * ```ts
 * import type { TakeOptions } from "./frontier_store.ts";
 *
 * const options: TakeOptions = { excludeHosts: new Set(["slow.example.com"]), maxPerHost: 4 };
 * ```
 */
export interface TakeOptions {
  /** Hosts not to take from now (the host policy's blocked hosts). @default {empty} */
  excludeHosts?: ReadonlySet<string>;
  /** At most this many entries of one host in this call. @default {Infinity} */
  maxPerHost?: number;
}

/**
 * Options for {@linkcode FrontierStore.add}. The budgets are checked atomically
 * with the dedupe, against the counts the store holds (so a resumed crawl or a
 * second process does not start them from zero).
 *
 * @example Admit links within the page budgets
 * ```ts
 * import type { AddOptions } from "./frontier_store.ts";
 *
 * const options: AddOptions = { maxPages: 10_000, maxPagesPerHost: 500 };
 * ```
 */
export interface AddOptions {
  /** Add the new entries as already done: seen (so later adds drop them), never queued, counted against no budget. @default {false} */
  done?: boolean;
  /** Admit no entry once this many were ever admitted (queued) in the store. @default {Infinity} */
  maxPages?: number;
  /** Admit no entry of a host once this many of it were ever admitted. @default {Infinity} */
  maxPagesPerHost?: number;
}

/**
 * What {@linkcode FrontierStore.add} did.
 *
 * @example Count what a page's links gave
 * ```ts
 * import type { AddResult } from "./frontier_store.ts";
 *
 * const report = (r: AddResult) => `${r.added.length} new, ${r.overLimit} over budget`;
 * ```
 */
export interface AddResult {
  /** The entries added, in input order. */
  added: FrontierEntry[];
  /** Entries never seen before but refused by `maxPages` / `maxPagesPerHost` (not marked seen). */
  overLimit: number;
  /** Entries ever admitted (queued) in the store after this call. */
  admitted: number;
}

/**
 * Options for {@linkcode FrontierStore.done}.
 *
 * @example Finish a lease with its record
 * ```ts
 * import type { DoneOptions } from "./frontier_store.ts";
 *
 * const options: DoneOptions = { record: { url: "https://example.com/", id: "0123456789abcdef" } };
 * ```
 */
export interface DoneOptions {
  /**
   * The URL's record. A store that keeps the crawl's output (Redis, shared by
   * many workers) stores it in the same atomic step as the ack, and only when
   * the lease was still held, so each URL's record is kept exactly once; other
   * stores ignore it. @default {undefined}
   */
  record?: { readonly url: string; readonly id: string };
}

/**
 * Sizes of the frontier. `seen` = every URL ever added; each seen URL is in
 * exactly one of `queued` (including entries released with a delay that has not
 * yet passed), `leased` or `done`.
 *
 * @example Is the crawl finished?
 * ```ts
 * import type { FrontierCounts } from "./frontier_store.ts";
 *
 * const finished = (c: FrontierCounts) => c.queued === 0 && c.leased === 0;
 * ```
 */
export interface FrontierCounts {
  /** URLs ever added (the dedupe set). */
  seen: number;
  /** URLs ever admitted to be fetched (added without `done`): what `maxPages` counts. */
  admitted: number;
  /** URLs waiting, ready or delayed. */
  queued: number;
  /** URLs handed out and not yet done or released, by any owner. */
  leased: number;
  /** URLs finished for good. */
  done: number;
}

/**
 * Where frontier entries live: dedupe set, queues, leases, budgets and scope.
 *
 * ## Contract (every implementation)
 *
 * - **Dedupe.** `add` is atomic per call: an entry whose `url` was ever added
 *   before (queued, leased or done, by this or any other process sharing the
 *   store) is dropped; duplicates within one call keep the first. It returns
 *   exactly the entries it added, in input order. URLs are compared as given:
 *   callers normalize first.
 * - **Budgets.** `maxPages` / `maxPagesPerHost` in `add` are checked in the
 *   same atomic step, in input order, against the store's own counts of
 *   admitted entries; a refused entry is not marked seen.
 * - **Order.** `take` hands out entries breadth-first within a host (lower
 *   `depth` first, FIFO within a depth, also for entries that come back through
 *   `release`). Across hosts it SHOULD spread a call round-robin, least recently
 *   served host first. Hosts in `excludeHosts` are skipped; no host gives more
 *   than `maxPerHost` entries in one call.
 * - **Leases.** A taken entry is leased to the store's `owner`: no `take` (in
 *   any process) returns it again until one of
 *   - `done(lease)`: it is finished for good and never handed out again;
 *   - `release(lease, {delayMs})`: it is queued again, visible to `take` no
 *     earlier than `delayMs` from now (0 = at once), at its original depth,
 *     with `retries` raised by one;
 *   - recovery: leases whose owner is gone are queued again. A single-process
 *     store (a file) recovers every lease it finds when it is opened; a shared
 *     store recovers leases not renewed (`renew`) within its `leaseMs`.
 *     Delivery is therefore at-least-once.
 * - **Stale leases.** `done`, `release` and `renew` resolve `true` when the
 *   lease was still held by this owner and the call took effect, `false` when it
 *   was not (already finished, released, recovered, or unknown): they never
 *   throw for that reason, and a `false` tells the caller another worker may
 *   hold the URL now.
 * - **Empty takes.** `take` may return fewer than `max` (or none) while
 *   `counts().queued > 0`: entries may be delayed or on excluded hosts. A crawl
 *   is over only when `queued` and `leased` are both 0.
 * - **Scope.** `addScopeKeys` / `scopeKeys` keep the crawl's scope (the keys of
 *   its seeds), so a resumed crawl or another process follows the same links.
 * - **Failures.** A store that cannot reach its backend rejects with the
 *   underlying error; it never silently drops an entry.
 * - **Close.** `close()` releases the store's resources; leases still held stay
 *   leased (a file store recovers them at the next open). Calls after `close()`
 *   reject.
 *
 * @example Drain a store
 * ```ts
 * import type { FrontierStore } from "./frontier_store.ts";
 *
 * async function drain(store: FrontierStore) {
 *   for (let leases = await store.take(10); leases.length > 0; leases = await store.take(10)) {
 *     for (const lease of leases) await store.done(lease);
 *   }
 * }
 * ```
 */
export interface FrontierStore {
  /** The owner id stamped on this handle's leases (unique per process and run). */
  readonly owner: string;
  /**
   * How many acknowledgements (`done`) a crawl may have in flight at once. With 1,
   * each completes before the crawl delivers the next record, which a consumer that
   * commits its output position together with the acks relies on (the CLI's
   * `--state`). A store over the network that keeps each record with its ack
   * (Redis) allows more, so their round trips overlap; they are still issued in
   * order. @default {1}
   */
  readonly maxAcksInFlight?: number;
  /** Atomically add the entries whose URL was never seen before, within the budgets. */
  add(entries: readonly FrontierEntry[], options?: AddOptions): Promise<AddResult>;
  /** Lease up to `max` queued entries, breadth-first, skipping excluded hosts. */
  take(max: number, options?: TakeOptions): Promise<Lease[]>;
  /** The leased URL is finished (success or final failure); `false` if the lease was not held. */
  done(lease: Lease, options?: DoneOptions): Promise<boolean>;
  /** Put a leased entry back (to try again), visible after `delayMs`; `false` if not held. */
  release(lease: Lease, options?: { delayMs?: number }): Promise<boolean>;
  /** Extend a lease held by a live worker; `false` if not held. */
  renew(lease: Lease): Promise<boolean>;
  /** Current sizes. */
  counts(): Promise<FrontierCounts>;
  /** Add scope keys (idempotent). */
  addScopeKeys(keys: readonly string[]): Promise<void>;
  /** Every scope key added so far. */
  scopeKeys(): Promise<string[]>;
  /** Release resources; see the contract. */
  close(): Promise<void>;
}
